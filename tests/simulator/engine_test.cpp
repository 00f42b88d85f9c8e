// SimEngine unit tests: wire shapes, determinism, validation, fault selection and
// application, journal. SimulatedClock only; no sockets.
#include "ploke/simulator/engine.h"

#include <gtest/gtest.h>

#include <set>

#include "ploke/simulator/fault_plan_json.h"
#include "sim_test_util.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;
using testing::chat_http;
using testing::Json;
using testing::simple_body;
using testing::sse_data;

class SimEngineTest : public testing::EngineFixture {};

Json body_json(const ScriptedResponse& r) { return Json::parse(r.body()); }

TEST_F(SimEngineTest, NonStreamResponseHasOpenAiShapeAndConsistentUsage) {
  auto engine = make();
  ScriptedResponse r = engine->handle(chat_http(simple_body()));
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.streaming);
  EXPECT_EQ(r.ending, Ending::kComplete);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  ASSERT_TRUE(r.headers.get("x-request-id"));
  EXPECT_EQ(r.headers.get("x-request-id")->substr(0, 4), "req_");
  EXPECT_TRUE(r.headers.has("openai-processing-ms"));
  for (const char* h : {"x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-requests",
                        "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"}) {
    EXPECT_TRUE(r.headers.has(h)) << h;
  }
  EXPECT_EQ(r.headers.get("x-ratelimit-reset-requests"), "6ms");
  Json b = body_json(r);
  EXPECT_EQ(b["id"].get<std::string>().substr(0, 9), "chatcmpl-");
  EXPECT_EQ(b["object"], "chat.completion");
  EXPECT_EQ(b["created"], 1735689600);  // SimulatedClock's default system start
  EXPECT_EQ(b["model"], "gpt-4o");
  EXPECT_EQ(b["system_fingerprint"], "fp_sim");
  ASSERT_EQ(b["choices"].size(), 1u);
  const Json& c = b["choices"][0];
  EXPECT_EQ(c["index"], 0);
  EXPECT_EQ(c["message"]["role"], "assistant");
  ASSERT_TRUE(c["message"]["content"].is_string());
  EXPECT_EQ(c["finish_reason"], "stop");
  const std::string content = c["message"]["content"];
  size_t words = 1 + static_cast<size_t>(std::count(content.begin(), content.end(), ' '));
  const Json& u = b["usage"];
  EXPECT_EQ(u["completion_tokens"].get<size_t>(), words);
  EXPECT_GE(u["prompt_tokens"].get<int>(), 1);
  EXPECT_EQ(u["total_tokens"], u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
  EXPECT_GE(words, 8u);
  EXPECT_LE(words, 32u);
  // Default pacing: the whole completion is "generated" before the head.
  EXPECT_EQ(r.head_at, 20ms + 5ms * static_cast<int>(words));
}

TEST_F(SimEngineTest, SameSeedGivesByteIdenticalResponses) {
  SimOptions opts;
  opts.seed = ploke::testing::test_seed();
  auto a = make(opts);
  auto b = make(opts);
  for (bool stream : {false, true, false}) {
    ScriptedResponse ra = a->handle(chat_http(simple_body(stream)));
    ScriptedResponse rb = b->handle(chat_http(simple_body(stream)));
    EXPECT_EQ(ra.headers, rb.headers);
    ASSERT_EQ(ra.chunks.size(), rb.chunks.size());
    for (size_t i = 0; i < ra.chunks.size(); ++i) {
      EXPECT_EQ(ra.chunks[i].bytes, rb.chunks[i].bytes);
      EXPECT_EQ(ra.chunks[i].at, rb.chunks[i].at);
    }
    EXPECT_EQ(ra.head_at, rb.head_at);
  }
  opts.seed += 1;
  auto c = make(opts);
  SimOptions prev = opts;
  prev.seed -= 1;
  auto a2 = make(prev);
  EXPECT_NE(c->handle(chat_http(simple_body())).body(), a2->handle(chat_http(simple_body())).body());
}

