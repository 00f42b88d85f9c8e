// SimEngine on Anthropic routes: /v1/messages (non-stream and the SSE event sequence),
// count_tokens, models in Anthropic's shape, validation errors, and every fault kind in
// Anthropic's shape. SimulatedClock only; no sockets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/anthropic/server.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "sim_test_util.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;
using testing::Json;

HttpRequest anth_http(const Json& body, std::string path = "/v1/messages", bool version = true) {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers.add("content-type", "application/json");
  r.headers.add("x-api-key", "sk-ant-FAKE-test");
  if (version) r.headers.add("anthropic-version", "2023-06-01");
  r.body = body.dump();
  r.expect_stream = body.is_object() && body.value("stream", false);
  return r;
}

HttpRequest anth_get(std::string path, bool version = true) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  if (version) r.headers.add("anthropic-version", "2023-06-01");
  return r;
}

Json messages_hello(bool stream = false) {
  Json b = {{"model", "claude-sonnet-4-5"},
            {"max_tokens", 256},
            {"messages", Json::array({{{"role", "user"}, {"content", "Say hello to the simulator"}}})}};
  if (stream) b["stream"] = true;
  return b;
}

Json messages_weather_tools() {
  return Json::parse(R"([{"name":"get_weather","description":"Weather","input_schema":{"type":"object",
      "properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city","unit"]}},
      {"name":"get_time","input_schema":{"type":"object","properties":{"tz":{"type":"string"}},"required":["tz"]}}])");
}

struct SseEv {
  std::string event;
  Json data;
};

std::vector<SseEv> events_of(const std::string& body) {
  std::vector<SseEv> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    std::string block = body.substr(pos, end - pos);
    SseEv ev;
    size_t p = 0;
    while (p < block.size()) {
      size_t nl = block.find('\n', p);
      if (nl == std::string::npos) nl = block.size();
      std::string line = block.substr(p, nl - p);
      if (line.rfind("event: ", 0) == 0) ev.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) ev.data = Json::parse(line.substr(6), nullptr, false);
      p = nl + 1;
    }
    if (!ev.event.empty()) out.push_back(std::move(ev));
    pos = end + 2;
  }
  return out;
}

Json error_of(const ScriptedResponse& r) {
  Json b = Json::parse(r.body());
  EXPECT_EQ(b["type"], "error") << r.body();
  EXPECT_TRUE(b["error"].is_object()) << r.body();
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_TRUE(r.headers.has("request-id"));
  if (auto rid = r.headers.get("request-id")) {
    EXPECT_EQ(b["request_id"], std::string(*rid));
  }
  return b["error"];
}

class AnthropicEngineTest : public testing::EngineFixture {
 protected:
  /// Parses a response through the real adapter (non-stream) or decoder (stream).
  Result<ChatResponse> adapt(const ScriptedResponse& r) {
    const Endpoint ep{"anthropic", "http://sim", Secret(), {}};
    adapters::anthropic::AnthropicAdapter a;
    HttpResponse h;
    h.status = r.status;
    h.headers = r.headers;
    h.body = r.body();
    if (!r.streaming) return a.parse_response(h, ep);
    auto dec = a.new_stream_decoder(ep);
    std::vector<StreamEvent> events;
    PLOKE_RETURN_IF_ERROR(dec->feed(h.body, events));
    PLOKE_RETURN_IF_ERROR(dec->finish(events));
    StreamAccumulator acc;
    for (const auto& e : events) PLOKE_RETURN_IF_ERROR(acc.add(e));
    return std::move(acc).take();
  }
};

