// The normalized reasoning vocabulary on the client side: ReasoningOptions shaped into
// Anthropic `thinking`, OpenRouter `reasoning` and OpenAI `reasoning_effort` (or refused,
// naming the option); Anthropic thinking / redacted_thinking blocks with signatures read
// from answers and streams into ChatResponse::reasoning_blocks and sent back, in order, on
// the next turn's assistant message; the 1-hour cache-write split of usage.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openrouter/adapter.h"
#include "stream_decode_util.h"
#include "support/test_support.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

const Endpoint kReasoningEp{"anthropic", "https://api.anthropic.com", Secret("sk-ant-FAKE-test-0123456789"), {}};

ChatRequest reasoning_request() {
  ChatRequest r;
  r.model = "claude-sonnet-4-5";
  r.max_output_tokens = 4096;
  r.messages = {Message::User("Weather in Paris?")};
  return r;
}

json reasoning_body(const ChatRequest& r) {
  auto http = AnthropicAdapter().build_request(r, kReasoningEp);
  EXPECT_OK(http);
  return http.ok() ? json::parse(http->body) : json();
}

TEST(AnthropicReasoningClientTest, OptionsBecomeThinking) {
  ChatRequest r = reasoning_request();
  r.reasoning.mode = ReasoningOptions::Mode::kEnabled;
  r.reasoning.budget_tokens = 2048;
  EXPECT_EQ(reasoning_body(r)["thinking"], json::parse(R"({"type":"enabled","budget_tokens":2048})"));
  r.reasoning = {};
  r.reasoning.mode = ReasoningOptions::Mode::kAdaptive;
  EXPECT_EQ(reasoning_body(r)["thinking"], json::parse(R"({"type":"adaptive"})"));
  r.reasoning.mode = ReasoningOptions::Mode::kDisabled;
  EXPECT_EQ(reasoning_body(r)["thinking"], json::parse(R"({"type":"disabled"})"));
  r.reasoning = {};
  EXPECT_FALSE(reasoning_body(r).contains("thinking"));
}

// An effort alone (an OpenAI client's reasoning_effort through the gateway) is a budget
// below max_tokens; "none", or no room for the minimum budget, sends no thinking.
TEST(AnthropicReasoningClientTest, EffortBecomesABudgetBelowMaxTokens) {
  ChatRequest r = reasoning_request();
  r.max_output_tokens = 8192;
  const std::pair<const char*, int> cases[] = {{"minimal", 1024}, {"low", 1024}, {"medium", 2048}, {"high", 4096},
                                               {"xhigh", 8191}, {"max", 8191}};
  for (const auto& [effort, budget] : cases) {
    r.reasoning.effort = effort;
    EXPECT_EQ(reasoning_body(r)["thinking"], json({{"type", "enabled"}, {"budget_tokens", budget}})) << effort;
  }
  r.reasoning.effort = "none";
  EXPECT_FALSE(reasoning_body(r).contains("thinking"));
  r.reasoning.effort = "high";
  r.max_output_tokens = 1024;
  EXPECT_FALSE(reasoning_body(r).contains("thinking"));
  r.max_output_tokens = std::nullopt;  // the adapter's default max_tokens (4096)
  EXPECT_EQ(reasoning_body(r)["thinking"]["budget_tokens"], 4095);
  r.temperature = 0.2;  // the API refuses thinking beside temperature: the effort yields
  EXPECT_FALSE(reasoning_body(r).contains("thinking"));
  r.temperature.reset();
  r.reasoning.mode = ReasoningOptions::Mode::kEnabled;  // an explicit budget wins
  r.reasoning.budget_tokens = 1500;
  EXPECT_EQ(reasoning_body(r)["thinking"]["budget_tokens"], 1500);
}

TEST(AnthropicReasoningClientTest, InexpressibleOptionsAreRefusedByName) {
  ChatRequest r = reasoning_request();
  r.reasoning.mode = ReasoningOptions::Mode::kEnabled;
  auto no_budget = AnthropicAdapter().build_request(r, kReasoningEp);
  ASSERT_FALSE(no_budget.ok());
  EXPECT_EQ(no_budget.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(no_budget.status().message().find("reasoning.budget_tokens"), std::string::npos);
  r.reasoning.budget_tokens = 2048;
  r.reasoning.exclude = true;
  auto exclude = AnthropicAdapter().build_request(r, kReasoningEp);
  ASSERT_FALSE(exclude.ok());
  EXPECT_NE(exclude.status().message().find("reasoning.exclude"), std::string::npos);
}

HttpResponse reasoning_http(std::string body) {
  HttpResponse h;
  h.status = 200;
  h.headers.add("content-type", "application/json");
  h.body = std::move(body);
  return h;
}

const char* kThinkingAnswer = R"({
  "id": "msg_t1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
  "content": [
    {"type": "thinking", "thinking": "Need the tool.", "signature": "sig-A"},
    {"type": "redacted_thinking", "data": "ENC-1"},
    {"type": "thinking", "thinking": " Paris it is.", "signature": "sig-B"},
    {"type": "text", "text": "Checking."},
    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
  ],
  "stop_reason": "tool_use",
  "usage": {"input_tokens": 10, "output_tokens": 30, "cache_creation_input_tokens": 1500,
            "cache_read_input_tokens": 200,
            "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1000}}
})";

