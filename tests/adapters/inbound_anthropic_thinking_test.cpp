// The gateway's Anthropic side with extended thinking: `thinking` and an assistant turn's
// thinking / redacted_thinking blocks read into the normalized request (signatures kept);
// answers and SSE streams written with the blocks in order (thinking_delta, then
// signature_delta closing the block; redacted blocks whole) and the 1-hour cache split,
// checked by reading them back with the client adapter.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/anthropic/server.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

const Endpoint kThinkingInboundEp{"anthropic", "http://127.0.0.1:1", Secret(), {}};

std::vector<ReasoningBlock> inbound_thinking_blocks() {
  return {{ReasoningBlock::Kind::kThinking, "Plan.", "sig-1", ""},
          {ReasoningBlock::Kind::kRedacted, "", "", "ENC"},
          {ReasoningBlock::Kind::kThinking, "More.", "sig-2", ""}};
}

TEST(InboundAnthropicThinking, RequestKeepsThinkingAndSignedBlocks) {
  const char* body = R"({"model":"claude-sonnet-4-5","max_tokens":4096,
    "thinking":{"type":"enabled","budget_tokens":2048},
    "messages":[{"role":"user","content":"Weather?"},
      {"role":"assistant","content":[
        {"type":"thinking","thinking":"Plan.","signature":"sig-1"},
        {"type":"redacted_thinking","data":"ENC"},
        {"type":"thinking","thinking":"More.","signature":"sig-2"},
        {"type":"tool_use","id":"toolu_1","name":"w","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"}]}]})";
  auto in = parse_anthropic_messages_request(body);
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  const ChatRequest& r = in->request;
  EXPECT_EQ(r.reasoning.mode, ReasoningOptions::Mode::kEnabled);
  EXPECT_EQ(r.reasoning.budget_tokens, std::optional<uint32_t>(2048));
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[1].reasoning_blocks, inbound_thinking_blocks());
  // The client adapter sends them back as they came.
  auto http = AnthropicAdapter().build_request(r, kThinkingInboundEp);
  ASSERT_TRUE(http.ok()) << http.status().to_string();
  const json sent = json::parse(http->body);
  EXPECT_EQ(sent["thinking"], json::parse(R"({"type":"enabled","budget_tokens":2048})"));
  EXPECT_EQ(sent["messages"][1]["content"], json::parse(body)["messages"][1]["content"]);
  auto adaptive = parse_anthropic_messages_request(
      R"({"model":"m","max_tokens":10,"thinking":{"type":"adaptive"},"messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(adaptive.ok()) << adaptive.status().to_string();
  EXPECT_EQ(adaptive->request.reasoning.mode, ReasoningOptions::Mode::kAdaptive);
}

ChatResponse inbound_thinking_answer() {
  ChatResponse r;
  r.id = "msg_01";
  r.model = "claude-sonnet-4-5";
  r.reasoning = "Plan.More.";
  r.reasoning_blocks = inbound_thinking_blocks();
  r.content = "Sunny.";
  r.finish_reason = FinishReason::kStop;
  Usage u;
  u.prompt_tokens = 1510;
  u.cache_write_tokens = 1500;
  u.cache_write_1h_tokens = 1000;
  u.completion_tokens = 20;
  r.usage = u;
  return r;
}

TEST(InboundAnthropicThinking, MessageCarriesBlocksInOrderAndTheCacheSplit) {
  HttpResponse http;
  http.status = 200;
  http.body = render_anthropic_message(inbound_thinking_answer(), "x");
  const json j = json::parse(http.body);
  ASSERT_EQ(j["content"].size(), 4u);
  EXPECT_EQ(j["content"][0], json::parse(R"({"type":"thinking","thinking":"Plan.","signature":"sig-1"})"));
  EXPECT_EQ(j["content"][1], json::parse(R"({"type":"redacted_thinking","data":"ENC"})"));
  EXPECT_EQ(j["content"][3]["type"], "text");
  EXPECT_EQ(j["usage"]["cache_creation"],
            json::parse(R"({"ephemeral_5m_input_tokens":500,"ephemeral_1h_input_tokens":1000})"));
  auto back = AnthropicAdapter().parse_response(http, kThinkingInboundEp);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->reasoning_blocks, inbound_thinking_blocks());
  EXPECT_EQ(back->usage->cache_write_1h_tokens, 1000u);
  // Reasoning text without blocks (an upstream without signatures): one unsigned block.
  ChatResponse plain = inbound_thinking_answer();
  plain.reasoning_blocks.clear();
  const json k = json::parse(render_anthropic_message(plain, "x"));
  EXPECT_EQ(k["content"][0], json::parse(R"({"type":"thinking","thinking":"Plan.More.","signature":""})"));
}

StreamEvent inbound_reasoning(std::string text, std::string signature = {}, std::string redacted = {}) {
  StreamEvent e;
  e.kind = StreamEvent::Kind::kReasoningDelta;
  e.text = std::move(text);
  e.signature = std::move(signature);
  e.redacted = std::move(redacted);
  return e;
}

TEST(InboundAnthropicThinking, SseWritesThinkingAndSignatureDeltas) {
  AnthropicSseWriter w("msg_1", "claude-sonnet-4-5", 10);
  std::string sse;
  for (const StreamEvent& e : {inbound_reasoning("Pl"), inbound_reasoning("an."), inbound_reasoning("", "sig-1"),
                               inbound_reasoning("", "", "ENC"), inbound_reasoning("More."),
                               inbound_reasoning("", "sig-2"), StreamEvent::TextDelta("Sunny.")}) {
    sse += w.event(e);
  }
  sse += w.finish(inbound_thinking_answer());
  // Block indexes as the API numbers them: thinking 0, redacted 1, thinking 2, text 3.
  EXPECT_NE(sse.find(R"("index":0,"delta":{"type":"signature_delta","signature":"sig-1"})"), std::string::npos) << sse;
  EXPECT_NE(sse.find(R"("index":1,"content_block":{"type":"redacted_thinking","data":"ENC"})"), std::string::npos) << sse;
  EXPECT_NE(sse.find(R"("index":2,"delta":{"type":"thinking_delta","thinking":"More."})"), std::string::npos) << sse;
  EXPECT_NE(sse.find(R"("index":3,"content_block":{"type":"text")"), std::string::npos) << sse;
  auto dec = AnthropicAdapter().new_stream_decoder(kThinkingInboundEp);
  std::vector<StreamEvent> events;
  ASSERT_TRUE(dec->feed(sse, events).ok());
  ASSERT_TRUE(dec->finish(events).ok());
  StreamAccumulator acc;
  for (const auto& e : events) ASSERT_TRUE(acc.add(e).ok());
  EXPECT_EQ(acc.response().reasoning_blocks, inbound_thinking_blocks());
  EXPECT_EQ(acc.response().content, "Sunny.");
  // message_delta's usage has no cache_creation split (MessageDeltaUsage): totals only.
  EXPECT_EQ(acc.response().usage->cache_write_tokens, 1500u);
}

}  // namespace
}  // namespace ploke::adapters::anthropic
