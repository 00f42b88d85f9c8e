// The simulated OpenRouter (/api/v1/…): every route, provider-preference routing on the
// multi-endpoint model, schema drift, credits, faults in OpenRouter's shapes, and the
// OpenRouter adapter driven through ChatClient on the in-process transport (virtual time).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/simulator/engine.h"
#include "sim_test_util.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {
using namespace ploke::adapters::openrouter;  // NOLINT: the OpenRouter package

using testing::chat_http;
using testing::Json;
using testing::sse_data;

constexpr const char* kChat = "/api/v1/chat/completions";

struct Fixture {
  explicit Fixture(SimOptions o = {}) {
    o.latency = LatencyModel::Fast();
    auto e = SimEngine::Create(o, clock);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    engine = std::move(e).value();
  }
  ScriptedResponse get(const std::string& path, Headers h = {}) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.headers = std::move(h);
    return engine->handle(r);
  }
  ScriptedResponse chat(const Json& body) { return engine->handle(chat_http(body, kChat)); }
  SimulatedClock clock;
  std::unique_ptr<SimEngine> engine;
};

Json body_json(const ScriptedResponse& r) { return Json::parse(r.body()); }

Json ask(const std::string& model, bool tools = false, bool stream = false) {
  Json b = {{"model", model}, {"messages", Json::array({{{"role", "user"}, {"content", "What is the weather?"}}})}};
  if (tools) {
    b["tools"] = Json::array({{{"type", "function"},
                               {"function", {{"name", "get_weather"},
                                             {"parameters", {{"type", "object"},
                                                             {"properties", {{"city", {{"type", "string"}}}}},
                                                             {"required", {"city"}}}}}}}});
  }
  if (stream) b["stream"] = true;
  return b;
}

TEST(OpenRouterSimTest, NonStreamShape) {
  Fixture f;
  ScriptedResponse r = f.chat(ask("moonshotai/kimi-k2"));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_EQ(r.headers.get("content-type").value_or(""), "application/json");
  const Json b = body_json(r);
  EXPECT_EQ(b["id"].get<std::string>().rfind("gen-", 0), 0u);
  EXPECT_EQ(r.headers.get("x-generation-id").value_or(""), b["id"].get<std::string>());
  EXPECT_TRUE(b["provider"].is_string());
  EXPECT_EQ(b["model"], "moonshotai/kimi-k2");
  EXPECT_EQ(b["object"], "chat.completion");
  EXPECT_EQ(b["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(b["choices"][0]["native_finish_reason"], "stop");
  EXPECT_GT(b["usage"]["cost"].get<double>(), 0);
  EXPECT_EQ(b["usage"]["is_byok"], false);
  EXPECT_FALSE(r.headers.has("x-ratelimit-limit-requests"));  // OpenRouter sends none on success
}

TEST(OpenRouterSimTest, StreamHasKeepAliveCommentsProviderAndCostUsage) {
  Fixture f;
  ScriptedResponse r = f.chat(ask("moonshotai/kimi-k2", false, true));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.streaming);
  const std::string body = r.body();
  ASSERT_EQ(body.rfind(": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n", 0), 0u) << body.substr(0, 200);
  const auto data = sse_data(body);
  ASSERT_GE(data.size(), 3u);
  EXPECT_EQ(data.back(), "[DONE]");
  const Json last = Json::parse(data[data.size() - 2]);
  EXPECT_TRUE(last["choices"].empty());
  EXPECT_GT(last["usage"]["cost"].get<double>(), 0);
  int finishes = 0;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    const Json c = Json::parse(data[i]);
    EXPECT_TRUE(c["provider"].is_string());
    EXPECT_EQ(c["id"], last["id"]);
    EXPECT_FALSE(c.contains("usage") && c["usage"].is_null());
    if (!c["choices"].empty() && c["choices"][0]["finish_reason"].is_string()) {
      ++finishes;
      EXPECT_TRUE(c["choices"][0]["native_finish_reason"].is_string());
    }
  }
  EXPECT_EQ(finishes, 1);
}