std::vector<ReasoningBlock> expected_blocks() {
  return {{ReasoningBlock::Kind::kThinking, "Need the tool.", "sig-A", ""},
          {ReasoningBlock::Kind::kRedacted, "", "", "ENC-1"},
          {ReasoningBlock::Kind::kThinking, " Paris it is.", "sig-B", ""}};
}

TEST(AnthropicReasoningClientTest, AnswerKeepsBlocksSignaturesAndCacheSplit) {
  auto r = AnthropicAdapter().parse_response(reasoning_http(kThinkingAnswer), kReasoningEp);
  ASSERT_OK(r);
  EXPECT_EQ(r->reasoning, "Need the tool. Paris it is.");
  EXPECT_EQ(r->reasoning_blocks, expected_blocks());
  ASSERT_TRUE(r->usage.has_value());
  EXPECT_EQ(r->usage->prompt_tokens, 1710u);
  EXPECT_EQ(r->usage->cached_prompt_tokens, 200u);
  EXPECT_EQ(r->usage->cache_write_tokens, 1500u);
  EXPECT_EQ(r->usage->cache_write_1h_tokens, 1000u);
}

TEST(AnthropicReasoningClientTest, SignaturesGoBackOnTheNextTurnInOrder) {
  auto answer = AnthropicAdapter().parse_response(reasoning_http(kThinkingAnswer), kReasoningEp);
  ASSERT_OK(answer);
  ChatRequest r = reasoning_request();
  r.reasoning.mode = ReasoningOptions::Mode::kEnabled;
  r.reasoning.budget_tokens = 1024;
  Message said = Message::Assistant(answer->content);
  said.tool_calls = answer->tool_calls;
  said.reasoning_blocks = answer->reasoning_blocks;
  r.messages.push_back(said);
  r.messages.push_back(Message::ToolResult("toolu_1", "18C"));
  const json body = reasoning_body(r);
  const json& content = body["messages"][1]["content"];
  ASSERT_EQ(content.size(), 5u);
  EXPECT_EQ(content[0], json::parse(R"({"type":"thinking","thinking":"Need the tool.","signature":"sig-A"})"));
  EXPECT_EQ(content[1], json::parse(R"({"type":"redacted_thinking","data":"ENC-1"})"));
  EXPECT_EQ(content[2]["signature"], "sig-B");
  EXPECT_EQ(content[3]["type"], "text");
  EXPECT_EQ(content[4]["type"], "tool_use");
}

std::string reasoning_sse(const char* event, const std::string& data) {
  return std::string("event: ") + event + "\ndata: " + data + "\n\n";
}

TEST(AnthropicReasoningClientTest, StreamAssemblesBlocksWithSignatures) {
  std::string s = reasoning_sse("message_start", R"({"type":"message_start","message":{"id":"msg_s","model":"m",)"
                                                 R"("usage":{"input_tokens":5,"output_tokens":1}}})");
  s += reasoning_sse("content_block_start",
                     R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}})");
  for (const char* piece : {"Need ", "the tool."}) {
    s += reasoning_sse("content_block_delta", json{{"type", "content_block_delta"}, {"index", 0},
                                                   {"delta", {{"type", "thinking_delta"}, {"thinking", piece}}}}.dump());
  }
  s += reasoning_sse("content_block_delta",
                     R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig-A"}})");
  s += reasoning_sse("content_block_stop", R"({"type":"content_block_stop","index":0})");
  s += reasoning_sse("content_block_start",
                     R"({"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"ENC-1"}})");
  s += reasoning_sse("content_block_stop", R"({"type":"content_block_stop","index":1})");
  s += reasoning_sse("content_block_start",
                     R"({"type":"content_block_start","index":2,"content_block":{"type":"thinking","thinking":""}})");
  s += reasoning_sse("content_block_delta",
                     R"({"type":"content_block_delta","index":2,"delta":{"type":"thinking_delta","thinking":" Paris it is."}})");
  s += reasoning_sse("content_block_delta",
                     R"({"type":"content_block_delta","index":2,"delta":{"type":"signature_delta","signature":"sig-B"}})");
  s += reasoning_sse("content_block_stop", R"({"type":"content_block_stop","index":2})");
  s += reasoning_sse("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},)"
                                      R"("usage":{"output_tokens":9,"cache_creation_input_tokens":40,)"
                                      R"("cache_creation":{"ephemeral_1h_input_tokens":40}}})");
  s += reasoning_sse("message_stop", R"({"type":"message_stop"})");
  auto dec = AnthropicAdapter().new_stream_decoder(kReasoningEp);
  // Cut inside the signature delta's JSON too.
  auto d = testing_support::decode_with(*dec, s, {s.find("sig-A") + 2, s.find("ENC-1") + 1});
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  const ChatResponse out = testing_support::assemble(d.events);
  EXPECT_EQ(out.reasoning, "Need the tool. Paris it is.");
  EXPECT_EQ(out.reasoning_blocks, expected_blocks());
  ASSERT_TRUE(out.usage.has_value());
  EXPECT_EQ(out.usage->cache_write_1h_tokens, 40u);
}

