// The protocol-neutral parts of the server side: see ploke/adapters/inbound.h.
#include "ploke/adapters/inbound.h"

#include <algorithm>

namespace ploke::adapters::inbound {

std::optional<Priority> parse_priority(std::string_view s) {
  if (s == "low" || s == "0") return Priority::kLow;
  if (s == "normal" || s == "1") return Priority::kNormal;
  if (s == "high" || s == "2") return Priority::kHigh;
  if (s == "critical" || s == "3") return Priority::kCritical;
  return std::nullopt;
}

int error_http_status(const Status& st, const ErrorStatusChoices& choices) {
  switch (st.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kRateLimited: return 429;
    case StatusCode::kOverloaded: return choices.overloaded;
    case StatusCode::kServerError: {
      const int h = st.http_status();
      const bool keep = choices.keep_any_5xx ? h >= 500 && h <= 599 : h == 502 || h == 503;
      return keep ? h : choices.server_error;
    }
    case StatusCode::kTimeout: return 504;
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
    case StatusCode::kStreamInterrupted: return 502;
    case StatusCode::kAuth: return 401;
    case StatusCode::kPermission: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidRequest:
    case StatusCode::kContextLengthExceeded:
    case StatusCode::kContentFilter: return 400;
    case StatusCode::kInsufficientCredits: return choices.insufficient_credits;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kInternal: return 500;
  }
  return 500;
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

}  // namespace ploke::adapters::inbound
