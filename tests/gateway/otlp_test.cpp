// The OTLP exporter alone (SimulatedClock, an in-process capturing transport): OTLP/HTTP
// JSON encoding (hex ids, int64 as strings, GenAI attribute names, parent ids from the
// client's traceparent), histograms, batching, the interval timer on the injected clock,
// the bounded queue dropping and counting, failed posts counted.
#include "ploke/gateway/otlp.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace ploke::gateway {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

// Answers every request at once (inline), keeps what was posted.
class CapturingTransport final : public Transport {
 public:
  int status = 200;
  bool fail = false;  // a transport error instead of an answer
  CallPtr start(const HttpRequest& request, const CallOptions&, ResponseHandler& handler) override {
    {
      std::lock_guard<std::mutex> lk(mu_);
      posts_.push_back(request);
    }
    if (fail) {
      handler.on_complete(ConnectionResetError("connection refused"));
    } else {
      handler.on_head(status, Headers{});
      handler.on_body("{}");
      handler.on_complete(Status::Ok());
    }
    return std::make_unique<Done>();
  }
  std::vector<HttpRequest> posts() {
    std::lock_guard<std::mutex> lk(mu_);
    return posts_;
  }

 private:
  struct Done final : Call {
    void cancel() override {}
    bool done() const override { return true; }
  };
  std::mutex mu_;
  std::vector<HttpRequest> posts_;
};