TEST(OpenRouterSimTest, ModelsListIsShapedLikeOpenRouterAndSized) {
  SimOptions o;
  o.openrouter.catalog_size = 350;
  Fixture f(o);
  ScriptedResponse r = f.get("/api/v1/models");
  ASSERT_EQ(r.status, 200);
  const Json b = body_json(r);
  ASSERT_EQ(b["data"].size(), 350u);
  std::set<std::string> ids;
  for (const Json& m : b["data"]) {
    ids.insert(m["id"].get<std::string>());
    for (const char* k : {"id", "canonical_slug", "name", "created", "description", "context_length", "architecture",
                          "pricing", "top_provider", "per_request_limits", "supported_parameters"}) {
      ASSERT_TRUE(m.contains(k)) << k;
    }
    EXPECT_TRUE(m["pricing"]["prompt"].is_string());
    EXPECT_TRUE(m["top_provider"].contains("is_moderated"));
  }
  EXPECT_EQ(ids.size(), 350u);  // unique
  EXPECT_EQ(f.get("/api/v1/models/user").status, 200);
  // The default engine lists 40.
  Fixture small;
  EXPECT_EQ(body_json(small.get("/api/v1/models"))["data"].size(), 40u);
}

TEST(OpenRouterSimTest, EndpointsRoute) {
  Fixture f;
  ScriptedResponse r = f.get("/api/v1/models/moonshotai/kimi-k2/endpoints");
  ASSERT_EQ(r.status, 200);
  const Json b = body_json(r);
  EXPECT_EQ(b["data"]["id"], "moonshotai/kimi-k2");
  const Json& eps = b["data"]["endpoints"];
  ASSERT_EQ(eps.size(), 4u);
  std::set<std::string> tags;
  bool some_tools = false, some_without = false;
  for (const Json& e : eps) {
    tags.insert(e["tag"].get<std::string>());
    const auto sp = e["supported_parameters"].get<std::vector<std::string>>();
    (std::find(sp.begin(), sp.end(), "tools") != sp.end() ? some_tools : some_without) = true;
    EXPECT_TRUE(e["pricing"]["prompt"].is_string());
    EXPECT_TRUE(e.contains("uptime_last_30m"));
    EXPECT_TRUE(e["latency_last_30m"].contains("p50"));
  }
  EXPECT_TRUE(some_tools && some_without);
  EXPECT_EQ(tags, (std::set<std::string>{"deepinfra/fp4", "groq", "novita/fp8", "chutes/fp8"}));
  // A `:variant` is percent-encoded.
  EXPECT_EQ(f.get("/api/v1/models/qwen/qwq-32b%3Afree/endpoints").status, 200);
  ScriptedResponse missing = f.get("/api/v1/models/nope/nothing/endpoints");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body_json(missing)["error"]["code"], 404);
}

TEST(OpenRouterSimTest, SchemaDriftSwitches) {
  SimOptions o;
  o.openrouter.drift = OpenRouterDrift{true, true, true};
  Fixture f(o);
  const Json eps = body_json(f.get("/api/v1/models/moonshotai/kimi-k2/endpoints"));
  EXPECT_EQ(eps["data"]["endpoints"][0]["quantization"], "mxfp4");
  EXPECT_TRUE(eps["data"]["endpoints"][0]["pricing"]["prompt"].is_number());
  EXPECT_TRUE(eps["data"]["endpoints"][0].contains("x_sim_extra"));
  const Json models = body_json(f.get("/api/v1/models"));
  EXPECT_TRUE(models.contains("meta"));
  EXPECT_TRUE(models["data"][0]["pricing"]["prompt"].is_number());
  EXPECT_TRUE(models["data"][0].contains("knowledge_cutoff"));
  // Per request, with the header, on an engine without drift.
  Fixture plain;
  Headers h;
  h.add("x-ploke-sim-drift", "unknown_enums");
  const Json d = body_json(plain.get("/api/v1/models/moonshotai/kimi-k2/endpoints", h));
  EXPECT_EQ(d["data"]["endpoints"][0]["quantization"], "mxfp4");
  EXPECT_TRUE(d["data"]["endpoints"][0]["pricing"]["prompt"].is_string());
  EXPECT_EQ(body_json(plain.get("/api/v1/models/moonshotai/kimi-k2/endpoints"))["data"]["endpoints"][0]["quantization"], "fp4");
}