TEST_F(AnthropicEngineTest, NonStreamMessageShapeHeadersAndUsage) {
  auto engine = make();
  ScriptedResponse r = engine->handle(anth_http(messages_hello()));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_FALSE(r.streaming);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  ASSERT_TRUE(r.headers.get("request-id"));
  EXPECT_EQ(r.headers.get("request-id")->substr(0, 4), "req_");
  EXPECT_FALSE(r.headers.has("openai-processing-ms"));
  EXPECT_FALSE(r.headers.has("x-request-id"));
  for (const char* h : {"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining",
                        "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-limit",
                        "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset",
                        "anthropic-ratelimit-input-tokens-limit", "anthropic-ratelimit-output-tokens-reset",
                        "anthropic-organization-id"}) {
    EXPECT_TRUE(r.headers.has(h)) << h;
  }
  EXPECT_EQ(r.headers.get("anthropic-ratelimit-requests-reset"), "2025-01-01T00:00:01Z");  // RFC 3339
  const Json b = Json::parse(r.body());
  EXPECT_EQ(b["id"].get<std::string>().substr(0, 4), "msg_");
  EXPECT_EQ(b["type"], "message");
  EXPECT_EQ(b["role"], "assistant");
  EXPECT_EQ(b["model"], "claude-sonnet-4-5");
  ASSERT_EQ(b["content"].size(), 1u);
  EXPECT_EQ(b["content"][0]["type"], "text");
  EXPECT_FALSE(b["content"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(b["stop_reason"], "end_turn");
  EXPECT_TRUE(b["stop_sequence"].is_null());
  for (const char* k : {"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}) {
    EXPECT_TRUE(b["usage"][k].is_number_integer()) << k;
  }
  EXPECT_GE(b["usage"]["output_tokens"].get<int>(), 8);
  auto parsed = adapt(r);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->finish_reason, FinishReason::kStop);
  EXPECT_EQ(parsed->request_id, std::string(*r.headers.get("request-id")));
  // Paced like the OpenAI path: ttft + tokens / tps.
  EXPECT_EQ(r.head_at, 20ms + 5ms * b["usage"]["output_tokens"].get<int64_t>());
}

TEST_F(AnthropicEngineTest, StreamHasTheFullEventSequenceAndPacing) {
  auto engine = make();
  ScriptedResponse r = engine->handle(anth_http(messages_hello(true)));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_TRUE(r.streaming);
  EXPECT_EQ(r.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const auto ev = events_of(r.body());
  ASSERT_GE(ev.size(), 8u);
  EXPECT_EQ(ev.size(), r.chunks.size());  // one event per chunk
  EXPECT_EQ(ev[0].event, "message_start");
  EXPECT_EQ(ev[0].data["message"]["usage"]["output_tokens"], 1);
  EXPECT_TRUE(ev[0].data["message"]["content"].empty());
  EXPECT_EQ(ev[1].event, "content_block_start");
  EXPECT_EQ(ev[1].data["content_block"], Json::parse(R"({"type":"text","text":"","citations":[]})"));
  EXPECT_EQ(ev[2].event, "ping");
  size_t deltas = 0;
  std::string text;
  for (const auto& e : ev) {
    EXPECT_EQ(e.data["type"], e.event);  // the data's type always names the event
    if (e.event == "content_block_delta") {
      ++deltas;
      EXPECT_EQ(e.data["delta"]["type"], "text_delta");
      text += e.data["delta"]["text"].get<std::string>();
    }
  }
  const auto& md = ev[ev.size() - 2];
  EXPECT_EQ(md.event, "message_delta");
  EXPECT_EQ(md.data["delta"]["stop_reason"], "end_turn");
  EXPECT_EQ(md.data["usage"]["output_tokens"], deltas);
  EXPECT_EQ(ev.back().event, "message_stop");
  EXPECT_EQ(ev[ev.size() - 3].event, "content_block_stop");
  // Pacing: preamble and first delta at ttft (20 ms), then one every 5 ms (200 tok/s).
  EXPECT_EQ(r.head_at, 0ms);
  EXPECT_EQ(r.chunks[0].at, 20ms);
  EXPECT_EQ(r.chunks[3].at, 20ms);
  EXPECT_EQ(r.chunks[4].at, 25ms);
  EXPECT_EQ(r.chunks.back().at, 20ms + 5ms * static_cast<int64_t>(deltas - 1));
  auto parsed = adapt(r);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->content, text);
  ASSERT_TRUE(parsed->usage);
  EXPECT_EQ(parsed->usage->completion_tokens, deltas);
}

TEST_F(AnthropicEngineTest, MaxTokensCapsAndSetsStopReason) {
  auto engine = make();
  Json b = messages_hello();
  b["max_tokens"] = 3;
  const Json out = Json::parse(engine->handle(anth_http(b)).body());
  EXPECT_EQ(out["stop_reason"], "max_tokens");
  EXPECT_EQ(out["usage"]["output_tokens"], 3);
}

TEST_F(AnthropicEngineTest, StopSequencesCutTheText) {
  const std::string text = Json::parse(make()->handle(anth_http(messages_hello())).body())["content"][0]["text"];
  ASSERT_GT(text.size(), 20u);
  const std::string seq = text.substr(12, 4);
  for (bool stream : {false, true}) {
    auto engine = make();  // same seed, same first request: the same text before the cut
    Json b = messages_hello(stream);
    b["stop_sequences"] = {"never-there", seq};
    ScriptedResponse r = engine->handle(anth_http(b));
    std::string got;
    Json stop_sequence;
    std::string stop_reason;
    if (stream) {
      for (const auto& e : events_of(r.body())) {
        if (e.event == "content_block_delta") got += e.data["delta"]["text"].get<std::string>();
        if (e.event == "message_delta") {
          stop_reason = e.data["delta"]["stop_reason"];
          stop_sequence = e.data["delta"]["stop_sequence"];
        }
      }
    } else {
      const Json out = Json::parse(r.body());
      got = out["content"][0]["text"];
      stop_reason = out["stop_reason"];
      stop_sequence = out["stop_sequence"];
    }
    EXPECT_EQ(got, text.substr(0, text.find(seq))) << stream;
    EXPECT_EQ(stop_reason, "stop_sequence");
    EXPECT_EQ(stop_sequence, seq);
    auto parsed = adapt(r);
    ASSERT_OK(parsed);
    EXPECT_EQ(parsed->finish_reason, FinishReason::kStop);
    EXPECT_EQ(parsed->native_finish_reason, "stop_sequence");
  }
}

TEST_F(AnthropicEngineTest, SameSeedSameBytes) {
  auto a = make();
  SimulatedClock clock2;
  auto b = SimEngine::Create(SimOptions{}, clock2);
  ASSERT_OK(b);
  for (bool stream : {false, true}) {
    EXPECT_EQ(a->handle(anth_http(messages_hello(stream))).body(), (*b)->handle(anth_http(messages_hello(stream))).body());
  }
}

TEST_F(AnthropicEngineTest, ForcedToolUseNonStreamAndStream) {
  auto engine = make();
  Json b = messages_hello();
  b["tools"] = messages_weather_tools();
  b["tool_choice"] = {{"type", "tool"}, {"name", "get_weather"}};
  const Json out = Json::parse(engine->handle(anth_http(b)).body());
  EXPECT_EQ(out["stop_reason"], "tool_use");
  ASSERT_EQ(out["content"].size(), 1u) << out.dump();  // forced: no preamble text
  const Json& tu = out["content"][0];
  EXPECT_EQ(tu["type"], "tool_use");
  EXPECT_EQ(tu["name"], "get_weather");
  EXPECT_EQ(tu["id"].get<std::string>().substr(0, 6), "toolu_");
  EXPECT_TRUE(tu["input"]["city"].is_string());
  EXPECT_TRUE(tu["input"]["unit"] == "c" || tu["input"]["unit"] == "f");

  b["stream"] = true;
  ScriptedResponse r = engine->handle(anth_http(b));
  const auto ev = events_of(r.body());
  EXPECT_EQ(ev[1].event, "content_block_start");
  EXPECT_EQ(ev[1].data["content_block"]["type"], "tool_use");
  EXPECT_EQ(ev[1].data["content_block"]["input"], Json::object());
  EXPECT_EQ(ev[2].event, "ping");
  EXPECT_EQ(ev[3].data["delta"], Json::parse(R"({"type":"input_json_delta","partial_json":""})"));
  auto parsed = adapt(r);
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->tool_calls.size(), 1u);
  EXPECT_EQ(parsed->tool_calls[0].name, "get_weather");
  EXPECT_TRUE(Json::parse(parsed->tool_calls[0].arguments_json)["city"].is_string());
  EXPECT_EQ(parsed->finish_reason, FinishReason::kToolCalls);
}

TEST_F(AnthropicEngineTest, AnyToolChoiceGivesParallelCallsUnlessDisabled) {
  auto engine = make();
  Json b = messages_hello(true);
  b["tools"] = messages_weather_tools();
  b["tool_choice"] = {{"type", "any"}};
  auto parsed = adapt(engine->handle(anth_http(b)));
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->tool_calls.size(), 2u);
  b["tool_choice"]["disable_parallel_tool_use"] = true;
  parsed = adapt(engine->handle(anth_http(b)));
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->tool_calls.size(), 1u);
}

