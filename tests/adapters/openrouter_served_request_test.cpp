// The simulated OpenRouter's request reader and response decoration
// (ploke/adapters/openrouter/served_request.h): OpenRouter's 400s, the routing values, the
// OpenAI generation body, and the reshaped completion / chunk.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/openrouter/served_request.h"

namespace ploke::adapters::openrouter {
namespace {

using nlohmann::json;

std::optional<std::string> read(const std::string& text, ServedRouterRequest& out) {
  const json j = json::parse(text);
  return read_served_router_request(&j, out);
}

TEST(OpenRouterServedRequest, RejectsWhatOpenRouterRejectsBeforeRouting) {
  ServedRouterRequest out;
  EXPECT_EQ(read_served_router_request(nullptr, out), "Invalid JSON in request body");
  EXPECT_EQ(read("[1]", out), "Invalid JSON in request body");
  EXPECT_EQ(read(R"({"model":"a/b","messages":[]})", out), "Input required: specify \"prompt\" or \"messages\"");
  EXPECT_EQ(read(R"({"model":"a/b","prompt":"x","models":"c/d"})", out), "models: expected an array of model ids");
  EXPECT_EQ(read(R"({"prompt":"x"})", out), "No models provided");
  const auto e = read(R"({"model":"a/b","prompt":"x","provider":{"bogus":1}})", out);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("bogus"), std::string::npos) << *e;  // the strict parser
}

TEST(OpenRouterServedRequest, ReadsTheRoutingValues) {
  ServedRouterRequest out;
  ASSERT_EQ(read(R"({"model":"a/b","models":["c/d","a/b","e/f"],"prompt":"hi","max_tokens":9,
                     "max_completion_tokens":5,"tool_choice":"auto","temperature":0.2,"seed":null,
                     "provider":{"order":["x"],"require_parameters":true}})", out), std::nullopt);
  EXPECT_EQ(out.model_ids, (std::vector<std::string>{"a/b", "c/d", "e/f"}));
  EXPECT_TRUE(out.prompt_only);
  EXPECT_TRUE(out.wants_tools);
  EXPECT_EQ(out.max_tokens, 5u);
  EXPECT_EQ(out.used_parameters, (std::vector<std::string>{"temperature", "tool_choice", "max_tokens"}));
  EXPECT_EQ(out.provider.order, (std::vector<std::string>{"x"}));
  EXPECT_EQ(out.provider.require_parameters, true);
  ASSERT_EQ(read(R"({"model":"a/b","messages":[{"role":"user","content":"x"}],"tools":[],"tool_choice":"none"})", out),
            std::nullopt);
  EXPECT_FALSE(out.prompt_only);
  EXPECT_FALSE(out.wants_tools);
  EXPECT_FALSE(out.max_tokens);
}

TEST(OpenRouterServedRequest, GenerationBodyIsPlainOpenAi) {
  const json b = json::parse(R"({"model":"a/b:nitro","models":["c"],"provider":{},"route":"fallback","prompt":"hi",
                                 "usage":{"include":true},"stream":true,"temperature":1})");
  json gb;
  bool stream = false;
  openai_generation_body(b, "a/b", true, gb, stream);
  EXPECT_TRUE(stream);
  EXPECT_EQ(gb, json::parse(R"({"model":"a/b","messages":[{"role":"user","content":"hi"}],"stream":true,
                                "stream_options":{"include_usage":true},"temperature":1})"));
  openai_generation_body(json::parse(R"({"model":"m","messages":[],"stream":"yes"})"), "m", false, gb, stream);
  EXPECT_FALSE(stream);
  EXPECT_FALSE(gb.contains("stream_options"));
}

TEST(OpenRouterServedRequest, DecoratesACompletion) {
  const std::string in = R"({"id":"chatcmpl-1","object":"chat.completion","created":5,"model":"m","system_fingerprint":"fp",
    "choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"length"}],
    "usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14},"service_tier":"default"})";
  ResponseDecoration d{"gen-1", "a/b", "Anthropic", 0.5, 2.0, 1.0, std::string("r"), "", 0};
  ReportedUsage u;
  const auto out = decorate_openrouter_response(in, d, false, u);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            R"({"id":"gen-1","provider":"Anthropic","model":"a/b","object":"chat.completion","created":5,)"
            R"("system_fingerprint":"fp","choices":[{"index":0,"message":{"role":"assistant","content":"x"},)"
            R"("finish_reason":"length","native_finish_reason":"max_tokens"}],"usage":{"prompt_tokens":10,)"
            R"("completion_tokens":4,"total_tokens":14,"cost":14.0,"is_byok":false,"cost_details":)"
            R"({"upstream_inference_cost":null,"upstream_inference_prompt_cost":5.0,)"
            R"("upstream_inference_completions_cost":8.0}},"openrouter_metadata":{"router":"r","attempts":1}})");
  EXPECT_EQ(u.cost, 14.0);
  EXPECT_EQ(u.prompt_tokens, 10u);
  EXPECT_EQ(u.completion_tokens, 4u);
  EXPECT_EQ(u.finish_reason, "length");
  EXPECT_FALSE(decorate_openrouter_response("{nope", d, false, u));
}

TEST(OpenRouterServedRequest, DecoratesAChunk) {
  ResponseDecoration d{"gen-2", "g/m", "Google AI Studio", 0, 0, 0, std::string("r"), "", 0};
  ReportedUsage u;
  u.finish_reason = "earlier";
  const auto out = decorate_openrouter_response(
      R"({"id":"c","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{},"finish_reason":null}],"usage":null})",
      d, true, u);
  ASSERT_TRUE(out);
  // No metadata on chunks, no null usage, a null finish reason has a null native one.
  EXPECT_EQ(*out, R"({"id":"gen-2","provider":"Google AI Studio","model":"g/m","object":"chat.completion.chunk",)"
                  R"("created":1,"choices":[{"index":0,"delta":{},"finish_reason":null,"native_finish_reason":null}]})");
  EXPECT_EQ(u.finish_reason, "earlier");  // absent members keep what was reported
  EXPECT_EQ(native_finish_reason("Google Vertex", "tool_calls"), "STOP");
  EXPECT_EQ(native_finish_reason("Amazon Bedrock", "tool_calls"), "tool_use");
  EXPECT_EQ(native_finish_reason("DeepInfra", "length"), "length");
}

}  // namespace
}  // namespace ploke::adapters::openrouter
