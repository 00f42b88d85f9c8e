// File: chat_call.h (private to ploke::gateway)
//
// One chat request through the gateway (serve_chat(), ploke/gateway/inbound.h), as small
// steps: parse the body in the client's protocol (its ChatSession), apply the x-ploke-* header overrides, check the policy, resolve the model name
// and routing hints into the call's preferences (model_names.h; a request for logprobs
// needs an endpoint that can supply them), make one façade call — for each of the n
// choices an OpenAI client asked for, one after another, usage summed — merge the
// choices' traces into one, record it (trace store, on_completed)
// before the last byte goes out, and reply: the session's body, or an SSE stream whose
// writer the session opens at the first event (it knows the served id and model then) and
// which, once begun, ends with an in-stream error rather than a second status line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/stream_event_redactor.h"
#include "ploke/adapters/inbound.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/inbound.h"
#include "ploke/gateway/otlp.h"
#include "ploke/resilience/trace.h"
#include "model_names.h"

namespace ploke::gateway::internal {

/// A whole decimal int64 (no sign prefix other than '-', no spaces), else nullopt.
std::optional<int64_t> parse_i64(std::string_view s);

/// x-ploke-provider, x-ploke-policy, x-ploke-deadline-ms (positive integer) and
/// x-ploke-priority (low|normal|high|critical) onto `hints`, over the body's "ploke"
/// object. kInvalidRequest naming the header when a value is malformed.
Status apply_header_overrides(const Headers& headers, adapters::inbound::RoutingHints& hints);

/// kInvalidRequest listing the registered policies when `policy` is not one of them.
Status check_policy(const std::string& policy, const std::vector<std::string>& registered);

/// What every gateway call takes from its request's headers: the overrides
/// (apply_header_overrides(), the policy checked against `client`'s policies) onto `hints`, and
/// onto `meta` the deadline and priority they give, `trace_id` as the request id and the
/// client's W3C trace context (traceparent / tracestate). With `otlp` (OpenTelemetry on):
/// the gateway's SERVER span joins the trace (its id derived from `trace_id`), so
/// meta.traceparent names that span as parent; with no valid client traceparent a new trace
/// starts (ids derived from `trace_id`; sampled flag set when trace_id_sampled() admits the
/// new trace id at otlp->sample_ratio()). Without: the client's traceparent as sent.
Status apply_request_headers(const Headers& headers, const resilience::LlmClient& client,
                             const std::string& trace_id, adapters::inbound::RoutingHints& hints, RequestMeta& meta,
                             const OtlpExporter* otlp);

/// Appends a later façade call's trace `t` (another of the n choices) to `merged`:
/// attempts renumbered after the earlier ones, candidates once each, `note` then t's
/// notes, cost summed; final code, error, served_by and pin from `t`.
void append_trace(resilience::RequestTrace& merged, resilience::RequestTrace& t, std::string note);

/// Adds `u` (when set) to `sum`, field by field (reported cost too).
void add_usage(std::optional<Usage>& sum, const std::optional<Usage>& u);

/// Where a finished request came from, for its exported spans (GatewayOptions::otlp).
struct RequestOrigin {
  const Request& request;
  TimePoint t0;                ///< the gateway's clock when the request began
  std::string_view operation;  ///< chat | embeddings (GenAI gen_ai.operation.name)
  bool streamed = false;
  std::string_view server_traceparent;  ///< the SERVER span's traceparent (meta.traceparent when traced)
};

/// The exporter's view of a finished request: models, providers and server addresses from
/// `endpoints`, timing from `trace`, the client's traceparent — never a header's or body's
/// other content.
RequestTelemetry request_telemetry(const std::vector<EndpointInfo>& endpoints, const RequestOrigin& origin,
                                   const std::string& model, const resilience::RequestTrace& trace, StatusCode code,
                                   const std::optional<Usage>& usage);

class ChatCall {
 public:
  ChatCall(InboundExchange& x, ChatSession& session);
  void run();
  /// What a finished request leaves before its reply: the access-log fields (model asked
  /// for, served by, attempts, tokens, cost, error) and Gateway::on_completed (the ledger's
  /// request row). Shared with the embeddings route.
  /// With GatewayOptions::otlp, also the request's spans and metrics (request_telemetry()).
  static void report(Gateway& gw, Inflight& inflight, const std::string& model, const resilience::RequestTrace& trace,
                     StatusCode code, const std::optional<Usage>& usage, const RequestOrigin& origin);

 private:
  Status prepare();
  void refuse(const Status& st);
  void completed(const resilience::RequestTrace& trace, StatusCode code, const std::optional<Usage>& usage);
  void merge(resilience::RequestTrace& t);
  void record();
  void complete_choice();
  void run_complete();
  void stream_choice(const resilience::LlmClient::EventCallback& on_event);
  void run_stream();
  void end_stream_with_error();
  void ensure_writer(const StreamEvent* start);
  void send(std::string bytes);

  const InboundExchange& x_;
  Gateway& gw_;
  const InboundProtocol& protocol_;
  ChatSession& session_;
  const Request& request_;
  Responder& out_;
  Inflight& inflight_;
  const std::string& trace_id_;
  const TimePoint t0_;
  adapters::inbound::InboundRequest in_;
  std::string requested_model_;
  resilience::CallControl control_;
  resilience::RequestTrace merged_;
  std::string route_note_;  // how the model name resolved (model_names.h)
  Headers head_;
  Result<ChatResponse> result_ = InternalError("no façade call made");
  uint32_t choice_ = 0;         // the choice being made (OpenAI n)
  size_t calls_ = 0;            // façade calls so far (over all choices)
  std::optional<Usage> usage_;  // summed over the choices made
  bool stream_open_ = false;    // the session's stream writer is made
  bool head_sent_ = false;
  StreamEventRedactor redactor_;  // secrets split across deltas (ploke/core/stream_event_redactor.h)
};

}  // namespace ploke::gateway::internal