TEST_F(SimEngineTest, StreamFollowsChunkRulesWithUsage) {
  auto engine = make();
  Json req = simple_body(true);
  req["stream_options"] = {{"include_usage", true}};
  ScriptedResponse r = engine->handle(chat_http(req));
  EXPECT_TRUE(r.streaming);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("content-type")->substr(0, 17), "text/event-stream");
  EXPECT_EQ(r.head_at, 0ns);
  auto data = sse_data(r.body());
  ASSERT_GE(data.size(), 4u);
  EXPECT_EQ(data.back(), "[DONE]");
  EXPECT_EQ(r.chunks.back().bytes, "data: [DONE]\n\n");
  std::set<std::string> ids, models;
  std::set<int64_t> created;
  int finishes = 0;
  std::string content;
  uint64_t content_events = 0;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    Json ch = Json::parse(data[i]);
    EXPECT_EQ(ch["object"], "chat.completion.chunk");
    ids.insert(ch["id"].get<std::string>());
    models.insert(ch["model"].get<std::string>());
    created.insert(ch["created"].get<int64_t>());
    ASSERT_TRUE(ch.contains("usage"));
    if (i + 2 == data.size()) {  // usage chunk
      EXPECT_TRUE(ch["choices"].empty());
      const Json& u = ch["usage"];
      EXPECT_EQ(u["completion_tokens"].get<uint64_t>(), content_events);
      EXPECT_EQ(u["total_tokens"], u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
      continue;
    }
    EXPECT_TRUE(ch["usage"].is_null());
    ASSERT_EQ(ch["choices"].size(), 1u);
    const Json& delta = ch["choices"][0]["delta"];
    EXPECT_EQ(delta.contains("role"), i == 0) << data[i];
    if (!ch["choices"][0]["finish_reason"].is_null()) {
      ++finishes;
      EXPECT_EQ(ch["choices"][0]["finish_reason"], "stop");
    }
    if (i > 0 && delta.contains("content")) {
      content += delta["content"].get<std::string>();
      ++content_events;
    }
  }
  EXPECT_EQ(finishes, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(models.size(), 1u);
  EXPECT_EQ(created.size(), 1u);
  EXPECT_FALSE(content.empty());
  // Pacing: role and first token at ttft, then one token per 5 ms (200 tok/s).
  EXPECT_EQ(r.chunks[0].at, 20ms);
  EXPECT_EQ(r.chunks[1].at, 20ms);
  EXPECT_EQ(r.chunks[2].at, 25ms);
  for (size_t i = 1; i < r.chunks.size(); ++i) EXPECT_LE(r.chunks[i - 1].at, r.chunks[i].at);
}

TEST_F(SimEngineTest, StreamWithoutIncludeUsageHasNoUsageKey) {
  auto engine = make();
  ScriptedResponse r = engine->handle(chat_http(simple_body(true)));
  auto data = sse_data(r.body());
  for (size_t i = 0; i + 1 < data.size(); ++i) EXPECT_FALSE(Json::parse(data[i]).contains("usage")) << data[i];
}

TEST_F(SimEngineTest, MaxTokensCapsLengthWithFinishReasonLength) {
  auto engine = make();
  Json req = simple_body();
  req["max_completion_tokens"] = 3;
  Json b = body_json(engine->handle(chat_http(req)));
  EXPECT_EQ(b["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(b["usage"]["completion_tokens"], 3);
  req.erase("max_completion_tokens");
  req["max_tokens"] = 2;
  b = body_json(engine->handle(chat_http(req)));
  EXPECT_EQ(b["usage"]["completion_tokens"], 2);
}

TEST_F(SimEngineTest, FastLatencyPutsEverythingAtZero) {
  SimOptions opts;
  opts.latency = LatencyModel::Fast();
  auto engine = make(opts);
  ScriptedResponse r = engine->handle(chat_http(simple_body(true)));
  EXPECT_EQ(r.head_at, 0ns);
  for (const auto& c : r.chunks) EXPECT_EQ(c.at, 0ns);
  EXPECT_EQ(engine->handle(chat_http(simple_body())).head_at, 0ns);
}

TEST_F(SimEngineTest, NChoicesStreamInterleaved) {
  auto engine = make();
  Json req = simple_body(true);
  req["n"] = 2;
  auto data = sse_data(engine->handle(chat_http(req)).body());
  int finishes[2] = {0, 0};
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    Json ch = Json::parse(data[i]);
    int idx = ch["choices"][0]["index"];
    if (!ch["choices"][0]["finish_reason"].is_null()) ++finishes[idx];
  }
  EXPECT_EQ(finishes[0], 1);
  EXPECT_EQ(finishes[1], 1);
  EXPECT_EQ(Json::parse(data[1])["choices"][0]["index"], 1);  // interleaved
}

Json weather_tools() {
  return Json::parse(R"([
    {"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
      "properties":{"city":{"type":"string"},"days":{"type":"integer"},"unit":{"type":"string","enum":["c","f"]}},
      "required":["city","days","unit"]}}},
    {"type":"function","function":{"name":"get_time","parameters":{"type":"object",
      "properties":{"tz":{"type":"string"}},"required":["tz"]}}}])");
}

