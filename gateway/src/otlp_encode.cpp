// OTLP/HTTP JSON encoding and the spans of one request (ploke/gateway/otlp.h).
//
// OTLP JSON (opentelemetry-proto's JSON mapping): ids are lower-case hex strings, int64 /
// uint64 / fixed64 fields (times, counts, intValue) are decimal strings, enums are numbers,
// attributes are {"key", "value": {"stringValue" | "intValue" | "doubleValue"}}.
#include "ploke/gateway/otlp.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "ploke/core/trace_context.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

std::string hex_id(Random& random, size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (;;) {
    out.clear();
    for (size_t i = 0; i < bytes; i += 8) {
      uint64_t v = random.next_u64();
      for (size_t k = 0; k < 16 && out.size() < 2 * bytes; ++k, v >>= 4) out += kHex[v & 15];
    }
    if (out.find_first_not_of('0') != std::string::npos) return out;  // all zeros is invalid
  }
}

json attribute_json(const OtlpAttribute& a) {
  json v;
  if (const auto* s = std::get_if<std::string>(&a.value)) v["stringValue"] = *s;
  else if (const auto* i = std::get_if<int64_t>(&a.value)) v["intValue"] = std::to_string(*i);
  else v["doubleValue"] = std::get<double>(a.value);
  return {{"key", a.key}, {"value", std::move(v)}};
}

json attributes_json(const std::vector<OtlpAttribute>& attrs) {
  json out = json::array();
  for (const auto& a : attrs) out.push_back(attribute_json(a));
  return out;
}

json resource_json(const std::string& service_name) {
  return {{"attributes", attributes_json({{"service.name", service_name}, {"telemetry.sdk.name", std::string("ploke-sim")},
                                          {"telemetry.sdk.language", std::string("cpp")}})}};
}

json scope_json() { return {{"name", "ploke.gateway"}, {"version", "0.1"}}; }

json span_json(const OtlpSpan& s) {
  json j = {{"traceId", s.trace_id},
            {"spanId", s.span_id},
            {"name", s.name},
            {"kind", s.kind},
            {"startTimeUnixNano", std::to_string(s.start_ns)},
            {"endTimeUnixNano", std::to_string(s.end_ns)},
            {"attributes", attributes_json(s.attributes)},
            {"status", s.error ? json{{"code", 2}} : json::object()}};
  if (!s.parent_span_id.empty()) j["parentSpanId"] = s.parent_span_id;
  return j;
}

json point_json(const OtlpHistogramPoint& p, uint64_t start_ns, uint64_t now_ns, const std::vector<double>& bounds) {
  json buckets = json::array();
  for (uint64_t b : p.buckets) buckets.push_back(std::to_string(b));
  return {{"attributes", attributes_json(p.attributes)},
          {"startTimeUnixNano", std::to_string(start_ns)},
          {"timeUnixNano", std::to_string(now_ns)},
          {"count", std::to_string(p.count)},
          {"sum", p.sum},
          {"min", p.min},
          {"max", p.max},
          {"bucketCounts", std::move(buckets)},
          {"explicitBounds", bounds}};
}

uint64_t at(int64_t base_ns, Duration d) {
  const int64_t v = base_ns + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return v < 0 ? 0 : static_cast<uint64_t>(v);
}

void add_usage_attrs(std::vector<OtlpAttribute>& a, std::optional<uint64_t> in, std::optional<uint64_t> out) {
  if (in) a.push_back({"gen_ai.usage.input_tokens", static_cast<int64_t>(*in)});
  if (out) a.push_back({"gen_ai.usage.output_tokens", static_cast<int64_t>(*out)});
}

OtlpSpan attempt_span(const RequestTelemetry& r, const AttemptTelemetry& a, const OtlpSpan& parent, Random& random,
                      uint64_t start_ns, uint64_t end_ns) {
  OtlpSpan s;
  s.trace_id = parent.trace_id;
  s.span_id = hex_id(random, 8);
  s.parent_span_id = parent.span_id;
  s.name = r.operation + " " + a.model;
  s.kind = 3;  // CLIENT
  s.start_ns = start_ns;
  s.end_ns = end_ns;
  s.error = a.outcome != StatusCode::kOk;
  s.attributes = {{"gen_ai.operation.name", r.operation},
                  {"gen_ai.provider.name", a.provider},
                  {"gen_ai.request.model", a.model},
                  {"ploke.endpoint.id", a.endpoint_id}};
  if (!s.error) s.attributes.push_back({"gen_ai.response.model", a.model});
  if (!a.server_address.empty()) s.attributes.push_back({"server.address", a.server_address});
  if (s.error) s.attributes.push_back({"error.type", std::string(status_code_name(a.outcome))});
  if (!s.error) add_usage_attrs(s.attributes, a.input_tokens, a.output_tokens);
  return s;
}

}  // namespace

