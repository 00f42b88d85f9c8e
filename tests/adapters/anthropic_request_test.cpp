// Anthropic request shaping: system hoisting, tool_use/tool_result blocks, turn merging,
// images, tools and tool_choice, max_tokens default, headers and path.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/register.h"
#include "support/test_support.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

const Endpoint kEp{"anthropic", "https://api.anthropic.com", Secret("sk-ant-FAKE-test-0123456789"), {}};

json body_of(const Result<HttpRequest>& r) {
  EXPECT_OK(r);
  return r.ok() ? json::parse(r->body) : json();
}

ChatRequest basic() {
  ChatRequest r;
  r.model = "claude-sonnet-4-5";
  r.messages.push_back(Message::User("Hi"));
  return r;
}

TEST(AnthropicRequestTest, RegisteredAsAnthropic) {
  AdapterRegistry registry;
  ASSERT_OK(adapters::register_builtin_adapters(registry));
  auto a = registry.create("anthropic");
  ASSERT_OK(a);
  EXPECT_EQ((*a)->name(), "anthropic");
  auto http = (*a)->build_request(basic(), kEp);
  ASSERT_OK(http);
  EXPECT_EQ(http->path, "/v1/messages");
}

TEST(AnthropicRequestTest, MinimalRequestHeadersPathAndDefaultMaxTokens) {
  AnthropicAdapter a;
  auto http = a.build_request(basic(), kEp);
  ASSERT_OK(http);
  EXPECT_EQ(http->method, "POST");
  EXPECT_EQ(http->base_url, "https://api.anthropic.com");
  EXPECT_EQ(http->path, "/v1/messages");
  EXPECT_EQ(http->headers.get("x-api-key"), std::optional<std::string_view>("sk-ant-FAKE-test-0123456789"));
  EXPECT_EQ(http->headers.get("anthropic-version"), std::optional<std::string_view>("2023-06-01"));
  EXPECT_FALSE(http->headers.has("authorization"));
  EXPECT_FALSE(http->expect_stream);
  const json b = body_of(http);
  EXPECT_EQ(b, json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":4096,
                               "messages":[{"role":"user","content":"Hi"}]})"));
}

TEST(AnthropicRequestTest, BaseUrlWithV1AndTrailingSlash) {
  AnthropicAdapter a;
  Endpoint ep = kEp;
  ep.base_url = "http://127.0.0.1:9/v1/";
  auto http = a.build_request(basic(), ep);
  ASSERT_OK(http);
  EXPECT_EQ(http->base_url, "http://127.0.0.1:9/v1");
  EXPECT_EQ(http->path, "/messages");
}

TEST(AnthropicRequestTest, NoKeyNoHeaderAndExtraHeadersOverride) {
  AnthropicAdapter::Options o;
  o.version = "2024-01-01";
  o.default_max_tokens = 77;
  AnthropicAdapter a(o);
  Endpoint ep{"anthropic", "http://local", Secret(), {}};
  ep.extra_headers.add("anthropic-beta", "prompt-caching-2024-07-31");
  ep.extra_headers.add("anthropic-version", "2023-06-01");
  auto http = a.build_request(basic(), ep);
  ASSERT_OK(http);
  EXPECT_FALSE(http->headers.has("x-api-key"));
  EXPECT_EQ(http->headers.get("anthropic-beta"), std::optional<std::string_view>("prompt-caching-2024-07-31"));
  EXPECT_EQ(http->headers.get("anthropic-version"), std::optional<std::string_view>("2023-06-01"));
  EXPECT_EQ(body_of(http)["max_tokens"], 77);
}

TEST(AnthropicRequestTest, SystemAndDeveloperHoisted) {
  ChatRequest r = basic();
  r.messages.insert(r.messages.begin(), Message::System("Be brief."));
  auto b = body_of(AnthropicAdapter().build_request(r, kEp));
  EXPECT_EQ(b["system"], "Be brief.");
  ASSERT_EQ(b["messages"].size(), 1u);
  r.messages.push_back(Message::Developer("And kind."));
  b = body_of(AnthropicAdapter().build_request(r, kEp));
  EXPECT_EQ(b["system"], json::parse(R"([{"type":"text","text":"Be brief."},{"type":"text","text":"And kind."}])"));
  ASSERT_EQ(b["messages"].size(), 1u);
  EXPECT_EQ(b["messages"][0]["role"], "user");
}