TEST(OpenRouterSimTest, GenerationKeyAndCredits) {
  SimOptions o;
  o.openrouter.generation_ready_delay = std::chrono::milliseconds(800);
  o.openrouter.key_limit = 50;
  Fixture f(o);
  const Json b = body_json(f.chat(ask("openai/gpt-4o")));
  const std::string id = b["id"];
  EXPECT_EQ(f.get("/api/v1/generation?id=" + id).status, 404);  // stats not ready yet
  f.clock.advance(std::chrono::milliseconds(900));
  ScriptedResponse g = f.get("/api/v1/generation?id=" + id);
  ASSERT_EQ(g.status, 200) << g.body();
  const Json gd = body_json(g)["data"];
  EXPECT_EQ(gd["id"], id);
  EXPECT_EQ(gd["model"], "openai/gpt-4o");
  EXPECT_EQ(gd["tokens_completion"], b["usage"]["completion_tokens"]);
  EXPECT_DOUBLE_EQ(gd["total_cost"].get<double>(), b["usage"]["cost"].get<double>());
  EXPECT_EQ(f.get("/api/v1/generation").status, 400);
  EXPECT_EQ(f.get("/api/v1/generation?id=gen-unknown").status, 404);

  EXPECT_EQ(f.get("/api/v1/key").status, 401);
  Headers auth;
  auth.add("Authorization", "Bearer sk-or-v1-FAKE0123456789abcdef0123456789");
  ScriptedResponse k = f.get("/api/v1/key", auth);
  ASSERT_EQ(k.status, 200);
  const Json kd = body_json(k)["data"];
  EXPECT_EQ(kd["limit"], 50);
  EXPECT_NEAR(kd["usage"].get<double>(), b["usage"]["cost"].get<double>(), 1e-12);
  EXPECT_NEAR(kd["limit_remaining"].get<double>(), 50 - b["usage"]["cost"].get<double>(), 1e-9);
  EXPECT_EQ(k.body().find("FAKE0123456789abcdef0123456789"), std::string::npos);  // never the whole key
  ScriptedResponse c = f.get("/api/v1/credits", auth);
  ASSERT_EQ(c.status, 200);
  EXPECT_EQ(body_json(c)["data"]["total_credits"], 100.0);
  EXPECT_EQ(f.get("/api/v1/nope").status, 404);
}

TEST(OpenRouterSimTest, InsufficientCredits402) {
  SimOptions o;
  o.openrouter.total_credits = 1e-9;
  Fixture f(o);
  EXPECT_EQ(f.chat(ask("openai/gpt-4o")).status, 200);
  ScriptedResponse r = f.chat(ask("openai/gpt-4o"));
  EXPECT_EQ(r.status, 402);
  EXPECT_EQ(body_json(r)["error"]["code"], 402);
}

std::string served_by(Fixture& f, Json body) {
  ScriptedResponse r = f.chat(body);
  if (r.status != 200) return "HTTP " + std::to_string(r.status) + ": " + body_json(r)["error"]["message"].get<std::string>();
  return body_json(r)["provider"];
}

TEST(OpenRouterSimTest, ProviderPreferenceRouting) {
  Fixture f;
  Json b = ask("moonshotai/kimi-k2");
  // Tools route only to tool-capable endpoints (DeepInfra, Groq), however often we ask.
  for (int i = 0; i < 20; ++i) {
    const std::string p = served_by(f, ask("moonshotai/kimi-k2", true));
    EXPECT_TRUE(p == "DeepInfra" || p == "Groq") << p;
  }
  b["provider"] = {{"sort", "price"}};
  EXPECT_EQ(served_by(f, b), "Chutes");
  b["provider"]["data_collection"] = "deny";
  EXPECT_EQ(served_by(f, b), "DeepInfra");  // Chutes trains on data; DeepInfra is next cheapest
  b["provider"] = {{"order", {"groq"}}};
  EXPECT_EQ(served_by(f, b), "Groq");
  b["provider"] = {{"order", {"novita"}}, {"allow_fallbacks", false}};
  EXPECT_EQ(served_by(f, b), "Novita");
  b["provider"] = {{"sort", "latency"}};
  EXPECT_EQ(served_by(f, b), "Groq");
  b["provider"] = {{"quantizations", {"fp8"}}, {"sort", "price"}};
  EXPECT_EQ(served_by(f, b), "Chutes");
  b["provider"] = {{"quantizations", {"bf16"}}};
  EXPECT_EQ(served_by(f, b).rfind("HTTP 404", 0), 0u);
  b["provider"] = {{"max_price", {{"prompt", "0.4"}}}};
  EXPECT_EQ(served_by(f, b), "Chutes");
  b["provider"] = {{"only", {"novita", "chutes"}}, {"ignore", {"chutes"}}};
  EXPECT_EQ(served_by(f, b), "Novita");
  // :nitro sorts by throughput.
  EXPECT_EQ(served_by(f, ask("moonshotai/kimi-k2:nitro")), "Groq");
  // max_tokens filters endpoints that cannot produce that many.
  Json big = ask("moonshotai/kimi-k2");
  big["max_tokens"] = 20000;
  big["provider"] = {{"order", {"groq", "deepinfra"}}};
  EXPECT_EQ(served_by(f, big), "DeepInfra");
  // require_parameters: response_format is not supported by Chutes.
  Json rp = ask("moonshotai/kimi-k2");
  rp["response_format"] = {{"type", "json_object"}};
  rp["provider"] = {{"sort", "price"}, {"require_parameters", true}};
  EXPECT_EQ(served_by(f, rp), "DeepInfra");
}