RequestTelemetry sample(const std::string& traceparent = kTraceparent) {
  RequestTelemetry r;
  r.operation = "chat";
  r.request_model = "gpt-4o-mini";
  r.response_model = "gpt-4o-mini";
  r.provider = "sim-b";
  r.gateway_trace_id = "gw-1";
  r.client = TraceIds::parse(traceparent);
  r.start = TimePoint(std::chrono::seconds(1'000'000'000));
  r.total = 300ms;
  r.streamed = true;
  r.time_to_first_chunk = 250ms;
  r.input_tokens = 12;
  r.output_tokens = 34;
  r.attempts.push_back({"sim-a/gpt-4o-mini", "sim-a", "gpt-4o-mini", "127.0.0.1", 0ms, 100ms, StatusCode::kServerError, 0, 0, {}, false});
  r.attempts.push_back({"sim-b/gpt-4o-mini", "sim-b", "gpt-4o-mini", "127.0.0.1", 100ms, 200ms, StatusCode::kOk, 12, 34, {}, false});
  return r;
}

json attrs(const json& span) {
  json out = json::object();
  for (const auto& a : span["attributes"]) out[a["key"].get<std::string>()] = a["value"];
  return out;
}

OtlpOptions collector(size_t batch_spans, Duration interval = 2s) {
  OtlpOptions o;
  o.endpoint = "http://collector:4318";
  o.batch_spans = batch_spans;
  o.interval = interval;
  return o;
}

// The OTLP JSON of one request's spans.
json spans_json(const RequestTelemetry& r, Random& random, int64_t unix_ns, std::string_view service = "ploke-gateway") {
  OtlpTraceBatch batch(service);
  batch.add(r, random, unix_ns);
  return json::parse(std::move(batch).finish());
}

const json& span_list(const json& doc) { return doc["resourceSpans"][0]["scopeSpans"][0]["spans"]; }

bool is_hex(const json& v, size_t n) {
  const std::string s = v.get<std::string>();
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Polls `done` until true or 10 s (the exporter's thread posts asynchronously).
template <class F>
bool eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(OtlpEncode, SpansJoinTheClientTraceWithHexIdsAndGenAiAttributes) {
  Random random(7);
  const json doc = spans_json(sample(), random, 1'735'689'600'000'000'000);
  const json& list = doc["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(list.size(), 3u);
  const json& root = list[0];
  EXPECT_EQ(root["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(root["parentSpanId"], "b7ad6b7169203331");
  EXPECT_TRUE(is_hex(root["spanId"], 16));
  EXPECT_EQ(root["name"], "chat gpt-4o-mini");
  EXPECT_EQ(root["kind"], 2);  // SERVER
  EXPECT_EQ(root["startTimeUnixNano"], "1735689600000000000");
  EXPECT_EQ(root["endTimeUnixNano"], "1735689600300000000");
  const json ra = attrs(root);
  EXPECT_EQ(ra["gen_ai.operation.name"]["stringValue"], "chat");
  EXPECT_EQ(ra["gen_ai.request.model"]["stringValue"], "gpt-4o-mini");
  EXPECT_EQ(ra["gen_ai.response.model"]["stringValue"], "gpt-4o-mini");
  EXPECT_EQ(ra["gen_ai.provider.name"]["stringValue"], "sim-b");
  EXPECT_EQ(ra["gen_ai.usage.input_tokens"]["intValue"], "12");  // int64 as a string
  EXPECT_EQ(ra["gen_ai.usage.output_tokens"]["intValue"], "34");
  EXPECT_FALSE(ra.contains("error.type"));
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(list[i]["traceId"], root["traceId"]);
    EXPECT_EQ(list[i]["parentSpanId"], root["spanId"]);
    EXPECT_EQ(list[i]["kind"], 3);  // CLIENT
    EXPECT_NE(list[i]["spanId"], root["spanId"]);
  }
  const json failed = attrs(list[1]);
  EXPECT_EQ(failed["error.type"]["stringValue"], "server_error");
  EXPECT_EQ(failed["gen_ai.provider.name"]["stringValue"], "sim-a");
  EXPECT_EQ(failed["server.address"]["stringValue"], "127.0.0.1");
  EXPECT_EQ(list[1]["status"]["code"], 2);
  EXPECT_EQ(list[2]["startTimeUnixNano"], "1735689600100000000");
  EXPECT_EQ(attrs(list[2])["gen_ai.usage.output_tokens"]["intValue"], "34");
}

// TraceIdRatioBased as the OpenTelemetry SDKs compute it: the trace id's last 8 bytes,
// big-endian, shifted right by one, against ratio × 2^63; the parent's sampled flag.
TEST(OtlpSampler, TraceIdRatioAndTheSampledFlag) {
  const std::string low_zero = "ffffffffffffffff0000000000000000";
  const std::string low_max = "0000000000000000ffffffffffffffff";
  EXPECT_TRUE(trace_id_sampled(low_max, 1.0));
  EXPECT_FALSE(trace_id_sampled(low_zero, 0.0));
  EXPECT_TRUE(trace_id_sampled(low_zero, 0.001));
  EXPECT_FALSE(trace_id_sampled(low_max, 0.999));
  EXPECT_TRUE(trace_id_sampled("00000000000000007ffffffffffffffe", 0.5));   // (x >> 1) = 2^62 - 1
  EXPECT_FALSE(trace_id_sampled("00000000000000008000000000000000", 0.5));  // (x >> 1) = 2^62
  EXPECT_FALSE(trace_id_sampled("not hex at all, thirty-two chars", 0.5));
  int admitted = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    char id[33];
    std::snprintf(id, sizeof id, "%016llx%016llx", 0ULL, static_cast<unsigned long long>(i * 0x9e3779b97f4a7c15ULL));
    admitted += trace_id_sampled(id, 0.25) ? 1 : 0;
  }
  EXPECT_NEAR(admitted, 250, 40);
  EXPECT_TRUE(traceparent_sampled("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_TRUE(traceparent_sampled("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"));
  EXPECT_FALSE(traceparent_sampled("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  EXPECT_FALSE(traceparent_sampled("00-xyz"));
}

TEST(OtlpEncode, StringValuesAreEscaped) {
  Random random(7);
  RequestTelemetry r = sample();
  r.request_model = "we\"ird\nmodel\x01";
  const json doc = spans_json(r, random, 0, "svc\\");
  const json& root = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(root["name"], "chat we\"ird\nmodel\x01");
  EXPECT_EQ(attrs(root)["gen_ai.request.model"]["stringValue"], "we\"ird\nmodel\x01");
  EXPECT_EQ(doc["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"], "svc\\");
}

TEST(OtlpEncode, WithoutATraceparentARequestStartsItsOwnTrace) {
  Random random(7);
  const json a = span_list(spans_json(sample(""), random, 0));
  const json b = span_list(spans_json(sample("not-a-traceparent"), random, 0));
  EXPECT_TRUE(is_hex(a[0]["traceId"], 32));
  EXPECT_FALSE(a[0].contains("parentSpanId"));
  EXPECT_FALSE(b[0].contains("parentSpanId"));
  EXPECT_NE(a[0]["traceId"], b[0]["traceId"]);
  EXPECT_EQ(a[1]["traceId"], a[0]["traceId"]);
  Random again(7);  // seeded: the same ids again
  EXPECT_EQ(span_list(spans_json(sample(""), again, 0))[0]["traceId"], a[0]["traceId"]);
}

TEST(OtlpEncode, HistogramsAreCumulativeWithStringCounts) {
  OtlpHistogram h{"gen_ai.client.token.usage", "{token}", "d", {1, 4, 16}};
  const OtlpLabel input[] = {{"gen_ai.token.type", "input"}};
  const OtlpLabel output[] = {{"gen_ai.token.type", "output"}};
  h.add(input, 4);
  h.add(input, 20);
  h.add(output, 1);
  const json doc = json::parse(encode_otlp_metrics({&h}, "svc", 10, 20));
  const json& m = doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
  EXPECT_EQ(m["name"], "gen_ai.client.token.usage");
  EXPECT_EQ(m["unit"], "{token}");
  EXPECT_EQ(m["histogram"]["aggregationTemporality"], 2);
  const json& points = m["histogram"]["dataPoints"];
  ASSERT_EQ(points.size(), 2u);
  const json& in = points[0]["attributes"][0]["value"]["stringValue"] == "input" ? points[0] : points[1];
  EXPECT_EQ(in["count"], "2");
  EXPECT_EQ(in["sum"], 24.0);
  EXPECT_EQ(in["bucketCounts"], json::array({"0", "1", "0", "1"}));  // (1,4] and (16,inf)
  EXPECT_EQ(in["explicitBounds"], json::array({1.0, 4.0, 16.0}));
  EXPECT_EQ(in["startTimeUnixNano"], "10");
  EXPECT_EQ(in["timeUnixNano"], "20");
}

TEST(OtlpExporter, BatchesOffThePathOnTheIntervalAndOnFlush) {
  SimulatedClock clock;
  CapturingTransport transport;
  const OtlpOptions o = collector(100, 5s);
  OtlpExporter exporter(transport, clock, o);
  exporter.record(sample());
  exporter.record(sample());
  EXPECT_TRUE(transport.posts().empty());  // nothing is sent by record()
  clock.advance(5s);                        // the interval timer wakes the export thread
  ASSERT_TRUE(eventually([&] { return transport.posts().size() == 2; }));
  auto posts = transport.posts();
  EXPECT_EQ(posts[0].base_url, "http://collector:4318");
  EXPECT_EQ(posts[0].path, "/v1/traces");
  EXPECT_EQ(posts[0].headers.get("content-type"), "application/json");
  EXPECT_EQ(json::parse(posts[0].body)["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 6u);
  EXPECT_EQ(posts[1].path, "/v1/metrics");
  const json metrics = json::parse(posts[1].body);
  json names = json::array();
  for (const auto& m : metrics["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]) names.push_back(m["name"]);
  EXPECT_EQ(names, json::array({"gen_ai.client.operation.duration", "gen_ai.client.token.usage",
                                "gen_ai.client.operation.time_to_first_chunk"}));
  exporter.record(sample());
  ASSERT_TRUE(exporter.flush());
  EXPECT_EQ(transport.posts().size(), 4u);
  EXPECT_EQ(exporter.exported_spans(), 9u);
  EXPECT_EQ(exporter.dropped_spans(), 0u);
  EXPECT_EQ(exporter.export_failures(), 0u);
}

TEST(OtlpExporter, AFullBatchIsPostedWithoutWaitingForTheInterval) {
  SimulatedClock clock;
  CapturingTransport transport;
  const OtlpOptions o = collector(3);
  OtlpExporter exporter(transport, clock, o);
  exporter.record(sample());  // 3 spans: one batch
  ASSERT_TRUE(eventually([&] { return exporter.exported_spans() == 3; }));
}

// Under load only full batches go out; what is left, and the metrics, wait for the
// interval (before, every batch was followed by the leftovers and a metrics post).
TEST(OtlpExporter, BetweenTicksOnlyFullBatchesArePostedAndMetricsWaitForTheInterval) {
  SimulatedClock clock;
  CapturingTransport transport;
  const OtlpOptions o = collector(6, 5s);
  OtlpExporter exporter(transport, clock, o);
  exporter.record(sample());
  exporter.record(sample());  // 6 spans: a full batch
  ASSERT_TRUE(eventually([&] { return exporter.exported_spans() == 6; }));
  exporter.record(sample());  // 3 spans: wait for the tick
  clock.advance(5s);
  ASSERT_TRUE(eventually([&] { return transport.posts().size() >= 3 && transport.posts().back().path == "/v1/metrics"; }));
  std::vector<std::string> paths;
  for (const auto& p : transport.posts()) paths.push_back(p.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/v1/traces", "/v1/traces", "/v1/metrics"}));
  EXPECT_EQ(exporter.exported_spans(), 9u);
}

// Requests whose trace is not sampled still reach the metrics, in batches like any other
// (no span to count them by).
TEST(OtlpExporter, UnsampledRequestsAreFoldedIntoTheMetricsOnly) {
  SimulatedClock clock;
  CapturingTransport transport;
  OtlpExporter exporter(transport, clock, collector(4));
  for (int i = 0; i < 10; ++i) exporter.record(sample("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"));
  ASSERT_TRUE(exporter.flush());
  EXPECT_EQ(exporter.unsampled(), 10u);
  EXPECT_EQ(exporter.exported_spans(), 0u);
  const auto posts = transport.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].path, "/v1/metrics");
  const json doc = json::parse(posts[0].body);
  const json& m = doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
  EXPECT_EQ(m["name"], "gen_ai.client.operation.duration");
  EXPECT_EQ(m["histogram"]["dataPoints"][0]["count"], "10");
}

// The export thread is background work: named otlp-export, 10 nice levels below the
// process (at most 19).
TEST(OtlpExporter, TheExportThreadIsNamedAndNicerThanTheProcess) {
  SimulatedClock clock;
  CapturingTransport transport;
  OtlpExporter exporter(transport, clock, collector(4));
  ASSERT_TRUE(exporter.flush());  // the thread has started (and set itself up)
  int nice = -100;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(t.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "otlp-export") continue;
    std::ifstream stat(t.path() / "stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream rest(line.substr(line.rfind(')') + 2));  // state is field 3, nice field 19
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
    }
    nice = std::stoi(field);
  }
  errno = 0;
  const int process_nice = getpriority(PRIO_PROCESS, 0);
  EXPECT_EQ(nice, std::min(process_nice + 10, 19));
}

TEST(OtlpExporter, BoundedQueueDropsAndCountsAndFailedPostsAreCounted) {
  SimulatedClock clock;
  CapturingTransport transport;
  transport.fail = true;
  OtlpOptions o;
  o.endpoint = "http://127.0.0.1:1";
  o.max_queue_spans = 4;
  o.batch_spans = 1000;
  OtlpExporter exporter(transport, clock, o);
  for (int i = 0; i < 5; ++i) exporter.record(sample());  // 15 spans; one request's 3 fit
  EXPECT_EQ(exporter.dropped_spans(), 12u);
  ASSERT_TRUE(exporter.flush());
  EXPECT_EQ(exporter.export_failures(), 2u);  // the traces post and the metrics post
  EXPECT_EQ(exporter.dropped_spans(), 15u);   // the 3 whose post failed too
  EXPECT_EQ(exporter.exported_spans(), 0u);
  const std::string text = exporter.metrics_text();
  EXPECT_NE(text.find("ploke_otlp_dropped_total 15\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ploke_otlp_export_failures_total 2\n"), std::string::npos) << text;
  transport.fail = false;
  transport.status = 503;  // a collector's error answer is a failure too
  exporter.record(sample());
  ASSERT_TRUE(exporter.flush());
  EXPECT_EQ(exporter.export_failures(), 4u);
  exporter.stop();
  EXPECT_FALSE(exporter.flush());
}

}  // namespace
}  // namespace ploke::gateway