TEST(AnthropicRequestTest, ToolRoundTripBecomesToolUseAndToolResultBlocks) {
  ChatRequest r = basic();
  Message asst = Message::Assistant("Let me check.");
  asst.tool_calls.push_back(ToolCall{"toolu_1", "get_weather", R"({"city":"Paris"})"});
  asst.tool_calls.push_back(ToolCall{"toolu_2", "get_time", ""});
  r.messages.push_back(asst);
  r.messages.push_back(Message::ToolResult("toolu_1", "18C"));
  r.messages.push_back(Message::ToolResult("toolu_2", "noon"));
  r.messages.push_back(Message::User("Thanks"));
  const json b = body_of(AnthropicAdapter().build_request(r, kEp));
  ASSERT_EQ(b["messages"].size(), 3u) << b.dump();
  EXPECT_EQ(b["messages"][1], json::parse(R"({"role":"assistant","content":[
      {"type":"text","text":"Let me check."},
      {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
      {"type":"tool_use","id":"toolu_2","name":"get_time","input":{}}]})"));
  // Both results and the follow-up text merge into one user turn, results first.
  EXPECT_EQ(b["messages"][2], json::parse(R"({"role":"user","content":[
      {"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},
      {"type":"tool_result","tool_use_id":"toolu_2","content":"noon"},
      {"type":"text","text":"Thanks"}]})"));
}

TEST(AnthropicRequestTest, InvalidToolArgumentsNameThePath) {
  ChatRequest r = basic();
  Message asst;
  asst.role = Role::kAssistant;
  asst.tool_calls.push_back(ToolCall{"toolu_1", "f", "{\"a\":"});
  r.messages.push_back(asst);
  auto http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(http.status().message().find("messages[1].tool_calls[0].arguments: invalid JSON at byte"),
            std::string::npos)
      << http.status().message();
  r.messages.back().tool_calls[0].arguments_json = "[1]";
  http = AnthropicAdapter().build_request(r, kEp);
  EXPECT_NE(http.status().message().find("expected a JSON object"), std::string::npos);
}

TEST(AnthropicRequestTest, ToolMessageWithoutIdIsRejected) {
  ChatRequest r = basic();
  r.messages.push_back(Message::ToolResult("", "x"));
  auto http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("messages[1].tool_call_id"), std::string::npos);
}

TEST(AnthropicRequestTest, ImagesBase64AndUrl) {
  ChatRequest r;
  r.model = "claude-sonnet-4-5";
  Message m;
  m.role = Role::kUser;
  m.content = {ContentPart::Text("What is this?"), ContentPart::Image("data:image/png;base64,iVBORw0KGgo="),
               ContentPart::Image("https://example.com/cat.jpg")};
  r.messages.push_back(m);
  const json b = body_of(AnthropicAdapter().build_request(r, kEp));
  EXPECT_EQ(b["messages"][0]["content"], json::parse(R"([
      {"type":"text","text":"What is this?"},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
      {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}])"));
  r.messages[0].content[1] = ContentPart::Image("data:image/png,rawbytes");
  auto bad = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("messages[0].content: data URL must be base64"), std::string::npos);
}

TEST(AnthropicRequestTest, ToolsToolChoiceAndSampling) {
  ChatRequest r = basic();
  r.tools.push_back(ToolDefinition{"get_weather", "Weather",
                                   R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})",
                                   true, CacheControl::kNone});
  r.tools.push_back(ToolDefinition{"noargs", "", "", std::nullopt, CacheControl::kNone});
  r.tool_choice.mode = ToolChoice::Mode::kRequired;
  r.parallel_tool_calls = false;
  r.temperature = 0.5;
  r.top_p = 0.9;
  r.top_k = 40;
  r.frequency_penalty = 1.0;  // no Anthropic field: not sent
  r.seed = 3;                 // likewise
  r.stop = {"END", "STOP"};
  r.user = "u-42";
  r.max_output_tokens = 256;
  r.stream = true;
  auto http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_OK(http);
  EXPECT_TRUE(http->expect_stream);
  EXPECT_EQ(http->headers.get("accept"), std::optional<std::string_view>("text/event-stream"));
  const json b = body_of(http);
  EXPECT_EQ(b["tools"], json::parse(R"([
      {"name":"get_weather","description":"Weather",
       "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
      {"name":"noargs","input_schema":{"type":"object"}}])"));
  EXPECT_EQ(b["tool_choice"], json::parse(R"({"type":"any","disable_parallel_tool_use":true})"));
  EXPECT_EQ(b["temperature"], 0.5);
  EXPECT_EQ(b["top_p"], 0.9);
  EXPECT_EQ(b["top_k"], 40);
  EXPECT_EQ(b["stop_sequences"], json::parse(R"(["END","STOP"])"));
  EXPECT_EQ(b["metadata"], json::parse(R"({"user_id":"u-42"})"));
  EXPECT_EQ(b["max_tokens"], 256);
  EXPECT_EQ(b["stream"], true);
  EXPECT_FALSE(b.contains("frequency_penalty"));
  EXPECT_FALSE(b.contains("seed"));
  EXPECT_FALSE(b.contains("stream_options"));
}