TEST(OpenRouterSimTest, RoutingErrors) {
  Fixture f;
  // No endpoint of the model supports tools.
  ScriptedResponse r = f.chat(ask("mistralai/mistral-7b-instruct", true));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(body_json(r)["error"]["message"].get<std::string>().find("No endpoints found that support tool use."),
            std::string::npos);
  // Only non-tool endpoints remain after the preferences.
  Json only = ask("moonshotai/kimi-k2", true);
  only["provider"] = {{"only", {"novita", "chutes"}}};
  ScriptedResponse r2 = f.chat(only);
  EXPECT_EQ(r2.status, 404);
  EXPECT_NE(r2.body().find("support tool use"), std::string::npos);
  // allow_fallbacks:false with an order that cannot serve.
  Json strict = ask("moonshotai/kimi-k2", true);
  strict["provider"] = {{"order", {"novita"}}, {"allow_fallbacks", false}};
  EXPECT_EQ(f.chat(strict).status, 404);
  // Unknown provider keys (ploke's allow/deny) → 400 with OpenRouter's text.
  Json bad = ask("moonshotai/kimi-k2");
  bad["provider"] = {{"allow", {"x"}}, {"deny", {"y"}}, {"order", {"groq"}}};
  ScriptedResponse r3 = f.chat(bad);
  EXPECT_EQ(r3.status, 400);
  EXPECT_EQ(body_json(r3)["error"]["message"], "Unrecognized key(s) in object: 'allow', 'deny'");
  // ploke's max_price keys do not match OpenRouter's.
  Json mp = ask("moonshotai/kimi-k2");
  mp["provider"] = {{"max_price", {{"prompt_tokens", 1}}}};
  EXPECT_EQ(f.chat(mp).status, 400);
  Json badsort = ask("moonshotai/kimi-k2");
  badsort["provider"] = {{"sort", "fastest"}};
  EXPECT_EQ(f.chat(badsort).status, 400);
  // Unknown model, no messages.
  EXPECT_EQ(f.chat(ask("nope/nothing")).status, 400);
  EXPECT_EQ(f.chat(Json{{"model", "openai/gpt-4o"}}).status, 400);
  // A malformed tool: the OpenAI server half's 400 in OpenRouter's error shape.
  Json badtool = ask("openai/gpt-4o");
  badtool["tools"] = Json::parse(R"([{"type":"function","function":{"name":7}}])");
  ScriptedResponse r4 = f.chat(badtool);
  EXPECT_EQ(r4.status, 400);
  EXPECT_EQ(body_json(r4)["error"]["message"],
            "Invalid type for 'tools[0].function.name': expected a string, but got an integer instead.");
  // Invalid JSON.
  HttpRequest raw = chat_http(Json::object(), kChat);
  raw.body = "{not json";
  EXPECT_EQ(f.engine->handle(raw).status, 400);
}

TEST(OpenRouterSimTest, ModelsFallbackList) {
  Fixture f;
  Json b = ask("mistralai/mistral-7b-instruct", true);
  b["models"] = {"moonshotai/kimi-k2"};
  ScriptedResponse r = f.chat(b);
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_EQ(body_json(r)["model"], "moonshotai/kimi-k2");
}

