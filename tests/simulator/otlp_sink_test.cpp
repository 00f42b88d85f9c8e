// The simulator's OTLP sink over loopback (port 0, RealClock): POST /v1/traces and
// /v1/metrics answered as a collector does, what was received shown flattened at
// GET /__admin/otlp, malformed exports refused with 400 naming where, the last N kept.
#include "ploke/simulator/http_server.h"

#include <httplib.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using nlohmann::json;

constexpr const char* kTraces = R"({"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"chat gpt-4o",
   "kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"2000",
   "attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
                 {"key":"gen_ai.usage.input_tokens","value":{"intValue":"12"}}]},
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","parentSpanId":"b7ad6b7169203331",
   "name":"chat gpt-4o","kind":3}]}]}]})";

constexpr const char* kMetrics = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
  {"name":"gen_ai.client.operation.duration","unit":"s","histogram":{"aggregationTemporality":2,"dataPoints":[
   {"attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}],"count":"3","sum":0.5,
    "bucketCounts":["1","2"],"explicitBounds":[0.1]}]}}]}]}]})";

class SimOtlpSinkTest : public ::testing::Test {
 protected:
  void start(size_t max_payloads = 256) {
    auto e = SimEngine::Create(SimOptions{}, clock_);
    ASSERT_OK(e);
    engine_ = std::move(e).value();
    ServerOptions so;
    so.otlp_max_payloads = max_payloads;
    auto s = SimServer::Start(*engine_, clock_, so);
    ASSERT_OK(s);
    server_ = std::move(s).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  json received() {
    auto r = client_->Get("/__admin/otlp");
    EXPECT_TRUE(r && r->status == 200);
    return r ? json::parse(r->body) : json();
  }

  RealClock clock_;
  std::unique_ptr<SimEngine> engine_;
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(SimOtlpSinkTest, AcceptsTracesAndMetricsAndShowsThemFlattened) {
  start();
  auto t = client_->Post("/v1/traces", kTraces, "application/json");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, 200);
  EXPECT_EQ(t->body, "{}");
  auto m = client_->Post("/v1/metrics", kMetrics, "application/json");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  const json got = received();
  EXPECT_EQ(got["payloads"]["traces"], 1);
  EXPECT_EQ(got["payloads"]["metrics"], 1);
  ASSERT_EQ(got["spans"].size(), 2u);
  const json& root = got["spans"][0];
  EXPECT_EQ(root["name"], "chat gpt-4o");
  EXPECT_EQ(root["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(root["parentSpanId"], "");
  EXPECT_EQ(root["service"], "svc");
  EXPECT_EQ(root["attributes"]["gen_ai.request.model"], "gpt-4o");
  EXPECT_EQ(root["attributes"]["gen_ai.usage.input_tokens"], 12);  // intValue "12" → 12
  EXPECT_EQ(got["spans"][1]["parentSpanId"], "b7ad6b7169203331");
  const json& d = got["metrics"]["gen_ai.client.operation.duration"];
  EXPECT_EQ(d["type"], "histogram");
  EXPECT_EQ(d["unit"], "s");
  ASSERT_EQ(d["dataPoints"].size(), 1u);
  EXPECT_EQ(d["dataPoints"][0]["count"], "3");
  EXPECT_EQ(d["dataPoints"][0]["attributes"]["gen_ai.operation.name"], "chat");
  auto c = client_->Delete("/__admin/otlp");
  ASSERT_TRUE(c && c->status == 200);
  EXPECT_TRUE(received()["spans"].empty());
}

TEST_F(SimOtlpSinkTest, MalformedExportIs400NamingTheByteOrField) {
  start();
  auto syntax = client_->Post("/v1/traces", R"({"resourceSpans":[})", "application/json");
  ASSERT_TRUE(syntax);
  EXPECT_EQ(syntax->status, 400);
  EXPECT_EQ(json::parse(syntax->body)["code"], 3);
  EXPECT_NE(syntax->body.find("byte 19"), std::string::npos) << syntax->body;

  std::string bad_id = kTraces;
  bad_id.replace(bad_id.find("b7ad6b7169203331"), 16, "xyz");
  auto shape = client_->Post("/v1/traces", bad_id, "application/json");
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->status, 400);
  EXPECT_NE(shape->body.find("resourceSpans[0].scopeSpans[0].spans[0].spanId"), std::string::npos) << shape->body;

  auto metric = client_->Post("/v1/metrics", R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":7}]}]}]})",
                              "application/json");
  ASSERT_TRUE(metric);
  EXPECT_EQ(metric->status, 400);
  EXPECT_NE(metric->body.find("resourceMetrics[0].scopeMetrics[0].metrics[0].name"), std::string::npos) << metric->body;

  auto deep = client_->Post("/v1/traces", std::string(300, '[') + std::string(300, ']'), "application/json");
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->status, 400);
  EXPECT_TRUE(received()["spans"].empty());  // nothing kept from a refused payload
}

TEST_F(SimOtlpSinkTest, KeepsOnlyTheLastPayloads) {
  start(3);
  for (int i = 0; i < 5; ++i) {
    auto r = client_->Post("/v1/traces", kTraces, "application/json");
    ASSERT_TRUE(r && r->status == 200);
  }
  const json got = received();
  EXPECT_EQ(got["payloads"]["traces"], 3);
  EXPECT_EQ(got["spans"].size(), 6u);
}

}  // namespace
}  // namespace ploke::simulator
