// read_served_chat_request(): the API's validation errors (status, type, param path, code)
// in the API's order, and the typed values a generator reads from a valid request.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/openai/served_request.h"
#include "ploke/adapters/openai/server.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;

std::optional<WireError> read(const std::string& text, ServedChatRequest& out) {
  const json j = json::parse(text);
  return read_served_chat_request(&j, out);
}

WireError error_of(const std::string& text) {
  ServedChatRequest out;
  auto e = read(text, out);
  EXPECT_TRUE(e.has_value()) << text;
  return e.value_or(WireError{});
}

TEST(OpenAiServedRequest, NotJsonIsTheApiParseError) {
  ServedChatRequest out;
  const auto e = read_served_chat_request(nullptr, out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(e->type, "invalid_request_error");
  EXPECT_NE(e->message.find("We could not parse the JSON body"), std::string::npos);
  EXPECT_FALSE(e->param);
}

TEST(OpenAiServedRequest, ModelAndMessagesErrorsNameTheirParam) {
  EXPECT_EQ(error_of(R"({"messages":[]})").message, "you must provide a model parameter");
  WireError e = error_of(R"({"model":"m"})");
  EXPECT_EQ(e.param, "messages");
  EXPECT_EQ(e.code, "missing_required_parameter");
  e = error_of(R"({"model":"m","messages":{}})");
  EXPECT_EQ(e.code, "invalid_type");
  e = error_of(R"({"model":"m","messages":[]})");
  EXPECT_EQ(e.code, "empty_array");
  e = error_of(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})");
  EXPECT_EQ(e.param, "stream");
  EXPECT_EQ(e.code, "invalid_type");
  e = error_of(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3})");
  EXPECT_EQ(e.param, "temperature");
}

TEST(OpenAiServedRequest, ToolMessagesMustAnswerAToolCall) {
  WireError e = error_of(R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"a","content":"r"}]})");
  EXPECT_EQ(e.param, "messages.[1].role");
  e = error_of(R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"x"}]})");
  EXPECT_EQ(e.param, "messages.[0].role");
  EXPECT_NE(e.message.find("c1"), std::string::npos);
  e = error_of(R"({"model":"m","messages":[{"content":"x"}]})");  // the shared checks' path
  EXPECT_EQ(e.param, "messages[0].role");
}

TEST(OpenAiServedRequest, ToolChoiceValuesAndFunction) {
  const std::string msgs = R"("messages":[{"role":"user","content":"x"}])";
  WireError e = error_of(R"({"model":"m",)" + msgs + R"(,"tool_choice":"sometimes"})");
  EXPECT_EQ(e.param, "tool_choice");
  EXPECT_EQ(e.code, "invalid_value");
  e = error_of(R"({"model":"m",)" + msgs + R"(,"tool_choice":"required"})");
  EXPECT_EQ(e.param, "tool_choice");
  e = error_of(R"({"model":"m",)" + msgs + R"(,"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}})");
  EXPECT_NE(e.message.find("function 'b'"), std::string::npos);
  e = error_of(R"({"model":"m",)" + msgs + R"(,"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function"}})");
  EXPECT_EQ(e.param, "tool_choice.function.name");
}