TEST_F(SimEngineTest, ToolChoiceFunctionProducesValidArguments) {
  auto engine = make();
  Json req = simple_body();
  req["tools"] = weather_tools();
  req["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  Json b = body_json(engine->handle(chat_http(req)));
  const Json& c = b["choices"][0];
  EXPECT_EQ(c["finish_reason"], "tool_calls");
  EXPECT_TRUE(c["message"]["content"].is_null());
  ASSERT_EQ(c["message"]["tool_calls"].size(), 1u);
  const Json& call = c["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"].get<std::string>().substr(0, 5), "call_");
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "get_weather");
  Json args = Json::parse(call["function"]["arguments"].get<std::string>());
  EXPECT_TRUE(args["city"].is_string());
  EXPECT_TRUE(args["days"].is_number_integer());
  EXPECT_TRUE(args["unit"] == "c" || args["unit"] == "f");
}

// Custom tools are accepted but never called: with a function tool beside them only the
// function is called; offered alone, even under "required", the answer is text.
TEST_F(SimEngineTest, CustomToolsAreNeverCalled) {
  auto engine = make();
  Json req = simple_body();
  req["tools"] = weather_tools();
  req["tools"].push_back({{"type", "custom"}, {"custom", {{"name", "grammar_tool"}}}});
  req["tool_choice"] = "required";
  for (int i = 0; i < 8; ++i) {
    Json b = body_json(engine->handle(chat_http(req)));
    ASSERT_EQ(b["choices"][0]["finish_reason"], "tool_calls") << b.dump();
    for (const Json& call : b["choices"][0]["message"]["tool_calls"]) {
      EXPECT_EQ(call["type"], "function");
      EXPECT_NE(call["function"]["name"], "grammar_tool");
      EXPECT_NE(call["function"]["name"], "tool");
    }
  }
  req["tools"] = Json::array({{{"type", "custom"}, {"custom", {{"name", "grammar_tool"}}}}});
  Json b = body_json(engine->handle(chat_http(req)));
  EXPECT_EQ(b["choices"][0]["finish_reason"], "stop") << b.dump();
  EXPECT_TRUE(b["choices"][0]["message"]["content"].is_string());
  EXPECT_FALSE(b["choices"][0]["message"].contains("tool_calls"));
}

TEST_F(SimEngineTest, StreamedParallelToolCallsSendIdentityOnlyOnFirstFragment) {
  SimOptions opts;
  opts.n_tool_calls = 2;
  auto engine = make(opts);
  Json req = simple_body(true);
  req["tools"] = weather_tools();
  req["tool_choice"] = "required";
  auto data = sse_data(engine->handle(chat_http(req)).body());
  std::map<int, std::string> args, names;
  std::map<int, int> headers;
  int finishes = 0;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    Json ch = Json::parse(data[i]);
    const Json& choice = ch["choices"][0];
    if (!choice["finish_reason"].is_null()) {
      ++finishes;
      EXPECT_EQ(choice["finish_reason"], "tool_calls");
    }
    if (!choice["delta"].contains("tool_calls")) continue;
    for (const Json& tc : choice["delta"]["tool_calls"]) {
      int idx = tc["index"];
      bool first = !names.count(idx);
      EXPECT_EQ(tc.contains("id"), first);
      EXPECT_EQ(tc.contains("type"), first);
      EXPECT_EQ(tc["function"].contains("name"), first);
      if (first) {
        names[idx] = tc["function"]["name"];
        ++headers[idx];
        EXPECT_EQ(tc["function"]["arguments"], "");
      }
      args[idx] += tc["function"]["arguments"].get<std::string>();
    }
  }
  EXPECT_EQ(finishes, 1);
  ASSERT_EQ(args.size(), 2u);
  for (auto& [idx, a] : args) {
    Json parsed = Json::parse(a);
    EXPECT_TRUE(parsed.is_object()) << a;
  }
}

TEST_F(SimEngineTest, AutoToolChoiceFollowsProbability) {
  SimOptions opts;
  opts.tool_call_probability = 1.0;
  auto engine = make(opts);
  Json req = simple_body();
  req["tools"] = weather_tools();
  EXPECT_EQ(body_json(engine->handle(chat_http(req)))["choices"][0]["finish_reason"], "tool_calls");
  req["tool_choice"] = "none";
  EXPECT_EQ(body_json(engine->handle(chat_http(req)))["choices"][0]["finish_reason"], "stop");
  opts.tool_call_probability = 0.0;
  auto engine2 = make(opts);
  req["tool_choice"] = "auto";
  EXPECT_EQ(body_json(engine2->handle(chat_http(req)))["choices"][0]["finish_reason"], "stop");
}

struct ValidationCase {
  std::string name;
  std::string body;
  int status;
  std::string message_part;
  std::string param;  // "" = null
  std::string code;   // "" = null
};

