// The simulator's Responses API (POST /v1/responses, GET /v1/responses/{id}) on a
// SimulatedClock: text and function-call answers, the typed stream and its pacing,
// previous_response_id (context, call ids, the API's 400s), store and retrieval, the 404s,
// determinism by seed, and faults (HTTP errors, a mid-stream error event with its sequence
// number, a cut stream).
#include <gtest/gtest.h>

#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "sim_test_util.h"

namespace ploke::simulator {
namespace {

using testing::chat_http;
using testing::Json;
using testing::sse_data;

HttpRequest get_request(const std::string& path) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  return r;
}

Json responses_body(bool stream = false) {
  Json b = {{"model", "gpt-4o"}, {"input", "Say hello to the simulator"}};
  if (stream) b["stream"] = true;
  return b;
}

Json responses_weather_tools() {
  return Json::parse(R"([{"type":"function","name":"get_weather",
    "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}])");
}

class ResponsesEngine : public ::testing::Test {
 protected:
  std::unique_ptr<SimEngine> make(uint64_t seed = 1, const std::string& plan = "") {
    SimOptions o;
    o.seed = seed;
    if (!plan.empty()) {
      auto p = parse_fault_plan(plan, "test");
      EXPECT_TRUE(p.ok()) << p.status().to_string();
      o.faults = *p;
    }
    auto e = SimEngine::Create(o, clock_);
    EXPECT_TRUE(e.ok());
    return std::move(e).value();
  }
  Json post(SimEngine& e, const Json& body, int want = 200) {
    ScriptedResponse r = e.handle(chat_http(body, "/v1/responses"));
    EXPECT_EQ(r.status, want) << r.body();
    return Json::parse(r.body());
  }
  SimulatedClock clock_;
};

TEST_F(ResponsesEngine, TextAnswerIsACompletedResponse) {
  auto e = make();
  const Json r = post(*e, responses_body());
  EXPECT_EQ(r["object"], "response");
  EXPECT_EQ(r["id"].get<std::string>().rfind("resp_", 0), 0u);
  EXPECT_EQ(r["id"].get<std::string>().size(), 53u);
  EXPECT_EQ(r["status"], "completed");
  ASSERT_EQ(r["output"].size(), 1u);
  const Json& msg = r["output"][0];
  EXPECT_EQ(msg["type"], "message");
  EXPECT_EQ(msg["role"], "assistant");
  EXPECT_FALSE(msg["content"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(r["usage"]["input_tokens"], std::string("Say hello to the simulator").size() / 4);
  EXPECT_EQ(r["usage"]["total_tokens"], r["usage"]["input_tokens"].get<int>() + r["usage"]["output_tokens"].get<int>());
}

TEST_F(ResponsesEngine, SameSeedSameAnswerOtherSeedOtherAnswer) {
  auto a = make(7), b = make(7), c = make(8);
  const Json ra = post(*a, responses_body()), rb = post(*b, responses_body()), rc = post(*c, responses_body());
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra["id"], rc["id"]);
  EXPECT_NE(ra["id"], post(*a, responses_body())["id"]);  // never repeated within a process
}

TEST_F(ResponsesEngine, StreamIsTypedEventsPacedByTheTokenRate) {
  auto e = make();
  ScriptedResponse r = e->handle(chat_http(responses_body(true), "/v1/responses"));
  ASSERT_TRUE(r.streaming);
  EXPECT_EQ(r.headers.get("content-type").value_or(""), "text/event-stream; charset=utf-8");
  const std::vector<std::string> data = sse_data(r.body());
  ASSERT_GE(data.size(), 9u);
  EXPECT_EQ(Json::parse(data.front())["type"], "response.created");
  EXPECT_EQ(Json::parse(data.back())["type"], "response.completed");
  EXPECT_EQ(r.body().find("[DONE]"), std::string::npos);
  for (size_t i = 0; i < data.size(); ++i) EXPECT_EQ(Json::parse(data[i])["sequence_number"], i);
  // Deltas one token gap apart (default 200 tok/s: 5 ms), after the time to first token.
  std::vector<Duration> delta_at;
  for (const TimedChunk& c : r.chunks) {
    if (c.bytes.rfind("event: response.output_text.delta", 0) == 0) delta_at.push_back(c.at);
  }
  ASSERT_GE(delta_at.size(), 2u);
  EXPECT_EQ(delta_at[0], SimOptions{}.latency.time_to_first_token);
  EXPECT_EQ(delta_at[1] - delta_at[0], std::chrono::milliseconds(5));
  EXPECT_EQ(r.chunks.front().at, Duration{0});
}

TEST_F(ResponsesEngine, FunctionCallThenPreviousResponseIdWithItsOutput) {
  auto e = make();
  Json body = responses_body();
  body["tools"] = responses_weather_tools();
  body["tool_choice"] = "required";
  const Json first = post(*e, body);
  ASSERT_EQ(first["output"][0]["type"], "function_call");
  const std::string call_id = first["output"][0]["call_id"];
  EXPECT_EQ(Json::parse(first["output"][0]["arguments"].get<std::string>())["city"].is_string(), true);

  // Not answering the call: the API's 400.
  Json next = {{"model", "gpt-4o"}, {"previous_response_id", first["id"]}, {"input", "and now?"}};
  Json err = post(*e, next, 400);
  EXPECT_EQ(err["error"]["message"], "No tool output found for function call " + call_id + ".");
  // Answering a call nobody made: 400.
  next["input"] = Json::array({{{"type", "function_call_output"}, {"call_id", "call_nope"}, {"output", "x"}}});
  err = post(*e, next, 400);
  EXPECT_EQ(err["error"]["param"], "input");
  // Answering it: text, with the previous context counted in input_tokens.
  next["input"] = Json::array({{{"type", "function_call_output"}, {"call_id", call_id}, {"output", "sunny"}}});
  next["tools"] = responses_weather_tools();
  const Json second = post(*e, next);
  EXPECT_EQ(second["output"][0]["type"], "message");
  EXPECT_EQ(second["previous_response_id"], first["id"]);
  EXPECT_GT(second["usage"]["input_tokens"].get<int>(), first["usage"]["input_tokens"].get<int>());
}

TEST_F(ResponsesEngine, UnknownPreviousResponseModelAndUrl) {
  auto e = make();
  Json body = responses_body();
  body["previous_response_id"] = "resp_missing";
  Json err = post(*e, body, 400);
  EXPECT_EQ(err["error"]["code"], "previous_response_not_found");
  EXPECT_EQ(err["error"]["param"], "previous_response_id");
  body = responses_body();
  body["model"] = "nope";
  err = post(*e, body, 404);
  EXPECT_EQ(err["error"]["code"], "model_not_found");
  ScriptedResponse r = e->handle(get_request("/v1/responses/resp_missing"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body())["error"]["message"], "Response with id 'resp_missing' not found.");
}

TEST_F(ResponsesEngine, StoredResponsesAreRetrievedUnstoredAreNot) {
  auto e = make();
  const Json stored = post(*e, responses_body());
  ScriptedResponse r = e->handle(get_request("/v1/responses/" + stored["id"].get<std::string>()));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body()), stored);
  Json body = responses_body();
  body["store"] = false;
  const Json unstored = post(*e, body);
  EXPECT_EQ(unstored["store"], false);
  EXPECT_EQ(e->handle(get_request("/v1/responses/" + unstored["id"].get<std::string>())).status, 404);
  body = responses_body();
  body["previous_response_id"] = unstored["id"];
  EXPECT_EQ(post(*e, body, 400)["error"]["code"], "previous_response_not_found");
}

