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
// background thread encodes the spans straight into the post's body (OtlpTraceBatch; ids
// from the exporter's seeded Random) and folds the metrics. It posts full batches (about
// `batch_spans` spans, or as many requests) as they fill; when the interval timer (on the
// injected Clock) fires, on flush() and at stop() it posts everything that waits, then the
// metrics if any request came since their last post. A failed post is counted, reaches no
// client, and its spans are dropped. Timestamps: the Clock's system_now() (a
// SimulatedClock gives its fixed plausible epoch).
//
// Counters (metrics_text(), appended to the gateway's /metrics):
//   ploke_otlp_exported_spans_total, ploke_otlp_dropped_total (spans not exported: the
//   queue was full, or their post failed), ploke_otlp_unsampled_total (requests whose
//   spans the sampler left out), ploke_otlp_export_failures_total (posts that
//   failed: transport error or a non-2xx answer), ploke_otlp_exports_total (posts).
//
// Thread-safety: record(), flush() and the accessors may be called from any thread. The
// export thread is named otlp-export and runs 10 nice levels below the process
// (background work: under CPU contention the request loops go first; a thread starved
// for long fills the queue, and the overflow is counted as dropped).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
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

/// One attribute of a histogram stream: a static name (the conventions' names are
/// literals, written unescaped) and a string value.
struct OtlpLabel {
  std::string_view key;
  std::string_view value;
};

/// One histogram stream (a metric name + one attribute set), cumulative.
struct OtlpHistogramPoint {
  std::vector<std::pair<std::string_view, std::string>> attributes;
  uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
  std::vector<uint64_t> buckets;  ///< bounds.size() + 1
};

struct OtlpHistogram {
  OtlpHistogram() = default;
  OtlpHistogram(std::string name_, std::string unit_, std::string description_, std::vector<double> bounds_)
      : name(std::move(name_)), unit(std::move(unit_)), description(std::move(description_)), bounds(std::move(bounds_)) {}
  std::string name, unit, description;
  std::vector<double> bounds;
  std::map<std::string, OtlpHistogramPoint, std::less<>> points;  ///< by attribute-set key
  /// Counts `value` in the point of `attrs` (made on first use; no allocation after).
  void add(std::span<const OtlpLabel> attrs, double value);

 private:
  std::string key_;  // add()'s scratch
};

/// A trace context's ids without allocation: 32 and 16 lower-case hex digits.
struct TraceIds {
  std::array<char, 32> trace_id{};
  std::array<char, 16> span_id{};
  bool valid = false;    ///< false: no (valid) traceparent
  bool sampled = false;  ///< its flags' sampled bit
  /// The ids of a valid `traceparent` (version-traceid-parentid-flags); {} otherwise.
  static TraceIds parse(std::string_view traceparent);
  std::string_view trace() const { return {trace_id.data(), trace_id.size()}; }
  std::string_view span() const { return {span_id.data(), span_id.size()}; }
};

/// One upstream attempt of a finished request.
struct AttemptTelemetry {
  std::string endpoint_id, provider, model, server_address;
  Duration start{0}, duration{0};  ///< start: since the request started
  StatusCode outcome = StatusCode::kOk;
  uint64_t input_tokens = 0, output_tokens = 0;
  std::array<char, 16> span_id{};  ///< the id the attempt's traceparent carried upstream
  bool has_span_id = false;        ///< false: the exporter draws one
};

/// What the gateway hands the exporter per finished request (no header or body).
struct RequestTelemetry {
  std::string operation = "chat";  ///< chat | embeddings
  std::string request_model, response_model, provider;
  std::string gateway_trace_id;    ///< x-ploke-trace-id
  TraceIds client;                 ///< the client's traceparent (trace id, parent span id)
  TraceIds server;                 ///< the SERVER span's, as sent on (invalid = draw them)
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

/// An OTLP/HTTP JSON ExportTraceServiceRequest under one resource/scope, written as
/// requests are added (no span objects in between: the export thread encodes every span).
/// What one request becomes is in the file comment above.
class OtlpTraceBatch {
 public:
  explicit OtlpTraceBatch(std::string_view service_name, size_t reserve_spans = 0);
  /// Appends the request's SERVER span and one CLIENT span per attempt: ids drawn from
  /// `random` where `r` carries none, times from `unix_ns_at_start` (the request's start in
  /// unix nanoseconds) plus the offsets in `r`. Returns the spans added.
  size_t add(const RequestTelemetry& r, Random& random, int64_t unix_ns_at_start);
  size_t spans() const { return spans_; }
  /// The request body; the batch is spent.
  std::string finish() &&;

 private:
  std::string out_;
  size_t spans_ = 0;
};

/// OTLP/HTTP JSON ExportMetricsServiceRequest: every histogram's points, cumulative
/// (aggregationTemporality 2) from `start_ns` to `now_ns`.
std::string encode_otlp_metrics(const std::vector<const OtlpHistogram*>& metrics, const std::string& service_name,
                                uint64_t start_ns, uint64_t now_ns);

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
  /// A batch's worth waits: batch_spans spans, or as many requests (metrics only).
  bool batch_ready() const PLOKE_REQUIRES(mu_) {
    return queued_spans_ >= opts_.batch_spans || queue_.size() >= opts_.batch_spans;
  }
  void run();
  void fold_metrics(const RequestTelemetry& r);
  void on_tick();
  void export_once(bool everything);
  bool post(const std::string& path, std::string body);
  int64_t unix_ns(TimePoint t) const;

  Transport& transport_;
  Clock& clock_;
  const OtlpOptions opts_;
  const uint64_t start_ns_;

  mutable Mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_ PLOKE_GUARDED_BY(mu_);
  size_t queued_spans_ PLOKE_GUARDED_BY(mu_) = 0;
  bool tick_ PLOKE_GUARDED_BY(mu_) = false;          // the interval timer fired
  uint64_t flush_wanted_ PLOKE_GUARDED_BY(mu_) = 0;  // flush() generations asked / done
  uint64_t flush_done_ PLOKE_GUARDED_BY(mu_) = 0;
  bool stopping_ PLOKE_GUARDED_BY(mu_) = false;
  std::condition_variable done_cv_;
  std::shared_ptr<Ticker> ticker_;
  // The export thread's own (no lock): the requests taken from the queue (swapped with
  // it, both keep their capacity), span ids, the metrics.
  std::vector<Pending> taken_;
  Random random_;
  OtlpHistogram duration_, tokens_, ttfc_;
  bool metrics_dirty_ = false;

  std::atomic<uint64_t> exported_{0}, dropped_{0}, failures_{0}, posts_{0}, unsampled_{0};
  std::thread thread_;
};

}  // namespace ploke::gateway
