// OpenAiAdapter::parse_response: happy paths, tolerance, and malformed bodies.
#include <gtest/gtest.h>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/random.h"
#include "support/test_support.h"

namespace ploke::adapters::openai {
namespace {

class OpenAiResponseTest : public ::testing::Test {
 protected:
  Result<ChatResponse> parse(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.headers.add("x-request-id", "req_123");
    r.body = std::move(body);
    return adapter_->parse_response(r, ep_);
  }
  void expect_malformed(const std::string& body, const std::string& needle) {
    auto r = parse(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse) << r.status().to_string();
    EXPECT_NE(r.status().message().find(needle), std::string::npos)
        << "want '" << needle << "' in: " << r.status().message();
    if (!body.empty()) {
      EXPECT_FALSE(r.status().body_excerpt().empty());
    }
    EXPECT_EQ(r.status().provider(), "openai");
  }
  ProviderAdapterPtr adapter_ = make_openai_adapter();
  Endpoint ep_{"openai", "https://api.openai.com/v1", Secret(), {}};
};

TEST_F(OpenAiResponseTest, ParsesTextResponseWithUsageDetails) {
  auto r = parse(R"({
    "id": "chatcmpl-sim0001", "object": "chat.completion", "created": 1735689600,
    "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_sim", "service_tier": "default",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!", "refusal": null,
                 "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
      "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
      "completion_tokens_details": {"reasoning_tokens": 2, "audio_tokens": 0,
        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "brand_new_field": {"nested": [1, 2, 3]}})");
  ASSERT_OK(r);
  EXPECT_EQ(r->id, "chatcmpl-sim0001");
  EXPECT_EQ(r->model, "gpt-4o-2024-08-06");
  EXPECT_EQ(r->request_id, "req_123");
  EXPECT_EQ(r->provider, "openai");
  EXPECT_EQ(r->content, "Hello!");
  EXPECT_EQ(r->refusal, "");
  EXPECT_TRUE(r->tool_calls.empty());
  EXPECT_EQ(r->finish_reason, FinishReason::kStop);
  EXPECT_EQ(r->native_finish_reason, "stop");
  ASSERT_TRUE(r->usage.has_value());
  EXPECT_EQ(r->usage->prompt_tokens, 12u);
  EXPECT_EQ(r->usage->completion_tokens, 3u);
  EXPECT_EQ(r->usage->total_tokens, 15u);
  EXPECT_EQ(r->usage->cached_prompt_tokens, 4u);
  EXPECT_EQ(r->usage->reasoning_tokens, 2u);
}

TEST_F(OpenAiResponseTest, ParsesToolCalls) {
  auto r = parse(R"({"id":"c1","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant",
    "content":null,"tool_calls":[
      {"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
      {"id":"call_def","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
    "finish_reason":"tool_calls"}]})");
  ASSERT_OK(r);
  EXPECT_EQ(r->content, "");
  ASSERT_EQ(r->tool_calls.size(), 2u);
  EXPECT_EQ(r->tool_calls[0], (ToolCall{"call_abc", "get_weather", "{\"city\":\"Paris\"}"}));
  EXPECT_EQ(r->tool_calls[1], (ToolCall{"call_def", "get_time", "{}"}));
  EXPECT_EQ(r->finish_reason, FinishReason::kToolCalls);
  EXPECT_FALSE(r->usage.has_value());
}

TEST_F(OpenAiResponseTest, ToleratesVariants) {
  // content "" vs null, refusal text, unknown finish_reason, object arguments, array content.
  auto r = parse(R"({"choices":[{"message":{"content":"","refusal":"I can't"},"finish_reason":"weird_new"}]})");
  ASSERT_OK(r);
  EXPECT_EQ(r->content, "");
  EXPECT_EQ(r->refusal, "I can't");
  EXPECT_EQ(r->finish_reason, FinishReason::kOther);
  EXPECT_EQ(r->native_finish_reason, "weird_new");
  r = parse(R"({"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],
    "tool_calls":[{"id":"x","function":{"name":"f","arguments":{"k":1}}}]},"finish_reason":null}],"usage":null})");
  ASSERT_OK(r);
  EXPECT_EQ(r->content, "ab");
  EXPECT_EQ(r->tool_calls[0].arguments_json, "{\"k\":1}");
  EXPECT_EQ(r->finish_reason, FinishReason::kUnknown);
  r = parse(R"({"choices":[{"message":{"content":"x"},"finish_reason":"length"}],
    "usage":{"prompt_tokens":5,"completion_tokens":7,"cost":0.0012}})");
  ASSERT_OK(r);
  EXPECT_EQ(r->finish_reason, FinishReason::kLength);
  EXPECT_EQ(r->usage->total_tokens, 12u);
  ASSERT_TRUE(r->usage->reported_cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*r->usage->reported_cost_usd, 0.0012);
}

