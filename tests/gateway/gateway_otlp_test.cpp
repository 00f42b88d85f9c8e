// OpenTelemetry export end to end on loopback (port 0, RealClock): the gateway stack with an
// OtlpExporter posting to a `serve` simulator's OTLP sink. The request span joins the
// client's traceparent (same trace id, parent = the client's span), one CLIENT span per
// upstream attempt under it, the GenAI metric names arrive, a planted key appears nowhere
// in what was exported, and an endpoint that is down costs no request anything (failures
// and drops counted in /metrics).
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "gateway_fixture.h"
#include "ploke/gateway/otlp.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;
using testing_support::GatewayStack;

constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kClientSpan = "00f067aa0ba902b7";
constexpr const char* kPlanted = "sk-FAKE-planted-otlp-4f1c9e2a7b";

// A `ploke-sim serve` stand-in: a SimServer whose OTLP sink receives the exports.
struct Sink {
  RealClock clock;
  std::unique_ptr<simulator::SimEngine> engine;
  std::unique_ptr<simulator::SimServer> server;
  adapters::HttpTransport http{clock};
  bool start() {
    auto e = simulator::SimEngine::Create(simulator::SimOptions{}, clock);
    if (!e.ok()) return false;
    engine = std::move(e).value();
    auto s = simulator::SimServer::Start(*engine, clock, simulator::ServerOptions{});
    if (!s.ok()) return false;
    server = std::move(s).value();
    return true;
  }
  std::string received_text() {
    HttpRequest r;
    r.method = "GET";
    r.base_url = server->url();
    r.path = "/__admin/otlp";
    CallOptions co;
    co.total_timeout = std::chrono::seconds(10);
    auto got = send_and_wait(http, clock, r, co);
    return got.ok() ? got->body : std::string();
  }
};

json attrs(const json& span) { return span["attributes"]; }

void expect_genai_metrics(const json& got) {
  for (const char* name : {"gen_ai.client.operation.duration", "gen_ai.client.token.usage",
                           "gen_ai.client.operation.time_to_first_chunk"}) {
    EXPECT_TRUE(got["metrics"].contains(name)) << name << " missing: " << got.dump();
  }
  std::set<std::string> token_types;
  for (const auto& p : got["metrics"]["gen_ai.client.token.usage"]["dataPoints"]) {
    token_types.insert(p["attributes"]["gen_ai.token.type"].get<std::string>());
  }
  EXPECT_EQ(token_types, (std::set<std::string>{"input", "output"}));
}

