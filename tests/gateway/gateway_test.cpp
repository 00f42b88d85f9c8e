// Gateway logic, in process and in virtual time: two simulator engines behind
// InProcessTransport on a SimulatedClock, the façade over them, and the Gateway run inline
// (on the calling thread) with a recording Responder. Covers both protocols (stream, non-stream,
// tools), errors in protocol shape, fallback when the primary fails, per-request overrides,
// OpenRouter-style routing groups, the trace header + admin API, /metrics and draining.
// (The same gateway over real sockets: gateway_http_test.cpp.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <mutex>
#include <set>
#include <sstream>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/core/trace_context.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/inbound.h"
#include "ploke/gateway/otlp.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "plain_protocol.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

struct Recorder final : Responder {
  int status = 0;
  Headers headers;
  std::string body;
  bool streamed = false, finished = false;
  void reply(int s, const Headers& h, std::string b) override {
    status = s;
    headers = h;
    body = std::move(b);
    finished = true;
  }
  void begin(int s, const Headers& h) override {
    status = s;
    headers = h;
    streamed = true;
  }
  void chunk(std::string d) override { body += d; }
  void finish() override { finished = true; }
  std::string header(std::string_view n) const { return std::string(headers.get(n).value_or("")); }
};

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      simulator::SimOptions o;
      o.seed = 10 + static_cast<uint64_t>(i);
      o.latency.time_to_first_token = std::chrono::milliseconds(5);
      o.latency.tokens_per_second = 1000;
      auto e = simulator::SimEngine::Create(o, clock_);
      ASSERT_TRUE(e.ok());
      engines_.push_back(std::move(e).value());
      transports_.push_back(std::make_unique<InProcessTransport>(
          clock_, [this, h = simulator::engine_handler(*engines_.back())](const HttpRequest& r) {
            upstream_headers_.push_back(r.headers);  // what each upstream attempt carried
            return h(r);
          }));
    }
    resilience::LlmClientOptions lo;
    lo.retry.max_retries_per_endpoint = 1;
    client_ = std::make_unique<resilience::LlmClient>(clock_, lo);
    const char* names[2] = {"sim-a", "sim-b"};
    for (int i = 0; i < 2; ++i) {
      resilience::EndpointConfig c;
      c.candidate.id = std::string(names[i]) + "/gpt-4o-mini";
      c.candidate.provider = names[i];
      c.candidate.model = "gpt-4o-mini";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.adapter = adapter_.get();
      c.endpoint.provider = names[i];
      c.endpoint.base_url = "http://sim/v1";
      c.transport = transports_[static_cast<size_t>(i)].get();
      c.call_options.first_byte_timeout = std::chrono::seconds(5);
      c.call_options.total_timeout = std::chrono::seconds(30);
      infos_.push_back({c.candidate.id, c.candidate.provider, c.candidate.model});
      ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
    }
    ASSERT_TRUE(client_->set_policy("pinned").ok());  // sim-a first, then sim-b
    GatewayOptions go;
    gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  }

  std::shared_ptr<Recorder> call(const std::string& method, const std::string& path, const std::string& body,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r;
    r.method = method;
    const size_t q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) r.query = path.substr(q + 1);
    for (auto& [k, v] : headers) r.headers.add(k, v);
    r.body = body;
    auto rec = std::make_shared<Recorder>();
    gw_->handle(std::move(r), rec);
    EXPECT_TRUE(rec->finished);
    return rec;
  }
  void fault(int engine, const std::string& plan) {
    auto p = simulator::parse_fault_plan(plan, "test");
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    ASSERT_TRUE(engines_[static_cast<size_t>(engine)]->set_faults(*p).ok());
  }
  // Decodes an SSE body with our own client-side adapter.
  static ChatResponse decode(const ProviderAdapter& a, const std::string& wire, Status* err = nullptr) {
    auto dec = a.new_stream_decoder(Endpoint{"x", "http://x", {}, {}});
    std::vector<StreamEvent> ev;
    Status st = dec->feed(wire, ev);
    if (st.ok()) st = dec->finish(ev);
    if (err != nullptr) *err = st;
    EXPECT_TRUE(st.ok() || err != nullptr) << st.to_string() << "\n" << wire;
    StreamAccumulator acc;
    for (const auto& e : ev) EXPECT_TRUE(acc.add(e).ok());
    return acc.response();
  }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_ = adapters::openai::make_openai_adapter();
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<Gateway> gw_;
  std::vector<EndpointInfo> infos_;
  std::vector<Headers> upstream_headers_;
};

const std::string kChat = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]})";
const std::string kTools = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"weather?"}],
  "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
  "tool_choice":"required"})";
const std::string kMessages = R"({"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"hello"}]})";

TEST_F(GatewayTest, OpenAiNonStream) {
  auto r = call("POST", "/v1/chat/completions", kChat);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->header("content-type"), "application/json");
  const json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_FALSE(j["choices"][0]["message"]["content"].get<std::string>().empty());
  EXPECT_GT(j["usage"]["total_tokens"].get<int>(), 0);
  EXPECT_EQ(r->header("x-request-id"), r->header("x-ploke-trace-id"));
  EXPECT_EQ(engines_[0]->request_count(), 1u);  // the pinned policy's first endpoint
}