TEST(OpenRouterSimTest, EndpointFailuresFallBackToTheNextEndpoint) {
  SimOptions o;
  o.openrouter.simulate_endpoint_failures = true;
  Fixture f(o);
  Json b = ask("moonshotai/kimi-k2");
  b["provider"] = {{"order", {"chutes", "groq"}}};  // Chutes: 90% uptime
  std::map<std::string, int> seen;
  for (int i = 0; i < 200; ++i) seen[served_by(f, b)]++;
  EXPECT_GT(seen["Chutes"], 150);
  EXPECT_GT(seen["Groq"], 5);  // the fallback served when Chutes failed
  b["provider"]["allow_fallbacks"] = false;
  b["provider"]["order"] = {"chutes"};
  int failures = 0;
  for (int i = 0; i < 200; ++i) failures += served_by(f, b).rfind("HTTP 502", 0) == 0;
  EXPECT_GT(failures, 5);
}

TEST(OpenRouterSimTest, FaultsTakeOpenRouterShapes) {
  SimOptions o;
  Fault mid;
  mid.id = "mid";
  mid.kind = FaultKind::kMidStreamError;
  mid.after_events = 3;
  mid.status = 502;
  mid.match.stream = true;
  Fault err;
  err.id = "rl";
  err.kind = FaultKind::kHttpError;
  err.status = 429;
  err.retry_after = std::chrono::seconds(1);
  err.match.stream = false;
  err.trigger.nth = 1;
  Fault inband;
  inband.id = "inband";
  inband.kind = FaultKind::kMidStreamError;
  inband.match.stream = false;
  inband.trigger.nth = 2;
  o.faults.faults = {mid, err, inband};
  Fixture f(o);
  ScriptedResponse s = f.chat(ask("moonshotai/kimi-k2", false, true));
  ASSERT_EQ(s.status, 200);
  const auto data = sse_data(s.body());
  const Json last = Json::parse(data.back());
  EXPECT_EQ(last["error"]["code"], 502);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "error");
  EXPECT_EQ(last["id"].get<std::string>().rfind("gen-", 0), 0u);
  EXPECT_NE(data.back(), "[DONE]");

  ScriptedResponse e = f.chat(ask("moonshotai/kimi-k2"));
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(body_json(e)["error"]["code"], 429);
  EXPECT_TRUE(e.headers.has("retry-after"));
  EXPECT_TRUE(e.headers.has("X-RateLimit-Remaining"));

  ScriptedResponse ib = f.chat(ask("moonshotai/kimi-k2"));
  EXPECT_EQ(ib.status, 200);
  EXPECT_EQ(body_json(ib)["error"]["code"], 500);  // the fault's status (default 500)
}

// ---- Through the core: OpenRouter adapter + ChatClient on the in-process transport ----

struct Core {
  explicit Core(SimOptions o = {}) : f(std::move(o)), transport(f.clock, engine_handler(*f.engine)) {}
  ChatClient client() {
    Endpoint ep{"openrouter", "http://sim/api/v1", Secret("sk-or-v1-FAKE-test-0123456789abcdef"), {}};
    CallOptions opts;
    opts.total_timeout = std::chrono::seconds(30);
    return ChatClient(adapter, ep, transport, f.clock, opts);
  }
  Fixture f;
  InProcessTransport transport;
  OpenRouterAdapter adapter;
};

ChatRequest req(const std::string& model, bool tools = false) {
  ChatRequest r;
  r.model = model;
  r.messages.push_back(Message::User("What is the weather in Paris?"));
  if (tools) {
    r.tools.push_back(ToolDefinition{"get_weather", "weather",
                                     R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})",
                                     std::nullopt, CacheControl::kNone});
    r.tool_choice.mode = ToolChoice::Mode::kRequired;
  }
  return r;
}

