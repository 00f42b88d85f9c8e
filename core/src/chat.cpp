#include "ploke/core/chat.h"

namespace ploke {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kSystem: return "system";
    case Role::kDeveloper: return "developer";
    case Role::kUser: return "user";
    case Role::kAssistant: return "assistant";
    case Role::kTool: return "tool";
  }
  return "user";
}

std::string_view finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kUnknown: return "unknown";
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kContentFilter: return "content_filter";
    case FinishReason::kError: return "error";
    case FinishReason::kOther: return "other";
  }
  return "unknown";
}

std::string_view stream_event_kind_name(StreamEvent::Kind k) {
  switch (k) {
    case StreamEvent::Kind::kStart: return "start";
    case StreamEvent::Kind::kTextDelta: return "text_delta";
    case StreamEvent::Kind::kToolCallDelta: return "tool_call_delta";
    case StreamEvent::Kind::kUsage: return "usage";
    case StreamEvent::Kind::kFinish: return "finish";
    case StreamEvent::Kind::kError: return "error";
    case StreamEvent::Kind::kReasoningDelta: return "reasoning_delta";
  }
  return "unknown";
}

std::string Message::text() const {
  std::string out;
  for (const auto& p : content) {
    if (p.kind == ContentPart::Kind::kText) out += p.text;
  }
  return out;
}

void StreamAccumulator::add_reasoning(const StreamEvent& e) {
  auto& blocks = response_.reasoning_blocks;
  if (!e.redacted.empty()) {
    blocks.push_back(ReasoningBlock{ReasoningBlock::Kind::kRedacted, {}, {}, e.redacted});
  }
  if (e.text.empty() && e.signature.empty()) return;
  response_.reasoning += e.text;
  const bool open = !blocks.empty() && blocks.back().kind == ReasoningBlock::Kind::kThinking &&
                    blocks.back().signature.empty();
  if (!open) blocks.push_back(ReasoningBlock{});
  blocks.back().text += e.text;
  blocks.back().signature += e.signature;
}

Status StreamAccumulator::add(const StreamEvent& e) {
  delivered_.events++;
  switch (e.kind) {
    case StreamEvent::Kind::kStart:
      if (!e.id.empty()) response_.id = e.id;
      if (!e.model.empty()) response_.model = e.model;
      break;
    case StreamEvent::Kind::kTextDelta:
      response_.content += e.text;
      delivered_.content_chars += e.text.size();
      response_.logprobs.insert(response_.logprobs.end(), e.logprobs.begin(), e.logprobs.end());
      break;
    case StreamEvent::Kind::kToolCallDelta: {
      delivered_.tool_call_fragments++;
      if (e.tool_index >= index_to_slot_.size()) index_to_slot_.resize(e.tool_index + 1, -1);
      int64_t& slot = index_to_slot_[e.tool_index];
      if (slot < 0) {
        slot = static_cast<int64_t>(response_.tool_calls.size());
        response_.tool_calls.push_back(ToolCall{e.tool_call_id, e.tool_name, {}});
      }
      ToolCall& call = response_.tool_calls[static_cast<size_t>(slot)];
      if (!e.tool_call_id.empty() && !call.id.empty() && call.id != e.tool_call_id) {
        return MalformedResponseError("tool call " + std::to_string(e.tool_index) + " changed id from '" +
                                      call.id + "' to '" + e.tool_call_id + "'");
      }
      if (!e.tool_name.empty() && !call.name.empty() && call.name != e.tool_name) {
        return MalformedResponseError("tool call " + std::to_string(e.tool_index) + " changed name from '" +
                                      call.name + "' to '" + e.tool_name + "'");
      }
      if (call.id.empty()) call.id = e.tool_call_id;
      if (call.name.empty()) call.name = e.tool_name;
      call.arguments_json += e.arguments_fragment;
      break;
    }
    case StreamEvent::Kind::kReasoningDelta:
      add_reasoning(e);
      break;
    case StreamEvent::Kind::kUsage:
      response_.usage = e.usage;
      break;
    case StreamEvent::Kind::kFinish:
      saw_finish_ = true;
      response_.finish_reason = e.finish_reason;
      response_.native_finish_reason = e.native_finish_reason;
      break;
    case StreamEvent::Kind::kError:
      return e.error.ok() ? InternalError("error event without a status") : e.error;
  }
  return Status::Ok();
}

}  // namespace ploke