TEST_F(AnthropicEngineTest, AutoToolUseHasTextPreambleAndToolResultGetsText) {
  SimOptions o;
  o.tool_call_probability = 1.0;
  auto engine = make(o);
  Json b = messages_hello();
  b["tools"] = messages_weather_tools();
  const Json out = Json::parse(engine->handle(anth_http(b)).body());
  ASSERT_GE(out["content"].size(), 2u) << out.dump();
  EXPECT_EQ(out["content"][0]["type"], "text");
  EXPECT_EQ(out["content"][1]["type"], "tool_use");
  // Answer every tool_use: the reply is text.
  Json convo = b;
  Json results = Json::array();
  for (const Json& blk : out["content"]) {
    if (blk["type"] == "tool_use") {
      results.push_back({{"type", "tool_result"}, {"tool_use_id", blk["id"]}, {"content", "18C"}});
    }
  }
  convo["messages"].push_back({{"role", "assistant"}, {"content", out["content"]}});
  convo["messages"].push_back({{"role", "user"}, {"content", results}});
  const Json answer = Json::parse(engine->handle(anth_http(convo)).body());
  EXPECT_EQ(answer["stop_reason"], "end_turn") << answer.dump();
}

// A request the Messages API refuses, and how: status, error type, part of the message.
struct RefusalCase {
  std::string name;
  HttpRequest req;
  int status;
  std::string type;
  std::string message_part;
};

