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

using namespace std::string_view_literals;

constexpr char kHex[] = "0123456789abcdef";

// Written by hand (ploke::json's escaper for every string): the export thread encodes
// every span, and a DOM or a span object per span costs more than the request it
// describes. Keys (the encoder's own and the attribute names) are static ASCII literals:
// unescaped.
void put_u64(std::string& o, uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, end);
}

void put_i64(std::string& o, int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, end);
}

void put_u64_string(std::string& o, std::string_view key, uint64_t v) {  // OTLP JSON: 64-bit ints are strings
  o += '"';
  o += key;
  o += "\":\""sv;
  put_u64(o, v);
  o += '"';
}

void put_double(std::string& o, double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, ec == std::errc() ? end : buf);
}

// One attribute; `first` is false when one was written before it in the same list.
void attr(std::string& o, bool& first, std::string_view key, std::string_view value) {
  o += first ? "{\"key\":\""sv : ",{\"key\":\""sv;
  first = false;
  o += key;
  o += "\",\"value\":{\"stringValue\":"sv;
  ploke::json::append_quoted(o, value);
  o += "}}"sv;
}

void attr_int(std::string& o, bool& first, std::string_view key, int64_t value) {
  o += first ? "{\"key\":\""sv : ",{\"key\":\""sv;
  first = false;
  o += key;
  o += "\",\"value\":{\"intValue\":\""sv;
  put_i64(o, value);
  o += "\"}}"sv;
}

void put_labels(std::string& o, const std::vector<std::pair<std::string_view, std::string>>& labels) {
  o += "\"attributes\":["sv;
  bool first = true;
  for (const auto& [k, v] : labels) attr(o, first, k, v);
  o += ']';
}

void put_resource_and_scope_open(std::string& o, std::string_view service_name, std::string_view list) {
  o += "{\"resource\":{\"attributes\":["sv;
  bool first = true;
  attr(o, first, "service.name", service_name);
  attr(o, first, "telemetry.sdk.name", "ploke-sim");
  attr(o, first, "telemetry.sdk.language", "cpp");
  o += "]},\""sv;
  o += list;
  o += "\":[{\"scope\":{\"name\":\"ploke.gateway\",\"version\":\"0.1\"},"sv;
}

void put_point(std::string& o, const OtlpHistogramPoint& p, uint64_t start_ns, uint64_t now_ns,
               const std::vector<double>& bounds) {
  o += '{';
  put_labels(o, p.attributes);
  o += ',';
  put_u64_string(o, "startTimeUnixNano", start_ns);
  o += ',';
  put_u64_string(o, "timeUnixNano", now_ns);
  o += ',';
  put_u64_string(o, "count", p.count);
  for (auto [key, v] : {std::pair{"sum", p.sum}, std::pair{"min", p.min}, std::pair{"max", p.max}}) {
    o += ",\""sv;
    o += key;
    o += "\":"sv;
    put_double(o, v);
  }
  o += ",\"bucketCounts\":["sv;
  for (size_t i = 0; i < p.buckets.size(); ++i) {
    o += i != 0 ? ",\""sv : "\""sv;
    put_u64(o, p.buckets[i]);
    o += '"';
  }
  o += "],\"explicitBounds\":["sv;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (i != 0) o += ',';
    put_double(o, bounds[i]);
  }
  o += "]}"sv;
}

// N hex digits drawn from `random`, not all zeros (an invalid id).
template <size_t N>
std::array<char, N> random_hex(Random& random) {
  std::array<char, N> out{};
  for (;;) {
    uint64_t any = 0;
    for (size_t i = 0; i < N; i += 16) {
      uint64_t v = random.next_u64();
      any |= v;
      for (size_t k = 0; k < 16; ++k, v >>= 4) out[i + k] = kHex[v & 15];
    }
    if (any != 0) return out;
  }
}

uint64_t at(int64_t base_ns, Duration d) {
  const int64_t v = base_ns + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return v < 0 ? 0 : static_cast<uint64_t>(v);
}