TEST_F(GatewayTest, OpenAiStreamWithUsageAndTools) {
  auto r = call("POST", "/v1/chat/completions",
                R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(r->streamed);
  EXPECT_EQ(r->header("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(r->body.substr(r->body.size() - 14), "data: [DONE]\n\n");
  ChatResponse got = decode(*adapter_, r->body);
  EXPECT_FALSE(got.content.empty());
  ASSERT_TRUE(got.usage);
  EXPECT_GT(got.usage->completion_tokens, 0u);

}

TEST_F(GatewayTest, ToolsBothWays) {
  auto r = call("POST", "/v1/chat/completions", kTools);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(j["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_TRUE(json::parse(j["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"].get<std::string>()).contains("city"));
  json streamed = json::parse(kTools);
  streamed["stream"] = true;
  auto s = call("POST", "/v1/chat/completions", streamed.dump());
  ASSERT_EQ(s->status, 200);
  ChatResponse got = decode(*adapter_, s->body);
  ASSERT_EQ(got.tool_calls.size(), 1u);
  EXPECT_EQ(got.tool_calls[0].name, "get_weather");
  EXPECT_EQ(got.finish_reason, FinishReason::kToolCalls);
  // Anthropic client, tool_use.
  auto a = call("POST", "/v1/messages",
                R"({"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"weather?"}],
                    "tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
                    "tool_choice":{"type":"any"}})",
                {{"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(a->status, 200) << a->body;
  const json aj = json::parse(a->body);
  EXPECT_EQ(aj["stop_reason"], "tool_use");
  EXPECT_EQ(aj["content"].back()["type"], "tool_use");
  EXPECT_TRUE(aj["content"].back()["input"].contains("city"));
}

TEST_F(GatewayTest, AnthropicRoute) {
  auto r = call("POST", "/v1/messages", kMessages, {{"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["type"], "message");
  EXPECT_EQ(j["content"][0]["type"], "text");
  EXPECT_EQ(r->header("request-id"), r->header("x-ploke-trace-id"));
  json s = json::parse(kMessages);
  s["stream"] = true;
  auto st = call("POST", "/v1/messages", s.dump(), {{"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(st->status, 200);
  auto an = adapters::anthropic::make_anthropic_adapter();
  ChatResponse got = decode(*an, st->body);
  EXPECT_FALSE(got.content.empty());
  EXPECT_EQ(got.finish_reason, FinishReason::kStop);
  // Bad input: 400 in Anthropic's shape naming the field.
  auto bad = call("POST", "/v1/messages", R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["type"], "invalid_request_error");
  EXPECT_NE(json::parse(bad->body)["error"]["message"].get<std::string>().find("max_tokens"), std::string::npos);
}

// An OpenAI-chat upstream has no thinking: an Anthropic client asking for it gets an answer
// without thinking blocks, not an error.
TEST_F(GatewayTest, AnthropicThinkingOverAnOpenAiUpstreamAnswersWithoutIt) {
  json body = json::parse(kMessages);
  body["max_tokens"] = 4096;
  body["thinking"] = {{"type", "enabled"}, {"budget_tokens", 1024}};
  auto r = call("POST", "/v1/messages", body.dump(), {{"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(r->status, 200) << r->body;
  const json answer = json::parse(r->body);
  for (const auto& b : answer["content"]) EXPECT_NE(b["type"], "thinking");
}

TEST_F(GatewayTest, FallsOverWhenThePrimaryFails) {
  fault(0, R"({"faults":[{"kind":"http_error","status":500}]})");
  auto r = call("POST", "/v1/chat/completions", kChat);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string id = r->header("x-ploke-trace-id");
  const json trace = json::parse(gw_->trace_json(id));
  EXPECT_EQ(trace["served_by"], "sim-b/gpt-4o-mini");
  EXPECT_GE(trace["attempts"].size(), 2u);
  EXPECT_GE(engines_[0]->request_count(), 1u);
  EXPECT_EQ(engines_[1]->request_count(), 1u);
  // Streamed too (nothing was delivered before the failure).
  auto s = call("POST", "/v1/chat/completions", R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(s->status, 200);
  EXPECT_FALSE(decode(*adapter_, s->body).content.empty());
}

TEST_F(GatewayTest, ErrorsInProtocolShape) {
  fault(0, R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":10}]})");
  fault(1, R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":10}]})");
  auto r = call("POST", "/v1/chat/completions", kChat);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "rate_limit_exceeded");
  auto a = call("POST", "/v1/messages", kMessages);
  EXPECT_EQ(a->status, 429);
  EXPECT_EQ(json::parse(a->body)["error"]["type"], "rate_limit_error");
  EXPECT_EQ(json::parse(a->body)["request_id"], a->header("request-id"));

  fault(0, R"({"faults":[{"kind":"http_error","status":529}]})");
  fault(1, R"({"faults":[{"kind":"http_error","status":529}]})");
  EXPECT_EQ(call("POST", "/v1/messages", kMessages)->status, 529);
  EXPECT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 503);

  fault(0, R"({"faults":[{"kind":"http_error","status":401}]})");
  fault(1, R"({"faults":[{"kind":"http_error","status":401}]})");
  auto u = call("POST", "/v1/chat/completions", kChat);
  EXPECT_EQ(u->status, 401);
  EXPECT_EQ(json::parse(u->body)["error"]["code"], "invalid_api_key");
  // Bad JSON from the client: 400 with the byte offset.
  auto b = call("POST", "/v1/chat/completions", R"({"model": )");
  EXPECT_EQ(b->status, 400);
  EXPECT_NE(json::parse(b->body)["error"]["message"].get<std::string>().find("invalid JSON at byte"), std::string::npos);
}

TEST_F(GatewayTest, MidStreamFailureBecomesAnInStreamErrorEvent) {
  fault(0, R"({"faults":[{"kind":"mid_stream_error","after_events":3,"status":500}]})");
  auto r = call("POST", "/v1/chat/completions", R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body.find("[DONE]"), std::string::npos);
  Status err;
  decode(*adapter_, r->body, &err);
  EXPECT_FALSE(err.ok());
  EXPECT_NE(r->body.find("\"error\":{"), std::string::npos);
  json s = json::parse(kMessages);
  s["stream"] = true;
  auto a = call("POST", "/v1/messages", s.dump());
  ASSERT_EQ(a->status, 200);
  EXPECT_NE(a->body.find("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\""), std::string::npos)
      << a->body;
  EXPECT_EQ(a->body.find("message_stop"), std::string::npos);
}

TEST_F(GatewayTest, OverridesPinPolicyDeadlinePriority) {
  auto r = call("POST", "/v1/chat/completions", kChat, {{"x-ploke-provider", "sim-b"}});
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(engines_[1]->request_count(), 1u);
  EXPECT_EQ(engines_[0]->request_count(), 0u);
  // Body extension, overridden by the header.
  json b = json::parse(kChat);
  b["ploke"] = {{"provider", "sim-b"}};
  ASSERT_EQ(call("POST", "/v1/chat/completions", b.dump(), {{"x-ploke-provider", "sim-a"}})->status, 200);
  EXPECT_EQ(engines_[0]->request_count(), 1u);
  ASSERT_EQ(call("POST", "/v1/chat/completions", b.dump())->status, 200);
  EXPECT_EQ(engines_[1]->request_count(), 2u);
  // A pinned provider that fails is not silently rerouted.
  fault(1, R"({"faults":[{"kind":"http_error","status":500}]})");
  EXPECT_EQ(call("POST", "/v1/chat/completions", kChat, {{"x-ploke-provider", "sim-b"}})->status, 500);

  auto bad = call("POST", "/v1/chat/completions", kChat, {{"x-ploke-policy", "fastest"}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("x-ploke-policy: unknown policy 'fastest'"), std::string::npos);
  EXPECT_EQ(call("POST", "/v1/chat/completions", kChat, {{"x-ploke-priority", "urgent"}})->status, 400);
  EXPECT_EQ(call("POST", "/v1/chat/completions", kChat, {{"x-ploke-deadline-ms", "soon"}})->status, 400);
  auto cost = call("POST", "/v1/chat/completions", kChat, {{"x-ploke-policy", "cost"}, {"x-ploke-priority", "high"}});
  EXPECT_EQ(cost->status, 200);
  EXPECT_EQ(json::parse(gw_->trace_json(cost->header("x-ploke-trace-id")))["policy"], "cost");
  // A deadline shorter than a hang: 504 timeout.
  fault(0, R"({"faults":[{"kind":"hang"}]})");
  auto late = call("POST", "/v1/chat/completions", kChat, {{"x-ploke-deadline-ms", "200"}, {"x-ploke-provider", "sim-a"}});
  EXPECT_EQ(late->status, 504) << late->body;
}

TEST_F(GatewayTest, OpenRouterStyleRouting) {
  // provider.order with allow_fallbacks:false: only sim-b, in that order.
  auto r = call("POST", "/v1/chat/completions",
                R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"provider":{"order":["sim-b"],"allow_fallbacks":false}})");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(engines_[1]->request_count(), 1u);
  EXPECT_EQ(engines_[0]->request_count(), 0u);
  // ignore sim-a.
  ASSERT_EQ(call("POST", "/v1/chat/completions",
                 R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"provider":{"ignore":["sim-a"]}})")->status,
            200);
  EXPECT_EQ(engines_[0]->request_count(), 0u);
  // order sim-b then fall back (allowed) to anything when sim-b fails.
  fault(1, R"({"faults":[{"kind":"http_error","status":503}]})");
  auto f = call("POST", "/v1/chat/completions",
                R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"provider":{"order":["sim-b"]}})");
  ASSERT_EQ(f->status, 200) << f->body;
  EXPECT_EQ(json::parse(gw_->trace_json(f->header("x-ploke-trace-id")))["served_by"], "sim-a/gpt-4o-mini");
  // only sim-b (failing): no fallback.
  EXPECT_EQ(call("POST", "/v1/chat/completions",
                 R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"provider":{"only":["sim-b"]}})")->status,
            503);
  // `models` fallback list: an unknown first model, then one an endpoint serves.
  auto m = call("POST", "/v1/chat/completions",
                R"({"model":"nope/unknown","models":["sim-b/gpt-4o-mini","gpt-4o-mini"],"messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(m->status, 200) << m->body;
}

// [models.NAME]: a name and its aliases resolve to their deployments (one façade call, the
// resolution in the trace); /v1/models lists the names; an unknown name is a 404 in the
// client's protocol unless a default model is set.
TEST_F(GatewayTest, ModelNamesResolveAndUnknownNamesAre404s) {
  GatewayOptions go;
  go.model_names = {{"smart", {"sim-b/gpt-4o-mini"}, {"clever"}, false}};
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  auto r = call("POST", "/v1/chat/completions", R"({"model":"clever","messages":[{"role":"user","content":"x"}]})");
  ASSERT_EQ(r->status, 200) << r->body;
  json t = json::parse(gw_->trace_json(r->header("x-ploke-trace-id")));
  EXPECT_EQ(t["served_by"], "sim-b/gpt-4o-mini");  // the name's deployment, though pinned order says sim-a
  EXPECT_EQ(t["notes"][0], "gateway: model 'clever' → sim-b/gpt-4o-mini") << t.dump();
  EXPECT_EQ(engines_[0]->request_count(), 0u);
  auto m = json::parse(call("GET", "/v1/models", "")->body);
  ASSERT_EQ(m["data"].size(), 3u) << m.dump();
  EXPECT_EQ(m["data"][0]["id"], "smart");
  EXPECT_EQ(m["data"][1]["id"], "clever");
  EXPECT_EQ(m["data"][2]["id"], "gpt-4o-mini");
  auto o = call("POST", "/v1/chat/completions", R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(o->status, 404);
  EXPECT_EQ(json::parse(o->body)["error"]["code"], "model_not_found") << o->body;
  EXPECT_EQ(json::parse(o->body)["error"]["message"], "The model `gpt-9` does not exist or you do not have access to it.");
  auto a = call("POST", "/v1/messages", R"({"model":"claude-9","max_tokens":5,"messages":[{"role":"user","content":"x"}]})",
                {{"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(a->status, 404);
  EXPECT_EQ(json::parse(a->body)["error"]["type"], "not_found_error") << a->body;
  EXPECT_EQ(json::parse(a->body)["error"]["message"], "model: claude-9");
  EXPECT_EQ(engines_[0]->request_count() + engines_[1]->request_count(), 1u);  // no upstream saw the 404s
  go.default_model = "smart";
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  auto d = call("POST", "/v1/chat/completions", R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})");
  ASSERT_EQ(d->status, 200) << d->body;
  EXPECT_EQ(json::parse(gw_->trace_json(d->header("x-ploke-trace-id")))["served_by"], "sim-b/gpt-4o-mini");
}

TEST_F(GatewayTest, AdminApiModelsMetricsAndDrain) {
  auto r = call("POST", "/v1/chat/completions", kChat);
  const std::string id = r->header("x-ploke-trace-id");
  ASSERT_FALSE(id.empty());
  auto t = call("GET", "/__admin/traces/" + id, "");
  ASSERT_EQ(t->status, 200);
  EXPECT_EQ(json::parse(t->body)["request_id"], id);
  call("POST", "/v1/chat/completions", kChat);
  auto list = call("GET", "/__admin/traces?limit=1", "");
  ASSERT_EQ(json::parse(list->body)["traces"].size(), 1u);
  EXPECT_NE(json::parse(list->body)["traces"][0]["request_id"], id);  // newest first
  EXPECT_EQ(call("GET", "/__admin/traces/gw-nope", "")->status, 404);
  auto h = call("GET", "/__admin/health", "");
  ASSERT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["endpoints"].size(), 2u);
  EXPECT_EQ(json::parse(h->body)["endpoints"][0]["breaker"], "closed");
  auto q = call("GET", "/__admin/queue", "");
  ASSERT_EQ(q->status, 200);
  EXPECT_EQ(json::parse(q->body)["lanes"].size(), 3u);
  auto m = call("GET", "/metrics", "");
  EXPECT_NE(m->body.find("ploke_gateway_requests_total{protocol=\"openai\",class=\"2xx\"} 2"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ploke_llm_"), std::string::npos);
  EXPECT_NE(m->body.find("ploke_build_info{version=\"0.2.0\",component=\"gateway\"} 1\n"), std::string::npos);
  EXPECT_NE(m->body.find("\nprocess_resident_memory_bytes "), std::string::npos);
  auto models = call("GET", "/v1/models", "");
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "gpt-4o-mini");
  auto amodels = call("GET", "/v1/models", "", {{"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(json::parse(amodels->body)["data"][0]["type"], "model");
  EXPECT_EQ(call("GET", "/nope", "")->status, 404);
  // Breaker override: open sim-a by hand → traffic goes to sim-b; reset closes it again.
  ASSERT_EQ(call("POST", "/__admin/breakers/sim-a/gpt-4o-mini?state=open", "")->status, 200);
  auto viab = call("POST", "/v1/chat/completions", kChat);
  EXPECT_EQ(json::parse(gw_->trace_json(viab->header("x-ploke-trace-id")))["served_by"], "sim-b/gpt-4o-mini");
  EXPECT_EQ(json::parse(call("GET", "/__admin/health", "")->body)["endpoints"][0]["breaker"], "open");
  EXPECT_EQ(call("POST", "/__admin/breakers/reset", "")->status, 200);
  EXPECT_EQ(json::parse(call("GET", "/__admin/health", "")->body)["endpoints"][0]["breaker"], "closed");
  EXPECT_EQ(call("POST", "/__admin/breakers/nope?state=open", "")->status, 404);
  EXPECT_EQ(call("POST", "/__admin/breakers/reset?state=x", "")->status, 200);
  EXPECT_EQ(call("POST", "/__admin/breakers/sim-a/gpt-4o-mini?state=bogus", "")->status, 400);

  // The running façade's routing policy: shown, switched (query or body), refused when unknown.
  auto pol = json::parse(call("GET", "/__admin/routing/policy", "")->body);
  EXPECT_EQ(pol["policy"], client_->policy());
  EXPECT_NE(std::find(pol["policies"].begin(), pol["policies"].end(), "cost"), pol["policies"].end());
  auto sw = call("POST", "/__admin/routing/policy?name=cost", "");
  ASSERT_EQ(sw->status, 200);
  EXPECT_EQ(json::parse(sw->body)["previous"], pol["policy"]);
  EXPECT_EQ(client_->policy(), "cost");
  EXPECT_EQ(json::parse(call("GET", "/__admin/health", "")->body)["policy"], "cost");
  ASSERT_EQ(call("POST", "/__admin/routing/policy", R"({"policy":"latency"})")->status, 200);
  EXPECT_EQ(client_->policy(), "latency");
  auto unknown = call("POST", "/__admin/routing/policy?name=nope", "");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("registered: "), std::string::npos);
  EXPECT_EQ(call("POST", "/__admin/routing/policy", "")->status, 400);
  EXPECT_EQ(client_->policy(), "latency");

  gw_->begin_drain();
  EXPECT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 503);
  EXPECT_EQ(call("POST", "/v1/messages", kMessages)->status, 529);
  EXPECT_TRUE(gw_->wait_idle(std::chrono::milliseconds(10)));
}

// --- The Responses API's stored responses: previous_response_id, GET, DELETE, store. ---

const std::string kResponsesTools = R"({"model":"gpt-4o-mini","input":"weather in Paris?",
  "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
  "tool_choice":"required"})";

json output_of_call(const std::string& previous_id, const std::string& call_id) {
  return {{"model", "gpt-4o-mini"},
          {"previous_response_id", previous_id},
          {"input", json::array({{{"type", "function_call_output"}, {"call_id", call_id}, {"output", "21 C"}}})}};
}

TEST_F(GatewayTest, ResponsesContinueTheStoredConversation) {
  auto first = call("POST", "/v1/responses", kResponsesTools);
  ASSERT_EQ(first->status, 200) << first->body;
  const json f = json::parse(first->body);
  ASSERT_EQ(f["output"].back()["type"], "function_call");
  const std::string id = f["id"], call_id = f["output"].back()["call_id"];
  auto got = call("GET", "/v1/responses/" + id, "");
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, first->body);
  // The continuation reaches the upstream as the whole conversation: a tool message alone
  // would be the Chat Completions simulator's 400 (no preceding tool_calls).
  auto second = call("POST", "/v1/responses", output_of_call(id, call_id).dump());
  ASSERT_EQ(second->status, 200) << second->body;
  const json s = json::parse(second->body);
  EXPECT_EQ(s["previous_response_id"], id);
  EXPECT_GT(s["usage"]["input_tokens"].get<int>(), f["usage"]["input_tokens"].get<int>());
  // The API's 400s: an unanswered call, an output for no call, an unknown response.
  json unanswered = {{"model", "gpt-4o-mini"}, {"previous_response_id", id}, {"input", "and?"}};
  auto e = call("POST", "/v1/responses", unanswered.dump());
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(json::parse(e->body)["error"]["message"], "No tool output found for function call " + call_id + ".");
  EXPECT_EQ(json::parse(e->body)["error"]["param"], "input");
  e = call("POST", "/v1/responses", output_of_call(id, "call_other").dump());
  EXPECT_EQ(json::parse(e->body)["error"]["message"], "No tool call found for function call output with call_id call_other.");
  e = call("POST", "/v1/responses", output_of_call("resp_unknown", call_id).dump());
  EXPECT_EQ(e->status, 400);
  const json err = json::parse(e->body)["error"];
  EXPECT_EQ(err["message"], "Previous response with id 'resp_unknown' not found.");
  EXPECT_EQ(err["param"], "previous_response_id");
  EXPECT_EQ(err["code"], "previous_response_not_found");
  // DELETE forgets it.
  auto d = call("DELETE", "/v1/responses/" + id, "");
  EXPECT_EQ(d->status, 200);
  EXPECT_EQ(json::parse(d->body), (json{{"id", id}, {"object", "response"}, {"deleted", true}}));
  EXPECT_EQ(call("GET", "/v1/responses/" + id, "")->status, 404);
  EXPECT_EQ(json::parse(call("DELETE", "/v1/responses/" + id, "")->body)["error"]["message"],
            "Response with id '" + id + "' not found.");
  EXPECT_EQ(call("POST", "/v1/responses", output_of_call(id, call_id).dump())->status, 400);
}

TEST_F(GatewayTest, ResponsesStreamIsStoredAndInstructionsAreNotCarriedOver) {
  const std::string instructions(4000, 'x');
  json body = {{"model", "gpt-4o-mini"}, {"input", "hello"}, {"stream", true}, {"instructions", instructions}};
  auto s = call("POST", "/v1/responses", body.dump());
  ASSERT_EQ(s->status, 200) << s->body;
  const size_t at = s->body.find("event: response.completed\ndata: ");
  ASSERT_NE(at, std::string::npos) << s->body;
  const size_t from = at + std::string("event: response.completed\ndata: ").size();
  const json done = json::parse(s->body.substr(from, s->body.find('\n', from) - from))["response"];
  auto got = call("GET", "/v1/responses/" + done["id"].get<std::string>(), "");
  ASSERT_EQ(got->status, 200);
  const json stored = json::parse(got->body);
  EXPECT_EQ(stored["output"], done["output"]);
  EXPECT_EQ(stored["usage"], done["usage"]);
  // 4,000 characters of instructions are ~1,000 input tokens; the continuation has none.
  json next = {{"model", "gpt-4o-mini"}, {"previous_response_id", done["id"]}, {"input", "more"}};
  auto n = call("POST", "/v1/responses", next.dump());
  ASSERT_EQ(n->status, 200) << n->body;
  EXPECT_GT(done["usage"]["input_tokens"].get<int>(), 900);
  EXPECT_LT(json::parse(n->body)["usage"]["input_tokens"].get<int>(), 300);
}

TEST_F(GatewayTest, ResponsesStoreFalseAndTheStoresCapacity) {
  auto unstored = call("POST", "/v1/responses", R"({"model":"gpt-4o-mini","input":"hi","store":false})");
  ASSERT_EQ(unstored->status, 200);
  const std::string id = json::parse(unstored->body)["id"];
  EXPECT_EQ(json::parse(unstored->body)["store"], false);
  EXPECT_EQ(call("GET", "/v1/responses/" + id, "")->status, 404);
  GatewayOptions go;
  go.responses_capacity = 1;
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  const std::string a = json::parse(call("POST", "/v1/responses", R"({"model":"gpt-4o-mini","input":"a"})")->body)["id"];
  EXPECT_EQ(call("GET", "/v1/responses/" + a, "")->status, 200);
  const std::string b = json::parse(call("POST", "/v1/responses", R"({"model":"gpt-4o-mini","input":"b"})")->body)["id"];
  EXPECT_EQ(call("GET", "/v1/responses/" + a, "")->status, 404);  // the oldest is forgotten
  EXPECT_EQ(call("GET", "/v1/responses/" + b, "")->status, 200);
}

// One access-log line per request: chat (served, refused), Responses, admin; JSON keys.
TEST_F(GatewayTest, AccessLogLinePerRequest) {
  std::ostringstream out;
  logging::LogOptions lo;
  lo.format = logging::Format::kJson;
  auto log = logging::Logger::ToStream(out, lo);
  GatewayOptions go;
  go.logger = log.get();
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  fault(0, R"({"faults":[{"kind":"http_error","status":500,"should_retry":false,"trigger":{"nth":1}}]})");
  ASSERT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 200);  // sim-a fails, sim-b serves
  EXPECT_EQ(call("POST", "/v1/messages", R"({"model":"gpt-4o-mini","messages":[]})", {{"anthropic-version", "2023-06-01"}})->status, 400);
  ASSERT_EQ(call("POST", "/v1/responses", R"({"model":"gpt-4o-mini","input":"hi","stream":true})")->status, 200);
  EXPECT_EQ(call("GET", "/__admin/health", "")->status, 200);
  std::vector<json> lines;
  std::istringstream in(out.str());
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  ASSERT_EQ(lines.size(), 4u) << out.str();
  const json& chat = lines[0];
  EXPECT_EQ(chat["event"], "access");
  EXPECT_EQ(chat["protocol"], "openai");
  EXPECT_EQ(chat["path"], "/v1/chat/completions");
  EXPECT_EQ(chat["model"], "gpt-4o-mini");
  EXPECT_EQ(chat["provider"], "sim-b/gpt-4o-mini");
  EXPECT_EQ(chat["attempts"], 2);
  EXPECT_EQ(chat["status"], 200);
  EXPECT_GT(chat["input_tokens"].get<int>(), 0);
  EXPECT_EQ(chat["trace_id"].get<std::string>().rfind("gw-", 0), 0u);
  EXPECT_EQ(lines[1]["protocol"], "anthropic");
  EXPECT_EQ(lines[1]["status"], 400);
  EXPECT_EQ(lines[1]["error"], std::string(status_code_name(StatusCode::kInvalidRequest)));
  EXPECT_EQ(lines[2]["protocol"], "responses");
  EXPECT_EQ(lines[2]["status"], 200);
  EXPECT_GT(lines[2]["output_tokens"].get<int>(), 0);
  EXPECT_EQ(lines[3]["protocol"], "admin");
  EXPECT_FALSE(lines[3].contains("trace_id"));
}

// At --log-level warn only the failed (status >= 500) requests get a line.
TEST_F(GatewayTest, AccessLogAtWarnKeepsServerErrors) {
  std::ostringstream out;
  logging::LogOptions lo;
  lo.level = logging::Level::kWarn;
  auto log = logging::Logger::ToStream(out, lo);
  GatewayOptions go;
  go.logger = log.get();
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  ASSERT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 200);
  const std::string five = R"({"faults":[{"kind":"http_error","status":500,"should_retry":false}]})";
  fault(0, five);
  fault(1, five);
  const int status = call("POST", "/v1/chat/completions", kChat)->status;
  ASSERT_GE(status, 500);
  const std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
  EXPECT_NE(s.find("level=warn"), std::string::npos) << s;
  EXPECT_NE(s.find("status=" + std::to_string(status)), std::string::npos) << s;
}

// /healthz: alive; /readyz: each check named, 503 when one fails.
TEST_F(GatewayTest, HealthAndReadiness) {
  Status ledger = Status::Ok();
  GatewayOptions go;
  go.ledger_ready = [&] { return ledger; };
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  EXPECT_EQ(call("GET", "/healthz", "")->status, 200);
  auto r = call("GET", "/readyz", "");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json::parse(R"({"status":"ready","checks":{"draining":"ok","providers":"ok",
    "breakers":"ok","ledger":"ok"}})"));
  ASSERT_EQ(call("POST", "/__admin/breakers/sim-a/gpt-4o-mini?state=open", "")->status, 200);
  EXPECT_EQ(call("GET", "/readyz", "")->status, 200);  // sim-b can still serve
  ASSERT_EQ(call("POST", "/__admin/breakers/sim-b/gpt-4o-mini?state=open", "")->status, 200);
  r = call("GET", "/readyz", "");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["checks"]["breakers"], "every endpoint's breaker is open");
  ASSERT_EQ(call("POST", "/__admin/breakers/reset", "")->status, 200);
  ledger = InternalError("disk full");
  r = call("GET", "/readyz", "");
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(json::parse(r->body)["checks"]["ledger"].get<std::string>().find("disk full"), std::string::npos);
  ledger = Status::Ok();
  gw_->begin_drain();
  EXPECT_EQ(call("GET", "/readyz", "")->status, 503);
  EXPECT_EQ(call("GET", "/healthz", "")->status, 200);
}

// W3C trace context: a valid traceparent (and its tracestate) reaches every upstream
// attempt; an invalid one is dropped.
TEST_F(GatewayTest, TraceparentReachesTheUpstream) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  fault(0, R"({"faults":[{"kind":"http_error","status":500,"should_retry":false,"trigger":{"nth":1}}]})");
  ASSERT_EQ(call("POST", "/v1/chat/completions", kChat, {{"traceparent", tp}, {"tracestate", "vendor=x"}})->status, 200);
  ASSERT_EQ(upstream_headers_.size(), 2u);  // sim-a failed, sim-b served: both attempts carry it
  for (const Headers& h : upstream_headers_) {
    EXPECT_EQ(h.get("traceparent").value_or(""), tp);
    EXPECT_EQ(h.get("tracestate").value_or(""), "vendor=x");
  }
  upstream_headers_.clear();
  ASSERT_EQ(call("POST", "/v1/messages", kMessages, {{"anthropic-version", "2023-06-01"}, {"traceparent", "00-xyz"}})->status, 200);
  ASSERT_EQ(upstream_headers_.size(), 1u);
  EXPECT_FALSE(upstream_headers_[0].has("traceparent"));
}

// With OpenTelemetry on, the gateway's spans sit between the client and the upstreams: the
// SERVER span's parent is the client's span, each attempt's CLIENT span is its child, and
// each upstream attempt gets the same trace id with its CLIENT span as parent-id. With no
// client traceparent the gateway starts the trace the upstreams join.
TEST_F(GatewayTest, WithTelemetryTheUpstreamsParentIsTheAttemptSpan) {
  std::mutex mu;
  std::string exported;
  InProcessTransport sink(clock_, [&](const HttpRequest& r) {
    std::lock_guard<std::mutex> l(mu);
    if (r.path == "/v1/traces") exported = r.body;
    return ScriptedResponse::Simple(200, Headers{}, "{}");
  });
  OtlpOptions oo;
  oo.endpoint = "http://collector";
  OtlpExporter exporter(sink, clock_, oo);
  GatewayOptions go;
  go.otlp = &exporter;
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736", client_span = "00f067aa0ba902b7";
  fault(0, R"({"faults":[{"kind":"http_error","status":500,"should_retry":false,"trigger":{"nth":1}}]})");
  ASSERT_EQ(call("POST", "/v1/chat/completions", kChat, {{"traceparent", "00-" + trace + "-" + client_span + "-01"}})->status, 200);
  ASSERT_TRUE(exporter.flush());
  json spans;
  {
    std::lock_guard<std::mutex> l(mu);
    spans = json::parse(exported)["resourceSpans"][0]["scopeSpans"][0]["spans"];
  }
  ASSERT_EQ(spans.size(), 3u) << spans.dump();  // SERVER + two attempts (sim-a's 500, sim-b)
  EXPECT_EQ(spans[0]["parentSpanId"], client_span);
  ASSERT_EQ(upstream_headers_.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const json& attempt = spans[i + 1];
    EXPECT_EQ(attempt["traceId"], trace);
    EXPECT_EQ(attempt["parentSpanId"], spans[0]["spanId"]);
    EXPECT_EQ(upstream_headers_[i].get("traceparent").value_or(""),
              "00-" + trace + "-" + attempt["spanId"].get<std::string>() + "-01");
  }
  upstream_headers_.clear();
  ASSERT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 200);  // no traceparent: the gateway starts one
  ASSERT_EQ(upstream_headers_.size(), 1u);
  const std::string started(upstream_headers_[0].get("traceparent").value_or(""));
  EXPECT_TRUE(valid_traceparent(started)) << started;
  EXPECT_NE(started.substr(3, 32), trace);
  exporter.stop();
  gw_.reset();
}

// The sampler (parentbased_traceidratio): a client's traceparent whose sampled flag is off
// is passed on with it off and none of its spans is exported; new traces are sampled by
// trace id at the ratio, the flags sent upstream say the same as the export, and the
// metrics count every request, sampled or not.
TEST_F(GatewayTest, TheSamplerFollowsTheClientsFlagAndTheRatioForNewTraces) {
  std::mutex mu;
  std::vector<std::string> traces, metrics;
  InProcessTransport sink(clock_, [&](const HttpRequest& r) {
    std::lock_guard<std::mutex> l(mu);
    (r.path == "/v1/traces" ? traces : metrics).push_back(r.body);
    return ScriptedResponse::Simple(200, Headers{}, "{}");
  });
  OtlpOptions oo;
  oo.endpoint = "http://collector";
  oo.sample_ratio = 0.5;
  OtlpExporter exporter(sink, clock_, oo);
  GatewayOptions go;
  go.otlp = &exporter;
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  const std::string unsampled = "4bf92f3577b34da6a3ce929d0e0e4736";
  ASSERT_EQ(call("POST", "/v1/chat/completions", kChat, {{"traceparent", "00-" + unsampled + "-00f067aa0ba902b7-00"}})->status, 200);
  ASSERT_EQ(upstream_headers_.size(), 1u);
  const std::string passed(upstream_headers_[0].get("traceparent").value_or(""));
  EXPECT_EQ(passed, "00-" + unsampled + "-" + passed.substr(36, 16) + "-00");
  std::set<std::string> sampled_traces;
  const size_t kNew = 40;
  for (size_t i = 0; i < kNew; ++i) {
    upstream_headers_.clear();
    ASSERT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 200);
    ASSERT_EQ(upstream_headers_.size(), 1u);
    const std::string tp(upstream_headers_[0].get("traceparent").value_or(""));
    ASSERT_TRUE(valid_traceparent(tp)) << tp;
    EXPECT_EQ(traceparent_sampled(tp), trace_id_sampled(tp.substr(3, 32), 0.5)) << tp;
    if (traceparent_sampled(tp)) sampled_traces.insert(tp.substr(3, 32));
  }
  EXPECT_TRUE(!sampled_traces.empty() && sampled_traces.size() < kNew);  // 40 fixed ids at 0.5: both kinds
  exporter.stop();  // the last spans and metrics go out
  gw_.reset();
  std::set<std::string> exported;
  ASSERT_FALSE(metrics.empty());  // the exporter is stopped: nothing posts now
  for (const auto& body : traces) {
    const json doc = json::parse(body);
    for (const auto& sp : doc["resourceSpans"][0]["scopeSpans"][0]["spans"]) exported.insert(sp["traceId"]);
  }
  uint64_t measured = 0;
  const json last = json::parse(metrics.back());  // cumulative: the last post counts them all
  for (const auto& m : last["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]) {
    if (m["name"] != "gen_ai.client.operation.duration") continue;
    for (const auto& p : m["histogram"]["dataPoints"]) measured += std::stoull(p["count"].get<std::string>());
  }
  EXPECT_EQ(exported, sampled_traces);
  EXPECT_EQ(exporter.unsampled(), 1 + kNew - sampled_traces.size());
  EXPECT_EQ(measured, static_cast<uint64_t>(1 + kNew));
}

// A protocol only this test knows ("plain", tests/gateway/plain_protocol.h: text in, text
// out, its own error shape, request-id header and metrics label), registered by name, is
// served end to end — façade call, trace, stream, errors, busy, drain — by a Gateway whose
// code names no protocol; the built-ins go on beside it.
TEST_F(GatewayTest, ARegisteredProtocolIsServedWithoutEditingTheGateway) {
  InboundRegistry registry;
  ASSERT_TRUE(register_builtin_inbound(registry).ok());
  ASSERT_TRUE(registry.add("plain", [] { return std::make_unique<testing_support::PlainProtocol>(); }).ok());
  auto set = InboundProtocols::Create(registry);
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  GatewayOptions go;
  go.inbound = *set;
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);

  auto r = call("POST", "/plain/chat", "hello");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(r->body.empty());
  EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
  const std::string id = r->header("x-ploke-trace-id");
  EXPECT_EQ(r->header("plain-request-id"), id);                                 // its request-id header
  EXPECT_NE(gw_->trace_json(id).find("sim-a/gpt-4o-mini"), std::string::npos);  // one façade call, traced
  auto s = call("POST", "/plain/chat", "hello", {{"x-plain-stream", "1"}});
  ASSERT_EQ(s->status, 200);
  EXPECT_TRUE(s->streamed);
  EXPECT_GT(s->body.size(), 6u);
  EXPECT_EQ(s->body.substr(s->body.size() - 6), "\n[end]");
  auto bad = call("POST", "/plain/chat", "");  // refused before any call, in its shape
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->body, "plain error invalid_request: empty prompt");
  EXPECT_FALSE(bad->header("plain-request-id").empty());
  EXPECT_EQ(engines_[0]->request_count(), 2u);

  Request busy_request;  // too many in flight: its busy error (429 by default); Anthropic's 529
  busy_request.method = "POST";
  busy_request.path = "/plain/chat";
  Recorder busy, busy_anthropic;
  gw_->reject_busy(busy_request, busy);
  EXPECT_EQ(busy.status, 429);
  EXPECT_EQ(busy.body.rfind("plain error rate_limited: gateway busy", 0), 0u) << busy.body;
  busy_request.path = "/v1/messages";
  gw_->reject_busy(busy_request, busy_anthropic);
  EXPECT_EQ(busy_anthropic.status, 529);

  EXPECT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 200);  // the built-ins beside it
  auto m = call("GET", "/metrics", "");  // its own label; the built-ins' lines stay
  EXPECT_NE(m->body.find("ploke_gateway_requests_total{protocol=\"plain\",class=\"2xx\"} 2"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ploke_gateway_requests_total{protocol=\"plain\",class=\"4xx\"} 2"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ploke_gateway_requests_total{protocol=\"openai\",class=\"2xx\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ploke_gateway_requests_total{protocol=\"anthropic\",class=\"5xx\"} 1"), std::string::npos) << m->body;

  gw_->begin_drain();  // draining: refused in its shape (OverloadedError → 503), no upstream call
  auto late = call("POST", "/plain/chat", "hello");
  EXPECT_EQ(late->status, 503);
  EXPECT_EQ(late->body.rfind("plain error overloaded:", 0), 0u) << late->body;
  EXPECT_EQ(engines_[0]->request_count(), 3u);
}

}  // namespace
}  // namespace ploke::gateway