TEST_F(SimEngineTest, ValidatesRequestsLikeOpenAi) {
  auto engine = make();
  const std::vector<ValidationCase> cases = {
      {"invalid json", "{not json", 400, "We could not parse the JSON body", "", ""},
      {"missing model", R"({"messages":[{"role":"user","content":"x"}]})", 400, "you must provide a model parameter", "", ""},
      {"missing messages", R"({"model":"gpt-4o"})", 400, "Missing required parameter: 'messages'.", "messages",
       "missing_required_parameter"},
      {"empty messages", R"({"model":"gpt-4o","messages":[]})", 400, "empty array", "messages", "empty_array"},
      {"unknown model", R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})", 404,
       "The model `gpt-9` does not exist or you do not have access to it.", "", "model_not_found"},
      {"orphan tool message",
       R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"c1","content":"r"}]})",
       400,
       "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
       "messages.[1].role", ""},
      {"unanswered tool call",
       R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,
          "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
          {"role":"user","content":"y"}]})",
       400, "The following tool_call_ids did not have response messages: call_1", "messages.[1].role", ""},
      {"unknown tool_choice function",
       R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],
          "tools":[{"type":"function","function":{"name":"a"}}],
          "tool_choice":{"type":"function","function":{"name":"b"}}})",
       400, "function 'b'", "tool_choice", ""},
      {"tool without a function name",
       R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]})",
       400, "Missing required parameter: 'tools[0].function.name'.", "tools[0].function.name",
       "missing_required_parameter"},
      {"tool of an unknown type",
       R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[{"type":"fn","function":{"name":"a"}}]})",
       400, "Invalid value: 'fn'. Supported values are: 'function' and 'custom'.", "tools[0].type", "invalid_value"},
  };
  for (const auto& c : cases) {
    HttpRequest req;
    req.path = "/v1/chat/completions";
    req.body = c.body;
    ScriptedResponse r = engine->handle(req);
    EXPECT_EQ(r.status, c.status) << c.name;
    EXPECT_EQ(r.headers.get("content-type"), "application/json") << c.name;
    Json b = body_json(r);
    const Json& e = b["error"];
    EXPECT_NE(e["message"].get<std::string>().find(c.message_part), std::string::npos) << c.name << ": " << e.dump();
    EXPECT_EQ(e["type"], "invalid_request_error") << c.name;
    if (c.param.empty()) EXPECT_TRUE(e["param"].is_null()) << c.name;
    else EXPECT_EQ(e["param"], c.param) << c.name;
    if (c.code.empty()) EXPECT_TRUE(e["code"].is_null()) << c.name;
    else EXPECT_EQ(e["code"], c.code) << c.name;
  }
  // The exact wire body for the orphan tool message.
  HttpRequest req;
  req.path = "/v1/chat/completions";
  req.body = cases[5].body;
  EXPECT_EQ(engine->handle(req).body(),
            R"({"error":{"message":"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.","type":"invalid_request_error","param":"messages.[1].role","code":null}})");
  // A proper tool round trip is accepted.
  req.body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,
      "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"ok"}]})";
  EXPECT_EQ(engine->handle(req).status, 200);
}

TEST_F(SimEngineTest, ModelsRoutesAndUnknownRoutes) {
  auto engine = make();
  HttpRequest get;
  get.method = "GET";
  get.path = "/v1/models";
  ScriptedResponse r = engine->handle(get);
  EXPECT_EQ(r.status, 200);
  Json list = body_json(r);
  EXPECT_EQ(list["object"], "list");
  EXPECT_EQ(list["data"][0]["id"], "gpt-4o");
  EXPECT_EQ(list["data"][0]["object"], "model");
  EXPECT_EQ(list["data"][0]["owned_by"], "system");
  get.path = "/v1/models/gpt-4o-mini";
  EXPECT_EQ(body_json(engine->handle(get))["id"], "gpt-4o-mini");
  get.path = "/v1/models/nope";
  r = engine->handle(get);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_json(r)["error"]["code"], "model_not_found");
  get.path = "/v1/nothing";
  r = engine->handle(get);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_json(r)["error"]["message"], "Invalid URL (GET /v1/nothing)");
}

TEST_F(SimEngineTest, BaseUrlPrefixIsJoinedWithPath) {
  auto engine = make();
  HttpRequest req = chat_http(simple_body(), "/chat/completions");
  req.base_url = "http://127.0.0.1:1234/v1";
  EXPECT_EQ(engine->handle(req).status, 200);
  req.path = "/v1/chat/completions";  // already prefixed
  EXPECT_EQ(engine->handle(req).status, 200);
  req.base_url = "http://127.0.0.1:1234";
  EXPECT_EQ(engine->handle(req).status, 200);
  req.path = "/v1/chat/completions?x=1";
  EXPECT_EQ(engine->handle(req).status, 200);
}

