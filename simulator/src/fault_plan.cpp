#include "ploke/simulator/fault_plan.h"

namespace ploke::simulator {

std::string_view fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::kHttpError: return "http_error";
    case FaultKind::kHang: return "hang";
    case FaultKind::kDelay: return "delay";
    case FaultKind::kReset: return "reset";
    case FaultKind::kEmptyReply: return "empty_reply";
    case FaultKind::kMalformedJson: return "malformed_json";
    case FaultKind::kStreamCut: return "stream_cut";
    case FaultKind::kMidStreamError: return "mid_stream_error";
    case FaultKind::kSlowStream: return "slow_stream";
  }
  return "unknown";
}

}  // namespace ploke::simulator
