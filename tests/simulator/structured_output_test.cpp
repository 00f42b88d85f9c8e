// Structured output: response_format json_schema / json_object content parses as JSON and
// follows the schema ($ref/$defs, anyOf with null, enum, const, integer ranges, required
// keys, array bounds), streamed or not; logprobs come one per token in the spec's shape.
#include <gtest/gtest.h>

#include "ploke/simulator/engine.h"
#include "sim_test_util.h"

namespace ploke::simulator {
namespace {

using testing::chat_http;
using testing::Json;
using testing::simple_body;
using testing::sse_data;

const Json kSchema = Json::parse(R"({
  "type":"object","additionalProperties":false,
  "required":["name","age","kind","tags","child","fixed"],
  "properties":{
    "name":{"type":"string","minLength":3,"maxLength":12},
    "age":{"type":"integer","minimum":18,"maximum":20},
    "kind":{"enum":["a","b"]},
    "tags":{"type":"array","items":{"type":"string"},"minItems":2,"maxItems":2},
    "child":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]},
    "fixed":{"const":42}
  },
  "$defs":{"node":{"type":"object","required":["label","next"],"additionalProperties":false,
    "properties":{"label":{"type":"string","format":"date"},"next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}}}}
})");

void expect_node(const Json& n, int depth) {
  if (n.is_null()) return;
  ASSERT_TRUE(n.is_object()) << n;
  EXPECT_EQ(n.size(), 2u) << n;
  ASSERT_TRUE(n["label"].is_string());
  EXPECT_EQ(n["label"].get<std::string>().size(), 10u) << n;  // YYYY-MM-DD
  ASSERT_LT(depth, 12) << "recursion does not end";
  expect_node(n["next"], depth + 1);
}

void expect_valid(const Json& v) {
  ASSERT_TRUE(v.is_object()) << v;
  EXPECT_EQ(v.size(), 6u) << v;
  const std::string name = v["name"];
  EXPECT_GE(name.size(), 3u);
  EXPECT_LE(name.size(), 12u);
  EXPECT_GE(v["age"].get<int>(), 18);
  EXPECT_LE(v["age"].get<int>(), 20);
  EXPECT_TRUE(v["kind"] == "a" || v["kind"] == "b");
  EXPECT_EQ(v["tags"].size(), 2u);
  EXPECT_EQ(v["fixed"], 42);
  expect_node(v["child"], 0);
}

Json schema_body(bool stream) {
  Json b = simple_body(stream);
  b["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"name", "t"}, {"strict", true}, {"schema", kSchema}}}};
  return b;
}

TEST(StructuredOutput, JsonSchemaContentFollowsTheSchema) {
  SimulatedClock clock;
  SimOptions opts;
  opts.seed = 3;
  auto e = std::move(SimEngine::Create(opts, clock)).value();
  for (int i = 0; i < 40; ++i) {
    const Json r = Json::parse(e->handle(chat_http(schema_body(false))).body());
    expect_valid(Json::parse(r["choices"][0]["message"]["content"].get<std::string>()));
  }
  std::string text;
  for (const auto& d : sse_data(e->handle(chat_http(schema_body(true))).body())) {
    if (d == "[DONE]") continue;
    const Json c = Json::parse(d);
    if (!c["choices"].empty() && c["choices"][0]["delta"].contains("content")) text += c["choices"][0]["delta"]["content"].get<std::string>();
  }
  expect_valid(Json::parse(text));
}

TEST(StructuredOutput, JsonObjectAndLogprobs) {
  SimulatedClock clock;
  auto e = std::move(SimEngine::Create(SimOptions{}, clock)).value();
  Json b = simple_body();
  b["response_format"] = {{"type", "json_object"}};
  b["logprobs"] = true;
  b["top_logprobs"] = 2;
  const Json r = Json::parse(e->handle(chat_http(b)).body());
  const std::string content = r["choices"][0]["message"]["content"];
  EXPECT_TRUE(Json::parse(content).is_object()) << content;
  const Json& lp = r["choices"][0]["logprobs"]["content"];
  ASSERT_TRUE(lp.is_array());
  std::string joined;
  for (const Json& t : lp) {
    joined += t["token"].get<std::string>();
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
    EXPECT_EQ(t["top_logprobs"].size(), 2u);
    EXPECT_EQ(t["top_logprobs"][0]["token"], t["token"]);
    EXPECT_EQ(t["bytes"].size(), t["token"].get<std::string>().size());
  }
  EXPECT_EQ(joined, content);
}

// Anthropic structured output (output_config.format json_schema, @anthropic-ai/sdk 1.16):
// the text block, streamed or not, is JSON following the schema.
HttpRequest anthropic_schema_request(bool stream) {
  Json b = {{"model", "claude-sonnet-4-6"},
            {"max_tokens", 1024},
            {"messages", Json::array({{{"role", "user"}, {"content", "Fill it in."}}})},
            {"output_config", {{"format", {{"type", "json_schema"}, {"schema", kSchema}}}}}};
  if (stream) b["stream"] = true;
  HttpRequest r = chat_http(b, "/v1/messages");
  r.headers.add("anthropic-version", "2023-06-01");
  r.expect_stream = stream;
  return r;
}

TEST(StructuredOutput, AnthropicOutputFormatFollowsTheSchema) {
  SimulatedClock clock;
  SimOptions opts;
  opts.seed = 4;
  auto e = std::move(SimEngine::Create(opts, clock)).value();
  for (int i = 0; i < 40; ++i) {
    const ScriptedResponse r = e->handle(anthropic_schema_request(false));
    ASSERT_EQ(r.status, 200) << r.body();
    const Json m = Json::parse(r.body());
    ASSERT_EQ(m["content"].size(), 1u) << m;
    EXPECT_EQ(m["stop_reason"], "end_turn");
    expect_valid(Json::parse(m["content"][0]["text"].get<std::string>()));
  }
  std::string text;
  for (const auto& d : sse_data(e->handle(anthropic_schema_request(true)).body())) {
    const Json ev = Json::parse(d);
    if (ev.value("type", "") == "content_block_delta") text += ev["delta"]["text"].get<std::string>();
  }
  expect_valid(Json::parse(text));
  // A format the API does not know is its 400.
  HttpRequest bad = anthropic_schema_request(false);
  Json b = Json::parse(bad.body);
  b["output_config"]["format"]["type"] = "xml";
  bad.body = b.dump();
  const ScriptedResponse r = e->handle(bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body().find("output_config.format.type: Input should be 'json_schema'"), std::string::npos) << r.body();
}

}  // namespace
}  // namespace ploke::simulator
