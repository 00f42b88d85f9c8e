// The Responses API's stored responses (response_store.h).
#include "response_store.h"

#include <algorithm>

namespace ploke::gateway::internal {

void ResponseStore::put(const std::string& id, StoredResponse r) {
  if (capacity_ == 0) return;
  auto stored = std::make_shared<const StoredResponse>(std::move(r));
  MutexLock lock(mu_);
  auto [it, fresh] = by_id_.insert_or_assign(id, std::move(stored));
  if (fresh) order_.push_back(id);
  while (order_.size() > capacity_) {
    by_id_.erase(order_.front());
    order_.pop_front();
  }
}

std::shared_ptr<const StoredResponse> ResponseStore::get(std::string_view id) const {
  MutexLock lock(mu_);
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

void ResponseStore::erase(std::string_view id) {
  MutexLock lock(mu_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  order_.erase(std::find(order_.begin(), order_.end(), it->first));
  by_id_.erase(it);
}

size_t ResponseStore::size() const {
  MutexLock lock(mu_);
  return by_id_.size();
}

std::vector<Message> conversation_after(std::vector<Message> input, const ChatResponse& answer) {
  Message m;
  m.role = Role::kAssistant;
  if (!answer.content.empty()) m.content.push_back(ContentPart::Text(answer.content));
  m.tool_calls = answer.tool_calls;
  input.push_back(std::move(m));
  return input;
}

Status check_call_outputs(const std::vector<std::string>& call_ids, const std::vector<std::string>& output_ids,
                          const StoredResponse* previous) {
  auto has = [](const std::vector<std::string>& v, const std::string& id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  static const std::vector<std::string> kNone;
  const std::vector<std::string>& prior = previous != nullptr ? previous->calls : kNone;
  for (const std::string& id : output_ids) {
    if (!has(call_ids, id) && !has(prior, id)) {
      return InvalidRequestError("input: No tool call found for function call output with call_id " + id + ".");
    }
  }
  for (const std::string& id : prior) {
    if (!has(output_ids, id)) return InvalidRequestError("input: No tool output found for function call " + id + ".");
  }
  return Status::Ok();
}

}  // namespace ploke::gateway::internal
