// read_served_messages_request(): the API's 400 messages (the shared checks) and the typed
// values a generator reads from a valid Messages / count_tokens request.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/served_request.h"
#include "ploke/adapters/anthropic/server.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

std::optional<std::string> read(const std::string& text, ServedMessagesRequest& out, bool count_tokens = false) {
  const json j = json::parse(text);
  return read_served_messages_request(&j, count_tokens, out);
}

TEST(AnthropicServedRequest, NotJsonIsTheApiParseError) {
  ServedMessagesRequest out;
  EXPECT_EQ(read_served_messages_request(nullptr, false, out),
            "There was an error parsing the body of your request: invalid JSON");
}

TEST(AnthropicServedRequest, ChecksRunBeforeReading) {
  ServedMessagesRequest out;
  EXPECT_EQ(read(R"({"model":"m","messages":[{"role":"user","content":"x"}]})", out), "max_tokens: Field required");
  // count_tokens has no max_tokens.
  EXPECT_EQ(read(R"({"model":"m","messages":[{"role":"user","content":"abcdefgh"}]})", out, true), std::nullopt);
  EXPECT_EQ(out.max_tokens, 0u);
  EXPECT_EQ(out.prompt_chars, 8u);
}

TEST(AnthropicServedRequest, ReadsWhatAGeneratorNeeds) {
  ServedMessagesRequest out;
  const std::string tools = R"([{"name":"f","input_schema":{"properties":{"a":{"type":"integer"}},"type":"object"}},{"name":"g","type":"web_search_20250305"}])";
  const std::string body = R"({"model":"claude-x","max_tokens":7,"stream":true,"system":"abcd",
    "stop_sequences":["END","x"],"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}},
    "tool_choice":{"type":"tool","name":"g","disable_parallel_tool_use":true},
    "messages":[{"role":"user","content":"hello"},
                {"role":"assistant","content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}],
    "tools":)" + tools + "}";
  ASSERT_EQ(read(body, out), std::nullopt);
  EXPECT_EQ(out.model, "claude-x");
  EXPECT_TRUE(out.stream);
  EXPECT_EQ(out.max_tokens, 7u);
  // system 4 + "hello" 5 + "hi" 2 + {"a":1} 7 + "ok" 2 + the tools' compact JSON.
  EXPECT_EQ(out.prompt_chars, 20u + json::parse(tools).dump().size());
  EXPECT_TRUE(out.answers_tool_results);
  ASSERT_EQ(out.tools.size(), 2u);
  EXPECT_EQ(out.tools[0].name, "f");
  EXPECT_EQ(out.tools[0].input_schema, R"({"properties":{"a":{"type":"integer"}},"type":"object"})");
  EXPECT_EQ(out.tools[1].name, "g");
  EXPECT_EQ(out.tools[1].input_schema, R"({"type":"object"})");
  EXPECT_EQ(out.tool_choice, ToolChoiceMode::kTool);
  EXPECT_EQ(out.forced_name, "g");
  EXPECT_TRUE(out.disable_parallel_tool_use);
  EXPECT_EQ(out.stop_sequences, (std::vector<std::string>{"END", "x"}));
  EXPECT_EQ(out.output_schema, R"({"type":"object"})");
}

TEST(AnthropicServedRequest, DefaultsForAPlainRequest) {
  ServedMessagesRequest out;
  ASSERT_EQ(read(R"({"model":"m","max_tokens":1,"stream":false,"tool_choice":{"type":"none"},
                     "messages":[{"role":"user","content":[{"type":"text","text":"abc"}]}]})", out), std::nullopt);
  EXPECT_FALSE(out.stream);
  EXPECT_EQ(out.prompt_chars, 3u);
  EXPECT_FALSE(out.answers_tool_results);
  EXPECT_TRUE(out.tools.empty());
  EXPECT_EQ(out.tool_choice, ToolChoiceMode::kNone);
  EXPECT_FALSE(out.disable_parallel_tool_use);
  EXPECT_TRUE(out.stop_sequences.empty());
  EXPECT_FALSE(out.output_schema);
  ASSERT_EQ(read(R"({"model":"m","max_tokens":1,"tools":[{"name":"f","input_schema":{"type":"object"}}],
                     "tool_choice":{"type":"any"},"messages":[{"role":"user","content":"x"}]})", out), std::nullopt);
  EXPECT_EQ(out.tool_choice, ToolChoiceMode::kAny);
  EXPECT_TRUE(out.forced_name.empty());
}