TEST(GatewayOtlp, SpansAndMetricsReachTheSimulatorSinkWithTheClientsTrace) {
  Sink sink;
  ASSERT_TRUE(sink.start());
  RealClock clock;
  adapters::HttpTransport transport(clock);
  OtlpOptions oo;
  oo.endpoint = sink.server->url();
  oo.seed = 42;
  OtlpExporter exporter(transport, clock, oo);
  testing_support::StackOptions so;
  so.otlp = &exporter;
  GatewayStack s(so);
  ASSERT_TRUE(s.start());
  s.fault(0, R"({"faults":[{"kind":"http_error","status":503,"should_retry":false,"trigger":{"nth":1}}]})");
  const std::string traceparent = std::string("00-") + kTraceId + "-" + kClientSpan + "-01";
  const std::string body = std::string(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"my key is )") +
                           kPlanted + R"("}]})";
  auto r = s.post("/v1/chat/completions", body,
                  {{"traceparent", traceparent}, {"authorization", std::string("Bearer ") + kPlanted}, {"x-ploke-policy", "pinned"}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  auto st = s.post("/v1/chat/completions",
                   R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->status, 200);
  ASSERT_TRUE(exporter.flush());

  const std::string text = sink.received_text();
  EXPECT_EQ(text.find(kPlanted), std::string::npos) << "a planted key reached the export";
  EXPECT_EQ(text.find("Bearer"), std::string::npos);
  const json got = json::parse(text);
  const json* root = nullptr;
  std::vector<const json*> attempts;
  for (const auto& sp : got["spans"]) {
    if (sp["traceId"] != kTraceId) continue;
    if (sp["kind"] == 2) root = &sp;
    else attempts.push_back(&sp);
  }
  ASSERT_NE(root, nullptr) << text;
  EXPECT_EQ((*root)["parentSpanId"], kClientSpan);
  EXPECT_EQ((*root)["name"], "chat gpt-4o-mini");
  EXPECT_EQ((*root)["service"], "ploke-gateway");
  EXPECT_EQ(attrs(*root)["gen_ai.operation.name"], "chat");
  EXPECT_EQ(attrs(*root)["gen_ai.request.model"], "gpt-4o-mini");
  EXPECT_EQ(attrs(*root)["gen_ai.provider.name"], "sim-b");
  EXPECT_GT(attrs(*root)["gen_ai.usage.input_tokens"].get<int64_t>(), 0);
  EXPECT_GT(attrs(*root)["gen_ai.usage.output_tokens"].get<int64_t>(), 0);
  ASSERT_EQ(attempts.size(), 2u) << text;  // sim-a's 503, then sim-b
  for (const json* a : attempts) {
    EXPECT_EQ((*a)["parentSpanId"], (*root)["spanId"]);
    EXPECT_EQ((*a)["kind"], 3);
    EXPECT_EQ(attrs(*a)["server.address"], "127.0.0.1");
  }
  EXPECT_EQ(attrs(*attempts[0])["gen_ai.provider.name"], "sim-a");
  EXPECT_EQ(attrs(*attempts[0])["error.type"], "overloaded");  // the 503
  EXPECT_EQ(attrs(*attempts[1])["gen_ai.provider.name"], "sim-b");
  EXPECT_EQ(got["spans"].size(), 5u);  // + the streamed request: its own trace, one attempt
  expect_genai_metrics(got);
  auto m = s.get("/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("ploke_otlp_exported_spans_total 5\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ploke_otlp_export_failures_total 0\n"), std::string::npos);
  EXPECT_NE(m->body.find("ploke_gateway_requests_total"), std::string::npos);  // the existing output stays
}

// An embeddings request is an `embeddings {model}` span; a refused request (400, no upstream
// call) is a request span with error.type and no attempt span.
TEST(GatewayOtlp, EmbeddingsAndRefusedRequestsAreSpansToo) {
  Sink sink;
  ASSERT_TRUE(sink.start());
  RealClock clock;
  adapters::HttpTransport transport(clock);
  OtlpOptions oo;
  oo.endpoint = sink.server->url();
  OtlpExporter exporter(transport, clock, oo);
  testing_support::StackOptions so;
  so.otlp = &exporter;
  GatewayStack s(so);
  ASSERT_TRUE(s.start());
  auto e = s.post("/v1/embeddings", R"({"model":"text-embedding-3-small","input":["hello there"]})");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->status, 200) << e->body;
  auto bad = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini"})");
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->status, 400);
  ASSERT_TRUE(exporter.flush());
  const json got = json::parse(sink.received_text());
  ASSERT_EQ(got["spans"].size(), 3u) << got.dump();  // embeddings: request + attempt; refused: request
  const json& emb = got["spans"][0];
  EXPECT_EQ(emb["name"], "embeddings text-embedding-3-small");
  EXPECT_EQ(attrs(emb)["gen_ai.operation.name"], "embeddings");
  EXPECT_EQ(got["spans"][1]["parentSpanId"], emb["spanId"]);
  const json& refused = got["spans"][2];
  EXPECT_EQ(refused["kind"], 2);
  EXPECT_EQ(refused["parentSpanId"], "");
  EXPECT_EQ(attrs(refused)["error.type"], "invalid_request");
  EXPECT_EQ(refused["status"]["code"], 2);
}

TEST(GatewayOtlp, AnEndpointThatIsDownCostsNoRequestAndIsCounted) {
  Sink down;  // started then stopped: its port refuses connections
  ASSERT_TRUE(down.start());
  const std::string url = down.server->url();
  down.server->stop();
  RealClock clock;
  adapters::HttpTransport transport(clock);
  OtlpOptions oo;
  oo.endpoint = url;
  oo.max_queue_spans = 8;
  oo.batch_spans = 1000;  // nothing leaves before flush(): the queue fills
  oo.interval = std::chrono::hours(1);
  OtlpExporter exporter(transport, clock, oo);
  testing_support::StackOptions so;
  so.otlp = &exporter;
  GatewayStack s(so);
  ASSERT_TRUE(s.start());
  for (int i = 0; i < 20; ++i) {
    auto r = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
  }
  EXPECT_EQ(exporter.dropped_spans(), 32u);  // 20 requests × (request + 1 attempt) = 40 spans; 8 fit
  ASSERT_TRUE(exporter.flush());
  EXPECT_EQ(exporter.export_failures(), 2u);  // traces, metrics
  EXPECT_EQ(exporter.dropped_spans(), 40u);
  auto m = s.get("/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("ploke_otlp_dropped_total 40\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ploke_otlp_export_failures_total 2\n"), std::string::npos) << m->body;
}

}  // namespace
}  // namespace ploke::gateway
