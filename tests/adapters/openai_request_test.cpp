// OpenAiAdapter::build_request: golden JSON comparisons (parsed, so key order is free).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/openai/adapter.h"
#include "support/test_support.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;

class OpenAiRequestTest : public ::testing::Test {
 protected:
  Endpoint endpoint(std::string key = "sk-test-key-1234567890") {
    Endpoint ep;
    ep.provider = "openai";
    ep.base_url = "https://api.openai.com/v1/";
    ep.api_key = Secret(std::move(key));
    return ep;
  }
  json body_of(const ChatRequest& r, const Endpoint& ep) {
    auto http = adapter_->build_request(r, ep);
    EXPECT_OK(http);
    if (!http.ok()) return json();
    return json::parse(http->body);
  }
  ProviderAdapterPtr adapter_ = make_openai_adapter();
};

TEST_F(OpenAiRequestTest, MinimalRequestShapesUrlHeadersAndBody) {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages = {Message::System("be brief"), Message::User("hi")};
  Endpoint ep = endpoint();
  ep.extra_headers.add("OpenAI-Organization", "org-1");
  auto http = adapter_->build_request(r, ep);
  ASSERT_OK(http);
  EXPECT_EQ(http->method, "POST");
  EXPECT_EQ(http->base_url, "https://api.openai.com/v1");
  EXPECT_EQ(http->path, "/chat/completions");
  EXPECT_FALSE(http->expect_stream);
  EXPECT_EQ(http->headers.get("authorization").value_or(""), "Bearer sk-test-key-1234567890");
  EXPECT_EQ(http->headers.get("content-type").value_or(""), "application/json");
  EXPECT_EQ(http->headers.get("accept").value_or(""), "application/json");
  EXPECT_EQ(http->headers.get("openai-organization").value_or(""), "org-1");
  EXPECT_EQ(json::parse(http->body), json::parse(R"({"model":"gpt-4o","messages":[
      {"role":"system","content":"be brief"},{"role":"user","content":"hi"}]})"));
}

TEST_F(OpenAiRequestTest, NoAuthorizationHeaderWithoutKey) {
  ChatRequest r;
  r.model = "local";
  r.messages = {Message::User("hi")};
  auto http = make_custom_openai_adapter()->build_request(r, endpoint(""));
  ASSERT_OK(http);
  EXPECT_FALSE(http->headers.has("Authorization"));
}