// The fields every span has, up to its attribute list's opening bracket.
struct SpanHead {
  std::string_view trace_id, span_id, parent_span_id;  // parent "": a root span
  std::string_view operation, model;                    // name: "{operation} {model}"
  int kind = 0;
  uint64_t start_ns = 0, end_ns = 0;
};

void open_span(std::string& o, const SpanHead& h) {
  o += "{\"traceId\":\""sv;
  o += h.trace_id;
  o += "\",\"spanId\":\""sv;
  o += h.span_id;
  if (!h.parent_span_id.empty()) {
    o += "\",\"parentSpanId\":\""sv;
    o += h.parent_span_id;
  }
  o += "\",\"name\":\""sv;
  ploke::json::append_escaped(o, h.operation);
  o += ' ';
  ploke::json::append_escaped(o, h.model);
  o += "\",\"kind\":"sv;
  o += static_cast<char>('0' + h.kind);
  o += ',';
  put_u64_string(o, "startTimeUnixNano", h.start_ns);
  o += ',';
  put_u64_string(o, "endTimeUnixNano", h.end_ns);
  o += ",\"attributes\":["sv;
}

void close_span(std::string& o, bool error) { o += error ? "],\"status\":{\"code\":2}}"sv : "],\"status\":{}}"sv; }

void put_attempt(std::string& o, const RequestTelemetry& r, const AttemptTelemetry& a, const SpanHead& root,
                 Random& random, uint64_t start_ns, uint64_t end_ns) {
  const std::array<char, 16> drawn = a.has_span_id ? a.span_id : random_hex<16>(random);
  const bool error = a.outcome != StatusCode::kOk;
  open_span(o, {root.trace_id, std::string_view(drawn.data(), 16), root.span_id, r.operation, a.model, 3, start_ns, end_ns});
  bool first = true;
  attr(o, first, "gen_ai.operation.name", r.operation);
  attr(o, first, "gen_ai.provider.name", a.provider);
  attr(o, first, "gen_ai.request.model", a.model);
  attr(o, first, "ploke.endpoint.id", a.endpoint_id);
  if (!error) attr(o, first, "gen_ai.response.model", a.model);
  if (!a.server_address.empty()) attr(o, first, "server.address", a.server_address);
  if (error) attr(o, first, "error.type", status_code_name(a.outcome));
  if (!error) {
    attr_int(o, first, "gen_ai.usage.input_tokens", static_cast<int64_t>(a.input_tokens));
    attr_int(o, first, "gen_ai.usage.output_tokens", static_cast<int64_t>(a.output_tokens));
  }
  close_span(o, error);
}

}  // namespace

TraceIds TraceIds::parse(std::string_view tp) {
  TraceIds ids;
  if (!valid_traceparent(tp)) return ids;  // version-traceid-parentid-flags
  std::copy_n(tp.data() + 3, 32, ids.trace_id.begin());
  std::copy_n(tp.data() + 36, 16, ids.span_id.begin());
  ids.valid = true;
  const char flags = tp[54];  // the low hex digit of the (valid, hex) flags: sampled is bit 0
  ids.sampled = ((flags <= '9' ? flags - '0' : flags - 'a' + 10) & 1) != 0;
  return ids;
}

void OtlpHistogram::add(std::span<const OtlpLabel> attrs, double value) {
  key_.clear();
  for (const auto& a : attrs) key_.append(a.key).append(1, '=').append(a.value).append(1, '\x1f');
  auto it = points.find(std::string_view(key_));
  if (it == points.end()) {
    it = points.emplace(key_, OtlpHistogramPoint{}).first;
    OtlpHistogramPoint& p = it->second;
    for (const auto& a : attrs) p.attributes.emplace_back(a.key, std::string(a.value));
    p.buckets.assign(bounds.size() + 1, 0);
    p.min = p.max = value;
  }
  OtlpHistogramPoint& p = it->second;
  ++p.count;
  p.sum += value;
  p.min = std::min(p.min, value);
  p.max = std::max(p.max, value);
  const size_t i = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  ++p.buckets[i];  // OTLP: bucket i counts (bounds[i-1], bounds[i]]
}

