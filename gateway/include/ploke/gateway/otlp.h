// File: ploke/gateway/otlp.h
//
// OpenTelemetry export of the gateway's requests: spans and the GenAI metrics, sent as
// OTLP/HTTP JSON (`POST {endpoint}/v1/traces`, `POST {endpoint}/v1/metrics`,
// `Content-Type: application/json`) to a collector (or `ploke-sim serve`'s sink).
//
// What one finished request becomes (OtlpExporter::record(RequestTelemetry)):
//   * a SERVER span "{operation} {model}" (operation: chat | embeddings); its trace id and
//     parent span id are the client's `traceparent` when it sent a valid one, else a new
//     trace id and no parent;
//   * one CLIENT span per upstream attempt, child of the request span, named the same way
//     with the attempt's endpoint model;
//   * attributes (GenAI semantic conventions): gen_ai.operation.name,
//     gen_ai.provider.name, gen_ai.request.model, gen_ai.response.model,
//     gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, error.type (the status code
//     name, on failures), server.address (attempts, when known), plus
//     ploke.gateway.trace_id / ploke.endpoint.id. Never headers, bodies or error texts:
//     nothing a client or provider sent reaches an export except model and provider names;
//   * histograms (cumulative temporality, the conventions' bucket boundaries):
//     gen_ai.client.operation.duration (s), gen_ai.client.token.usage ({token},
//     gen_ai.token.type = input | output), gen_ai.client.operation.time_to_first_chunk (s,
//     streamed requests that produced content).
//
// Sampling (OpenTelemetry's parentbased_traceidratio sampler, OtlpOptions::sample_ratio):
// a request whose client sent a valid `traceparent` follows its sampled flag; a request
// that starts a trace is sampled when trace_id_sampled() says so for its new trace id, and
// the flags it sends upstream say the same (01 / 00). Spans of a request not sampled are
// not exported (counted in ploke_otlp_unsampled_total); its metrics are recorded as
// every request's are.
//
// Export is off the request path: record() only appends the request to a bounded queue
// (counted in spans, 1 + its attempts; full → its spans are dropped and counted); a
// background thread builds the spans (ids from the exporter's seeded Random), folds the
// metrics and posts a batch when `batch_spans` wait, when the interval timer (on the
// injected Clock) fires, on flush() and at stop(). A failed post is counted, reaches no
// client, and its spans are dropped. Timestamps: the Clock's
// system_now() (a SimulatedClock gives its fixed plausible epoch).
//
// Counters (metrics_text(), appended to the gateway's /metrics):
//   ploke_otlp_exported_spans_total, ploke_otlp_dropped_total (spans not exported: the
//   queue was full, or their post failed), ploke_otlp_unsampled_total (requests whose
//   spans the sampler left out), ploke_otlp_export_failures_total (posts that
//   failed: transport error or a non-2xx answer), ploke_otlp_exports_total (posts).
//
// Thread-safety: record(), flush() and the accessors may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/random.h"
#include "ploke/core/status.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/transport.h"