// ---- Faults ----

// The wire renderer escapes through ploke::json: an error message with quotes, controls and
// invalid UTF-8 still gives a body JSON parsers accept (and so does a stream's error event).
TEST_F(SimEngineTest, FaultMessageWithAnyBytesRendersValidJson) {
  const std::string nasty = "bad\xff\xc0 \"q\"\n\x01\x08 \\ caf\xc3\xa9";
  for (const char* kind : {"http_error", "mid_stream_error"}) {
    auto plan = parse_fault_plan(std::string(R"({"faults":[{"kind":")") + kind + R"(","status":500,"message":"x"}]})", "t");
    ASSERT_TRUE(plan.ok()) << plan.status().to_string();
    plan->faults[0].message = nasty;
    SimOptions opts;
    opts.faults = *plan;
    auto engine = make(opts);
    const bool stream = std::string_view(kind) == "mid_stream_error";
    const std::string body = engine->handle(chat_http(simple_body(stream))).body();
    std::vector<std::string> docs = stream ? sse_data(body) : std::vector<std::string>{body};
    bool found = false;
    for (const auto& d : docs) {
      if (d == "[DONE]") continue;
      const Json j = Json::parse(d, nullptr, /*allow_exceptions=*/false);
      ASSERT_FALSE(j.is_discarded()) << kind << ": " << d;
      if (j.contains("error")) {
        EXPECT_EQ(j["error"]["message"], "bad\xef\xbf\xbd\xef\xbf\xbd \"q\"\n\x01\x08 \\ caf\xc3\xa9") << kind;
        found = true;
      }
    }
    EXPECT_TRUE(found) << kind << ": " << body;
  }
}

TEST_F(SimEngineTest, RateLimitFaultOnNthRequestHasProtocolHeaders) {
  auto engine = make_with_plan(R"({"faults":[{"id":"rl","kind":"http_error","status":429,
      "retry_after_ms":10,"retry_after_s":1.2,"trigger":{"nth":2}}]})");
  EXPECT_EQ(engine->handle(chat_http(simple_body())).status, 200);
  ScriptedResponse r = engine->handle(chat_http(simple_body()));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.get("retry-after"), "2");
  EXPECT_EQ(r.headers.get("retry-after-ms"), "10");
  EXPECT_EQ(r.headers.get("x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_TRUE(r.headers.has("x-request-id"));
  Json e = body_json(r)["error"];
  EXPECT_EQ(e["type"], "requests");
  EXPECT_EQ(e["code"], "rate_limit_exceeded");
  EXPECT_TRUE(e["param"].is_null());
  EXPECT_EQ(engine->handle(chat_http(simple_body())).status, 200);
  auto stats = engine->fault_stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].matched, 3u);
  EXPECT_EQ(stats[0].fired, 1u);
}

TEST_F(SimEngineTest, ServerErrorFaultsHaveProtocolBodies) {
  auto engine = make_with_plan(R"({"faults":[
      {"kind":"http_error","status":500,"trigger":{"nth":1}},
      {"kind":"http_error","status":502,"trigger":{"nth":2}},
      {"kind":"http_error","status":503,"should_retry":false,"trigger":{"nth":3}},
      {"kind":"http_error","status":529,"trigger":{"nth":4}},
      {"kind":"http_error","status":400,"message":"custom","error_code":"context_length_exceeded","trigger":{"nth":5}}]})");
  std::vector<std::pair<int, std::string>> want = {
      {500, "server_error"}, {502, "server_error"}, {503, "server_error"}, {529, "overloaded_error"},
      {400, "invalid_request_error"}};
  for (auto& [status, type] : want) {
    ScriptedResponse r = engine->handle(chat_http(simple_body(true)));  // pre-stream errors
    EXPECT_EQ(r.status, status);
    EXPECT_FALSE(r.streaming);
    EXPECT_EQ(r.headers.get("content-type"), "application/json");
    Json e = body_json(r)["error"];
    EXPECT_EQ(e["type"], type) << status;
    if (status == 503) EXPECT_EQ(r.headers.get("x-should-retry"), "false");
    else EXPECT_FALSE(r.headers.has("x-should-retry"));
    if (status == 400) {
      EXPECT_EQ(e["message"], "custom");
      EXPECT_EQ(e["code"], "context_length_exceeded");
    }
  }
  for (const auto& s : engine->fault_stats()) EXPECT_EQ(s.fired, 1u) << s.id;
}

