#include "ploke/core/scripted_response.h"

namespace ploke {

std::string_view ending_name(Ending e) {
  switch (e) {
    case Ending::kComplete: return "complete";
    case Ending::kReset: return "reset";
    case Ending::kCloseNoReply: return "close_no_reply";
    case Ending::kHang: return "hang";
  }
  return "unknown";
}

std::string ScriptedResponse::body() const {
  std::string out;
  for (const auto& c : chunks) out += c.bytes;
  return out;
}

ScriptedResponse ScriptedResponse::Simple(int status, Headers headers, std::string body, Duration at) {
  ScriptedResponse r;
  r.head_at = at;
  r.status = status;
  r.headers = std::move(headers);
  r.chunks.push_back(TimedChunk{at, std::move(body)});
  return r;
}

}  // namespace ploke
