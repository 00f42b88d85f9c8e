// The protocol-neutral parts of the server side: see ploke/adapters/inbound.h.
#include "ploke/adapters/inbound.h"

#include <algorithm>

namespace ploke::inbound {

std::optional<Priority> parse_priority(std::string_view s) {
  if (s == "low" || s == "0") return Priority::kLow;
  if (s == "normal" || s == "1") return Priority::kNormal;
  if (s == "high" || s == "2") return Priority::kHigh;
  if (s == "critical" || s == "3") return Priority::kCritical;
  return std::nullopt;
}

uint64_t estimate_prompt_tokens(const ChatRequest& r) {
  size_t chars = 0;
  for (const Message& m : r.messages) {
    for (const ContentPart& p : m.content) chars += p.text.size();
    for (const ToolCall& tc : m.tool_calls) chars += tc.name.size() + tc.arguments_json.size();
  }
  for (const ToolDefinition& t : r.tools) chars += t.name.size() + t.description.size() + t.parameters_json.size();
  return std::max<uint64_t>(1, chars / 4);
}

}  // namespace ploke::inbound