TEST_F(SimEngineTest, ConnectionFaultsScriptSocketEndings) {
  auto engine = make_with_plan(R"({"faults":[
      {"id":"h","kind":"hang","trigger":{"nth":1}},
      {"id":"r","kind":"reset","trigger":{"nth":2}},
      {"id":"e","kind":"empty_reply","trigger":{"nth":3}},
      {"id":"d","kind":"delay","delay_ms":300,"trigger":{"nth":4}}]})");
  ScriptedResponse r = engine->handle(chat_http(simple_body()));
  EXPECT_FALSE(r.send_head);
  EXPECT_EQ(r.ending, Ending::kHang);
  EXPECT_TRUE(r.chunks.empty());
  r = engine->handle(chat_http(simple_body()));
  EXPECT_FALSE(r.send_head);
  EXPECT_EQ(r.ending, Ending::kReset);
  r = engine->handle(chat_http(simple_body()));
  EXPECT_FALSE(r.send_head);
  EXPECT_EQ(r.ending, Ending::kCloseNoReply);
  ScriptedResponse normal = make()->handle(chat_http(simple_body()));
  r = engine->handle(chat_http(simple_body()));
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(r.head_at, 300ms + 20ms);
  auto j = engine->journal();
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0].fault_id, "h");
  EXPECT_EQ(j[0].status, 0);
  EXPECT_EQ(j[0].ending, "hang");
  EXPECT_EQ(j[1].ending, "reset");
  EXPECT_EQ(j[2].ending, "close_no_reply");
  EXPECT_EQ(j[3].status, 200);
  EXPECT_EQ(j[3].fault_id, "d");
}

TEST_F(SimEngineTest, StreamFaultsCutInjectAndCorrupt) {
  auto engine = make_with_plan(R"({"faults":[
      {"id":"cut","kind":"stream_cut","after_events":3,"trigger":{"nth":1}},
      {"id":"mid","kind":"mid_stream_error","after_events":2,"trigger":{"nth":2}},
      {"id":"bad","kind":"malformed_json","after_events":1,"trigger":{"nth":3}},
      {"id":"slow","kind":"slow_stream","factor":4,"trigger":{"nth":4}},
      {"id":"idle","kind":"hang","after_events":2,"trigger":{"nth":5}}]})");
  ScriptedResponse r = engine->handle(chat_http(simple_body(true)));
  EXPECT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(r.ending, Ending::kReset);
  EXPECT_EQ(r.body().find("[DONE]"), std::string::npos);

  r = engine->handle(chat_http(simple_body(true)));
  auto data = sse_data(r.body());
  ASSERT_EQ(data.size(), 3u);
  Json err = Json::parse(data[2]);
  EXPECT_EQ(err["error"]["type"], "server_error");
  EXPECT_EQ(r.ending, Ending::kComplete);
  EXPECT_EQ(r.body().find("[DONE]"), std::string::npos);

  r = engine->handle(chat_http(simple_body(true)));
  data = sse_data(r.body());
  ASSERT_EQ(data.size(), 2u);
  EXPECT_FALSE(Json::parse(data[0], nullptr, false).is_discarded());
  EXPECT_TRUE(Json::parse(data[1], nullptr, false).is_discarded());

  r = engine->handle(chat_http(simple_body(true)));
  EXPECT_EQ(r.chunks[0].at, 80ms);
  EXPECT_EQ(r.chunks[2].at, 100ms);

  r = engine->handle(chat_http(simple_body(true)));
  EXPECT_TRUE(r.send_head);
  EXPECT_EQ(r.chunks.size(), 2u);
  EXPECT_EQ(r.ending, Ending::kHang);
}

TEST_F(SimEngineTest, MalformedAndCutNonStreamBodies) {
  auto engine = make_with_plan(R"({"faults":[
      {"kind":"malformed_json","trigger":{"nth":1}},
      {"kind":"stream_cut","trigger":{"nth":2}},
      {"kind":"mid_stream_error","trigger":{"nth":3}}]})");
  ScriptedResponse r = engine->handle(chat_http(simple_body()));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(Json::parse(r.body(), nullptr, false).is_discarded());
  r = engine->handle(chat_http(simple_body()));
  EXPECT_EQ(r.ending, Ending::kReset);
  ASSERT_TRUE(r.headers.get("content-length"));
  EXPECT_GT(std::stoul(std::string(*r.headers.get("content-length"))), r.body().size());
  r = engine->handle(chat_http(simple_body()));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(body_json(r).contains("error"));
}

