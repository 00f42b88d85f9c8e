// The Anthropic package's extended thinking and prompt caching: the API's 400s for
// `thinking` and `cache_control` (status-independent wording; the simulator and the gateway
// share them), what read_served_messages_request() reads (thinking mode and budget, cache
// breakpoints with their prefix keys), the plain path declining both, and the renderer's
// thinking blocks, thinking/signature deltas and cache usage.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/render.h"
#include "ploke/adapters/anthropic/request_summary.h"
#include "ploke/adapters/anthropic/served_request.h"
#include "ploke/adapters/anthropic/server.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

std::optional<std::string> read_thinking(const std::string& text, ServedMessagesRequest& out, bool count_tokens = false) {
  const json j = json::parse(text);
  return read_served_messages_request(&j, count_tokens, out);
}

// A request with `extra` members (JSON text without braces) after model, max_tokens 4096 and
// one user message.
std::string with(const std::string& extra, int max_tokens = 4096) {
  return R"({"model":"claude-sonnet-4-5","max_tokens":)" + std::to_string(max_tokens) +
         R"(,"messages":[{"role":"user","content":"hi"}])" + (extra.empty() ? "" : "," + extra) + "}";
}

constexpr const char* kDocs =
    "Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-"
    "thinking";

TEST(AnthropicThinking, BudgetAndCompatibilityAreTheApis400) {
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {with(R"("thinking":{"type":"enabled","budget_tokens":1023})"),
       "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"},
      {with(R"("thinking":{"type":"enabled","budget_tokens":2048})", 2048),
       "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
       "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"},
      {with(R"("thinking":{"type":"enabled"})"), "thinking.enabled.budget_tokens: Field required"},
      {with(R"("thinking":{"type":"enabled","budget_tokens":"2k"})"),
       "thinking.enabled.budget_tokens: Input should be a valid integer"},
      {with(R"("thinking":{"budget_tokens":2000})"), "thinking.type: Field required"},
      {with(R"("thinking":true)"), "thinking: Input should be a valid dictionary or object"},
      {with(R"("thinking":{"type":"deep"})"),
       "thinking: Input tag 'deep' found using 'type' does not match any of the expected tags: 'enabled', "
       "'disabled', 'adaptive'"},
      {with(R"("thinking":{"type":"enabled","budget_tokens":2000},"temperature":0.5)"),
       std::string("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. ") + kDocs},
      {with(R"("thinking":{"type":"adaptive"},"temperature":0)"),
       std::string("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. ") + kDocs},
      {with(R"("thinking":{"type":"enabled","budget_tokens":2000},"top_k":5)"),
       std::string("`top_k` must be unset when thinking is enabled. ") + kDocs},
      {with(R"("thinking":{"type":"enabled","budget_tokens":2000},"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"})"),
       "Thinking may not be enabled when tool_choice forces tool use."},
  };
  for (const Case& c : cases) {
    ServedMessagesRequest out;
    EXPECT_EQ(read_thinking(c.body, out), c.message) << c.body;
    // The gateway's inbound parse rejects the same bodies with the same message.
    const auto in = parse_anthropic_messages_request(c.body);
    ASSERT_FALSE(in.ok()) << c.body;
    EXPECT_EQ(in.status().message(), c.message);
  }
}

TEST(AnthropicThinking, AcceptedShapesAndWhatIsRead) {
  ServedMessagesRequest out;
  ASSERT_EQ(read_thinking(with(R"("thinking":{"type":"enabled","budget_tokens":1024},"temperature":1)", 1025), out),
            std::nullopt);
  EXPECT_EQ(out.thinking, ThinkingMode::kEnabled);
  EXPECT_EQ(out.thinking_budget, 1024u);
  ASSERT_EQ(read_thinking(with(R"("thinking":{"type":"adaptive"})"), out), std::nullopt);
  EXPECT_EQ(out.thinking, ThinkingMode::kAdaptive);
  // Disabled (or null) leaves sampling alone.
  ASSERT_EQ(read_thinking(with(R"("thinking":{"type":"disabled"},"temperature":0.2,"top_k":3)"), out), std::nullopt);
  EXPECT_EQ(out.thinking, ThinkingMode::kOff);
  ASSERT_EQ(read_thinking(with(R"("thinking":null)"), out), std::nullopt);
  EXPECT_EQ(out.thinking, ThinkingMode::kOff);
  // count_tokens has no max_tokens: only the budget's own minimum applies.
  EXPECT_EQ(read_thinking(R"({"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":50000}})",
                 out, true),
            std::nullopt);
  // Earlier assistant turns may carry thinking and redacted_thinking blocks.
  EXPECT_EQ(read_thinking(R"({"model":"m","max_tokens":3000,"thinking":{"type":"enabled","budget_tokens":2000},
      "messages":[{"role":"user","content":"q"},
        {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"c2ln"},
                                       {"type":"redacted_thinking","data":"ZGF0YQ=="},{"type":"text","text":"a"}]},
        {"role":"user","content":"more"}]})", out), std::nullopt);
  EXPECT_EQ(out.prompt_chars, 6u);  // "q" + "a" + "more": thinking is not prompt text
}