// A reasoning model answers a reasoning item first and counts its tokens; other models
// refuse reasoning.effort.
TEST_F(ResponsesEngine, ReasoningModelsAnswerAReasoningItem) {
  auto e = make();
  Json body = {{"model", "o4-mini"}, {"input", "Think about it"}};
  Json r = post(*e, body);
  ASSERT_GE(r["output"].size(), 2u);
  EXPECT_EQ(r["output"][0]["type"], "reasoning");
  EXPECT_EQ(r["output"][0]["summary"], Json::array());
  EXPECT_FALSE(r["output"][0].contains("encrypted_content"));
  EXPECT_EQ(r["output"][1]["type"], "message");
  const uint64_t reasoning = r["usage"]["output_tokens_details"]["reasoning_tokens"];
  EXPECT_GE(reasoning, 32u);
  EXPECT_GT(r["usage"]["output_tokens"].get<uint64_t>(), reasoning);
  EXPECT_EQ(r["reasoning"], (Json{{"effort", "medium"}, {"summary", nullptr}}));
  body["reasoning"] = {{"effort", "high"}, {"summary", "auto"}};
  body["include"] = {"reasoning.encrypted_content"};
  body["stream"] = true;
  ScriptedResponse s = e->handle(chat_http(body, "/v1/responses"));
  std::vector<std::string> types;
  std::string summary;
  Json done;
  for (const std::string& d : sse_data(s.body())) {
    const Json ev = Json::parse(d);
    types.push_back(ev["type"]);
    if (ev["type"] == "response.reasoning_summary_text.delta") summary += ev["delta"].get<std::string>();
    if (ev["type"] == "response.completed") done = ev["response"];
  }
  ASSERT_GE(types.size(), 8u);
  EXPECT_EQ(types[2], "response.output_item.added");
  EXPECT_EQ(types[3], "response.reasoning_summary_part.added");
  EXPECT_EQ(types[4], "response.reasoning_summary_text.delta");
  EXPECT_FALSE(summary.empty());
  EXPECT_EQ(done["output"][0]["summary"][0]["text"], summary);
  EXPECT_EQ(done["output"][0]["encrypted_content"].get<std::string>().rfind("gAAAAA", 0), 0u);
  EXPECT_EQ(done["reasoning"], (Json{{"effort", "high"}, {"summary", "auto"}}));
  // Not a reasoning model; not an effort the API knows.
  Json err = post(*e, {{"model", "gpt-4o"}, {"input", "x"}, {"reasoning", {{"effort", "low"}}}}, 400)["error"];
  EXPECT_EQ(err["code"], "unsupported_parameter");
  EXPECT_EQ(err["param"], "reasoning.effort");
  err = post(*e, {{"model", "o4-mini"}, {"input", "x"}, {"reasoning", {{"effort", "huge"}}}}, 400)["error"];
  EXPECT_EQ(err["code"], "invalid_value");
  EXPECT_EQ(err["param"], "reasoning.effort");
  // max_output_tokens bounds the answer and the reasoning together.
  r = post(*e, {{"model", "o4-mini"}, {"input", "x"}, {"max_output_tokens", 40}});
  EXPECT_LE(r["usage"]["output_tokens"].get<uint64_t>(), 40u);
}