HttpRequest edited(const std::function<void(Json&)>& edit) {
  Json b = messages_hello();
  edit(b);
  return anth_http(b);
}

// Headers, body syntax and the required top-level fields.
void add_required_field_cases(std::vector<RefusalCase>& cases) {
  auto with = edited;
  cases.push_back({"no version header", anth_http(messages_hello(), "/v1/messages", false), 400, "invalid_request_error",
                   "anthropic-version: header is required"});
  HttpRequest bad_json = anth_http(messages_hello());
  bad_json.body = "{oops";
  cases.push_back({"bad json", bad_json, 400, "invalid_request_error", "error parsing the body"});
  cases.push_back({"no max_tokens", with([](Json& b) { b.erase("max_tokens"); }), 400, "invalid_request_error",
                   "max_tokens: Field required"});
  cases.push_back({"max_tokens 0", with([](Json& b) { b["max_tokens"] = 0; }), 400, "invalid_request_error",
                   "max_tokens: Input should be greater than or equal to 1"});
  cases.push_back({"no model", with([](Json& b) { b.erase("model"); }), 400, "invalid_request_error",
                   "model: Field required"});
  cases.push_back({"no messages", with([](Json& b) { b.erase("messages"); }), 400, "invalid_request_error",
                   "messages: Field required"});
  cases.push_back({"empty messages", with([](Json& b) { b["messages"] = Json::array(); }), 400,
                   "invalid_request_error", "at least one message"});
  cases.push_back({"system role", with([](Json& b) {
                     b["messages"].insert(b["messages"].begin(), Json{{"role", "system"}, {"content", "x"}});
                   }),
                   400, "invalid_request_error", "Unexpected role \"system\""});
}

// Message order, roles and content blocks, tool_use / tool_result pairing.
void add_message_cases(std::vector<RefusalCase>& cases) {
  auto with = edited;
  cases.push_back({"two users", with([](Json& b) { b["messages"].push_back({{"role", "user"}, {"content", "again"}}); }),
                   400, "invalid_request_error", "roles must alternate"});
  cases.push_back({"first assistant", with([](Json& b) {
                     b["messages"] = Json::parse(R"([{"role":"assistant","content":"hi"},{"role":"user","content":"x"}])");
                   }),
                   400, "invalid_request_error", "first message must use the \"user\" role"});
  cases.push_back({"empty content", with([](Json& b) { b["messages"][0]["content"] = ""; }), 400,
                   "invalid_request_error", "must have non-empty content"});
  cases.push_back({"empty text block", with([](Json& b) {
                     b["messages"][0]["content"] = Json::parse(R"([{"type":"text","text":""}])");
                   }),
                   400, "invalid_request_error", "text content blocks must be non-empty"});
  cases.push_back({"unknown block", with([](Json& b) {
                     b["messages"][0]["content"] = Json::parse(R"([{"type":"video"}])");
                   }),
                   400, "invalid_request_error", "messages.0.content.0: Input tag 'video'"});
  cases.push_back({"orphan tool_result", with([](Json& b) {
                     b["messages"] = Json::parse(R"([{"role":"user","content":"hi"},
                        {"role":"assistant","content":"ok"},
                        {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_x","content":"r"}]}])");
                   }),
                   400, "invalid_request_error",
                   "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x"});
  cases.push_back({"unanswered tool_use", with([](Json& b) {
                     b["messages"] = Json::parse(R"([{"role":"user","content":"hi"},
                        {"role":"assistant","content":[{"type":"tool_use","id":"toolu_a","name":"f","input":{}}]},
                        {"role":"user","content":"no result"}])");
                   }),
                   400, "invalid_request_error",
                   "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_a"});
}