// Malformed `tools` are the API's 400 in its wording; the gateway's inbound parse rejects
// the same bodies with the same message.
TEST(AnthropicServedRequest, MalformedToolsAreTheApis400) {
  struct Case {
    const char* tools;
    const char* message;
  };
  const Case cases[] = {
      {R"({"name":"f"})", "tools: Input should be a valid list"},
      {R"([5])", "tools.0: Input should be a valid dictionary or object"},
      {R"([{"input_schema":{"type":"object"}}])", "tools.0.custom.name: Field required"},
      {R"([{"name":"f","input_schema":{"type":"object"}},{"name":null,"input_schema":{"type":"object"}}])",
       "tools.1.custom.name: Field required"},
      {R"([{"name":7,"input_schema":{"type":"object"}}])", "tools.0.custom.name: Input should be a valid string"},
      {R"([{"name":"","input_schema":{"type":"object"}}])", "tools.0.custom.name: String should have at least 1 character"},
      {R"([{"name":"get weather","input_schema":{"type":"object"}}])",
       "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"},
      {R"([{"type":"custom","name":"a.b","input_schema":{"type":"object"}}])",
       "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"},
      {R"([{"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","input_schema":{"type":"object"}}])",
       "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"},
      {R"([{"name":"f"}])", "tools.0.custom.input_schema: Field required"},
      {R"([{"name":"f","input_schema":[]}])", "tools.0.custom.input_schema: Input should be a valid dictionary"},
      {R"([{"name":"f","input_schema":{}}])", "tools.0.custom.input_schema.type: Field required"},
      {R"([{"name":"f","input_schema":{"type":"array"}}])", "tools.0.custom.input_schema.type: Input should be 'object'"},
      {R"([{"type":5,"name":"f","input_schema":{"type":"object"}}])", "tools.0.type: Input should be a valid string"},
      {R"([{"type":"web_search_20250305"}])", "tools.0.name: Field required"},
      {R"([{"name":"f","input_schema":{"type":"object"}},{"name":"f","input_schema":{"type":"object"}}])",
       "tools: Tool names must be unique."},
  };
  for (const Case& c : cases) {
    const std::string body =
        std::string(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":)") + c.tools + "}";
    ServedMessagesRequest out;
    EXPECT_EQ(read(body, out), c.message) << c.tools;
    const auto in = parse_anthropic_messages_request(body);
    ASSERT_FALSE(in.ok()) << c.tools;
    EXPECT_EQ(in.status().message(), c.message);
  }
  // disable_parallel_tool_use is a boolean (null reads as absent), under the choice's tag.
  ServedMessagesRequest out;
  const std::string head =
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],)";
  EXPECT_EQ(read(head + R"("tool_choice":{"type":"auto","disable_parallel_tool_use":"yes"}})", out),
            "tool_choice.auto.disable_parallel_tool_use: Input should be a valid boolean");
  EXPECT_EQ(read(head + R"("tool_choice":{"type":"any","disable_parallel_tool_use":1}})", out),
            "tool_choice.any.disable_parallel_tool_use: Input should be a valid boolean");
  EXPECT_EQ(read(head + R"("tool_choice":{"type":"auto","disable_parallel_tool_use":null}})", out), std::nullopt);
  EXPECT_FALSE(out.disable_parallel_tool_use);
  // An unknown tool type is a tag error listing the known ones.
  const auto e = read(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
                          "tools":[{"type":"gizmo","name":"g"}]})", out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->rfind("tools.0: Input tag 'gizmo' found using 'type' does not match any of the expected tags: 'custom', "
                     "'bash_20250124'", 0), 0u) << *e;
  // Server tools and toolsets (no name) pass the checks.
  EXPECT_EQ(read(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
                     "tools":[{"type":"web_search_20250305","name":"web_search"},{"type":"computer_toolset_20260801"},
                              {"type":"custom","name":"c","input_schema":{"type":"object"}}]})", out), std::nullopt);
}

TEST(AnthropicServedRequest, ModelNotFoundIsTheApis404) {
  const WireError e = model_not_found("claude-nope");
  EXPECT_EQ(e.type, "not_found_error");
  EXPECT_EQ(e.message, "model: claude-nope");
}

}  // namespace
}  // namespace ploke::adapters::anthropic