TEST(OpenAiServedRequest, ReadsTheTypedValues) {
  ServedChatRequest r;
  const auto e = read(R"({"model":"gpt","stream":true,"stream_options":{"include_usage":true},
    "max_tokens":50,"max_completion_tokens":7,"n":2,"seed":-3,"logprobs":true,"top_logprobs":4,
    "parallel_tool_calls":false,
    "messages":[{"role":"user","content":"abcd"},
                {"role":"assistant","content":[{"type":"text","text":"ef"}],"tool_calls":[{"id":"c","type":"function","function":{"name":"b","arguments":"xyz"}}]},
                {"role":"tool","tool_call_id":"c","content":"r"}],
    "tools":[{"type":"function","function":{"name":"a","parameters":{"properties":{"q":{"type":"string"}}}}},
             {"type":"function","function":{"name":"b"}},
             {"type":"function","function":{"name":"b","parameters":{"type":"array"}}}],
    "tool_choice":{"type":"function","function":{"name":"b"}},
    "response_format":{"type":"json_object"}})", r);
  ASSERT_FALSE(e) << e->message;
  EXPECT_EQ(r.model, "gpt");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.max_tokens, 7u);
  EXPECT_EQ(r.n, 2u);
  EXPECT_EQ(r.prompt_chars, 4u + 2u + 3u + 1u);
  EXPECT_TRUE(r.last_message_is_tool);
  EXPECT_EQ(r.seed, -3);
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 4u);
  EXPECT_FALSE(r.parallel_tool_calls);
  ASSERT_EQ(r.tools.size(), 3u);
  EXPECT_EQ(r.tools[0].name, "a");
  EXPECT_EQ(r.tools[0].parameters, R"({"properties":{"q":{"type":"string"}},"type":"object"})");
  EXPECT_EQ(r.tools[1].parameters, R"({"type":"object"})");
  EXPECT_EQ(r.tools[2].parameters, R"({"type":"array"})");
  EXPECT_EQ(r.tool_choice, ToolChoiceMode::kFunction);
  EXPECT_EQ(r.forced_name, "b");
  EXPECT_EQ(r.forced_tool, 2u);  // the last match
  ASSERT_TRUE(r.response_schema);
  EXPECT_EQ(json::parse(*r.response_schema)["required"], json::array({"answer"}));
}

TEST(OpenAiServedRequest, DefaultsAndResponseFormats) {
  ServedChatRequest r;
  ASSERT_FALSE(read(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":null,"max_tokens":null,
    "tool_choice":"none","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"integer"}}}})", r));
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.max_tokens);
  EXPECT_EQ(r.n, 1u);
  EXPECT_FALSE(r.seed);
  EXPECT_TRUE(r.tools.empty());
  EXPECT_EQ(r.tool_choice, ToolChoiceMode::kNone);
  EXPECT_TRUE(r.parallel_tool_calls);
  EXPECT_EQ(r.response_schema, R"({"type":"integer"})");
  ASSERT_FALSE(read(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema"}})", r));
  EXPECT_EQ(r.response_schema, "{}");
  ASSERT_FALSE(read(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"text"}})", r));
  EXPECT_FALSE(r.response_schema);
}