// Tools, sampling ranges, types and the model.
void add_parameter_cases(std::vector<RefusalCase>& cases) {
  auto with = edited;
  cases.push_back({"tool without schema", with([](Json& b) { b["tools"] = Json::parse(R"([{"name":"f"}])"); }), 400,
                   "invalid_request_error", "tools.0.custom.input_schema: Field required"});
  cases.push_back({"tool name not a string",
                   with([](Json& b) { b["tools"] = Json::parse(R"([{"name":7,"input_schema":{"type":"object"}}])"); }),
                   400, "invalid_request_error", "tools.0.custom.name: Input should be a valid string"});
  cases.push_back({"tool_choice unknown tool", with([](Json& b) {
                     b["tools"] = messages_weather_tools();
                     b["tool_choice"] = {{"type", "tool"}, {"name", "nope"}};
                   }),
                   400, "invalid_request_error", "Tool 'nope' not found"});
  cases.push_back({"tool_choice without tools", with([](Json& b) { b["tool_choice"] = {{"type", "any"}}; }), 400,
                   "invalid_request_error", "only be specified while providing tools"});
  cases.push_back({"temperature", with([](Json& b) { b["temperature"] = 1.5; }), 400, "invalid_request_error",
                   "temperature: Input should be less than or equal to 1"});
  cases.push_back({"temperature below 0", with([](Json& b) { b["temperature"] = -0.5; }), 400,
                   "invalid_request_error", "temperature: Input should be greater than or equal to 0"});
  cases.push_back({"top_p", with([](Json& b) { b["top_p"] = 1.2; }), 400, "invalid_request_error",
                   "top_p: Input should be less than or equal to 1"});
  cases.push_back({"max_tokens string", with([](Json& b) { b["max_tokens"] = "8"; }), 400, "invalid_request_error",
                   "max_tokens: Input should be a valid integer"});
  cases.push_back({"bad role", with([](Json& b) { b["messages"][0]["role"] = "robot"; }), 400,
                   "invalid_request_error", "messages.0.role: Input should be 'user' or 'assistant'"});
  cases.push_back({"content a number", with([](Json& b) { b["messages"][0]["content"] = 7; }), 400,
                   "invalid_request_error", "messages.0.content: Input should be a valid list"});
  cases.push_back({"unknown model", with([](Json& b) { b["model"] = "claude-nope"; }), 404, "not_found_error",
                   "model: claude-nope"});
}

TEST_F(AnthropicEngineTest, ValidationErrorsInAnthropicShape) {
  auto engine = make();
  using Case = RefusalCase;
  std::vector<Case> cases;
  add_required_field_cases(cases);
  add_message_cases(cases);
  add_parameter_cases(cases);
  for (const Case& c : cases) {
    ScriptedResponse r = engine->handle(c.req);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body();
    const Json err = error_of(r);
    EXPECT_EQ(err["type"], c.type) << c.name;
    EXPECT_NE(err["message"].get<std::string>().find(c.message_part), std::string::npos)
        << c.name << ": " << err["message"];
    // One implementation (ploke/adapters/anthropic/checks_json.h): the gateway's parser words it the same.
    if (c.status == 400 && c.req.headers.has("anthropic-version") && c.name != "bad json") {
      auto parsed = adapters::anthropic::parse_anthropic_messages_request(c.req.body);
      ASSERT_FALSE(parsed.ok()) << c.name;
      EXPECT_EQ(err["message"], parsed.status().message()) << c.name;
    }
  }
  // The adapter sees them as kInvalidRequest / kNotFound.
  auto st = adapt(engine->handle(cases[2].req));
  EXPECT_EQ(st.status().code(), StatusCode::kInvalidRequest);
}

TEST_F(AnthropicEngineTest, ValidToolConversationIsAccepted) {
  auto engine = make();
  Json b = messages_hello();
  b["system"] = Json::parse(R"([{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}])");
  b["tools"] = messages_weather_tools();
  b["messages"] = Json::parse(R"([{"role":"user","content":"Weather?"},
      {"role":"assistant","content":[{"type":"text","text":"Checking."},
        {"type":"tool_use","id":"toolu_a","name":"get_weather","input":{"city":"Paris"}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_a","content":[{"type":"text","text":"18C"}]},
        {"type":"text","text":"Thanks"}]}])");
  ScriptedResponse r = engine->handle(anth_http(b));
  EXPECT_EQ(r.status, 200) << r.body();
}