TEST_F(OpenAiResponseTest, MalformedBodiesNameTheProblem) {
  expect_malformed("", "invalid JSON at byte");
  expect_malformed(R"({"choices": [)", "invalid JSON at byte 14");
  expect_malformed("[1,2]", "top-level value is not an object");
  expect_malformed(R"({"id":"x"})", "choices: missing");
  expect_malformed(R"({"choices":{}})", "choices: expected array");
  expect_malformed(R"({"choices":[]})", "choices: empty array");
  expect_malformed(R"({"choices":[{"finish_reason":"stop"}]})", "choices[0].message: missing");
  expect_malformed(R"({"choices":[{"message":{"content":5}}]})", "choices[0].message.content");
  expect_malformed(R"({"id":7,"choices":[{"message":{}}]})", "id: expected string");
  expect_malformed(R"({"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"f"}},
                     {"id":"b","function":{"arguments":"{}"}}]}}]})",
                   "choices[0].message.tool_calls[1].function.name: missing");
  expect_malformed(R"({"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":3}}]}}]})",
                   "choices[0].message.tool_calls[0].function.name: expected string");
  expect_malformed(R"({"choices":[{"message":{}}],"usage":{"prompt_tokens":-1}})", "usage.prompt_tokens");
  expect_malformed(R"({"choices":[{"message":{}}],"usage":{"completion_tokens":"3"}})", "usage.completion_tokens");
  expect_malformed(R"({"choices":[{"message":{},"finish_reason":1}]})", "choices[0].finish_reason");
}

TEST_F(OpenAiResponseTest, TwoHundredWithErrorMapsLikeAnError) {
  auto r = parse(R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRateLimited);
  EXPECT_EQ(r.status().http_status(), 200);
  // OpenRouter: numeric code is the status.
  r = parse(R"({"error":{"code":502,"message":"Provider returned error"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kServerError);
  // A choice-level error.
  r = parse(R"({"choices":[{"error":{"code":529,"message":"overloaded"},"finish_reason":"error"}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOverloaded);
  // A falsy error is ignored.
  r = parse(R"({"error":null,"choices":[{"message":{"content":"ok"}}]})");
  ASSERT_OK(r);
}

TEST_F(OpenAiResponseTest, NonSuccessStatusGoesThroughMapError) {
  auto r = parse(R"({"error":{"message":"nope","type":"invalid_request_error","code":"invalid_api_key"}})", 401);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAuth);
}

TEST_F(OpenAiResponseTest, NeverThrowsOnGarbage) {
  const std::string inputs[] = {"\xff\xfe", "{\"choices\":[{\"message\":{\"content\":\"\xc3\x28\"}}]}", "null",
                                "{\"choices\":[null]}", "{\"choices\":[{\"message\":[]}]}", std::string(1, '\0')};
  for (const auto& in : inputs) {
    auto r = parse(in);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse) << r.status().to_string();
  }
}