TEST(AnthropicReasoningClientTest, SignatureDeltaOnATextBlockIsMalformed) {
  std::string s = reasoning_sse("message_start", R"({"type":"message_start","message":{"id":"msg_s","model":"m"}})");
  s += reasoning_sse("content_block_start",
                     R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
  s += reasoning_sse("content_block_delta",
                     R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"x"}})");
  auto dec = AnthropicAdapter().new_stream_decoder(kReasoningEp);
  auto d = testing_support::decode_with(*dec, s, {});
  EXPECT_EQ(d.status.code(), StatusCode::kMalformedResponse);
}

TEST(ReasoningOptionsOtherProtocolsTest, OpenAiChatSendsEffortAndDropsTheRest) {
  ChatRequest r = reasoning_request();
  r.model = "o4-mini";
  r.reasoning.effort = "low";
  const Endpoint ep{"openai", "http://sim/v1", Secret("sk-FAKE-0123456789"), {}};
  auto http = openai::OpenAiAdapter().build_request(r, ep);
  ASSERT_OK(http);
  EXPECT_EQ(json::parse(http->body)["reasoning_effort"], "low");
  // A model that does not reason would answer it with a 400: dropped (a preference), unless
  // the adapter is the custom one (local servers name their models as they like).
  for (const char* m : {"openai/o3", "gpt-5-mini", "codex-mini-latest"}) {
    r.model = m;
    EXPECT_EQ(json::parse(openai::OpenAiAdapter().build_request(r, ep)->body)["reasoning_effort"], "low") << m;
  }
  r.model = "gpt-4o-mini";
  EXPECT_FALSE(json::parse(openai::OpenAiAdapter().build_request(r, ep)->body).contains("reasoning_effort"));
  EXPECT_EQ(json::parse(openai::make_custom_openai_adapter()->build_request(r, ep)->body)["reasoning_effort"], "low");
  r.model = "o4-mini";
  // No form for a mode or a budget: dropped, not refused (answers come without reasoning).
  r.reasoning.effort.clear();
  r.reasoning.mode = ReasoningOptions::Mode::kEnabled;
  r.reasoning.budget_tokens = 1000;
  auto dropped = openai::OpenAiAdapter().build_request(r, ep);
  ASSERT_OK(dropped);
  const json body = json::parse(dropped->body);
  EXPECT_FALSE(body.contains("reasoning_effort"));
  EXPECT_FALSE(body.contains("reasoning"));
  EXPECT_FALSE(body.contains("thinking"));
}

TEST(ReasoningOptionsOtherProtocolsTest, OpenRouterSendsItsReasoningObject) {
  ChatRequest r = reasoning_request();
  r.model = "anthropic/claude-sonnet-4.5";
  r.reasoning.mode = ReasoningOptions::Mode::kEnabled;
  r.reasoning.budget_tokens = 2000;
  r.reasoning.exclude = true;
  const Endpoint ep{"openrouter", "http://sim/api/v1", Secret("sk-or-v1-FAKE-0123456789abcdef"), {}};
  auto http = openrouter::OpenRouterAdapter().build_request(r, ep);
  ASSERT_OK(http);
  const json body = json::parse(http->body);
  EXPECT_EQ(body["reasoning"], json::parse(R"({"enabled":true,"max_tokens":2000,"exclude":true})"));
  EXPECT_FALSE(body.contains("reasoning_effort"));
  r.reasoning.mode = ReasoningOptions::Mode::kAdaptive;
  EXPECT_FALSE(openrouter::OpenRouterAdapter().build_request(r, ep).ok());
}

}  // namespace
}  // namespace ploke::adapters::anthropic