TEST(AnthropicCacheControl, MalformedMarkersAndTooManyAreTheApis400) {
  ServedMessagesRequest out;
  EXPECT_EQ(read_thinking(with(R"("cache_control":{"type":"persistent"})"), out), "cache_control.type: Input should be 'ephemeral'");
  EXPECT_EQ(read_thinking(with(R"("cache_control":{"type":"ephemeral","ttl":"10m"})"), out),
            "cache_control.ttl: Input should be '5m' or '1h'");
  EXPECT_EQ(read_thinking(with(R"("system":[{"type":"text","text":"s","cache_control":{}}])"), out),
            "system.0.cache_control.type: Field required");
  EXPECT_EQ(read_thinking(with(R"("tools":[{"name":"f","input_schema":{"type":"object"},"cache_control":5}])"), out),
            "tools.0.cache_control: Input should be a valid dictionary or object");
  const std::string cc = R"("cache_control":{"type":"ephemeral"})";
  const std::string five =
      R"({"model":"m","max_tokens":10,)" + cc + R"(,"system":[{"type":"text","text":"a",)" + cc +
      R"(},{"type":"text","text":"b",)" + cc + R"(}],"tools":[{"name":"f","input_schema":{"type":"object"},)" + cc +
      R"(}],"messages":[{"role":"user","content":[{"type":"text","text":"x",)" + cc + "}]}]}";
  EXPECT_EQ(read_thinking(five, out), "A maximum of 4 blocks with cache_control may be provided. Found 5.");
  const auto in = parse_anthropic_messages_request(five);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().message(), "A maximum of 4 blocks with cache_control may be provided. Found 5.");
  // Four are fine (the top-level one dropped).
  std::string four = five;
  four.erase(four.find(cc), cc.size() + 1);
  EXPECT_EQ(read_thinking(four, out), std::nullopt) << four;
  EXPECT_EQ(out.cache_breakpoints.size(), 4u);
}

TEST(AnthropicCacheControl, BreakpointsCarryPrefixKeysSizesAndTtls) {
  const std::string sys_a = std::string(400, 'a');
  auto body = [&](const std::string& model, const std::string& user, bool marker_on_user, bool automatic) {
    std::string b = R"({"model":")" + model + R"(","max_tokens":10,)";
    if (automatic) b += R"("cache_control":{"type":"ephemeral","ttl":"1h"},)";
    b += R"("tools":[{"name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral","ttl":"1h"}}],)";
    b += R"("system":[{"type":"text","text":")" + sys_a + R"(","cache_control":{"type":"ephemeral"}}],)";
    b += R"("messages":[{"role":"user","content":[{"type":"text","text":")" + user + "\"";
    if (marker_on_user) b += R"(,"cache_control":{"type":"ephemeral","ttl":"5m"})";
    b += "}]}]}";
    return b;
  };
  ServedMessagesRequest a, b, c, d;
  ASSERT_EQ(read_thinking(body("claude-sonnet-4-5", "question one", true, false), a), std::nullopt);
  ASSERT_EQ(a.cache_breakpoints.size(), 3u);
  EXPECT_TRUE(a.cache_breakpoints[0].ttl_1h);
  EXPECT_FALSE(a.cache_breakpoints[1].ttl_1h);
  EXPECT_FALSE(a.cache_breakpoints[2].ttl_1h);
  // Sizes grow in prompt order and the last one is the whole prompt.
  EXPECT_LT(a.cache_breakpoints[0].prefix_chars, a.cache_breakpoints[1].prefix_chars);
  EXPECT_EQ(a.cache_breakpoints[1].prefix_chars + 12, a.cache_breakpoints[2].prefix_chars);
  EXPECT_EQ(a.cache_breakpoints[2].prefix_chars, a.prompt_chars);
  // Another question: the tools and system prefixes keep their keys, the message's differs.
  ASSERT_EQ(read_thinking(body("claude-sonnet-4-5", "question two", true, false), b), std::nullopt);
  EXPECT_EQ(a.cache_breakpoints[0].key, b.cache_breakpoints[0].key);
  EXPECT_EQ(a.cache_breakpoints[1].key, b.cache_breakpoints[1].key);
  EXPECT_NE(a.cache_breakpoints[2].key, b.cache_breakpoints[2].key);
  // Moving a marker does not change the prefix's identity: the top-level automatic
  // breakpoint on the last block has the key the explicit one had.
  ASSERT_EQ(read_thinking(body("claude-sonnet-4-5", "question one", false, true), c), std::nullopt);
  ASSERT_EQ(c.cache_breakpoints.size(), 3u);
  EXPECT_EQ(c.cache_breakpoints[2].key, a.cache_breakpoints[2].key);
  EXPECT_TRUE(c.cache_breakpoints[2].ttl_1h);
  // The model is part of every key.
  ASSERT_EQ(read_thinking(body("claude-opus-4-1", "question one", true, false), d), std::nullopt);
  EXPECT_NE(d.cache_breakpoints[0].key, a.cache_breakpoints[0].key);
}