// The single-pass fast path and the DOM path must agree on every input: same response,
// or both fail (the fast path defers to the DOM path for errors).
TEST_F(OpenAiResponseTest, FastAndDomPathsAgreeOnValidAndMutatedBodies) {
  OpenAiAdapter::Options slow_opts;
  slow_opts.fast_json = false;
  OpenAiAdapter fast, slow(slow_opts);
  const std::string bodies[] = {
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \u00e9\ud83d\ude00 \"x\" \n cafÃ©","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2},"cost":1.5e-3}})",
      R"({"choices":[{"message":{"content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":[1,2,{\"b\":null}]}"}},{"function":{"name":"g","arguments":null}}]},"finish_reason":"tool_calls"},{"index":1,"message":{"content":"ignored"}}],"usage":null,"x":[true,false,null,-1.5e+3,{"y":{}}]})",
      R"( { "model" : "m" , "choices" : [ { "message" : { "content" : "" } , "finish_reason" : null } ] } )",
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":null,"completion_tokens":7,"prompt_tokens_details":null}})",
      // Repeated members (found by fuzz_client_openai): the DOM path keeps the last one,
      // the fast path defers to it.
      R"({"model":"a","choices":[{"message":{"content":"x"},"finish_reason":"length"}],"model":"b","choices":[{"message":{"content":"y"}}]})",
      R"({"choices":[{"message":{"content":"x","tool_calls":[{"function":{"name":"f"}}]},"message":{"content":"y"}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f"},"function":{"name":"g","arguments":"{}"}}]}}]})",
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens_details":{"cached_tokens":4},"prompt_tokens_details":{}}})",
  };
  Random rng(testing::test_seed());
  auto check = [&](const std::string& body) {
    HttpResponse r;
    r.status = 200;
    r.body = body;
    auto a = fast.parse_response(r, ep_);
    auto b = slow.parse_response(r, ep_);
    ASSERT_EQ(a.ok(), b.ok()) << "slow: " << b.status().to_string() << "\nfast: " << a.status().to_string()
                              << "\nbody: " << ::testing::PrintToString(body);
    if (a.ok()) {
      EXPECT_EQ(*a, *b) << body;
    } else {
      EXPECT_EQ(a.status().code(), b.status().code()) << body;
    }
  };
  for (const std::string& body : bodies) {
    auto ok = slow.parse_response(HttpResponse{200, {}, body}, ep_);
    ASSERT_OK(ok);
    check(body);
    for (int i = 0; i < 400; ++i) {
      std::string m = body;
      switch (rng.below(3)) {
        case 0: m.resize(rng.below(m.size() + 1)); break;
        case 1: m[rng.below(m.size())] = static_cast<char>(rng.below(256)); break;
        default: m.insert(rng.below(m.size() + 1), 1, "{}[]\",:0-e\x80 n"[rng.below(14)]); break;
      }
      check(m);
    }
  }
}

// A number a double cannot hold, in a field the fast path skips, is refused on both paths
// (found by fuzz_client_openai; the DOM path's check_json_limits refuses it).
TEST_F(OpenAiResponseTest, FastPathRefusesOutOfRangeNumbersInSkippedFields) {
  OpenAiAdapter::Options slow_opts;
  slow_opts.fast_json = false;
  OpenAiAdapter fast, slow(slow_opts);
  for (const char* n : {"10e30795491371", "-1e400", "1e309"}) {
    const std::string body = std::string(R"({"created":)") + n +
                             R"(,"model":"m","choices":[{"message":{"content":"x"},"finish_reason":"stop"}],"x":[)" + n + "]}";
    HttpResponse r{200, {}, body};
    auto a = fast.parse_response(r, ep_);
    auto b = slow.parse_response(r, ep_);
    EXPECT_FALSE(b.ok()) << n;
    EXPECT_FALSE(a.ok()) << n;
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), StatusCode::kMalformedResponse) << a.status().to_string();
    }
  }
  // Small or tiny magnitudes stay accepted by both.
  HttpResponse ok{200, {}, R"({"created":1,"choices":[{"message":{"content":"x"}}],"x":[1e-400,1e308]})"};
  EXPECT_TRUE(fast.parse_response(ok, ep_).ok());
  EXPECT_TRUE(slow.parse_response(ok, ep_).ok());
}

}  // namespace
}  // namespace ploke::adapters::openai