TEST(OpenRouterCoreTest, NonStreamAndStreamThroughTheAdapter) {
  Core c;
  auto r = c.client().complete(req("anthropic/claude-3.5-sonnet"));
  ASSERT_OK(r);
  EXPECT_EQ(r->id.rfind("gen-", 0), 0u);
  EXPECT_TRUE(r->provider == "Anthropic" || r->provider == "Amazon Bedrock" || r->provider == "Google") << r->provider;
  EXPECT_EQ(r->finish_reason, FinishReason::kStop);
  EXPECT_EQ(r->native_finish_reason, r->provider == "Google" ? "STOP" : "end_turn");
  ASSERT_TRUE(r->usage && r->usage->reported_cost_usd);
  EXPECT_GT(*r->usage->reported_cost_usd, 0);

  ChatRequest sr = req("moonshotai/kimi-k2", true);
  sr.stream = true;
  OpenRouterPreferences p;
  p.order = {"groq"};
  p.allow_fallbacks = false;
  sr.meta.tags = p.to_tags();
  size_t events = 0;
  auto s = c.client().stream(sr, [&](const StreamEvent&) { ++events; });
  ASSERT_OK(s);
  EXPECT_GT(events, 2u);
  EXPECT_EQ(s->finish_reason, FinishReason::kToolCalls);
  ASSERT_FALSE(s->tool_calls.empty());
  EXPECT_EQ(s->tool_calls[0].name, "get_weather");
  EXPECT_EQ(c.f.engine->journal().back().path, kChat);
}