TEST_F(OpenAiRequestTest, FullRequestMatchesGolden) {
  ChatRequest r;
  r.model = "gpt-4o";
  Message dev = Message::Developer("rules");
  dev.name = "ops";
  Message user;
  user.role = Role::kUser;
  user.content = {ContentPart::Text("what is this?"), ContentPart::Image("https://x/y.png", "low"),
                  ContentPart::Image("data:image/png;base64,AAA")};
  Message call;
  call.role = Role::kAssistant;
  call.tool_calls = {{"call_A", "get_weather", "{\"city\":\"Paris\"}"}, {"call_B", "get_time", "{}"}};
  r.messages = {dev, user, call, Message::ToolResult("call_A", "sunny \"22\"\n"),
                Message::ToolResult("call_B", "12:00")};
  r.tools = {{"get_weather", "Weather for a city",
              R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})", true},
             {"get_time", "", "", std::nullopt}};
  r.tool_choice = {ToolChoice::Mode::kFunction, "get_weather"};
  r.parallel_tool_calls = false;
  r.response_format = {ResponseFormat::Kind::kJsonSchema, "answer", R"( {"type":"object"} )", true};
  r.temperature = 0.25;
  r.top_p = 0.9;
  r.top_k = 40;
  r.frequency_penalty = -0.5;
  r.presence_penalty = 1.5;
  r.max_output_tokens = 256;
  r.stop = {"END", "\n\n"};
  r.seed = -7;
  r.user = "u-1";
  r.stream = true;
  auto http = adapter_->build_request(r, endpoint());
  ASSERT_OK(http);
  EXPECT_TRUE(http->expect_stream);
  EXPECT_EQ(http->headers.get("accept").value_or(""), "text/event-stream");
  const json golden = json::parse(R"({
    "model":"gpt-4o",
    "messages":[
      {"role":"developer","content":"rules","name":"ops"},
      {"role":"user","content":[{"type":"text","text":"what is this?"},
        {"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,AAA"}}]},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_A","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
        {"id":"call_B","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
      {"role":"tool","content":"sunny \"22\"\n","tool_call_id":"call_A"},
      {"role":"tool","content":"12:00","tool_call_id":"call_B"}],
    "tools":[
      {"type":"function","function":{"name":"get_weather","description":"Weather for a city",
        "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},
      {"type":"function","function":{"name":"get_time"}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "parallel_tool_calls":false,
    "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}},
    "temperature":0.25,"top_p":0.9,"frequency_penalty":-0.5,"presence_penalty":1.5,
    "max_completion_tokens":256,"stop":["END","\n\n"],"seed":-7,"user":"u-1",
    "stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_EQ(json::parse(http->body), golden) << json::parse(http->body).dump(2);
}

TEST_F(OpenAiRequestTest, ToolChoiceAndResponseFormatVariants) {
  ChatRequest r;
  r.model = "m";
  r.messages = {Message::User("x")};
  const std::pair<ToolChoice::Mode, const char*> modes[] = {
      {ToolChoice::Mode::kNone, "none"}, {ToolChoice::Mode::kAuto, "auto"}, {ToolChoice::Mode::kRequired, "required"}};
  for (const auto& [mode, wire] : modes) {
    r.tool_choice.mode = mode;
    EXPECT_EQ(body_of(r, endpoint())["tool_choice"], wire);
  }
  r.tool_choice = {};
  EXPECT_FALSE(body_of(r, endpoint()).contains("tool_choice"));
  r.response_format.kind = ResponseFormat::Kind::kJsonObject;
  EXPECT_EQ(body_of(r, endpoint())["response_format"], json::parse(R"({"type":"json_object"})"));
  r.response_format.kind = ResponseFormat::Kind::kText;
  EXPECT_EQ(body_of(r, endpoint())["response_format"], json::parse(R"({"type":"text"})"));
}

TEST_F(OpenAiRequestTest, LegacyMaxTokensOption) {
  ChatRequest r;
  r.model = "m";
  r.messages = {Message::User("x")};
  r.max_output_tokens = 10;
  OpenAiAdapter::Options o;
  o.name = "custom";
  o.legacy_max_tokens = true;
  OpenAiAdapter legacy(o);
  auto http = legacy.build_request(r, endpoint());
  ASSERT_OK(http);
  const json b = json::parse(http->body);
  EXPECT_EQ(b["max_tokens"], 10);
  EXPECT_FALSE(b.contains("max_completion_tokens"));
}

TEST_F(OpenAiRequestTest, EscapesControlCharactersAndKeepsUtf8) {
  ChatRequest r;
  r.model = "m";
  r.messages = {Message::User(std::string("a\x01\tb\\\"\xE2\x82\xAC", 9))};
  EXPECT_EQ(body_of(r, endpoint())["messages"][0]["content"], std::string("a\x01\tb\\\"\xE2\x82\xAC", 9));
}

TEST_F(OpenAiRequestTest, InvalidSchemaNamesTheField) {
  ChatRequest r;
  r.model = "m";
  r.messages = {Message::User("x")};
  r.tools = {{"ok", "", "{}", std::nullopt}, {"bad", "", R"({"type": "object",)", std::nullopt}};
  auto http = adapter_->build_request(r, endpoint());
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(http.status().message().find("tools[1].parameters"), std::string::npos) << http.status().message();
  r.tools = {{"arr", "", "[1,2]", std::nullopt}};
  http = adapter_->build_request(r, endpoint());
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("tools[0].parameters: expected a JSON object"), std::string::npos);
  r.tools = {};
  r.response_format = {ResponseFormat::Kind::kJsonSchema, "n", "nope", std::nullopt};
  http = adapter_->build_request(r, endpoint());
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("response_format.json_schema.schema"), std::string::npos);
}

TEST_F(OpenAiRequestTest, RejectsRequestsTheProtocolCannotExpress) {
  ChatRequest r;
  r.model = "m";
  EXPECT_EQ(adapter_->build_request(r, endpoint()).status().code(), StatusCode::kInvalidRequest);  // no messages
  r.messages = {Message::ToolResult("", "x")};
  EXPECT_NE(adapter_->build_request(r, endpoint()).status().message().find("messages[0].tool_call_id"),
            std::string::npos);
  Message bad = Message::User("x");
  bad.tool_calls = {{"c", "f", "{}"}};
  r.messages = {bad};
  EXPECT_EQ(adapter_->build_request(r, endpoint()).status().code(), StatusCode::kInvalidRequest);
  r.messages = {Message::User("x")};
  r.tool_choice = {ToolChoice::Mode::kFunction, ""};
  EXPECT_EQ(adapter_->build_request(r, endpoint()).status().code(), StatusCode::kInvalidRequest);
  r.model.clear();
  r.tool_choice = {};
  EXPECT_EQ(adapter_->build_request(r, endpoint()).status().code(), StatusCode::kInvalidRequest);
}

}  // namespace
}  // namespace ploke::adapters::openai