TEST(AnthropicThinking, PlainPathDeclinesThinkingAndCacheControl) {
  PlainMessagesRequest p;
  EXPECT_TRUE(read_plain_messages_request(with(""), p));
  EXPECT_FALSE(read_plain_messages_request(with(R"("thinking":{"type":"enabled","budget_tokens":10})"), p));
  EXPECT_FALSE(read_plain_messages_request(with(R"("cache_control":{"type":"ephemeral"})"), p));
}

WireMessage thinking_message() {
  WireMessage m;
  m.id = "msg_1";
  m.model = "claude-sonnet-4-5";
  m.thinking = WireThinking{{"Let", " me", " think."}, "c2lnbmF0dXJl", false, {}};
  m.tokens = {"Hi", "!"};
  m.input_tokens = 7;
  m.output_tokens = 5;
  m.cache_read_tokens = 100;
  m.cache_write_tokens = 30;
  m.cache_write_1h_tokens = 10;
  return m;
}

TEST(AnthropicThinkingRender, MessageOpensWithTheThinkingBlockAndSplitsCacheWrites) {
  const json b = json::parse(render_message(thinking_message()));
  ASSERT_EQ(b["content"].size(), 2u);
  EXPECT_EQ(b["content"][0], json::parse(R"({"type":"thinking","thinking":"Let me think.","signature":"c2lnbmF0dXJl"})"));
  EXPECT_EQ(b["content"][1]["type"], "text");
  EXPECT_EQ(b["usage"]["input_tokens"], 7);
  EXPECT_EQ(b["usage"]["cache_read_input_tokens"], 100);
  EXPECT_EQ(b["usage"]["cache_creation_input_tokens"], 30);
  EXPECT_EQ(b["usage"]["cache_creation"], json::parse(R"({"ephemeral_5m_input_tokens":20,"ephemeral_1h_input_tokens":10})"));
  WireMessage r = thinking_message();
  r.thinking = WireThinking{{}, {}, true, "ZW5jcnlwdGVk"};
  EXPECT_EQ(json::parse(render_message(r))["content"][0], json::parse(R"({"type":"redacted_thinking","data":"ZW5jcnlwdGVk"})"));
}

TEST(AnthropicThinkingRender, EventsStreamThinkingDeltasThenOneSignatureDelta) {
  const std::vector<WireEvent> ev = render_message_events(thinking_message());
  std::vector<std::string> kinds;
  for (const WireEvent& e : ev) {
    const size_t at = e.bytes.find("data: ");
    const json d = json::parse(e.bytes.substr(at + 6));
    std::string k = d["type"].get<std::string>();
    if (d.contains("delta") && d["delta"].contains("type")) k += ":" + d["delta"]["type"].get<std::string>();
    if (d.contains("content_block")) k += ":" + d["content_block"]["type"].get<std::string>();
    kinds.push_back(k);
    if (k == "content_block_start:thinking") {
      EXPECT_EQ(d["content_block"], json::parse(R"({"type":"thinking","thinking":"","signature":""})"));
      EXPECT_EQ(d["index"], 0);
    }
    if (k == "content_block_delta:signature_delta") {
      EXPECT_EQ(d["delta"]["signature"], "c2lnbmF0dXJl");
    }
    if (k == "message_start") {
      EXPECT_EQ(d["message"]["usage"]["cache_read_input_tokens"], 100);
    }
    EXPECT_EQ(e.paced, k == "content_block_delta:thinking_delta" || k == "content_block_delta:text_delta") << k;
  }
  const std::vector<std::string> want = {
      "message_start", "content_block_start:thinking", "ping", "content_block_delta:thinking_delta",
      "content_block_delta:thinking_delta", "content_block_delta:thinking_delta", "content_block_delta:signature_delta",
      "content_block_stop", "content_block_start:text", "content_block_delta:text_delta",
      "content_block_delta:text_delta", "content_block_stop", "message_delta", "message_stop"};
  EXPECT_EQ(kinds, want);
}

}  // namespace
}  // namespace ploke::adapters::anthropic