TEST_F(SimEngineTest, TimeWindowSelectsByClock) {
  auto engine = make_with_plan(R"({"faults":[{"kind":"http_error","status":503,"trigger":{"from_ms":1000,"until_ms":2000}}]})");
  EXPECT_EQ(engine->handle(chat_http(simple_body())).status, 200);
  clock_.advance(1500ms);
  EXPECT_EQ(engine->handle(chat_http(simple_body())).status, 503);
  EXPECT_EQ(engine->handle(chat_http(simple_body())).status, 503);
  clock_.advance(500ms);  // until is exclusive
  EXPECT_EQ(engine->handle(chat_http(simple_body())).status, 200);
}

TEST_F(SimEngineTest, ProbabilityIsSeededAndRoughlyRight) {
  const char* plan = R"({"faults":[{"kind":"http_error","status":500,"trigger":{"probability":0.3}}]})";
  SimOptions opts;
  opts.seed = ploke::testing::test_seed();
  opts.latency = LatencyModel::Fast();
  auto a = make_with_plan(plan, opts);
  auto b = make_with_plan(plan, opts);
  std::string pa, pb;
  for (int i = 0; i < 400; ++i) {
    pa += a->handle(chat_http(simple_body())).status == 500 ? 'x' : '.';
    pb += b->handle(chat_http(simple_body())).status == 500 ? 'x' : '.';
  }
  EXPECT_EQ(pa, pb) << "seed " << opts.seed;
  const auto fired = static_cast<double>(std::count(pa.begin(), pa.end(), 'x'));
  EXPECT_GT(fired, 400 * 0.3 * 0.6) << "seed " << opts.seed;
  EXPECT_LT(fired, 400 * 0.3 * 1.4) << "seed " << opts.seed;
}

TEST_F(SimEngineTest, TimesCapAndEveryRepeat) {
  auto engine = make_with_plan(R"({"faults":[
      {"id":"capped","kind":"http_error","status":500,"match":{"model":"gpt-4o-mini"},"trigger":{"times":3}},
      {"id":"every","kind":"http_error","status":502,"match":{"model":"gpt-4o"},"trigger":{"nth":2,"every":3}}]})");
  std::string mini, main;
  for (int i = 0; i < 9; ++i) {
    mini += std::to_string(engine->handle(chat_http(simple_body(false, "gpt-4o-mini"))).status) + " ";
    main += std::to_string(engine->handle(chat_http(simple_body(false, "gpt-4o"))).status) + " ";
  }
  EXPECT_EQ(mini, "500 500 500 200 200 200 200 200 200 ");
  EXPECT_EQ(main, "200 502 200 200 502 200 200 502 200 ");
}

TEST_F(SimEngineTest, FirstFiringFaultWinsAndFiltersApply) {
  auto engine = make_with_plan(R"({"faults":[
      {"id":"streams","kind":"http_error","status":503,"match":{"stream":true}},
      {"id":"all","kind":"http_error","status":500},
      {"id":"models","kind":"http_error","status":502,"match":{"path":"/v1/models"}}]})");
  EXPECT_EQ(engine->handle(chat_http(simple_body(true))).status, 503);
  EXPECT_EQ(engine->handle(chat_http(simple_body(false))).status, 500);
  HttpRequest get;
  get.method = "GET";
  get.path = "/v1/models";
  EXPECT_EQ(engine->handle(get).status, 502);
  auto stats = engine->fault_stats();
  EXPECT_EQ(stats[0].fired, 1u);
  EXPECT_EQ(stats[1].matched, 2u);  // counts even when an earlier fault fired
  EXPECT_EQ(stats[1].fired, 1u);
  EXPECT_EQ(stats[2].fired, 1u);
}

// Every kind × every selector: which requests fire is decided by the trigger alone.
TEST_F(SimEngineTest, EveryKindIsSelectableByEveryTrigger) {
  const std::vector<std::string> kinds = {
      R"("kind":"http_error","status":429)", R"("kind":"hang")", R"("kind":"delay","delay_ms":5)",
      R"("kind":"reset")", R"("kind":"empty_reply")", R"("kind":"malformed_json")",
      R"("kind":"stream_cut","after_events":1)", R"("kind":"mid_stream_error","after_events":1)",
      R"("kind":"slow_stream","factor":2)"};
  struct Selector {
    std::string trigger;
    std::string want;  // per request: x = fired
  };
  const std::vector<Selector> selectors = {
      {R"({"nth":2})", ".x...."},
      {R"({"nth":2,"every":2})", ".x.x.x"},
      {R"({"from_ms":2000,"until_ms":4000})", "..xx.."},
      {R"({"times":2})", "xx...."},
      {R"({"probability":1.0,"times":3})", "xxx..."},
      {R"({"probability":0.0})", "......"},
  };
  for (const auto& kind : kinds) {
    for (const auto& sel : selectors) {
      SimulatedClock clock;
      auto plan = parse_fault_plan(R"({"faults":[{"id":"k",)" + kind + R"(,"trigger":)" + sel.trigger + "}]}", "m");
      ASSERT_OK(plan);
      SimOptions opts;
      opts.faults = *plan;
      auto engine = SimEngine::Create(opts, clock);
      ASSERT_OK(engine);
      std::string got;
      for (int i = 0; i < 6; ++i) {
        (void)(*engine)->handle(chat_http(simple_body(/*stream=*/true)));
        got += (*engine)->journal(1)[0].fault_id == "k" ? 'x' : '.';
        clock.advance(1s);
      }
      EXPECT_EQ(got, sel.want) << kind << " " << sel.trigger;
      EXPECT_EQ((*engine)->fault_stats()[0].fired,
                static_cast<uint64_t>(std::count(sel.want.begin(), sel.want.end(), 'x')));
    }
  }
}

