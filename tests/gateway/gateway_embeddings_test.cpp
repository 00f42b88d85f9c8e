// POST /v1/embeddings through the gateway, in process and in virtual time: two simulator
// engines behind InProcessTransport, the façade (pinned: sim-a first), the Gateway inline.
// float and base64 answers carry the same vectors (the simulator's), batches and
// `dimensions`, the simulator's 400s word for word (and no upstream call), failover on
// 5xx and 429, errors in OpenAI's shape, the trace id headers and trace.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstring>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/base64.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/gateway/gateway.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

struct EmbRecorder final : Responder {
  int status = 0;
  Headers headers;
  std::string body;
  void reply(int s, const Headers& h, std::string b) override {
    status = s;
    headers = h;
    body = std::move(b);
  }
  void begin(int s, const Headers& h) override {
    status = s;
    headers = h;
  }
  void chunk(std::string d) override { body += d; }
  void finish() override {}
  std::string header(std::string_view n) const { return std::string(headers.get(n).value_or("")); }
};

// The vectors of an embeddings answer: float arrays as float, base64 decoded.
std::vector<std::vector<float>> vectors_of(const std::string& body) {
  std::vector<std::vector<float>> out;
  const json j = json::parse(body);
  for (const json& d : j.at("data")) {
    const json& e = d.at("embedding");
    if (e.is_array()) {
      out.push_back(e.get<std::vector<float>>());
      continue;
    }
    const std::string bytes = base64_decode(e.get<std::string>()).value_or("");
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    out.push_back(std::move(v));
  }
  return out;
}

class GatewayEmbeddingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      simulator::SimOptions o;
      o.seed = 10 + static_cast<uint64_t>(i);
      o.latency.time_to_first_token = std::chrono::milliseconds(5);
      auto e = simulator::SimEngine::Create(o, clock_);
      ASSERT_TRUE(e.ok());
      engines_.push_back(std::move(e).value());
      transports_.push_back(std::make_unique<InProcessTransport>(clock_, simulator::engine_handler(*engines_.back())));
    }
    resilience::LlmClientOptions lo;
    lo.retry.max_retries_per_endpoint = 1;
    client_ = std::make_unique<resilience::LlmClient>(clock_, lo);
    std::vector<EndpointInfo> infos;
    for (int i = 0; i < 2; ++i) {
      const std::string name = i == 0 ? "sim-a" : "sim-b";
      resilience::EndpointConfig c;
      c.candidate.id = name + "/gpt-4o-mini";
      c.candidate.provider = name;
      c.candidate.model = "gpt-4o-mini";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.adapter = adapter_.get();
      c.endpoint.provider = name;
      c.endpoint.base_url = "http://sim/v1";
      c.transport = transports_[static_cast<size_t>(i)].get();
      c.call_options.total_timeout = std::chrono::seconds(30);
      infos.push_back({c.candidate.id, c.candidate.provider, c.candidate.model, true});
      ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
    }
    ASSERT_TRUE(client_->set_policy("pinned").ok());
    gw_ = std::make_unique<Gateway>(*client_, clock_, infos, GatewayOptions{});
  }

  std::shared_ptr<EmbRecorder> post(const std::string& body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r;
    r.method = "POST";
    r.path = "/v1/embeddings";
    r.body = body;
    for (auto& [k, v] : headers) r.headers.add(k, v);
    auto rec = std::make_shared<EmbRecorder>();
    gw_->handle(std::move(r), rec);
    return rec;
  }
  // The simulator's own answer to the same body (engine 0, not through the gateway).
  ScriptedResponse direct(const std::string& body) {
    HttpRequest h;
    h.method = "POST";
    h.base_url = "http://sim";
    h.path = "/v1/embeddings";
    h.body = body;
    return simulator::engine_handler(*engines_[0])(h);
  }
  void fault(int engine, const std::string& plan) {
    auto p = simulator::parse_fault_plan(plan, "test");
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    ASSERT_TRUE(engines_[static_cast<size_t>(engine)]->set_faults(*p).ok());
  }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_ = adapters::openai::make_openai_adapter();
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<Gateway> gw_;
};

const std::string kFloat = R"({"model":"text-embedding-3-small","input":["the quick brown fox","jumps"]})";
const std::string kBase64 =
    R"({"model":"text-embedding-3-small","input":["the quick brown fox","jumps"],"encoding_format":"base64"})";

