// A finished request as the OTLP exporter sees it (chat_call.h: request_telemetry()).
#include "chat_call.h"

#include <algorithm>

namespace ploke::gateway::internal {
namespace {

const EndpointInfo* find_endpoint(const std::vector<EndpointInfo>& endpoints, const std::string& id) {
  for (const auto& e : endpoints) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

}  // namespace

RequestTelemetry request_telemetry(const std::vector<EndpointInfo>& endpoints, const RequestOrigin& origin,
                                   const std::string& model, const resilience::RequestTrace& trace, StatusCode code,
                                   const std::optional<Usage>& usage) {
  RequestTelemetry r;
  r.operation = std::string(origin.operation);
  r.request_model = model;
  r.gateway_trace_id = trace.request_id;
  if (auto tp = origin.request.headers.get("traceparent")) r.client = TraceIds::parse(*tp);
  r.server = TraceIds::parse(origin.server_traceparent);
  r.start = origin.t0;
  r.total = trace.total;
  r.streamed = origin.streamed;
  r.outcome = code;
  if (usage) {
    r.input_tokens = usage->prompt_tokens;
    r.output_tokens = usage->completion_tokens;
  }
  if (const EndpointInfo* served = find_endpoint(endpoints, trace.served_by)) {
    r.provider = served->provider;
    r.response_model = served->model;
  }
  r.attempts.reserve(trace.attempts.size());
  for (const auto& a : trace.attempts) {
    AttemptTelemetry t;
    t.endpoint_id = a.endpoint_id;
    if (a.span_id.size() == 16) {
      std::copy_n(a.span_id.data(), 16, t.span_id.begin());
      t.has_span_id = true;
    }
    if (const EndpointInfo* e = find_endpoint(endpoints, a.endpoint_id)) {
      t.provider = e->provider;
      t.model = e->model;
      t.server_address = e->server_address;
    }
    t.start = a.start;
    t.duration = a.duration;
    t.outcome = a.outcome;
    t.input_tokens = a.prompt_tokens;
    t.output_tokens = a.completion_tokens;
    if (origin.streamed && a.ttft && a.outcome == StatusCode::kOk && a.endpoint_id == trace.served_by) {
      r.time_to_first_chunk = a.start + *a.ttft;  // the attempt's start is since the request's
    }
    r.attempts.push_back(std::move(t));
  }
  return r;
}

}  // namespace ploke::gateway::internal