TEST(AnthropicRequestTest, ToolChoiceModes) {
  struct Case {
    ToolChoice::Mode mode;
    const char* expected;
  };
  for (const Case& c : {Case{ToolChoice::Mode::kAuto, R"({"type":"auto"})"},
                        Case{ToolChoice::Mode::kNone, R"({"type":"none"})"},
                        Case{ToolChoice::Mode::kFunction, R"({"type":"tool","name":"f"})"}}) {
    ChatRequest r = basic();
    r.tools.push_back(ToolDefinition{"f", "", "{}", std::nullopt, CacheControl::kNone});
    r.tool_choice.mode = c.mode;
    r.tool_choice.function_name = "f";
    EXPECT_EQ(body_of(AnthropicAdapter().build_request(r, kEp))["tool_choice"], json::parse(c.expected));
  }
  ChatRequest r = basic();
  r.tools.push_back(ToolDefinition{"f", "", "{}", std::nullopt, CacheControl::kNone});
  EXPECT_FALSE(body_of(AnthropicAdapter().build_request(r, kEp)).contains("tool_choice"));
  r.parallel_tool_calls = false;
  EXPECT_EQ(body_of(AnthropicAdapter().build_request(r, kEp))["tool_choice"],
            json::parse(R"({"type":"auto","disable_parallel_tool_use":true})"));
}

TEST(AnthropicRequestTest, InvalidSchemaAndUnsupportedResponseFormat) {
  ChatRequest r = basic();
  r.tools.push_back(ToolDefinition{"f", "", "{oops", std::nullopt, CacheControl::kNone});
  auto http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("tools[0].parameters: invalid JSON at byte"), std::string::npos);
  r = basic();
  r.response_format.kind = ResponseFormat::Kind::kJsonObject;
  http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(http.status().message().find("response_format"), std::string::npos);
}

TEST(AnthropicRequestTest, RequiredFieldsAndEmptyTurns) {
  ChatRequest r = basic();
  r.model.clear();
  EXPECT_EQ(AnthropicAdapter().build_request(r, kEp).status().code(), StatusCode::kInvalidRequest);
  r = basic();
  r.messages.clear();
  EXPECT_EQ(AnthropicAdapter().build_request(r, kEp).status().code(), StatusCode::kInvalidRequest);
  r.messages.push_back(Message::System("only system"));
  auto http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("system alone"), std::string::npos);
  r = basic();
  r.messages.push_back(Message::Assistant(""));
  http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("messages[1].content: empty"), std::string::npos);
}

TEST(AnthropicRequestTest, ConsecutiveUserMessagesMerge) {
  ChatRequest r = basic();
  r.messages.push_back(Message::User("again"));
  const json b = body_of(AnthropicAdapter().build_request(r, kEp));
  ASSERT_EQ(b["messages"].size(), 1u);
  EXPECT_EQ(b["messages"][0]["content"],
            json::parse(R"([{"type":"text","text":"Hi"},{"type":"text","text":"again"}])"));
}

TEST(AnthropicRequestTest, InvalidUtf8IsAnErrorNotAnException) {
  ChatRequest r = basic();
  r.messages[0] = Message::User(std::string("bad \xFF byte"));
  auto http = AnthropicAdapter().build_request(r, kEp);
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.status().code(), StatusCode::kInvalidRequest);
}

using ojson = nlohmann::ordered_json;