TEST_F(SimEngineTest, AdminSetAppendClearFaults) {
  auto engine = make();
  auto plan = parse_fault_plan(R"({"faults":[{"kind":"reset"},{"id":"x","kind":"hang"}]})", "t");
  ASSERT_OK(plan);
  ASSERT_OK(engine->set_faults(*plan));
  auto f = engine->faults();
  ASSERT_EQ(f.faults.size(), 2u);
  EXPECT_EQ(f.faults[0].id, "f1");
  ASSERT_OK(engine->set_faults(*plan, /*append=*/false));
  EXPECT_EQ(engine->faults().faults.size(), 2u);
  FaultPlan more;
  more.faults.push_back(Fault{});
  ASSERT_OK(engine->set_faults(more, /*append=*/true));
  EXPECT_EQ(engine->faults().faults.size(), 3u);
  EXPECT_EQ(engine->faults().faults[2].id, "f2");
  FaultPlan dup;
  dup.faults.push_back(Fault{});
  dup.faults.back().id = "x";
  EXPECT_EQ(engine->set_faults(dup, true).code(), StatusCode::kInvalidRequest);
  EXPECT_EQ(engine->faults().faults.size(), 3u);
  engine->clear_faults();
  EXPECT_TRUE(engine->faults().faults.empty());
}

TEST_F(SimEngineTest, JournalRecordsRequestsInABoundedRing) {
  SimOptions opts;
  opts.journal_capacity = 5;
  auto engine = make(opts);
  for (int i = 0; i < 8; ++i) {
    HttpRequest r = chat_http(simple_body(i % 2 == 1));
    r.headers.add("X-Stainless-Retry-Count", std::to_string(i));
    clock_.advance(10ms);
    (void)engine->handle(r);
  }
  auto j = engine->journal();
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j.front().seq, 4u);
  EXPECT_EQ(j.back().seq, 8u);
  EXPECT_EQ(j.back().retry_count, 7);
  EXPECT_TRUE(j.back().stream);
  EXPECT_EQ(j.back().model, "gpt-4o");
  EXPECT_EQ(j.back().path, "/v1/chat/completions");
  EXPECT_EQ(j.back().method, "POST");
  EXPECT_EQ(j.back().status, 200);
  EXPECT_EQ(j.back().at, 80ms);
  EXPECT_EQ(j.back().request_id.substr(0, 4), "req_");
  EXPECT_EQ(engine->journal(2).size(), 2u);
  EXPECT_EQ(engine->journal(2).front().seq, 7u);
  Json js = Json::parse(journal_to_json(engine->journal(1)));
  EXPECT_EQ(js["requests"][0]["retry_count"], 7);
  EXPECT_TRUE(js["requests"][0]["fault_id"].is_null());
  engine->clear_journal();
  EXPECT_TRUE(engine->journal().empty());
  EXPECT_EQ(engine->request_count(), 8u);
}

TEST_F(SimEngineTest, CreateRejectsBadOptions) {
  SimOptions opts;
  opts.models.clear();
  opts.length.min_tokens = 50;
  opts.length.max_tokens = 10;
  auto e = SimEngine::Create(opts, clock_);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("models: must not be empty"), std::string::npos);
  EXPECT_NE(e.status().message().find("min_tokens > max_tokens"), std::string::npos);
}

TEST(FormatResetDurationTest, MatchesOpenAiStyle) {
  EXPECT_EQ(format_reset_duration(std::chrono::milliseconds(12)), "12ms");
  EXPECT_EQ(format_reset_duration(std::chrono::seconds(1)), "1s");
  EXPECT_EQ(format_reset_duration(std::chrono::milliseconds(1500)), "1.5s");
  EXPECT_EQ(format_reset_duration(std::chrono::minutes(6)), "6m0s");
}

}  // namespace
}  // namespace ploke::simulator
