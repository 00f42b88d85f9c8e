// Chat Completions with `reasoning_effort`: the API's 400s (a value outside its list; a model
// that does not reason), and a reasoning model's hidden reasoning counted in
// completion_tokens_details.reasoning_tokens (non-stream and in the stream's usage chunk),
// scaled by the effort, without changing the answer. Through the gateway's reader the
// effort becomes ReasoningOptions::effort.
#include <gtest/gtest.h>

#include "ploke/adapters/openai/server.h"
#include "ploke/simulator/engine.h"
#include "sim_test_util.h"

namespace ploke::simulator {
namespace {

using testing::chat_http;
using testing::Json;
using testing::simple_body;
using testing::sse_data;

class ChatReasoningTest : public testing::EngineFixture {};

Json with_effort(Json b, const char* effort) {
  b["reasoning_effort"] = effort;
  return b;
}

TEST_F(ChatReasoningTest, TheApisErrors) {
  auto engine = make();
  ScriptedResponse bad = engine->handle(chat_http(with_effort(simple_body(false, "o4-mini"), "huge")));
  ASSERT_EQ(bad.status, 400);
  const Json e = Json::parse(bad.body())["error"];
  EXPECT_EQ(e["message"], "Invalid value: 'huge'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'.");
  EXPECT_EQ(e["param"], "reasoning_effort");
  EXPECT_EQ(e["code"], "invalid_value");
  ScriptedResponse plain = engine->handle(chat_http(with_effort(simple_body(false, "gpt-4o"), "low")));
  ASSERT_EQ(plain.status, 400);
  EXPECT_EQ(Json::parse(plain.body())["error"]["code"], "unsupported_parameter");
  EXPECT_EQ(Json::parse(plain.body())["error"]["param"], "reasoning_effort");
  // The gateway's reader applies the same check, and reads a valid effort.
  auto in = adapters::openai::parse_openai_chat_request(with_effort(simple_body(false, "o4-mini"), "huge").dump());
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.status().message().find("reasoning_effort"), std::string::npos) << in.status().message();
  auto ok = adapters::openai::parse_openai_chat_request(with_effort(simple_body(false, "o4-mini"), "high").dump());
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->request.reasoning.effort, "high");
}

uint64_t reasoning_of(const Json& usage) { return usage["completion_tokens_details"]["reasoning_tokens"].get<uint64_t>(); }

TEST_F(ChatReasoningTest, ReasoningModelsCountHiddenReasoningTokens) {
  auto engine = make();
  const Json plain = Json::parse(engine->handle(chat_http(simple_body(false, "gpt-4o"))).body());
  EXPECT_EQ(reasoning_of(plain["usage"]), 0u);
  const Json medium = Json::parse(make()->handle(chat_http(simple_body(false, "o4-mini"))).body());
  const Json high = Json::parse(make()->handle(chat_http(with_effort(simple_body(false, "o4-mini"), "high"))).body());
  const Json none = Json::parse(make()->handle(chat_http(with_effort(simple_body(false, "o4-mini"), "none"))).body());
  EXPECT_GE(reasoning_of(medium["usage"]), 32u);
  EXPECT_EQ(reasoning_of(high["usage"]), 2 * reasoning_of(medium["usage"]));
  EXPECT_EQ(reasoning_of(none["usage"]), 0u);
  // The answer is the same; its tokens are the completion minus the reasoning.
  EXPECT_EQ(high["choices"][0]["message"]["content"], none["choices"][0]["message"]["content"]);
  EXPECT_EQ(high["usage"]["completion_tokens"].get<uint64_t>() - reasoning_of(high["usage"]),
            none["usage"]["completion_tokens"].get<uint64_t>());
  // Streamed: the usage chunk carries them.
  Json sb = simple_body(true, "o4-mini");
  sb["stream_options"] = {{"include_usage", true}};
  const std::vector<std::string> data = sse_data(make()->handle(chat_http(sb)).body());
  ASSERT_GE(data.size(), 2u);
  EXPECT_EQ(data.back(), "[DONE]");
  EXPECT_EQ(reasoning_of(Json::parse(data[data.size() - 2])["usage"]), reasoning_of(medium["usage"]));
}

}  // namespace
}  // namespace ploke::simulator
