// The simulated OpenRouter's bytes, pinned: every /api/v1 route (models with each drift
// switch, endpoints, chat bodies and streams, generation, key, credits, every error the
// simulator words itself, faults in OpenRouter's shapes) rendered on a simulated clock and
// compared with tests/simulator/golden/openrouter_routes.txt byte for byte: status, head
// time, headers, and each chunk with its time. The shape tests check fields; this one
// catches a changed number format, key order or escape.
//
// Regenerate (after a deliberate change, then review the diff):
//   PLOKE_UPDATE_GOLDEN=1 build/tests/simulator/simulator_openrouter_golden_test
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "ploke/simulator/engine.h"
#include "ploke/simulator/openrouter_options.h"
#include "sim_test_util.h"
#include "support/golden.h"

namespace ploke::simulator {
namespace {

using testing::chat_http;
using testing::Json;

constexpr const char* kChat = "/api/v1/chat/completions";
const std::string kGolden = std::string(PLOKE_SOURCE_DIR) + "/tests/simulator/golden/openrouter_routes.txt";

// One engine and the transcript of what it answered.
struct Recorder {
  explicit Recorder(SimOptions o) : engine(testing::fast_engine(std::move(o), clock)) {}
  void record(const std::string& name, const ScriptedResponse& r, std::string& out) {
    testing::append_transcript(out, name, r, /*with_ending=*/true);
  }
  void get(const std::string& name, const std::string& path, std::string& out, Headers h = {}) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.headers = std::move(h);
    record(name, engine->handle(r), out);
  }
  void post(const std::string& name, const Json& body, std::string& out, const std::string& path = kChat) {
    record(name, engine->handle(chat_http(body, path)), out);
  }
  void post_raw(const std::string& name, const std::string& body, std::string& out) {
    HttpRequest r = chat_http(Json::object(), kChat);
    r.body = body;
    record(name, engine->handle(r), out);
  }
  SimulatedClock clock;
  std::unique_ptr<SimEngine> engine;
};

Json ask(const std::string& model, bool stream = false) {
  Json b = {{"model", model}, {"messages", Json::array({{{"role", "user"}, {"content", "What is the weather?"}}})}};
  if (stream) b["stream"] = true;
  return b;
}

Json with(Json b, const std::string& key, Json v) {
  b[key] = std::move(v);
  return b;
}

Json tools_body(const std::string& model) {
  return with(ask(model), "tools",
              Json::array({{{"type", "function"},
                            {"function", {{"name", "get_weather"},
                                          {"parameters", {{"type", "object"},
                                                          {"properties", {{"city", {{"type", "string"}}}}}}}}}}}));
}

Headers drift(const char* v) {
  Headers h;
  h.add("x-ploke-sim-drift", v);
  return h;
}

Headers auth() {
  Headers h;
  h.add("Authorization", "Bearer sk-or-v1-FAKE0123456789abcdef0123456789");
  return h;
}

void catalog_routes(std::string& out) {
  SimOptions o;
  o.openrouter.catalog_size = 12;  // the hand-made models and three generated ones
  Recorder r(o);
  r.get("models", "/api/v1/models", out);
  for (const char* d : {"unknown_enums", "numeric_prices", "extra_fields", "all"}) {
    r.get(std::string("models drift ") + d, "/api/v1/models", out, drift(d));
  }
  for (const char* id : {"moonshotai/kimi-k2", "mistralai/mistral-7b-instruct", "openai/gpt-4o",
                         "anthropic/claude-3.5-sonnet", "qwen/qwq-32b%3Afree", "meta-llama/llama-3.1-8b-instruct"}) {
    r.get(std::string("endpoints ") + id, std::string("/api/v1/models/") + id + "/endpoints", out);
    r.get(std::string("endpoints all-drift ") + id, std::string("/api/v1/models/") + id + "/endpoints", out,
          drift("all"));
  }
  r.get("endpoints unknown", "/api/v1/models/nope/nope/endpoints", out);
  r.get("unknown route", "/api/v1/nope", out);
  r.post("POST models", Json::object(), out, "/api/v1/models");
  r.get("GET chat", kChat, out);
}

// /models/user and the `none` drift header answer what /models answers.
TEST(OpenRouterGolden, ModelsAliasesAnswerTheSameBytes) {
  Recorder r(SimOptions{});
  auto body = [&](const char* path, Headers h) {
    HttpRequest q;
    q.method = "GET";
    q.path = path;
    q.headers = std::move(h);
    return r.engine->handle(q).body();
  };
  const std::string models = body("/api/v1/models", {});
  EXPECT_EQ(body("/api/v1/models/user", {}), models);
  EXPECT_EQ(body("/api/v1/models", drift("none")), models);
}

void chat_routes(std::string& out) {
  SimOptions o;
  o.openrouter.key_limit = 50;
  o.openrouter.generation_ready_delay = std::chrono::milliseconds(500);
  Recorder r(o);
  r.get("key before usage", "/api/v1/key", out, auth());
  for (const char* m : {"openai/gpt-4o", "moonshotai/kimi-k2", "anthropic/claude-3.5-sonnet", "google/gemini-flash-1.5",
                        "deepseek/deepseek-chat-v3.1:nitro", "meta-llama/llama-3.1-8b-instruct:floor"}) {
    r.post(std::string("chat ") + m, ask(m), out);
    // Streams are long: one at full length, the others cut by max_tokens.
    Json s = ask(m, true);
    if (std::string(m) != "openai/gpt-4o") s["max_tokens"] = 6;
    r.post(std::string("stream ") + m, s, out);
  }
  r.post("tools", tools_body("moonshotai/kimi-k2"), out);
  r.post("prompt only", {{"model", "openai/gpt-4o-mini"}, {"prompt", "Hello"}}, out);
  r.post("max_tokens 3", with(ask("openai/gpt-4o"), "max_tokens", 3), out);
  HttpRequest dr = chat_http(ask("openai/gpt-4o"), kChat);
  dr.headers.add("x-ploke-sim-drift", "extra_fields");
  r.record("chat extra_fields", r.engine->handle(dr), out);
  r.get("generation pending", "/api/v1/generation?id=gen-x", out);
  r.clock.advance(std::chrono::seconds(5));
  // The last chat's generation: its id is in the x-generation-id header of the next one.
  ScriptedResponse last = r.engine->handle(chat_http(ask("openai/gpt-4o"), kChat));
  r.record("chat for generation", last, out);
  const std::string id(last.headers.get("x-generation-id").value_or(""));
  r.get("generation not ready", "/api/v1/generation?id=" + id, out);
  r.clock.advance(std::chrono::seconds(5));
  r.get("generation", "/api/v1/generation?id=" + id, out);
  r.get("generation missing id", "/api/v1/generation", out);
  r.get("key no auth", "/api/v1/key", out);
  r.get("key", "/api/v1/key", out, auth());
  r.get("auth/key", "/api/v1/auth/key", out, auth());
  r.get("credits", "/api/v1/credits", out, auth());
}

void request_errors(std::string& out) {
  Recorder r(SimOptions{});
  r.post_raw("invalid json", "{nope", out);
  r.post("no input", {{"model", "openai/gpt-4o"}}, out);
  r.post("no models", {{"messages", ask("x")["messages"]}}, out);
  r.post("invalid model", ask("nope/nope"), out);
  r.post("models not array", with(ask("openai/gpt-4o"), "models", "x"), out);
  r.post("models fallback", with(ask("nope/nope"), "models", {"openai/gpt-4o"}), out);
  r.post("openai validation", with(ask("openai/gpt-4o"), "temperature", 5), out);
  const std::pair<const char*, Json> provider[] = {
      {"not object", 3},
      {"unknown keys", {{"bogus", 1}, {"other", 2}}},
      {"order not array", {{"order", "a"}}},
      {"only item", {{"only", {1}}}},
      {"allow_fallbacks", {{"allow_fallbacks", "yes"}}},
      {"zdr", {{"zdr", 1}}},
      {"data_collection", {{"data_collection", "maybe"}}},
      {"sort", {{"sort", "fast"}}},
      {"sort object no by", {{"sort", {{"x", 1}}}}},
      {"sort object", {{"sort", {{"by", "price"}}}}},
      {"max_price not object", {{"max_price", 1}}},
      {"max_price key", {{"max_price", {{"tokens", 1}}}}},
      {"max_price value", {{"max_price", {{"prompt", "cheap"}}}}},
      {"max_price string", {{"max_price", {{"prompt", "0.4"}}}}},
      {"only", {{"only", {"groq"}}}},
      {"ignore all", {{"ignore", {"deepinfra", "groq", "novita", "chutes"}}}},
      {"quantizations", {{"quantizations", {"int2"}}}},
      {"data deny", {{"data_collection", "deny"}}},
      {"require_parameters", {{"require_parameters", true}}},
      {"order no fallbacks", {{"order", {"zzz"}}, {"allow_fallbacks", false}}},
      {"order", {{"order", {"chutes", "novita"}}}},
      {"no fallbacks", {{"allow_fallbacks", false}}},
      {"max_price", {{"max_price", {{"prompt", 0.1}}}}},
      {"sort price", {{"sort", "price"}}},
      {"sort throughput", {{"sort", "throughput"}}},
      {"sort latency", {{"sort", "latency"}}},
  };
  for (const auto& [name, p] : provider) {
    r.post(std::string("provider ") + name, with(ask("moonshotai/kimi-k2"), "provider", p), out);
  }
  r.post("require_parameters top_k",
         with(with(ask("moonshotai/kimi-k2"), "top_k", 3), "provider", {{"require_parameters", true}}), out);
  r.post("tools without tool endpoints", tools_body("mistralai/mistral-7b-instruct"), out);
  r.post("max_tokens too many", with(ask("moonshotai/kimi-k2"), "max_tokens", 100000), out);
  r.post("data deny free", with(ask("qwen/qwq-32b:free"), "provider", {{"data_collection", "deny"}}), out);
}

void account_and_failures(std::string& out) {
  SimOptions o;
  o.openrouter.total_credits = 1e-9;
  Recorder r(o);
  r.post("spend", ask("openai/gpt-4o"), out);
  r.post("402", ask("openai/gpt-4o"), out);
  r.get("credits spent", "/api/v1/credits", out, auth());
  r.get("key no limit", "/api/v1/key", out, auth());
  SimOptions f;
  f.openrouter.simulate_endpoint_failures = true;
  Recorder rf(f);
  for (int i = 0; i < 30; ++i) rf.post("flaky " + std::to_string(i), ask("qwen/qwq-32b:free"), out);
}

Fault fault(const char* id, FaultKind kind, int status, bool stream, uint64_t nth) {
  Fault x;
  x.id = id;
  x.kind = kind;
  x.status = status;
  x.match.stream = stream;
  x.trigger.nth = nth;
  return x;
}

void faults(std::string& out) {
  SimOptions o;
  Fault mid = fault("mid", FaultKind::kMidStreamError, 502, true, 1);
  mid.after_events = 3;
  Fault rl = fault("rl", FaultKind::kHttpError, 429, false, 1);
  rl.retry_after = std::chrono::seconds(1);
  o.faults.faults = {mid,
                     rl,
                     fault("inband", FaultKind::kMidStreamError, 500, false, 2),
                     fault("e500", FaultKind::kHttpError, 500, false, 3),
                     fault("e529", FaultKind::kHttpError, 529, false, 4),
                     fault("e400", FaultKind::kHttpError, 400, false, 5),
                     fault("s503", FaultKind::kHttpError, 503, true, 2)};
  Recorder r(o);
  r.post("mid-stream error", ask("moonshotai/kimi-k2", true), out);
  for (int i = 1; i <= 5; ++i) r.post("fault " + std::to_string(i), ask("anthropic/claude-3.5-sonnet"), out);
  r.post("stream fault 503", ask("openai/gpt-4o", true), out);
}

std::string transcript() {
  std::string out;
  catalog_routes(out);
  chat_routes(out);
  request_errors(out);
  account_and_failures(out);
  faults(out);
  return out;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

TEST(OpenRouterGolden, RoutesMatchTheGoldenTranscript) {
  ploke::testing::expect_golden(kGolden, transcript());
}

// The full catalogs (350 models, every drift switch), too large to keep as text: pinned by
// their FNV-1a 64 digests.
TEST(OpenRouterGolden, LargeCatalogDigests) {
  OpenRouterSimOptions o;
  o.catalog_size = 350;
  const uint64_t plain = fnv1a(openrouter_models_json(o, 7));
  o.drift = OpenRouterDrift{true, true, true};
  const uint64_t drifted = fnv1a(openrouter_models_json(o, 7));
  EXPECT_EQ(plain, 0xc4c0c33f0db8d999ull) << std::hex << "plain 0x" << plain;
  EXPECT_EQ(drifted, 0xab30d571a597cd07ull) << std::hex << "drift 0x" << drifted;
}

}  // namespace
}  // namespace ploke::simulator
