// File: ploke/resilience/trace.h
//
// RequestTrace: the structured story of one façade call — the candidates and which filter
// removed which, the policy's scores, the pick and fallback chain, the admission lane and
// wait, then every attempt with its timing, outcome, retry decision and cost.
// `ploke-sim chat --trace` prints render_trace_text(); render_trace_json() is the same
// data as JSON (hand-written: ploke::resilience has no third-party dependency; strings go
// through the one JSON string escaper, ploke::json::append_quoted(): quotes, backslashes and
// every control character escaped, invalid UTF-8 replaced by U+FFFD; always valid JSON).
//
// Secrets: traces hold endpoint ids, provider names and Status::to_string() texts, which
// are redacted at the source (Status factories run redact_secrets()). Never put a key in
// EndpointCandidate::key_id (it is a name).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke::resilience {

struct TraceCandidate {
  std::string endpoint_id;
  std::string provider, model;
  std::string removed_by;   ///< filter name, "" if it survived
  double score = 0;         ///< survivors only
  double est_cost_usd = 0;
  int chain_position = -1;  ///< 0 = the pick, 1.. = fallbacks, -1 = not in the chain
};

struct TraceAttempt {
  uint32_t number = 0;          ///< 1-based across the request
  std::string endpoint_id;
  Duration start{0};            ///< since the request started
  Duration duration{0};
  std::optional<Duration> ttft; ///< streamed attempts that produced content
  std::string span_id;          ///< when the request carried a traceparent: the attempt's span id, sent upstream as parent-id
  StatusCode outcome = StatusCode::kOk;
  std::string error;            ///< Status::to_string() when failed
  std::string decision;         ///< "done", "retry in 250ms (backoff)", "fall over: …", "give up: …"
  Duration backoff{0};          ///< wait before the next attempt
  uint64_t prompt_tokens = 0, completion_tokens = 0;
  double cost_usd = 0;
};

struct RequestTrace {
  std::string request_id;
  std::string policy;
  std::string pin;
  std::string sticky_key;
  bool sticky_hit = false;
  std::string lane;
  Duration queue_wait{0};
  std::vector<TraceCandidate> candidates;
  std::vector<TraceAttempt> attempts;
  std::vector<std::string> notes;  ///< skipped endpoints, waits for rate limits, continuation…
  StatusCode final_code = StatusCode::kOk;
  std::string final_error;
  std::string served_by;           ///< endpoint id of the successful attempt
  Duration total{0};
  double total_cost_usd = 0;
  // Cost forecast before sending (the pick): estimated prompt tokens + max output tokens
  // (or LlmClientOptions::default_output_tokens) × the endpoint's prices.
  uint64_t est_prompt_tokens = 0, est_output_tokens = 0;
  double forecast_usd = 0;  ///< on the pick; 0 with no pick
  std::vector<std::string> budget_warnings;  ///< from the BudgetOracle ("budget day …: over 80%")
};

std::string render_trace_text(const RequestTrace& t);
std::string render_trace_json(const RequestTrace& t);

}  // namespace ploke::resilience