// Malformed `tools` are the API's 400 (param path, code), not tools named "tool"; the
// gateway's inbound parse rejects the same bodies naming the same param.
TEST(OpenAiServedRequest, MalformedToolsAreTheApis400) {
  struct Case {
    const char* tools;
    const char* param;
    const char* code;
    const char* message;
  };
  const Case cases[] = {
      {R"({"type":"function"})", "tools", "invalid_type",
       "Invalid type for 'tools': expected an array of objects, but got an object instead."},
      {R"([5])", "tools[0]", "invalid_type", "Invalid type for 'tools[0]': expected an object, but got an integer instead."},
      {R"([{"function":{"name":"f"}}])", "tools[0].type", "missing_required_parameter",
       "Missing required parameter: 'tools[0].type'."},
      {R"([{"type":"x","function":{"name":"f"}}])", "tools[0].type", "invalid_value",
       "Invalid value: 'x'. Supported values are: 'function' and 'custom'."},
      {R"([{"type":"function"}])", "tools[0].function", "missing_required_parameter",
       "Missing required parameter: 'tools[0].function'."},
      {R"([{"type":"function","function":"f"}])", "tools[0].function", "invalid_type",
       "Invalid type for 'tools[0].function': expected an object, but got a string instead."},
      {R"([{"type":"function","function":{"name":"a"}},{"type":"function","function":{}}])", "tools[1].function.name",
       "missing_required_parameter", "Missing required parameter: 'tools[1].function.name'."},
      {R"([{"type":"function","function":{"name":7}}])", "tools[0].function.name", "invalid_type",
       "Invalid type for 'tools[0].function.name': expected a string, but got an integer instead."},
      {R"([{"type":"function","function":{"name":"f","parameters":"s"}}])", "tools[0].function.parameters",
       "invalid_type", "Invalid type for 'tools[0].function.parameters': expected an object, but got a string instead."},
      {R"([{"type":"custom","custom":{}}])", "tools[0].custom.name", "missing_required_parameter",
       "Missing required parameter: 'tools[0].custom.name'."},
      {R"([{"type":"custom"}])", "tools[0].custom", "missing_required_parameter",
       "Missing required parameter: 'tools[0].custom'."},
      {R"([{"type":"function","function":{"name":""}}])", "tools[0].function.name", "empty_string",
       "Invalid 'tools[0].function.name': empty string. Expected a string with minimum length 1, but got an empty string instead."},
      {R"([{"type":"function","function":{"name":"get weather"}}])", "tools[0].function.name", "invalid_value",
       "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the pattern "
       "'^[a-zA-Z0-9_-]+$'."},
      {R"([{"type":"custom","custom":{"name":"a.b"}}])", "tools[0].custom.name", "invalid_value",
       "Invalid 'tools[0].custom.name': string does not match pattern. Expected a string that matches the pattern "
       "'^[a-zA-Z0-9_-]+$'."},
      {R"([{"type":"function","function":{"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}])",
       "tools[0].function.name", "string_above_max_length",
       "Invalid 'tools[0].function.name': string too long. Expected a string with maximum length 64, but got a string with "
       "length 65 instead."},
  };
  for (const Case& c : cases) {
    const std::string body = std::string(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":)") + c.tools + "}";
    const WireError e = error_of(body);
    EXPECT_EQ(e.status, 400) << c.tools;
    EXPECT_EQ(e.type, "invalid_request_error") << c.tools;
    EXPECT_EQ(e.param, c.param) << c.tools;
    EXPECT_EQ(e.code, c.code) << c.tools;
    EXPECT_EQ(e.message, c.message) << c.tools;
    const auto in = parse_openai_chat_request(body);
    ASSERT_FALSE(in.ok()) << c.tools;
    EXPECT_EQ(in.status().message(), std::string(c.param) + ": " + c.message);
  }
  // Valid function and custom tools pass; a null `parameters` reads as absent.
  ServedChatRequest r;
  ASSERT_FALSE(read(R"({"model":"m","messages":[{"role":"user","content":"hi"}],
    "tools":[{"type":"function","function":{"name":"f","parameters":null}},{"type":"custom","custom":{"name":"c"}}]})", r));
  ASSERT_EQ(r.tools.size(), 2u);
  EXPECT_EQ(r.tools[0].name, "f");
  EXPECT_EQ(r.tools[0].parameters, R"({"type":"object"})");
  EXPECT_FALSE(r.tools[0].custom);
  EXPECT_EQ(r.tools[1].name, "c");
  EXPECT_TRUE(r.tools[1].custom);
}

TEST(OpenAiServedRequest, PlainAndNotFound) {
  PlainChatRequest p;
  p.model = "m";
  p.stream = true;
  p.n = 3;
  p.max_tokens = 9;
  p.prompt_chars = 11;
  const ServedChatRequest r = served_from_plain(p);
  EXPECT_EQ(r.model, "m");
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.n, 3u);
  EXPECT_EQ(r.max_tokens, 9u);
  EXPECT_EQ(r.prompt_chars, 11u);
  EXPECT_TRUE(r.tools.empty());
  EXPECT_FALSE(r.response_schema);
  const WireError e = model_not_found("x");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "model_not_found");
  EXPECT_EQ(e.message, "The model `x` does not exist or you do not have access to it.");
}

}  // namespace
}  // namespace ploke::adapters::openai