TEST_F(AnthropicEngineTest, CountTokens) {
  auto engine = make();
  Json b = messages_hello();
  b.erase("max_tokens");  // not required here
  ScriptedResponse r = engine->handle(anth_http(b, "/v1/messages/count_tokens"));
  ASSERT_EQ(r.status, 200) << r.body();
  const Json out = Json::parse(r.body());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out["input_tokens"], std::string("Say hello to the simulator").size() / 4);
  b["messages"] = Json::array();
  EXPECT_EQ(engine->handle(anth_http(b, "/v1/messages/count_tokens")).status, 400);
  EXPECT_EQ(engine->handle(anth_http(messages_hello(), "/v1/messages/count_tokens", false)).status, 400);
}

TEST_F(AnthropicEngineTest, ModelsInAnthropicShapeOnlyWithVersionHeader) {
  auto engine = make();
  ScriptedResponse r = engine->handle(anth_get("/v1/models"));
  ASSERT_EQ(r.status, 200);
  Json b = Json::parse(r.body());
  ASSERT_FALSE(b["data"].empty());
  EXPECT_EQ(b["data"][0]["type"], "model");
  EXPECT_EQ(b["data"][0]["id"], "claude-sonnet-4-6");
  EXPECT_EQ(b["data"][0]["display_name"], "Claude Sonnet 4.6");
  EXPECT_EQ(b["data"][2]["id"], "claude-sonnet-4-5");
  EXPECT_EQ(b["data"][2]["created_at"], "2025-09-29T00:00:00Z");
  EXPECT_EQ(b["has_more"], false);
  EXPECT_EQ(b["first_id"], "claude-sonnet-4-6");
  EXPECT_EQ(b["last_id"], b["data"].back()["id"]);
  EXPECT_TRUE(r.headers.has("request-id"));
  r = engine->handle(anth_get("/v1/models/claude-haiku-4-5"));
  EXPECT_EQ(Json::parse(r.body())["display_name"], "Claude Haiku 4.5");
  r = engine->handle(anth_get("/v1/models/claude-none"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r)["type"], "not_found_error");
  // Without anthropic-version: OpenAI's list.
  b = Json::parse(engine->handle(anth_get("/v1/models", false)).body());
  EXPECT_EQ(b["object"], "list");
  EXPECT_EQ(b["data"][0]["id"], "gpt-4o");
}

TEST_F(AnthropicEngineTest, UnknownMessagesSubpathIsAnthropic404) {
  auto engine = make();
  ScriptedResponse r = engine->handle(anth_http(messages_hello(), "/v1/messages/batches"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r)["type"], "not_found_error");
}

TEST_F(AnthropicEngineTest, HttpErrorFaultsInAnthropicShape) {
  struct Case {
    int status;
    const char* type;
    StatusCode code;
  };
  for (const Case& c : {Case{400, "invalid_request_error", StatusCode::kInvalidRequest},
                        Case{401, "authentication_error", StatusCode::kAuth},
                        Case{402, "billing_error", StatusCode::kInsufficientCredits},
                        Case{403, "permission_error", StatusCode::kPermission},
                        Case{404, "not_found_error", StatusCode::kNotFound},
                        Case{413, "request_too_large", StatusCode::kInvalidRequest},
                        Case{429, "rate_limit_error", StatusCode::kRateLimited},
                        Case{500, "api_error", StatusCode::kServerError},
                        Case{504, "timeout_error", StatusCode::kServerError},
                        Case{529, "overloaded_error", StatusCode::kOverloaded}}) {
    auto engine = make_with_plan(R"({"faults":[{"kind":"http_error","status":)" + std::to_string(c.status) +
                                 R"(,"retry_after_s":2}]})");
    for (bool stream : {false, true}) {  // also a pre-stream error on stream:true
      ScriptedResponse r = engine->handle(anth_http(messages_hello(stream)));
      EXPECT_EQ(r.status, c.status);
      EXPECT_FALSE(r.streaming);
      EXPECT_EQ(error_of(r)["type"], c.type) << c.status;
      EXPECT_EQ(r.headers.get("retry-after"), "2");
      EXPECT_TRUE(r.headers.has("anthropic-ratelimit-requests-reset"));
      auto parsed = adapt(r);
      EXPECT_EQ(parsed.status().code(), c.code) << c.status << " " << parsed.status().to_string();
      EXPECT_EQ(parsed.status().retry_after(), std::chrono::milliseconds(2000));
    }
  }
}