TEST(OpenRouterCoreTest, RoutingErrorsAndMidStreamErrorsAreClassified) {
  SimOptions o;
  Fault mid;
  mid.kind = FaultKind::kMidStreamError;
  mid.after_events = 3;
  mid.match.stream = true;
  o.faults.faults = {mid};
  Core c(o);
  auto nf = c.client().complete(req("mistralai/mistral-7b-instruct", true));
  ASSERT_FALSE(nf.ok());
  EXPECT_EQ(nf.status().code(), StatusCode::kNotFound);
  EXPECT_NE(nf.status().message().find("support tool use"), std::string::npos);

  ChatRequest bad = req("moonshotai/kimi-k2");
  bad.meta.tags = {"openrouter.provider.allow=[\"x\"]"};
  auto inv = c.client().complete(bad);
  ASSERT_FALSE(inv.ok());
  EXPECT_EQ(inv.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(inv.status().message().find("Unrecognized key"), std::string::npos);

  ChatRequest sr = req("moonshotai/kimi-k2");
  sr.stream = true;
  auto s = c.client().stream(sr, [](const StreamEvent&) {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kStreamInterrupted) << s.status().to_string();
}

TEST(OpenRouterCoreTest, AdapterToleratesEveryDriftSwitch) {
  SimOptions o;
  o.openrouter.drift = OpenRouterDrift{true, true, true};
  Core c(o);
  auto r = c.client().complete(req("deepseek/deepseek-chat-v3.1"));
  ASSERT_OK(r);
  EXPECT_FALSE(r->content.empty());
  ChatRequest sr = req("deepseek/deepseek-chat-v3.1");
  sr.stream = true;
  auto s = c.client().stream(sr, [](const StreamEvent&) {});
  ASSERT_OK(s);
  EXPECT_EQ(s->content.empty(), false);
  ASSERT_TRUE(s->usage && s->usage->reported_cost_usd);
}

// Asked through the normalized request, OpenRouter's reasoning comes back in
// ChatResponse::reasoning, answered and streamed.
TEST(OpenRouterCoreTest, ReasoningRoundTripsThroughTheClient) {
  Core c;
  ChatRequest r = req("deepseek/deepseek-chat-v3.1");
  r.reasoning.effort = "low";
  auto whole = c.client().complete(r);
  ASSERT_OK(whole);
  EXPECT_FALSE(whole->reasoning.empty());
  ASSERT_EQ(whole->reasoning_blocks.size(), 1u);
  EXPECT_EQ(whole->content.find(whole->reasoning), std::string::npos);
  EXPECT_GT(whole->usage->reasoning_tokens, 0u);
  r.stream = true;
  size_t reasoning_events = 0;
  auto streamed = c.client().stream(r, [&](const StreamEvent& e) {
    if (e.kind == StreamEvent::Kind::kReasoningDelta) ++reasoning_events;
  });
  ASSERT_OK(streamed);
  EXPECT_FALSE(streamed->reasoning.empty());
  EXPECT_GT(reasoning_events, 1u);
  EXPECT_FALSE(streamed->content.empty());
  r.stream = false;
  r.reasoning.exclude = true;
  auto excluded = c.client().complete(r);
  ASSERT_OK(excluded);
  EXPECT_TRUE(excluded->reasoning.empty());
}


// ---- Reasoning (`reasoning` / `include_reasoning`) ----

Json ask_reasoning(Json reasoning, bool stream = false) {
  Json b = ask("openai/gpt-4o", false, stream);
  b["reasoning"] = std::move(reasoning);
  return b;
}

TEST(OpenRouterSimTest, ReasoningTextDetailsAndTokens) {
  Fixture f;
  const Json plain = body_json(f.chat(ask("openai/gpt-4o")));
  EXPECT_FALSE(plain["choices"][0]["message"].contains("reasoning"));
  const Json j = body_json(f.chat(ask_reasoning({{"effort", "low"}})));
  const Json& m = j["choices"][0]["message"];
  const std::string text = m["reasoning"];
  EXPECT_EQ(std::count(text.begin(), text.end(), ' '), 7);  // 8 words: effort low
  EXPECT_EQ(m["reasoning_details"][0]["type"], "reasoning.text");
  EXPECT_EQ(m["reasoning_details"][0]["text"], text);
  EXPECT_EQ(j["usage"]["completion_tokens_details"]["reasoning_tokens"], 8);
  EXPECT_EQ(j["usage"]["total_tokens"], j["usage"]["prompt_tokens"].get<int>() + j["usage"]["completion_tokens"].get<int>());
  // Excluded: reasoned (and billed) but not shown.
  const Json x = body_json(f.chat(ask_reasoning({{"max_tokens", 5}, {"exclude", true}})));
  EXPECT_FALSE(x["choices"][0]["message"].contains("reasoning"));
  EXPECT_EQ(x["usage"]["completion_tokens_details"]["reasoning_tokens"], 5);
  // Off, and malformed.
  EXPECT_FALSE(body_json(f.chat(ask_reasoning({{"effort", "none"}})))["choices"][0]["message"].contains("reasoning"));
  EXPECT_EQ(f.chat(ask_reasoning({{"effort", "huge"}})).status, 400);
  Json legacy = ask("openai/gpt-4o");
  legacy["include_reasoning"] = true;
  EXPECT_TRUE(body_json(f.chat(legacy))["choices"][0]["message"].contains("reasoning"));
}

TEST(OpenRouterSimTest, ReasoningStreamsBeforeTheContent) {
  Fixture f;
  const ScriptedResponse r = f.chat(ask_reasoning({{"max_tokens", 3}}, true));
  std::vector<Json> chunks;
  for (const std::string& d : sse_data(r.body())) {
    if (d != "[DONE]") chunks.push_back(Json::parse(d));
  }
  ASSERT_GE(chunks.size(), 5u);
  std::string reasoning;
  for (size_t i = 1; i <= 3; ++i) {
    const Json& delta = chunks[i]["choices"][0]["delta"];
    reasoning += delta["reasoning"].get<std::string>();
    EXPECT_EQ(delta["reasoning_details"][0]["text"], delta["reasoning"]);
    EXPECT_EQ(delta["content"], "");
  }
  EXPECT_EQ(std::count(reasoning.begin(), reasoning.end(), ' '), 2);
  EXPECT_FALSE(chunks[4]["choices"][0]["delta"].contains("reasoning"));
  EXPECT_EQ(chunks.back()["usage"]["completion_tokens_details"]["reasoning_tokens"], 3);

  // The OpenRouter adapter decodes it: content without the reasoning, its tokens in usage.
  OpenRouterAdapter adapter;
  const Endpoint ep{"openrouter", "", Secret(), {}};
  auto dec = adapter.new_stream_decoder(ep);
  std::vector<StreamEvent> ev;
  ASSERT_OK(dec->feed(r.body(), ev));
  ASSERT_OK(dec->finish(ev));
  StreamAccumulator acc;
  for (const auto& e : ev) ASSERT_OK(acc.add(e));
  EXPECT_EQ(acc.response().content.find(reasoning), std::string::npos);
  EXPECT_FALSE(acc.response().content.empty());
  EXPECT_EQ(acc.response().usage->reasoning_tokens, 3u);
  HttpResponse whole;
  whole.status = 200;
  whole.body = f.chat(ask_reasoning({{"effort", "low"}})).body();
  auto parsed = adapter.parse_response(whole, ep);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->usage->reasoning_tokens, 8u);
}

}  // namespace
}  // namespace ploke::simulator