OtlpTraceBatch::OtlpTraceBatch(std::string_view service_name, size_t reserve_spans) {
  out_.reserve(256 + reserve_spans * 720);
  out_ += "{\"resourceSpans\":["sv;
  put_resource_and_scope_open(out_, service_name, "scopeSpans");
  out_ += "\"spans\":["sv;
}

size_t OtlpTraceBatch::add(const RequestTelemetry& r, Random& random, int64_t unix_ns_at_start) {
  // The trace: the ids sent upstream, else the client's trace with a new span, else new.
  const std::array<char, 32> trace = r.server.valid ? r.server.trace_id : r.client.valid ? r.client.trace_id : random_hex<32>(random);
  const std::array<char, 16> span = r.server.valid ? r.server.span_id : random_hex<16>(random);
  SpanHead root{std::string_view(trace.data(), 32), std::string_view(span.data(), 16),
                r.client.valid ? r.client.span() : std::string_view(), r.operation, r.request_model, 2,
                at(unix_ns_at_start, Duration(0)), at(unix_ns_at_start, r.total)};
  const bool error = r.outcome != StatusCode::kOk;
  if (spans_ != 0) out_ += ',';
  open_span(out_, root);
  bool first = true;
  attr(out_, first, "gen_ai.operation.name", r.operation);
  attr(out_, first, "gen_ai.request.model", r.request_model);
  if (!r.provider.empty()) attr(out_, first, "gen_ai.provider.name", r.provider);
  if (!r.response_model.empty()) attr(out_, first, "gen_ai.response.model", r.response_model);
  if (r.input_tokens) attr_int(out_, first, "gen_ai.usage.input_tokens", static_cast<int64_t>(*r.input_tokens));
  if (r.output_tokens) attr_int(out_, first, "gen_ai.usage.output_tokens", static_cast<int64_t>(*r.output_tokens));
  if (error) attr(out_, first, "error.type", status_code_name(r.outcome));
  if (!r.gateway_trace_id.empty()) attr(out_, first, "ploke.gateway.trace_id", r.gateway_trace_id);
  close_span(out_, error);
  Duration prev_end{0};  // attempts run one after another (a later choice's clock restarts)
  for (const auto& a : r.attempts) {
    const Duration s = std::max(a.start, prev_end);
    prev_end = s + a.duration;
    out_ += ',';
    put_attempt(out_, r, a, root, random, at(unix_ns_at_start, s), at(unix_ns_at_start, prev_end));
  }
  spans_ += 1 + r.attempts.size();
  return 1 + r.attempts.size();
}

std::string OtlpTraceBatch::finish() && {
  out_ += "]}]}]}"sv;
  return std::move(out_);
}

std::string encode_otlp_metrics(const std::vector<const OtlpHistogram*>& metrics, const std::string& service_name,
                                uint64_t start_ns, uint64_t now_ns) {
  std::string o = "{\"resourceMetrics\":[";
  put_resource_and_scope_open(o, service_name, "scopeMetrics");
  o += "\"metrics\":["sv;
  bool first = true;
  for (const OtlpHistogram* h : metrics) {
    if (h->points.empty()) continue;
    if (!first) o += ',';
    first = false;
    o += "{\"name\":"sv;
    ploke::json::append_quoted(o, h->name);
    o += ",\"unit\":"sv;
    ploke::json::append_quoted(o, h->unit);
    o += ",\"description\":"sv;
    ploke::json::append_quoted(o, h->description);
    o += ",\"histogram\":{\"dataPoints\":["sv;
    bool first_point = true;
    for (const auto& [key, p] : h->points) {
      if (!first_point) o += ',';
      first_point = false;
      put_point(o, p, start_ns, now_ns, h->bounds);
    }
    o += "],\"aggregationTemporality\":2}}"sv;
  }
  o += "]}]}]}"sv;
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

bool traceparent_sampled(std::string_view traceparent) { return TraceIds::parse(traceparent).sampled; }

}  // namespace ploke::gateway