TEST_F(GatewayEmbeddingsTest, FloatAndBase64AnswersCarryTheSameVectors) {
  auto f = post(kFloat);
  auto b = post(kBase64);
  ASSERT_EQ(f->status, 200) << f->body;
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_EQ(f->header("content-type"), "application/json");
  const json fj = json::parse(f->body);
  EXPECT_TRUE(fj["data"][0]["embedding"].is_array());
  EXPECT_TRUE(json::parse(b->body)["data"][0]["embedding"].is_string());
  const auto fv = vectors_of(f->body);
  ASSERT_EQ(fv.size(), 2u);
  EXPECT_EQ(fv[0].size(), 1536u);
  EXPECT_EQ(fv, vectors_of(b->body));
  EXPECT_EQ(fv, vectors_of(direct(kFloat).body()));  // the upstream's vectors, unchanged
  EXPECT_EQ(fj["model"], "text-embedding-3-small");
  EXPECT_EQ(fj["object"], "list");
  EXPECT_EQ(fj["data"][1]["index"], 1);
  EXPECT_GT(fj["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_EQ(fj["usage"]["total_tokens"], fj["usage"]["prompt_tokens"]);
  // Trace id headers as chat's, and the trace in the admin API.
  const std::string id = f->header("x-ploke-trace-id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(f->header("x-request-id"), id);
  const std::string trace = gw_->trace_json(id);
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(json::parse(trace)["served_by"], "sim-a/gpt-4o-mini");
}

TEST_F(GatewayEmbeddingsTest, BatchAndDimensions) {
  auto r = post(R"({"model":"text-embedding-3-small","input":["a","bb","ccc"],"dimensions":32})");
  ASSERT_EQ(r->status, 200) << r->body;
  const auto v = vectors_of(r->body);
  ASSERT_EQ(v.size(), 3u);
  for (const auto& x : v) EXPECT_EQ(x.size(), 32u);
  EXPECT_NE(v[0], v[1]);
  // Each input's vector is the one it gets alone.
  auto one = post(R"({"model":"text-embedding-3-small","input":"bb","dimensions":32})");
  ASSERT_EQ(one->status, 200) << one->body;
  EXPECT_EQ(vectors_of(one->body)[0], v[1]);
}

TEST_F(GatewayEmbeddingsTest, InvalidBodiesGetTheSimulatorsWordsAndNoUpstreamCall) {
  const std::vector<std::string> bodies = {
      "not json",
      R"([1,2])",
      R"({"input":"x"})",
      R"({"model":"text-embedding-3-small"})",
      R"({"model":"text-embedding-3-small","input":""})",
      R"({"model":"text-embedding-3-small","input":[]})",
      R"({"model":"text-embedding-3-small","input":["a",1]})",
      R"({"model":"text-embedding-3-small","input":"a","encoding_format":"hex"})",
      R"({"model":"text-embedding-3-small","input":"a","dimensions":0})",
      R"({"model":"text-embedding-3-small","input":"a","user":5})",
  };
  for (const std::string& body : bodies) {
    const ScriptedResponse want = direct(body);
    ASSERT_EQ(want.status, 400) << body;
    auto got = post(body);
    EXPECT_EQ(got->status, 400) << body;
    EXPECT_EQ(json::parse(got->body), json::parse(want.body())) << body;
    EXPECT_FALSE(got->header("x-ploke-trace-id").empty());
  }
  EXPECT_EQ(engines_[1]->request_count(), 0u);
  EXPECT_EQ(engines_[0]->request_count(), bodies.size());  // only the direct() calls
}

TEST_F(GatewayEmbeddingsTest, FailsOverToTheNextUpstreamOn5xxAnd429) {
  const auto sim_a_vectors = vectors_of(direct(kFloat).body());
  fault(0, R"({"faults":[{"kind":"http_error","status":500}]})");
  auto r = post(kFloat);
  ASSERT_EQ(r->status, 200) << r->body;
  const json t = json::parse(gw_->trace_json(r->header("x-ploke-trace-id")));
  EXPECT_EQ(t["served_by"], "sim-b/gpt-4o-mini");
  EXPECT_EQ(t["attempts"].size(), 3u);  // sim-a twice (one retry), then sim-b
  // sim-b's vectors: what sim-b makes for these inputs (its own seed).
  EXPECT_NE(vectors_of(r->body), sim_a_vectors);
  EXPECT_EQ(vectors_of(r->body).size(), 2u);

  fault(0, R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":60000}]})");
  auto limited = post(kBase64);
  ASSERT_EQ(limited->status, 200) << limited->body;
  EXPECT_EQ(json::parse(gw_->trace_json(limited->header("x-ploke-trace-id")))["served_by"], "sim-b/gpt-4o-mini");
  EXPECT_EQ(vectors_of(limited->body), vectors_of(r->body));
}

TEST_F(GatewayEmbeddingsTest, UpstreamErrorsComeBackInOpenAisShape) {
  fault(0, R"({"faults":[{"kind":"http_error","status":500}]})");
  fault(1, R"({"faults":[{"kind":"http_error","status":503}]})");
  auto r = post(kFloat);
  EXPECT_GE(r->status, 500) << r->body;
  const json j = json::parse(r->body);
  ASSERT_TRUE(j.contains("error")) << r->body;
  EXPECT_TRUE(j["error"].contains("message"));
  EXPECT_TRUE(j["error"].contains("type"));
  EXPECT_FALSE(r->header("x-ploke-trace-id").empty());
  // A model the upstreams do not have: their 404, once each, then the OpenAI-shaped 404.
  fault(0, R"({"faults":[]})");
  fault(1, R"({"faults":[]})");
  auto missing = post(R"({"model":"no-such-embedder","input":"x"})");
  EXPECT_EQ(missing->status, 404) << missing->body;
  EXPECT_EQ(json::parse(missing->body)["error"]["type"], "invalid_request_error");
}

TEST_F(GatewayEmbeddingsTest, PinHeaderIsHonoured) {
  auto r = post(kFloat, {{"x-ploke-provider", "sim-b"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(gw_->trace_json(r->header("x-ploke-trace-id")))["served_by"], "sim-b/gpt-4o-mini");
  EXPECT_EQ(engines_[0]->request_count(), 0u);
  auto bad = post(kFloat, {{"x-ploke-deadline-ms", "soon"}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("x-ploke-deadline-ms"), std::string::npos);
}

}  // namespace
}  // namespace ploke::gateway