namespace ploke::gateway {

struct OtlpOptions {
  std::string endpoint;             ///< "http://host:port[/prefix]"; /v1/traces etc. appended
  size_t max_queue_spans = 4096;    ///< spans waiting for export; beyond → dropped, counted
  size_t batch_spans = 512;         ///< a batch is posted once this many wait
  Duration interval = std::chrono::seconds(2);   ///< …and at least this often (spans + metrics)
  Duration timeout = std::chrono::seconds(5);    ///< per post (total)
  uint64_t seed = 1;                ///< span / trace ids
  /// The share of new traces whose spans are exported, 0–1 (a client's traceparent
  /// decides for its own trace). Metrics cover every request whatever the ratio.
  double sample_ratio = 1.0;
  std::string service_name = "ploke-gateway";
};

/// One attribute: a name and a string, int64 or double (OTLP's stringValue / intValue /
/// doubleValue). The name is a static string (the conventions' names are literals: no
/// allocation per attribute, written unescaped).
struct OtlpAttribute {
  std::string_view key;
  std::variant<std::string, int64_t, double> value;
};

struct OtlpSpan {
  std::string trace_id;        ///< 32 lower-case hex digits
  std::string span_id;         ///< 16 lower-case hex digits
  std::string parent_span_id;  ///< 16 hex digits, or "" for a root span
  std::string name;
  int kind = 1;                ///< OTLP SpanKind: 2 SERVER, 3 CLIENT
  uint64_t start_ns = 0, end_ns = 0;  ///< unix nanoseconds
  bool error = false;          ///< status ERROR (else UNSET)
  std::vector<OtlpAttribute> attributes;
};

/// One histogram stream (a metric name + one attribute set), cumulative.
struct OtlpHistogramPoint {
  std::vector<OtlpAttribute> attributes;
  uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
  std::vector<uint64_t> buckets;  ///< bounds.size() + 1
};

struct OtlpHistogram {
  std::string name, unit, description;
  std::vector<double> bounds;
  std::map<std::string, OtlpHistogramPoint> points;  ///< by attribute-set key
  void add(const std::vector<OtlpAttribute>& attrs, double value);
};

/// One upstream attempt of a finished request.
struct AttemptTelemetry {
  std::string endpoint_id, provider, model, server_address;
  Duration start{0}, duration{0};  ///< start: since the request started
  StatusCode outcome = StatusCode::kOk;
  uint64_t input_tokens = 0, output_tokens = 0;
  std::string span_id;  ///< the id the attempt's traceparent carried upstream ("" = draw one)
};

/// What the gateway hands the exporter per finished request (no header or body).
struct RequestTelemetry {
  std::string operation = "chat";  ///< chat | embeddings
  std::string request_model, response_model, provider;
  std::string gateway_trace_id;    ///< x-ploke-trace-id
  std::string traceparent;         ///< the client's, verbatim ("" when none)
  std::string server_traceparent;  ///< the SERVER span's, as sent on (trace id + span id; "" = draw them)
  TimePoint start{};               ///< the gateway's Clock::now() when the request began
  Duration total{0};
  std::optional<Duration> time_to_first_chunk;  ///< streamed requests with content
  bool streamed = false;
  StatusCode outcome = StatusCode::kOk;
  std::optional<uint64_t> input_tokens, output_tokens;
  std::vector<AttemptTelemetry> attempts;
};

/// TraceIdRatioBased: true when the last 16 hex digits of `trace_id_hex` (32 hex digits),
/// as a big-endian number shifted right by one, are below ratio × 2^63 — the rule the
/// OpenTelemetry SDKs use, so services with the same ratio decide alike. ratio ≥ 1: always;
/// ≤ 0: never.
bool trace_id_sampled(std::string_view trace_id_hex, double ratio);
/// The same rule over a number standing for a trace id's last 8 bytes.
bool ratio_admits(uint64_t x, double ratio);
/// The sampled bit of a valid traceparent's flags (false for an invalid one).
bool traceparent_sampled(std::string_view traceparent);

/// OTLP/HTTP JSON ExportTraceServiceRequest of `spans` under one resource/scope.
std::string encode_otlp_traces(const std::vector<OtlpSpan>& spans, const std::string& service_name);
/// OTLP/HTTP JSON ExportMetricsServiceRequest: every histogram's points, cumulative
/// (aggregationTemporality 2) from `start_ns` to `now_ns`.
std::string encode_otlp_metrics(const std::vector<const OtlpHistogram*>& metrics, const std::string& service_name,
                                uint64_t start_ns, uint64_t now_ns);
/// The spans a finished request becomes: ids drawn from `random`, times from
/// `unix_ns_at_start` (the request's start in unix nanoseconds) plus the offsets in `r`.
std::vector<OtlpSpan> request_spans(const RequestTelemetry& r, Random& random, int64_t unix_ns_at_start);

class OtlpExporter {
 public:
  /// `transport` and `clock` must outlive the exporter. Starts the export thread.
  OtlpExporter(Transport& transport, Clock& clock, OtlpOptions options);
  ~OtlpExporter();  ///< stop()
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  /// Never blocks on the network: the request is queued (or its spans dropped when the
  /// queue is full); spans and metrics are made on the export thread.
  void record(RequestTelemetry r);
  /// Posts what waits (spans, then metrics) and returns when that post is done; false
  /// when the exporter is stopped.
  bool flush();
  /// Final flush, then the thread ends. Idempotent.
  void stop();

  uint64_t exported_spans() const { return exported_.load(); }
  uint64_t dropped_spans() const { return dropped_.load(); }
  uint64_t export_failures() const { return failures_.load(); }
  uint64_t exports() const { return posts_.load(); }
  uint64_t unsampled() const { return unsampled_.load(); }
  double sample_ratio() const { return opts_.sample_ratio; }
  /// The ploke_otlp_* counters, Prometheus text.
  std::string metrics_text() const;

 private:
  struct Ticker;  // the interval timer's state, shared with its callbacks
  struct Pending {
    RequestTelemetry r;
    int64_t unix_ns_at_start = 0;
    size_t spans = 0;  // 0: not sampled (metrics only)
  };
  bool sampled(const RequestTelemetry& r) const;
  void run();
  void fold_metrics(const RequestTelemetry& r);
  void on_tick();
  void export_once();
  bool post(const std::string& path, std::string body);
  int64_t unix_ns(TimePoint t) const;

  Transport& transport_;
  Clock& clock_;
  const OtlpOptions opts_;
  const uint64_t start_ns_;

  mutable Mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_ PLOKE_GUARDED_BY(mu_);
  size_t queued_spans_ PLOKE_GUARDED_BY(mu_) = 0;
  bool tick_ PLOKE_GUARDED_BY(mu_) = false;          // the interval timer fired
  uint64_t flush_wanted_ PLOKE_GUARDED_BY(mu_) = 0;  // flush() generations asked / done
  uint64_t flush_done_ PLOKE_GUARDED_BY(mu_) = 0;
  bool stopping_ PLOKE_GUARDED_BY(mu_) = false;
  std::condition_variable done_cv_;
  std::shared_ptr<Ticker> ticker_;
  // The export thread's own (no lock): span ids, the metrics.
  Random random_;
  OtlpHistogram duration_, tokens_, ttfc_;
  bool metrics_dirty_ = false;

  std::atomic<uint64_t> exported_{0}, dropped_{0}, failures_{0}, posts_{0}, unsampled_{0};
  std::thread thread_;
};

}  // namespace ploke::gateway