TEST_F(AnthropicEngineTest, RateLimitFaultHeadersAndOverrides) {
  auto engine = make_with_plan(R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":250,
      "should_retry":false,"message":"slow down","error_code":"enforced_spend_limit_reached"}]})");
  ScriptedResponse r = engine->handle(anth_http(messages_hello()));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.get("anthropic-ratelimit-requests-remaining"), "0");
  EXPECT_EQ(r.headers.get("anthropic-ratelimit-requests-reset"), "2025-01-01T00:00:01Z");
  EXPECT_EQ(r.headers.get("retry-after-ms"), "250");
  EXPECT_EQ(r.headers.get("x-should-retry"), "false");
  const Json err = error_of(r);
  EXPECT_EQ(err["message"], "slow down");
  EXPECT_EQ(err["details"]["error_code"], "enforced_spend_limit_reached");
  auto parsed = adapt(r);
  EXPECT_EQ(parsed.status().code(), StatusCode::kInsufficientCredits);
  EXPECT_EQ(parsed.status().should_retry(), false);
}

// An Anthropic 429 always carries retry-after (whole seconds, at least 1), and every
// anthropic-ratelimit-*-reset header names the same instant: the request's time plus it.
TEST_F(AnthropicEngineTest, RateLimit429AlwaysCarriesRetryAfterAgreeingWithResets) {
  struct Case {
    std::string plan;
    std::string retry_after;
    std::string reset;
  };
  const Case cases[] = {
      {R"({"faults":[{"kind":"http_error","status":429}]})", "1", "2025-01-01T00:00:01Z"},
      {R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":2500}]})", "3", "2025-01-01T00:00:03Z"},
      {R"({"faults":[{"kind":"http_error","status":429,"retry_after_s":7}]})", "7", "2025-01-01T00:00:07Z"},
  };
  for (const Case& c : cases) {
    auto engine = make_with_plan(c.plan);
    ScriptedResponse r = engine->handle(anth_http(messages_hello()));
    ASSERT_EQ(r.status, 429) << c.plan;
    EXPECT_EQ(r.headers.get("retry-after"), c.retry_after) << c.plan;
    for (const char* family : {"requests", "tokens", "input-tokens", "output-tokens"}) {
      EXPECT_EQ(r.headers.get(std::string("anthropic-ratelimit-") + family + "-reset"), c.reset) << c.plan << " " << family;
    }
    EXPECT_EQ(r.headers.get("anthropic-ratelimit-requests-remaining"), "0");
    EXPECT_EQ(r.headers.get("anthropic-ratelimit-tokens-remaining"), "0");
    const Json err = error_of(r);
    EXPECT_EQ(err["type"], "rate_limit_error");
    EXPECT_NE(err["message"].get<std::string>().find("try again later"), std::string::npos) << err;
    auto parsed = adapt(r);
    ASSERT_TRUE(parsed.status().retry_after().has_value()) << c.plan;
  }
}

TEST_F(AnthropicEngineTest, SocketLevelFaults) {
  auto engine = make_with_plan(R"({"faults":[{"kind":"reset","trigger":{"nth":1}},
      {"kind":"empty_reply","trigger":{"nth":2}},{"kind":"hang","trigger":{"nth":3}},
      {"kind":"delay","delay_ms":500,"trigger":{"nth":4}}]})");
  ScriptedResponse r = engine->handle(anth_http(messages_hello()));
  EXPECT_EQ(r.ending, Ending::kReset);
  EXPECT_FALSE(r.send_head);
  r = engine->handle(anth_http(messages_hello()));
  EXPECT_EQ(r.ending, Ending::kCloseNoReply);
  r = engine->handle(anth_http(messages_hello(true)));
  EXPECT_EQ(r.ending, Ending::kHang);
  EXPECT_FALSE(r.send_head);
  r = engine->handle(anth_http(messages_hello()));
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(r.head_at, 500ms);
  const auto j = engine->journal();
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0].path, "/v1/messages");
  EXPECT_EQ(j[0].model, "claude-sonnet-4-5");
  EXPECT_EQ(j[2].stream, true);
  EXPECT_EQ(j[0].fault_id, "f1");
  EXPECT_EQ(j[3].status, 200);
}

