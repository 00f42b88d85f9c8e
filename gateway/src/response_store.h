// File: response_store.h (private to ploke::gateway)
//
// The Responses API's stored responses, for `previous_response_id` and
// `GET /v1/responses/{id}`: per response, the conversation it ended (its input without
// `instructions`, then its answer as an assistant message), the function calls it made
// (the next request must answer each) and its Response body. Kept in memory for the
// process's life, at most `capacity` responses (the oldest are forgotten first; a request
// continuing a forgotten one gets the API's 400 previous_response_not_found).
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/chat.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::gateway::internal {

struct StoredResponse {
  std::vector<Message> conversation;  ///< input (no instructions) + the answer
  std::vector<std::string> calls;     ///< call_id of each function call the answer made
  std::string body;                   ///< the Response JSON
};

class ResponseStore {
 public:
  explicit ResponseStore(size_t capacity) : capacity_(capacity) {}
  /// Keeps `r` under `id` (a capacity of 0 keeps nothing).
  void put(const std::string& id, StoredResponse r);
  /// The stored response, or null when unknown (never stored, or forgotten).
  std::shared_ptr<const StoredResponse> get(std::string_view id) const;
  /// Forgets `id` (no-op when unknown).
  void erase(std::string_view id);
  size_t size() const;

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<const StoredResponse>, std::less<>> by_id_ PLOKE_GUARDED_BY(mu_);
  std::deque<std::string> order_ PLOKE_GUARDED_BY(mu_);  // oldest first
};

/// The conversation a stored answer ends: `input` then `answer` as an assistant message
/// (its text and tool calls).
std::vector<Message> conversation_after(std::vector<Message> input, const ChatResponse& answer);

/// The API's checks of a continuation: every function_call_output answers a call of this
/// input (`call_ids`) or of the previous response, and every call of the previous response
/// is answered. kInvalidRequest "input: …" in the API's words, else OK.
Status check_call_outputs(const std::vector<std::string>& call_ids, const std::vector<std::string>& output_ids,
                          const StoredResponse* previous);

}  // namespace ploke::gateway::internal
