// POST /v1/completions (legacy) on SimEngine: body and stream shapes, n and batched
// prompts, max_tokens → "length", echo, pacing, the API's errors, faults.
#include <gtest/gtest.h>

#include "ploke/simulator/engine.h"
#include "sim_test_util.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;
using testing::Json;
using testing::sse_data;

constexpr const char* kModel = "gpt-3.5-turbo-instruct";

class LegacyCompletionsTest : public testing::EngineFixture {
 protected:
  static HttpRequest complete(const Json& body) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/v1/completions";
    r.headers.add("content-type", "application/json");
    r.body = body.dump();
    r.expect_stream = body.contains("stream") && body["stream"] == true;
    return r;
  }
  static Json body(const ScriptedResponse& r) { return Json::parse(r.body()); }
  static Json req(Json prompt = "Say this is a test") { return Json{{"model", kModel}, {"prompt", std::move(prompt)}}; }
};

TEST_F(LegacyCompletionsTest, NonStreamBodyHasTheApiShape) {
  auto engine = make();
  ScriptedResponse r = engine->handle(complete(req()));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_FALSE(r.streaming);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_TRUE(r.headers.has("x-request-id"));
  EXPECT_TRUE(r.headers.has("x-ratelimit-limit-requests"));
  const Json b = body(r);
  EXPECT_EQ(b["id"].get<std::string>().substr(0, 5), "cmpl-");
  EXPECT_EQ(b["id"].get<std::string>().size(), 34u);
  EXPECT_EQ(b["object"], "text_completion");
  EXPECT_EQ(b["created"], 1735689600);
  EXPECT_EQ(b["model"], kModel);
  ASSERT_EQ(b["choices"].size(), 1u);
  const Json& c = b["choices"][0];
  EXPECT_EQ(c["index"], 0);
  EXPECT_TRUE(c["logprobs"].is_null());
  ASSERT_TRUE(c["text"].is_string());
  EXPECT_FALSE(c["text"].get<std::string>().empty());
  EXPECT_TRUE(c["finish_reason"] == "stop" || c["finish_reason"] == "length");
  const Json& u = b["usage"];
  EXPECT_EQ(u["prompt_tokens"], 4);  // 18 bytes / 4
  EXPECT_EQ(u["total_tokens"], u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
  const std::string text = c["text"];
  EXPECT_EQ(u["completion_tokens"].get<size_t>(), 1 + static_cast<size_t>(std::count(text.begin(), text.end(), ' ')));
  // Determinism: the same seed and sequence give the same bytes.
  EXPECT_EQ(make()->handle(complete(req())).body(), r.body());
}

TEST_F(LegacyCompletionsTest, MaxTokensDefaultsTo16AndCapsWithLength) {
  SimOptions o;
  o.length.min_tokens = 40;
  o.length.max_tokens = 40;
  auto engine = make(o);
  Json b = body(engine->handle(complete(req())));
  EXPECT_EQ(b["usage"]["completion_tokens"], 16);  // the API's default max_tokens
  EXPECT_EQ(b["choices"][0]["finish_reason"], "length");
  Json r = req();
  r["max_tokens"] = 3;
  b = body(engine->handle(complete(r)));
  EXPECT_EQ(b["usage"]["completion_tokens"], 3);
  EXPECT_EQ(b["choices"][0]["finish_reason"], "length");
  r["max_tokens"] = 100;
  b = body(engine->handle(complete(r)));
  EXPECT_EQ(b["usage"]["completion_tokens"], 40);
  EXPECT_EQ(b["choices"][0]["finish_reason"], "stop");
  r["max_tokens"] = 0;  // allowed on this route: nothing generated
  r["echo"] = true;
  b = body(engine->handle(complete(r)));
  EXPECT_EQ(b["choices"][0]["text"], "Say this is a test");
  EXPECT_EQ(b["usage"]["completion_tokens"], 0);
}

TEST_F(LegacyCompletionsTest, NAndBatchedPromptsIndexChoicesPromptMajor) {
  auto engine = make();
  Json r = req(Json::array({"first prompt", "second prompt"}));
  r["n"] = 3;
  r["echo"] = true;
  const Json b = body(engine->handle(complete(r)));
  ASSERT_EQ(b["choices"].size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(b["choices"][i]["index"], i);
    const std::string text = b["choices"][i]["text"];
    EXPECT_EQ(text.rfind(i < 3 ? "first prompt" : "second prompt", 0), 0u) << text;
  }
  EXPECT_EQ(b["usage"]["prompt_tokens"], 6);  // 12/4 + 13/4
  Json tokens = req(Json::array({Json::array({1, 2, 3}), Json::array({4})}));
  EXPECT_EQ(body(engine->handle(complete(tokens)))["usage"]["prompt_tokens"], 4);
  EXPECT_EQ(body(engine->handle(complete(req(Json::array({1, 2, 3})))))["choices"].size(), 1u);
  EXPECT_EQ(engine->handle(complete(req(nullptr))).status, 200);  // the API's default prompt
}

TEST_F(LegacyCompletionsTest, StreamSendsTextCompletionChunksThenDone) {
  SimOptions o;
  o.latency.time_to_first_token = 20ms;
  o.latency.tokens_per_second = 100;  // 10 ms a token
  auto engine = make(o);
  Json r = req();
  r["stream"] = true;
  r["stream_options"] = {{"include_usage", true}};
  r["n"] = 2;
  ScriptedResponse resp = engine->handle(complete(r));
  ASSERT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.streaming);
  EXPECT_EQ(resp.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const auto data = sse_data(resp.body());
  ASSERT_GE(data.size(), 6u);
  EXPECT_EQ(data.back(), "[DONE]");
  const Json usage = Json::parse(data[data.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  std::string text[2];
  std::string finish[2];
  std::string id;
  for (size_t i = 0; i + 2 < data.size(); ++i) {
    const Json c = Json::parse(data[i]);
    EXPECT_EQ(c["object"], "text_completion");
    EXPECT_EQ(c["model"], kModel);
    EXPECT_TRUE(c.contains("usage") && c["usage"].is_null());
    if (id.empty()) id = c["id"];
    EXPECT_EQ(c["id"], id);
    ASSERT_EQ(c["choices"].size(), 1u);
    const Json& ch = c["choices"][0];
    const size_t idx = ch["index"];
    ASSERT_LT(idx, 2u);
    EXPECT_TRUE(finish[idx].empty()) << "a chunk after the finish";
    text[idx] += ch["text"].get<std::string>();
    if (!ch["finish_reason"].is_null()) finish[idx] = ch["finish_reason"];
  }
  uint64_t words = 0;
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(text[i].empty());
    EXPECT_FALSE(finish[i].empty());
    words += 1 + static_cast<uint64_t>(std::count(text[i].begin(), text[i].end(), ' '));
  }
  EXPECT_EQ(usage["usage"]["completion_tokens"], words);
  EXPECT_EQ(resp.chunks.front().at, 20ms);  // first token at ttft, then one per 10 ms
  EXPECT_EQ(resp.chunks[2].at, 30ms);
  EXPECT_EQ(resp.chunks.back().at, resp.chunks[resp.chunks.size() - 3].at);
  // Non-stream: when the whole text would be done.
  r.erase("stream");
  r.erase("stream_options");
  r["n"] = 1;
  resp = engine->handle(complete(r));
  const Json b = body(resp);
  EXPECT_EQ(resp.head_at, 20ms + 10ms * b["usage"]["completion_tokens"].get<int>());
}

TEST_F(LegacyCompletionsTest, StreamWithoutUsageAndWithEcho) {
  auto engine = make();
  Json r = req("Echo me");
  r["stream"] = true;
  r["echo"] = true;
  r["max_tokens"] = 2;
  const auto data = sse_data(engine->handle(complete(r)).body());
  ASSERT_EQ(data.size(), 5u);  // echo, 2 tokens, finish, [DONE]
  EXPECT_EQ(Json::parse(data[0])["choices"][0]["text"], "Echo me");
  EXPECT_FALSE(Json::parse(data[0]).contains("usage"));
  const Json last = Json::parse(data[3]);
  EXPECT_EQ(last["choices"][0]["text"], "");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
}

struct BadCompletionRequest {
  Json body;
  int status;
  std::string message;
  Json param;
  Json code;
};

TEST_F(LegacyCompletionsTest, ValidationErrorsAreTheApis) {
  auto with = [](const char* key, Json v) {
    Json b = req();
    b[key] = std::move(v);
    return b;
  };
  const std::vector<BadCompletionRequest> cases = {
      {Json{{"prompt", "x"}}, 400, "you must provide a model parameter", nullptr, nullptr},
      {Json{{"model", kModel}}, 400, "Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"},
      {req(Json::object()), 400,
       "Invalid type for 'prompt': expected one of a string, an array of strings, an array of integers, or an array "
       "of arrays of integers, but got an object instead.",
       "prompt", "invalid_type"},
      {req(Json::array()), 400,
       "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array instead.",
       "prompt", "empty_array"},
      {with("stream", "yes"), 400, "Invalid type for 'stream': expected a boolean, but got string instead.", "stream",
       "invalid_type"},
      {with("temperature", 3), 400,
       "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.", "temperature",
       "decimal_above_max_value"},
      {with("n", 0), 400, "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.", "n",
       "integer_below_min_value"},
      {with("max_tokens", -1), 400,
       "Invalid 'max_tokens': integer below minimum value. Expected a value >= 0, but got -1 instead.", "max_tokens",
       "integer_below_min_value"},
      {with("logprobs", 6), 400,
       "Invalid 'logprobs': integer above maximum value. Expected a value <= 5, but got 6 instead.", "logprobs",
       "integer_above_max_value"},
      {with("suffix", 1), 400, "Invalid type for 'suffix': expected a string, but got an integer instead.", "suffix",
       "invalid_type"},
      {Json{{"model", "gpt-4o"}, {"prompt", "x"}}, 404,
       "This is a chat model and not supported in the v1/completions endpoint. Did you mean to use "
       "v1/chat/completions?",
       "model", nullptr},
      {Json{{"model", "nope"}, {"prompt", "x"}}, 404,
       "The model `nope` does not exist or you do not have access to it.", nullptr, "model_not_found"},
  };
  auto engine = make();
  for (const BadCompletionRequest& c : cases) {
    ScriptedResponse r = engine->handle(complete(c.body));
    EXPECT_EQ(r.status, c.status) << c.body.dump();
    const Json e = body(r)["error"];
    EXPECT_EQ(e["message"], c.message) << c.body.dump();
    EXPECT_EQ(e["type"], "invalid_request_error");
    EXPECT_EQ(e["param"], c.param) << c.body.dump();
    EXPECT_EQ(e["code"], c.code) << c.body.dump();
  }
  // Accepted and not acted on: suffix, logprobs (answered with null), best_of, user.
  Json ok = with("suffix", "end.");
  ok["logprobs"] = 2;
  ok["best_of"] = 2;
  ok["user"] = "u";
  const Json b = body(engine->handle(complete(ok)));
  EXPECT_TRUE(b["choices"][0]["logprobs"].is_null());
}

TEST_F(LegacyCompletionsTest, FaultsApplyToTheRouteAndItsStream) {
  auto engine = make_with_plan(R"({"faults":[
      {"id":"rl","kind":"http_error","status":429,"retry_after_s":1,"trigger":{"nth":1}},
      {"id":"five","kind":"http_error","status":500,"trigger":{"nth":2}},
      {"id":"cut","kind":"stream_cut","after_events":2,"trigger":{"nth":3}},
      {"id":"mid","kind":"mid_stream_error","after_events":1,"trigger":{"nth":4}},
      {"id":"bad","kind":"malformed_json","after_events":1,"trigger":{"nth":5}},
      {"id":"h","kind":"hang","after_events":1,"trigger":{"nth":6}}]})");
  Json s = req();
  s["stream"] = true;
  ScriptedResponse r = engine->handle(complete(s));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.get("retry-after"), "1");
  EXPECT_EQ(engine->handle(complete(s)).status, 500);
  r = engine->handle(complete(s));
  EXPECT_EQ(r.ending, Ending::kReset);
  EXPECT_EQ(sse_data(r.body()).size(), 2u);
  r = engine->handle(complete(s));
  auto data = sse_data(r.body());
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(Json::parse(data[1])["error"]["type"], "server_error");
  r = engine->handle(complete(s));
  data = sse_data(r.body());
  ASSERT_EQ(data.size(), 2u);
  EXPECT_TRUE(Json::parse(data[1], nullptr, false).is_discarded());
  EXPECT_NE(data[1].find("text_completion"), std::string::npos);
  r = engine->handle(complete(s));
  EXPECT_EQ(r.ending, Ending::kHang);
  EXPECT_EQ(engine->handle(complete(s)).status, 200);
  const auto j = engine->journal();
  ASSERT_EQ(j.size(), 7u);
  EXPECT_EQ(j[0].path, "/v1/completions");
  EXPECT_TRUE(j[0].stream);
  EXPECT_EQ(j[0].model, kModel);
  for (const auto& st : engine->fault_stats()) EXPECT_EQ(st.fired, 1u) << st.id;
}

}  // namespace
}  // namespace ploke::simulator
