// Prompt-cache breakpoints (ContentPart/ToolDefinition/ChatRequest::cache) on the Anthropic
// wire, both directions: the client adapter writes `cache_control` on the tools, system
// blocks, content blocks, tool_result blocks and the body it belongs to (never collapsing a
// marked block into a plain string); the gateway's reader takes them from a client's body
// so that the upstream request carries them where the client put them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/anthropic/server.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

const Endpoint kCacheEp{"anthropic", "http://127.0.0.1:1", Secret(), {}};

json sent_body(const ChatRequest& r) {
  auto http = AnthropicAdapter().build_request(r, kCacheEp);
  EXPECT_TRUE(http.ok()) << http.status().to_string();
  return http.ok() ? json::parse(http->body) : json();
}

const json kFiveMinutes = json::parse(R"({"type":"ephemeral"})");
const json kOneHour = json::parse(R"({"type":"ephemeral","ttl":"1h"})");

TEST(AnthropicCacheControlClient, WriterPlacesEachBreakpoint) {
  ChatRequest r;
  r.model = "claude-sonnet-4-5";
  r.tools.push_back(ToolDefinition{"a", "", "{}", std::nullopt, CacheControl::kNone});
  r.tools.push_back(ToolDefinition{"b", "", "{}", std::nullopt, CacheControl::kEphemeral1h});
  Message sys;
  sys.role = Role::kSystem;
  sys.content = {ContentPart::CachedText("Long rules.", CacheControl::kEphemeral1h), ContentPart::Text("Today.")};
  r.messages.push_back(sys);
  Message user;
  user.content = {ContentPart::CachedText("Here is the file.")};
  r.messages.push_back(user);
  Message call = Message::Assistant("");
  call.content.clear();
  call.tool_calls.push_back(ToolCall{"toolu_1", "a", "{}"});
  r.messages.push_back(call);
  Message result = Message::ToolResult("toolu_1", "18C");
  result.content[0].cache = CacheControl::kEphemeral5m;
  r.messages.push_back(result);
  r.cache = CacheControl::kEphemeral5m;
  const json b = sent_body(r);
  EXPECT_FALSE(b["tools"][0].contains("cache_control"));
  EXPECT_EQ(b["tools"][1]["cache_control"], kOneHour);
  ASSERT_TRUE(b["system"].is_array()) << b.dump();
  EXPECT_EQ(b["system"][0]["text"], "Long rules.");
  EXPECT_EQ(b["system"][0]["cache_control"], kOneHour);
  EXPECT_FALSE(b["system"][1].contains("cache_control"));
  ASSERT_TRUE(b["messages"][0]["content"].is_array()) << b.dump();  // one marked block: not a plain string
  EXPECT_EQ(b["messages"][0]["content"][0]["cache_control"], kFiveMinutes);
  const json& tool_result = b["messages"][2]["content"][0];
  EXPECT_EQ(tool_result["type"], "tool_result");
  EXPECT_EQ(tool_result["content"], "18C");
  EXPECT_EQ(tool_result["cache_control"], kFiveMinutes);
  EXPECT_EQ(b["cache_control"], kFiveMinutes);
  // Without breakpoints the same conversation has none, and a lone text is a string again.
  ChatRequest plain;
  plain.model = "m";
  plain.messages.push_back(Message::System("Long rules."));
  plain.messages.push_back(Message::User("Here is the file."));
  const json p = sent_body(plain);
  EXPECT_EQ(p["system"], "Long rules.");
  EXPECT_EQ(p["messages"][0]["content"], "Here is the file.");
  EXPECT_EQ(p.dump().find("cache_control"), std::string::npos);
}

TEST(AnthropicCacheControlClient, GatewayReaderKeepsThemForTheUpstream) {
  const json body = json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":100,
    "cache_control":{"type":"ephemeral"},
    "tools":[{"name":"w","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral","ttl":"1h"}}],
    "system":[{"type":"text","text":"Rules.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"More."}],
    "messages":[{"role":"user","content":[{"type":"text","text":"File."},
        {"type":"image","source":{"type":"url","url":"https://x/y.png"}}]},
      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"w","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C","cache_control":{"type":"ephemeral"}}]}]})");
  auto in = parse_anthropic_messages_request(body.dump());
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  const ChatRequest& r = in->request;
  EXPECT_EQ(r.cache, CacheControl::kEphemeral5m);
  EXPECT_EQ(r.tools[0].cache, CacheControl::kEphemeral1h);
  EXPECT_EQ(r.messages[0].content[0].cache, CacheControl::kEphemeral5m);
  EXPECT_EQ(r.messages[1].content[0].cache, CacheControl::kNone);
  EXPECT_EQ(r.messages[2].content[0].cache, CacheControl::kNone);
  EXPECT_EQ(r.messages.back().content[0].cache, CacheControl::kEphemeral5m);
  const json up = sent_body(r);
  EXPECT_EQ(up["cache_control"], body["cache_control"]);
  EXPECT_EQ(up["tools"][0]["cache_control"], body["tools"][0]["cache_control"]);
  EXPECT_EQ(up["system"], body["system"]);
  EXPECT_EQ(up["messages"], body["messages"]);
  // Text and image blocks (at most 4 breakpoints per request: a second body).
  const json blocks = json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":100,
    "messages":[{"role":"user","content":[{"type":"text","text":"File.","cache_control":{"type":"ephemeral","ttl":"1h"}},
        {"type":"image","source":{"type":"url","url":"https://x/y.png"},"cache_control":{"type":"ephemeral"}}]}]})");
  auto in2 = parse_anthropic_messages_request(blocks.dump());
  ASSERT_TRUE(in2.ok()) << in2.status().to_string();
  EXPECT_EQ(in2->request.messages[0].content[0].cache, CacheControl::kEphemeral1h);
  EXPECT_EQ(in2->request.messages[0].content[1].cache, CacheControl::kEphemeral5m);
  EXPECT_EQ(in2->request.cache, CacheControl::kNone);
  EXPECT_EQ(sent_body(in2->request)["messages"], blocks["messages"]);
}

}  // namespace
}  // namespace ploke::adapters::anthropic