void OtlpHistogram::add(const std::vector<OtlpAttribute>& attrs, double value) {
  std::string key;
  for (const auto& a : attrs) {
    key += a.key;
    key += '=';
    if (const auto* s = std::get_if<std::string>(&a.value)) key += *s;
    key += '\x1f';
  }
  OtlpHistogramPoint& p = points[key];
  if (p.count == 0) {
    p.attributes = attrs;
    p.buckets.assign(bounds.size() + 1, 0);
    p.min = p.max = value;
  }
  ++p.count;
  p.sum += value;
  p.min = std::min(p.min, value);
  p.max = std::max(p.max, value);
  const size_t i = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  ++p.buckets[i];  // OTLP: bucket i counts (bounds[i-1], bounds[i]]
}

std::string encode_otlp_traces(const std::vector<OtlpSpan>& spans, const std::string& service_name) {
  json list = json::array();
  for (const auto& s : spans) list.push_back(span_json(s));
  json scope_spans = json::array({{{"scope", scope_json()}, {"spans", std::move(list)}}});
  json rs = {{"resource", resource_json(service_name)}, {"scopeSpans", std::move(scope_spans)}};
  return json{{"resourceSpans", json::array({std::move(rs)})}}.dump();
}

std::string encode_otlp_metrics(const std::vector<const OtlpHistogram*>& metrics, const std::string& service_name,
                                uint64_t start_ns, uint64_t now_ns) {
  json list = json::array();
  for (const OtlpHistogram* h : metrics) {
    if (h->points.empty()) continue;
    json points = json::array();
    for (const auto& [key, p] : h->points) points.push_back(point_json(p, start_ns, now_ns, h->bounds));
    list.push_back({{"name", h->name},
                    {"unit", h->unit},
                    {"description", h->description},
                    {"histogram", {{"dataPoints", std::move(points)}, {"aggregationTemporality", 2}}}});
  }
  json scope_metrics = json::array({{{"scope", scope_json()}, {"metrics", std::move(list)}}});
  json rm = {{"resource", resource_json(service_name)}, {"scopeMetrics", std::move(scope_metrics)}};
  return json{{"resourceMetrics", json::array({std::move(rm)})}}.dump();
}

std::vector<OtlpSpan> request_spans(const RequestTelemetry& r, Random& random, int64_t unix_ns_at_start) {
  std::vector<OtlpSpan> out;
  out.reserve(1 + r.attempts.size());
  OtlpSpan root;
  if (valid_traceparent(r.traceparent)) {  // version-traceid-parentid-flags
    root.trace_id = r.traceparent.substr(3, 32);
    root.parent_span_id = r.traceparent.substr(36, 16);
  } else {
    root.trace_id = hex_id(random, 16);
  }
  root.span_id = hex_id(random, 8);
  root.name = r.operation + " " + r.request_model;
  root.kind = 2;  // SERVER
  root.start_ns = at(unix_ns_at_start, Duration(0));
  root.end_ns = at(unix_ns_at_start, r.total);
  root.error = r.outcome != StatusCode::kOk;
  root.attributes = {{"gen_ai.operation.name", r.operation}, {"gen_ai.request.model", r.request_model}};
  if (!r.provider.empty()) root.attributes.push_back({"gen_ai.provider.name", r.provider});
  if (!r.response_model.empty()) root.attributes.push_back({"gen_ai.response.model", r.response_model});
  add_usage_attrs(root.attributes, r.input_tokens, r.output_tokens);
  if (root.error) root.attributes.push_back({"error.type", std::string(status_code_name(r.outcome))});
  if (!r.gateway_trace_id.empty()) root.attributes.push_back({"ploke.gateway.trace_id", r.gateway_trace_id});
  out.push_back(root);
  Duration prev_end{0};  // attempts run one after another (a later routing group's clock restarts)
  for (const auto& a : r.attempts) {
    const Duration s = std::max(a.start, prev_end);
    prev_end = s + a.duration;
    out.push_back(attempt_span(r, a, out.front(), random, at(unix_ns_at_start, s), at(unix_ns_at_start, prev_end)));
  }
  return out;
}

}  // namespace ploke::gateway
