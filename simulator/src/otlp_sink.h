// File: otlp_sink.h (private to ploke::simulator)
//
// OtlpSink: what `ploke-sim serve` does with OTLP/HTTP JSON exports (POST /v1/traces,
// POST /v1/metrics), so tests and users see what a gateway exported without a collector.
// Each accepted payload is checked (the JSON guard's limits, then the shape: resourceSpans
// → scopeSpans → spans with 32-hex traceId, 16-hex spanId, optional 16-hex parentSpanId,
// string name, attribute lists; resourceMetrics → scopeMetrics → metrics with a name and
// one data field) and flattened; the last `max_payloads` payloads are kept (older ones are
// forgotten). A malformed payload is refused with a message naming the byte offset (syntax,
// limits) or the field path (shape).
//
// to_json() (GET /__admin/otlp):
//   {"payloads":{"traces":N,"metrics":M},                 kept payloads by kind
//    "spans":[{"name","traceId","spanId","parentSpanId","kind","startTimeUnixNano",
//              "endTimeUnixNano","status","service","attributes":{KEY: value}}…],
//    "metrics":{NAME:{"type":"histogram"|"sum"|"gauge"|"exponentialHistogram","unit",
//                     "dataPoints":[{…the point, "attributes":{KEY: value}}…]}}}
// Spans and points in arrival order (oldest first); attribute values flattened
// (stringValue → string, intValue → number, doubleValue → number, boolValue → bool,
// anything else as sent).
//
// Thread-safety: every method may be called from any thread (the server's event loops).
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/status.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::simulator {

class OtlpSink {
 public:
  explicit OtlpSink(size_t max_payloads = 256) : max_payloads_(max_payloads) {}

  /// POST /v1/traces body. kInvalidRequest naming the byte offset or field when malformed.
  Status accept_traces(std::string_view body);
  /// POST /v1/metrics body.
  Status accept_metrics(std::string_view body);
  std::string to_json() const;
  void clear();

 private:
  struct Payload {
    bool traces = false;
    std::vector<std::string> items;  // rendered flattened spans, or {"name","type","unit","point"} objects
  };
  void keep(Payload p);

  const size_t max_payloads_;
  mutable Mutex mu_;
  std::deque<Payload> payloads_ PLOKE_GUARDED_BY(mu_);
};

}  // namespace ploke::simulator