namespace ploke::adapters::openai {
namespace {

// The gateway's inbound parse (fast path first, then the DOM) rejects exactly what the
// served reader rejects, with the same status, type and param.
TEST(OpenAiServedRequest, GatewayParseRejectsWhatTheServedReaderRejects) {
  const std::string user = R"({"role":"user","content":"x"})";
  const std::string call = R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]})";
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  const std::string bad[] = {
      R"({"messages":[)" + user + "]}",
      R"({"model":"","messages":[)" + user + "]}",
      R"({"model":"m"})",
      R"({"model":"m","messages":[]})",
      R"({"model":"m","messages":[)" + user + R"(],"stream":"yes"})",
      R"({"model":"m","messages":[)" + user + R"(,{"role":"tool","tool_call_id":"c1","content":"r"}]})",
      R"({"model":"m","messages":[)" + user + "," + call + "," + user + "]}",
      R"({"model":"m","messages":[)" + user + "," + call + "]}",
      R"({"model":"m","messages":[)" + user + R"(],"tool_choice":"required"})",
      R"({"model":"m","messages":[)" + user + R"(],"tool_choice":{"type":"function","function":{"name":"f"}}})",
      R"({"model":"m","messages":[)" + user + R"(],)" + tools + R"(,"tool_choice":{"type":"function","function":{"name":"g"}}})",
      R"({"model":"m","messages":[)" + user + R"(],)" + tools + R"(,"tool_choice":{"type":"function"}})",
      R"({"model":"m","messages":[)" + user + R"(],"tool_choice":"sometimes"})",
      R"({"model":"m","messages":[)" + user + R"(],"tools":[{"type":"function","function":{}}]})",
      R"({"model":"m","messages":[)" + user + R"(],"temperature":3})",
      R"({"model":"m","messages":[)" + user + R"(],"tools":[{"type":"function","function":{"name":"a b"}}]})",
      R"({"model":"m","messages":[)" + user + R"(],"tools":[{"type":"function","function":{"name":""}}]})",
  };
  for (const std::string& body : bad) {
    const json j = json::parse(body);
    ServedChatRequest out;
    const auto served = read_served_chat_request(&j, out);
    ASSERT_TRUE(served) << body;
    const auto in = parse_openai_chat_request(body);
    ASSERT_FALSE(in.ok()) << body;
    const Reply rep = render_openai_error(in.status());
    EXPECT_EQ(rep.status, served->status) << body;
    const json e = json::parse(rep.body)["error"];
    EXPECT_EQ(e["type"], served->type) << body;
    EXPECT_EQ(e["param"].is_null() ? std::optional<std::string>() : std::optional<std::string>(e["param"].get<std::string>()),
              served->param)
        << body;
    // The same message (no param prefix) and code as the simulator's 400.
    EXPECT_EQ(e["message"], served->message) << body;
    EXPECT_EQ(e["code"].is_null() ? std::optional<std::string>() : std::optional<std::string>(e["code"].get<std::string>()),
              served->code)
        << body;
  }
  // And accepts what it accepts (a answered call, a forced tool that exists).
  for (const std::string& body : {
           R"({"model":"m","messages":[)" + user + "," + call + R"(,{"role":"tool","tool_call_id":"c1","content":"r"}],)" + tools + "}",
           R"({"model":"m","messages":[)" + user + R"(],)" + tools + R"(,"tool_choice":{"type":"function","function":{"name":"f"}}})"}) {
    const json j = json::parse(body);
    ServedChatRequest out;
    EXPECT_FALSE(read_served_chat_request(&j, out)) << body;
    EXPECT_TRUE(parse_openai_chat_request(body).ok()) << body;
    EXPECT_TRUE(parse_openai_chat_request(body, ParsePath::kFastOnly).ok()) << body;
  }
}

}  // namespace
}  // namespace ploke::adapters::openai