// A request and the ordered_json dump its body must equal byte for byte.
struct PlainCase {
  ChatRequest req;
  ojson expected;
};

// Streamed, one system message, a user turn with every kind of escape.
PlainCase escaped_stream_case() {
  ChatRequest r;
  r.model = "claude-haiku-4-5";
  r.messages = {Message::System("You are a terse assistant."), Message::User("Say \"hi\"\n\tcaf\xC3\xA9 \x01 \x7F /")};
  r.max_output_tokens = 24;
  r.stream = true;
  ojson e = ojson::object();
  e["model"] = "claude-haiku-4-5";
  e["max_tokens"] = 24;
  e["system"] = "You are a terse assistant.";
  e["messages"] = ojson::array({ojson{{"role", "user"}, {"content", "Say \"hi\"\n\tcaf\xC3\xA9 \x01 \x7F /"}}});
  e["stream"] = true;
  return {r, e};
}

// Two system texts as blocks, a multi-part turn (empty part dropped), sampling, stop, user.
PlainCase system_blocks_case() {
  ChatRequest r;
  r.model = "claude-sonnet-4-5";
  Message multi{Role::kUser, {ContentPart::Text("part one"), ContentPart::Text(""), ContentPart::Text("part two")}, {}, {}, {}};
  r.messages = {Message::System("S1"), Message::User("q1"), Message::Developer("S2"), Message::Assistant("a1"), multi};
  r.temperature = 1.0;
  r.top_p = 0.95;
  r.top_k = 40;
  r.stop = {"END", "\xE2\x80\x94"};
  r.user = "user-7";
  ojson e = ojson::object();
  e["model"] = "claude-sonnet-4-5";
  e["max_tokens"] = 4096;
  e["system"] = ojson::array({ojson{{"type", "text"}, {"text", "S1"}}, ojson{{"type", "text"}, {"text", "S2"}}});
  e["messages"] = ojson::array({ojson{{"role", "user"}, {"content", "q1"}}, ojson{{"role", "assistant"}, {"content", "a1"}},
                                ojson{{"role", "user"},
                                      {"content", ojson::array({ojson{{"type", "text"}, {"text", "part one"}},
                                                                ojson{{"type", "text"}, {"text", "part two"}}})}}});
  e["temperature"] = 1.0;
  e["top_p"] = 0.95;
  e["top_k"] = 40;
  e["stop_sequences"] = {"END", "\xE2\x80\x94"};
  e["metadata"] = ojson{{"user_id", "user-7"}};
  return {r, e};
}

// An empty system message is dropped; temperature 0.7.
PlainCase empty_system_case() {
  ChatRequest r;
  r.model = "claude-opus-4-1";
  r.messages = {Message::System(""), Message::User("x")};
  r.temperature = 0.7;
  ojson e = ojson::object();
  e["model"] = "claude-opus-4-1";
  e["max_tokens"] = 4096;
  e["messages"] = ojson::array({ojson{{"role", "user"}, {"content", "x"}}});
  e["temperature"] = 0.7;
  return {r, e};
}

// Plain text conversations are written without a DOM (adapters/anthropic/src/request.cpp's fast path);
// the bytes must be exactly what an ordered_json of the same fields dumps (the wire
// contract the simulator and recorded cassettes see): key order, escaping, number format.
TEST(AnthropicRequestTest, PlainRequestBytesEqualTheOrderedJsonDump) {
  const std::vector<PlainCase> cases = {escaped_stream_case(), system_blocks_case(), empty_system_case()};
  for (const PlainCase& c : cases) {
    auto http = AnthropicAdapter().build_request(c.req, kEp);
    ASSERT_OK(http);
    EXPECT_EQ(http->body, c.expected.dump());
  }
  // An empty turn is still the DOM path's error, invalid UTF-8 in the system text too.
  ChatRequest empty = basic();
  empty.messages.push_back(Message::Assistant(""));
  EXPECT_EQ(AnthropicAdapter().build_request(empty, kEp).status().code(), StatusCode::kInvalidRequest);
  ChatRequest bad_system = basic();
  bad_system.messages.insert(bad_system.messages.begin(), Message::System(std::string("bad \xC3 byte")));
  EXPECT_EQ(AnthropicAdapter().build_request(bad_system, kEp).status().code(), StatusCode::kInvalidRequest);
}

}  // namespace
}  // namespace ploke::adapters::anthropic