TEST_F(AnthropicEngineTest, StreamOverlayFaults) {
  auto engine = make_with_plan(R"({"faults":[
      {"kind":"mid_stream_error","after_events":4,"status":529,"trigger":{"nth":1}},
      {"kind":"stream_cut","after_events":5,"trigger":{"nth":2}},
      {"kind":"malformed_json","after_events":3,"trigger":{"nth":3}},
      {"kind":"hang","after_events":2,"trigger":{"nth":4}},
      {"kind":"slow_stream","factor":3,"trigger":{"nth":5}},
      {"kind":"stream_cut","after_events":100000,"trigger":{"nth":6}}]})");
  ScriptedResponse r = engine->handle(anth_http(messages_hello(true)));
  auto ev = events_of(r.body());
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev.back().event, "error");
  EXPECT_EQ(ev.back().data["error"], Json::parse(R"({"type":"overloaded_error","message":"Overloaded"})"));
  EXPECT_EQ(ev.back().data["type"], "error");
  // The error event belongs to its message: the request id of the response's headers.
  EXPECT_EQ(ev.back().data["request_id"], std::string(r.headers.get("request-id").value_or("?")));
  EXPECT_EQ(r.ending, Ending::kComplete);
  EXPECT_EQ(r.status, 200);
  auto parsed = adapt(r);
  EXPECT_EQ(parsed.status().code(), StatusCode::kOverloaded) << parsed.status().to_string();

  r = engine->handle(anth_http(messages_hello(true)));
  EXPECT_EQ(events_of(r.body()).size(), 5u);
  EXPECT_EQ(r.ending, Ending::kReset);

  r = engine->handle(anth_http(messages_hello(true)));
  EXPECT_EQ(r.chunks.size(), 4u);
  EXPECT_EQ(r.chunks.back().bytes.rfind("event: content_block_delta\ndata: {", 0), 0u);
  EXPECT_EQ(adapt(r).status().code(), StatusCode::kMalformedResponse);

  r = engine->handle(anth_http(messages_hello(true)));
  EXPECT_EQ(r.chunks.size(), 2u);
  EXPECT_EQ(r.ending, Ending::kHang);
  EXPECT_TRUE(r.send_head);

  r = engine->handle(anth_http(messages_hello(true)));
  EXPECT_EQ(r.chunks.front().at, 60ms);  // ttft × 3
  EXPECT_EQ(r.chunks[4].at, 75ms);       // + 5 ms × 3
  EXPECT_OK(adapt(r));

  r = engine->handle(anth_http(messages_hello(true)));  // a cap never keeps message_stop
  ev = events_of(r.body());
  EXPECT_EQ(ev.back().event, "message_delta");
  EXPECT_EQ(adapt(r).status().code(), StatusCode::kConnectionReset);
}

TEST_F(AnthropicEngineTest, NonStreamOverlayFaults) {
  auto engine = make_with_plan(R"({"faults":[
      {"kind":"malformed_json","trigger":{"nth":1}},
      {"kind":"stream_cut","trigger":{"nth":2}},
      {"kind":"mid_stream_error","trigger":{"nth":3}}]})");
  ScriptedResponse r = engine->handle(anth_http(messages_hello()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(adapt(r).status().code(), StatusCode::kMalformedResponse);
  r = engine->handle(anth_http(messages_hello()));
  EXPECT_EQ(r.ending, Ending::kReset);
  EXPECT_TRUE(r.headers.has("content-length"));
  r = engine->handle(anth_http(messages_hello()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(error_of(r)["type"], "api_error");
  EXPECT_EQ(adapt(r).status().code(), StatusCode::kServerError);
}

TEST_F(AnthropicEngineTest, FaultsMatchByModelStreamAndPath) {
  auto engine = make_with_plan(R"({"faults":[
      {"id":"ct","kind":"http_error","status":529,"match":{"path":"/v1/messages/count_tokens"}},
      {"id":"haiku","kind":"http_error","status":500,"match":{"model":"claude-haiku-4-5","stream":true}}]})");
  Json b = messages_hello();
  b.erase("max_tokens");
  EXPECT_EQ(engine->handle(anth_http(b, "/v1/messages/count_tokens")).status, 529);
  EXPECT_EQ(engine->handle(anth_http(messages_hello())).status, 200);  // default path match: inference only
  Json h = messages_hello(true);
  h["model"] = "claude-haiku-4-5";
  EXPECT_EQ(engine->handle(anth_http(h)).status, 500);
  h["stream"] = false;
  EXPECT_EQ(engine->handle(anth_http(h)).status, 200);
  const auto stats = engine->fault_stats();
  EXPECT_EQ(stats[0].fired, 1u);
  EXPECT_EQ(stats[1].fired, 1u);
}

}  // namespace
}  // namespace ploke::simulator
