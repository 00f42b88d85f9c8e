// File: ploke/simulator/fault_plan.h
//
// FaultPlan: what to break, when. Plain data owned by the simulator (which injects the
// faults into its responses, over HTTP or in-process) and used by scenarios (each
// scenario's fault plan). The JSON form and its semantics are specified in
// simulator/README.md; parsing lives in ploke/simulator/fault_plan_json.h.
//
// Selection: a fault applies to a request that matches its filters (path, model, stream)
// and its trigger: the Nth matching request (`nth`, 1-based; `every` repeats it), a time
// window since simulator start, and/or a seeded probability. `times` caps how often it
// fires. Faults are checked in plan order; the first that fires wins.
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/clock.h"

namespace ploke::simulator {

enum class FaultKind : uint8_t {
  kHttpError,       ///< status with a protocol-accurate error body and headers (429, 500, 502, 503, 529, 4xx)
  kHang,            ///< accept the request, never answer (client must time out)
  kDelay,           ///< add `delay` before the head (and keep the normal response)
  kReset,           ///< reset the connection before any byte
  kEmptyReply,      ///< close the connection without a byte
  kMalformedJson,   ///< 200 with a body that is not valid JSON (or a malformed SSE data line)
  kStreamCut,       ///< stream: send `after_events` events, then reset without terminator
  kMidStreamError,  ///< stream: send `after_events` events, then an in-band error event
  kSlowStream,      ///< stream: multiply inter-token pacing / first-token time
};
std::string_view fault_kind_name(FaultKind k);
/// Every FaultKind, in declaration order.
inline constexpr std::array<FaultKind, 9> kAllFaultKinds = {
    FaultKind::kHttpError,  FaultKind::kHang,          FaultKind::kDelay,
    FaultKind::kReset,      FaultKind::kEmptyReply,    FaultKind::kMalformedJson,
    FaultKind::kStreamCut,  FaultKind::kMidStreamError, FaultKind::kSlowStream};

struct FaultTrigger {
  std::optional<uint64_t> nth;          ///< fire on the Nth matching request (1-based)
  std::optional<uint64_t> every;        ///< with nth: also every `every` after it
  std::optional<Duration> from;         ///< window start, since simulator start
  std::optional<Duration> until;        ///< window end (exclusive)
  std::optional<double> probability;    ///< seeded dice per matching request
  std::optional<uint64_t> times;        ///< fire at most this many times
};

struct FaultMatch {
  std::string path;                 ///< exact path, "" = any inference path
  std::string model;                ///< "" = any
  std::optional<bool> stream;       ///< only streamed / only non-streamed requests
};

struct Fault {
  std::string id;                   ///< unique in the plan; generated ("f1", …) if absent
  FaultKind kind = FaultKind::kHttpError;
  FaultMatch match;
  FaultTrigger trigger;
  // kHttpError
  int status = 500;
  std::optional<Duration> retry_after;      ///< sent as retry-after (seconds, rounded up)
  std::optional<Duration> retry_after_ms;   ///< sent as retry-after-ms
  std::optional<bool> should_retry;         ///< sent as x-should-retry
  std::string error_type;                   ///< override the body's error.type
  std::string error_code;                   ///< override the body's error.code
  std::string message;                      ///< override the body's error.message
  // kDelay / kHang / kSlowStream
  Duration delay{0};
  double factor = 1.0;                      ///< kSlowStream multiplier
  // kStreamCut / kMidStreamError
  uint32_t after_events = 0;
};

struct FaultPlan {
  std::vector<Fault> faults;
};

}  // namespace ploke::simulator
