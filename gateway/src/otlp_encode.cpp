// OTLP/HTTP JSON encoding and the spans of one request (ploke/gateway/otlp.h).
//
// OTLP JSON (opentelemetry-proto's JSON mapping): ids are lower-case hex strings, int64 /
// uint64 / fixed64 fields (times, counts, intValue) are decimal strings, enums are numbers,
// attributes are {"key", "value": {"stringValue" | "intValue" | "doubleValue"}}.
#include "ploke/gateway/otlp.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "ploke/core/trace_context.h"
#include "ploke/json/escape.h"

namespace ploke::gateway {
namespace {

// Written by hand (ploke::json's escaper for every string): the export thread encodes
// every span, and a DOM per span costs more than the request it describes.
// Keys (the encoder's own and the attribute names) are static ASCII literals: unescaped.
void put_key(std::string& o, std::string_view key) {
  o += '"';
  o += key;
  o += "\":";
}

void put_string(std::string& o, std::string_view key, std::string_view v) {
  put_key(o, key);
  ploke::json::append_quoted(o, v);
}

void put_u64_string(std::string& o, std::string_view key, uint64_t v) {  // OTLP JSON: 64-bit ints are strings
  put_key(o, key);
  o += '"';
  o += std::to_string(v);
  o += '"';
}

void put_double(std::string& o, double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, ec == std::errc() ? end : buf);
}

void put_attributes(std::string& o, const std::vector<OtlpAttribute>& attrs) {
  put_key(o, "attributes");
  o += '[';
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (i != 0) o += ',';
    o += '{';
    o += "\"key\":\"";
    o += attrs[i].key;
    o += "\",\"value\":{";
    if (const auto* s = std::get_if<std::string>(&attrs[i].value)) {
      put_string(o, "stringValue", *s);
    } else if (const auto* n = std::get_if<int64_t>(&attrs[i].value)) {
      put_key(o, "intValue");
      o += '"' + std::to_string(*n) + '"';
    } else {
      put_key(o, "doubleValue");
      put_double(o, std::get<double>(attrs[i].value));
    }
    o += "}}";
  }
  o += ']';
}

void put_resource_and_scope_open(std::string& o, const std::string& service_name, std::string_view list) {
  o += "{\"resource\":{";
  put_attributes(o, {{"service.name", service_name}, {"telemetry.sdk.name", std::string("ploke-sim")},
                     {"telemetry.sdk.language", std::string("cpp")}});
  o += "},";
  put_key(o, list);
  o += "[{\"scope\":{\"name\":\"ploke.gateway\",\"version\":\"0.1\"},";
}

void put_span(std::string& o, const OtlpSpan& s) {
  o += '{';
  put_string(o, "traceId", s.trace_id);
  o += ',';
  put_string(o, "spanId", s.span_id);
  if (!s.parent_span_id.empty()) {
    o += ',';
    put_string(o, "parentSpanId", s.parent_span_id);
  }
  o += ',';
  put_string(o, "name", s.name);
  o += ",\"kind\":" + std::to_string(s.kind) + ',';
  put_u64_string(o, "startTimeUnixNano", s.start_ns);
  o += ',';
  put_u64_string(o, "endTimeUnixNano", s.end_ns);
  o += ',';
  put_attributes(o, s.attributes);
  o += s.error ? ",\"status\":{\"code\":2}}" : ",\"status\":{}}";
}

void put_point(std::string& o, const OtlpHistogramPoint& p, uint64_t start_ns, uint64_t now_ns,
               const std::vector<double>& bounds) {
  o += '{';
  put_attributes(o, p.attributes);
  o += ',';
  put_u64_string(o, "startTimeUnixNano", start_ns);
  o += ',';
  put_u64_string(o, "timeUnixNano", now_ns);
  o += ',';
  put_u64_string(o, "count", p.count);
  for (auto [key, v] : {std::pair{"sum", p.sum}, std::pair{"min", p.min}, std::pair{"max", p.max}}) {
    o += ',';
    put_key(o, key);
    put_double(o, v);
  }
  o += ",\"bucketCounts\":[";
  for (size_t i = 0; i < p.buckets.size(); ++i) o += (i != 0 ? ",\"" : "\"") + std::to_string(p.buckets[i]) + '"';
  o += "],\"explicitBounds\":[";
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (i != 0) o += ',';
    put_double(o, bounds[i]);
  }
  o += "]}";
}

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
  s.span_id = a.span_id.size() == 16 ? a.span_id : hex_id(random, 8);
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
  std::string o;
  o.reserve(256 + spans.size() * 700);
  o += "{\"resourceSpans\":[";
  put_resource_and_scope_open(o, service_name, "scopeSpans");
  o += "\"spans\":[";
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i != 0) o += ',';
    put_span(o, spans[i]);
  }
  o += "]}]}]}";
  return o;
}

std::string encode_otlp_metrics(const std::vector<const OtlpHistogram*>& metrics, const std::string& service_name,
                                uint64_t start_ns, uint64_t now_ns) {
  std::string o = "{\"resourceMetrics\":[";
  put_resource_and_scope_open(o, service_name, "scopeMetrics");
  o += "\"metrics\":[";
  bool first = true;
  for (const OtlpHistogram* h : metrics) {
    if (h->points.empty()) continue;
    if (!first) o += ',';
    first = false;
    o += '{';
    put_string(o, "name", h->name);
    o += ',';
    put_string(o, "unit", h->unit);
    o += ',';
    put_string(o, "description", h->description);
    o += ",\"histogram\":{\"dataPoints\":[";
    bool first_point = true;
    for (const auto& [key, p] : h->points) {
      if (!first_point) o += ',';
      first_point = false;
      put_point(o, p, start_ns, now_ns, h->bounds);
    }
    o += "],\"aggregationTemporality\":2}}";
  }
  o += "]}]}]}";
  return o;
}

bool ratio_admits(uint64_t x, double ratio) {
  if (ratio >= 1.0) return true;
  if (ratio <= 0.0) return false;
  return (x >> 1) < static_cast<uint64_t>(ratio * 9223372036854775808.0);  // ratio × 2^63
}

bool trace_id_sampled(std::string_view trace_id_hex, double ratio) {
  if (ratio >= 1.0) return true;
  if (trace_id_hex.size() != 32) return false;
  uint64_t low = 0;
  const char* first = trace_id_hex.data() + 16;
  const auto [end, ec] = std::from_chars(first, first + 16, low, 16);
  if (ec != std::errc() || end != first + 16) return false;
  return ratio_admits(low, ratio);
}

bool traceparent_sampled(std::string_view traceparent) {
  if (!valid_traceparent(traceparent)) return false;
  const std::string_view flags = traceparent.substr(53, 2);  // version-traceid-parentid-flags
  uint8_t f = 0;
  std::from_chars(flags.data(), flags.data() + 2, f, 16);
  return (f & 1) != 0;
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
  if (valid_traceparent(r.server_traceparent)) {  // the ids the upstreams were sent
    root.trace_id = r.server_traceparent.substr(3, 32);
    root.span_id = r.server_traceparent.substr(36, 16);
  }
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
  Duration prev_end{0};  // attempts run one after another (a later choice's clock restarts)
  for (const auto& a : r.attempts) {
    const Duration s = std::max(a.start, prev_end);
    prev_end = s + a.duration;
    out.push_back(attempt_span(r, a, out.front(), random, at(unix_ns_at_start, s), at(unix_ns_at_start, prev_end)));
  }
  return out;
}

}  // namespace ploke::gateway