TEST_F(ResponsesEngine, DeleteForgetsAStoredResponse) {
  auto e = make();
  const std::string id = post(*e, responses_body())["id"];
  HttpRequest del = get_request("/v1/responses/" + id);
  del.method = "DELETE";
  ScriptedResponse r = e->handle(del);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body()), (Json{{"id", id}, {"object", "response"}, {"deleted", true}}));
  EXPECT_EQ(e->handle(get_request("/v1/responses/" + id)).status, 404);
  EXPECT_EQ(e->handle(del).status, 404);
  Json body = responses_body();
  body["previous_response_id"] = id;
  EXPECT_EQ(post(*e, body, 400)["error"]["code"], "previous_response_not_found");
  // Sub-resources this simulator does not serve are the API's unknown-URL 404.
  EXPECT_EQ(e->handle(get_request("/v1/responses/" + id + "/input_items")).status, 404);
}

TEST_F(ResponsesEngine, MaxOutputTokensEndsIncomplete) {
  SimOptions o;
  o.length.min_tokens = o.length.max_tokens = 40;
  auto e = SimEngine::Create(o, clock_);
  Json body = responses_body(true);
  body["max_output_tokens"] = 16;
  ScriptedResponse r = (*e)->handle(chat_http(body, "/v1/responses"));
  const Json last = Json::parse(sse_data(r.body()).back());
  EXPECT_EQ(last["type"], "response.incomplete");
  EXPECT_EQ(last["response"]["incomplete_details"]["reason"], "max_output_tokens");
  EXPECT_EQ(last["response"]["usage"]["output_tokens"], 16);
}

TEST_F(ResponsesEngine, FaultsApplyWithResponsesShapes) {
  auto e = make(1, R"({"faults":[
    {"id":"mid","kind":"mid_stream_error","status":500,"after_events":3,"match":{"stream":true},"trigger":{"nth":1}},
    {"id":"rl","kind":"http_error","status":429,"retry_after_ms":10,"match":{"stream":false},"trigger":{"nth":1}}]})");
  ScriptedResponse r = e->handle(chat_http(responses_body(true), "/v1/responses"));
  const std::vector<std::string> data = sse_data(r.body());
  ASSERT_EQ(data.size(), 4u);
  const Json err = Json::parse(data.back());
  EXPECT_EQ(err["type"], "error");
  EXPECT_EQ(err["sequence_number"], 3);
  EXPECT_NE(r.body().find("event: error\n"), std::string::npos);
  ScriptedResponse limited = e->handle(chat_http(responses_body(), "/v1/responses"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.get("retry-after-ms").value_or(""), "10");
  const auto journal = e->journal();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[0].fault_id, "mid");
  EXPECT_EQ(journal[1].path, "/v1/responses");
}

}  // namespace
}  // namespace ploke::simulator
