// Anthropic non-stream parsing and error mapping: content blocks, stop reasons, usage with
// cache tokens, malformed bodies, error types and statuses, rate-limit headers.
#include <gtest/gtest.h>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/anthropic/errors.h"
#include "support/test_support.h"

namespace ploke::adapters::anthropic {
namespace {

const Endpoint kEp{"anthropic", "https://api.anthropic.com", Secret("sk-ant-FAKE-test-0123456789"), {}};

HttpResponse resp(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.add("content-type", "application/json");
  r.headers.add("request-id", "req_011CV123");
  r.body = std::move(body);
  return r;
}

const char* kToolMessage = R"({
  "id": "msg_sim01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
  "content": [
    {"type": "thinking", "thinking": "hmm", "signature": "x"},
    {"type": "text", "text": "Let me check."},
    {"type": "tool_use", "id": "toolu_sim01", "name": "get_weather", "input": {"city": "Paris"}},
    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
  ],
  "stop_reason": "tool_use", "stop_sequence": null,
  "usage": {"input_tokens": 320, "output_tokens": 41, "cache_creation_input_tokens": 5,
            "cache_read_input_tokens": 100, "service_tier": "standard",
            "cache_creation": {"ephemeral_5m_input_tokens": 5, "ephemeral_1h_input_tokens": 0}},
  "container": null, "new_field": [1, 2]
})";

TEST(AnthropicResponseTest, ParsesTextToolUseAndUsage) {
  auto r = AnthropicAdapter().parse_response(resp(200, kToolMessage), kEp);
  ASSERT_OK(r);
  EXPECT_EQ(r->id, "msg_sim01");
  EXPECT_EQ(r->model, "claude-sonnet-4-5");
  EXPECT_EQ(r->request_id, "req_011CV123");
  EXPECT_EQ(r->provider, "anthropic");
  EXPECT_EQ(r->content, "Let me check.");
  EXPECT_EQ(r->reasoning, "hmm");  // the thinking block's text
  ASSERT_EQ(r->tool_calls.size(), 1u);
  EXPECT_EQ(r->tool_calls[0], (ToolCall{"toolu_sim01", "get_weather", R"({"city":"Paris"})"}));
  EXPECT_EQ(r->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(r->native_finish_reason, "tool_use");
  ASSERT_TRUE(r->usage);
  EXPECT_EQ(r->usage->prompt_tokens, 425u);  // 320 + 100 read + 5 written
  EXPECT_EQ(r->usage->cached_prompt_tokens, 100u);
  EXPECT_EQ(r->usage->cache_write_tokens, 5u);
  EXPECT_EQ(r->usage->completion_tokens, 41u);
  EXPECT_EQ(r->usage->total_tokens, 466u);
}

TEST(AnthropicResponseTest, StopReasonMapping) {
  const std::pair<const char*, FinishReason> cases[] = {
      {"\"end_turn\"", FinishReason::kStop},         {"\"stop_sequence\"", FinishReason::kStop},
      {"\"max_tokens\"", FinishReason::kLength},     {"\"model_context_window_exceeded\"", FinishReason::kLength},
      {"\"tool_use\"", FinishReason::kToolCalls},    {"\"refusal\"", FinishReason::kContentFilter},
      {"\"pause_turn\"", FinishReason::kOther},      {"\"brand_new\"", FinishReason::kOther},
      {"null", FinishReason::kUnknown}};
  for (const auto& [native, expected] : cases) {
    auto r = AnthropicAdapter().parse_response(
        resp(200, std::string(R"({"id":"m","content":[{"type":"text","text":"x"}],"stop_reason":)") + native + "}"),
        kEp);
    ASSERT_OK(r);
    EXPECT_EQ(r->finish_reason, expected) << native;
    EXPECT_FALSE(r->usage);
  }
}

TEST(AnthropicResponseTest, MalformedBodiesNameWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"id":"m","content":[)", "invalid JSON at byte"},
      {R"([1,2])", "top-level value is not an object"},
      {R"({"id":"m"})", "content: missing"},
      {R"({"id":"m","content":{}})", "content: expected array"},
      {R"({"id":"m","content":[3]})", "content[0]: expected object"},
      {R"({"id":"m","content":[{"text":"x"}]})", "content[0].type: missing"},
      {R"({"id":"m","content":[{"type":"text","text":5}]})", "content[0].text: expected string"},
      {R"({"id":"m","content":[{"type":"tool_use","id":"t","input":{}}]})", "content[0].name: missing"},
      {R"({"id":"m","content":[{"type":"tool_use","id":"t","name":"f"}]})", "content[0].input: missing"},
      {R"({"id":7,"content":[]})", "id: expected string"},
      {R"({"id":"m","content":[],"usage":{"input_tokens":-1}})", "usage.input_tokens: negative count"},
      {R"({"id":"m","content":[],"usage":{"output_tokens":"x"}})", "usage.output_tokens: expected a non-negative"},
  };
  for (const auto& [body, what] : cases) {
    auto r = AnthropicAdapter().parse_response(resp(200, body), kEp);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse) << body;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << body << " -> " << r.status().message();
  }
}

TEST(AnthropicResponseTest, TwoHundredWithErrorBodyMapsTheError) {
  auto r = AnthropicAdapter().parse_response(
      resp(200, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"), kEp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOverloaded);
  EXPECT_EQ(r.status().http_status(), 200);
}

TEST(AnthropicResponseTest, NonSuccessStatusGoesThroughMapError) {
  auto r = AnthropicAdapter().parse_response(
      resp(404, R"({"type":"error","error":{"type":"not_found_error","message":"model: nope"}})"), kEp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

struct ErrCase {
  int status;
  const char* type;
  const char* message;
  StatusCode expected;
};

TEST(AnthropicErrorsTest, StatusAndTypeTable) {
  const ErrCase cases[] = {
      {400, "invalid_request_error", "max_tokens: Field required", StatusCode::kInvalidRequest},
      {400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum",
       StatusCode::kContextLengthExceeded},
      {401, "authentication_error", "invalid x-api-key", StatusCode::kAuth},
      {402, "billing_error", "Your credit balance is too low", StatusCode::kInsufficientCredits},
      {403, "permission_error", "no", StatusCode::kPermission},
      {404, "not_found_error", "model: x", StatusCode::kNotFound},
      {408, "timeout_error", "t", StatusCode::kTimeout},
      {409, "api_error", "c", StatusCode::kServerError},
      {413, "request_too_large", "big", StatusCode::kInvalidRequest},
      {429, "rate_limit_error", "slow down", StatusCode::kRateLimited},
      {500, "api_error", "Internal server error", StatusCode::kServerError},
      {503, "api_error", "unavailable", StatusCode::kOverloaded},
      {504, "timeout_error", "Request timed out", StatusCode::kServerError},
      {529, "overloaded_error", "Overloaded", StatusCode::kOverloaded},
      {500, "overloaded_error", "Overloaded", StatusCode::kOverloaded},
      {418, "invalid_request_error", "teapot", StatusCode::kInvalidRequest},
  };
  for (const ErrCase& c : cases) {
    const std::string body = std::string(R"({"type":"error","error":{"type":")") + c.type + R"(","message":")" +
                             c.message + R"("},"request_id":"req_body"})";
    const Status st = AnthropicAdapter().map_error(resp(c.status, body), kEp);
    EXPECT_EQ(st.code(), c.expected) << c.status << " " << c.type << ": " << st.to_string();
    EXPECT_EQ(st.http_status(), c.status);
    EXPECT_EQ(st.provider(), "anthropic");
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("request_id=req_011CV123"), std::string::npos) << st.message();  // header wins
    EXPECT_FALSE(st.body_excerpt().empty());
  }
}

TEST(AnthropicErrorsTest, InBandTypesWithoutStatus) {
  const std::pair<const char*, StatusCode> cases[] = {
      {"overloaded_error", StatusCode::kOverloaded},   {"rate_limit_error", StatusCode::kRateLimited},
      {"api_error", StatusCode::kServerError},          {"invalid_request_error", StatusCode::kInvalidRequest},
      {"authentication_error", StatusCode::kAuth},      {"permission_error", StatusCode::kPermission},
      {"not_found_error", StatusCode::kNotFound},       {"billing_error", StatusCode::kInsufficientCredits},
      {"timeout_error", StatusCode::kTimeout},          {"something_new", StatusCode::kServerError}};
  for (const auto& [type, expected] : cases) {
    const Status st = map_anthropic_error(
        0, std::string(R"({"type":"error","error":{"type":")") + type + R"(","message":"m"}})", Headers{}, "anthropic");
    EXPECT_EQ(st.code(), expected) << type;
    EXPECT_EQ(st.http_status(), 0);
    EXPECT_NE(st.message().find("in-band error"), std::string::npos);
  }
}

TEST(AnthropicErrorsTest, RetryHeadersShouldRetryAndBodyRequestId) {
  HttpResponse r;
  r.status = 429;
  r.headers.add("retry-after", "7");
  r.headers.add("x-should-retry", "false");
  r.body = R"({"type":"error","error":{"type":"rate_limit_error","message":"m"},"request_id":"req_in_body"})";
  Status st = AnthropicAdapter().map_error(r, kEp);
  EXPECT_EQ(st.code(), StatusCode::kRateLimited);
  EXPECT_EQ(st.retry_after(), std::chrono::milliseconds(7000));
  EXPECT_EQ(st.should_retry(), false);
  EXPECT_NE(st.message().find("request_id=req_in_body"), std::string::npos);
  r.headers.add("retry-after-ms", "12.4");
  EXPECT_EQ(AnthropicAdapter().map_error(r, kEp).retry_after(), std::chrono::milliseconds(12));
}

TEST(AnthropicErrorsTest, SpendLimitIsInsufficientCredits) {
  const Status st = map_anthropic_error(
      429, R"({"type":"error","error":{"type":"rate_limit_error","message":"spend","details":{"error_code":"enforced_spend_limit_reached"}}})",
      Headers{}, "anthropic");
  EXPECT_EQ(st.code(), StatusCode::kInsufficientCredits);
  EXPECT_NE(st.message().find("error_code=enforced_spend_limit_reached"), std::string::npos);
}

TEST(AnthropicErrorsTest, NonJsonAndOtherShapesKeepStatusCode) {
  EXPECT_EQ(map_anthropic_error(529, "<html>overloaded</html>", Headers{}, "a").code(), StatusCode::kOverloaded);
  EXPECT_EQ(map_anthropic_error(502, "", Headers{}, "a").code(), StatusCode::kServerError);
  EXPECT_EQ(map_anthropic_error(401, "not json", Headers{}, "a").code(), StatusCode::kAuth);
  const Status st = map_anthropic_error(400, R"({"error":{"message":"openai-ish","type":"invalid_request_error"}})",
                                        Headers{}, "a");
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("openai-ish"), std::string::npos);
}

TEST(AnthropicErrorsTest, SecretsInErrorBodiesAreRedacted) {
  const Status st = map_anthropic_error(
      401, R"({"type":"error","error":{"type":"authentication_error","message":"bad key sk-ant-FAKE-abcdefghijklmnopqrstuvwxyz"}})",
      Headers{}, "a");
  EXPECT_EQ(st.to_string().find("abcdefghijklmnopqrstuvwxyz"), std::string::npos) << st.to_string();
  EXPECT_EQ(st.body_excerpt().find("abcdefghijklmnopqrstuvwxyz"), std::string::npos) << st.body_excerpt();
}

TEST(AnthropicErrorsTest, Rfc3339) {
  auto t = parse_rfc3339("2025-08-21T12:40:59Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(), 1755780059);
  auto frac = parse_rfc3339("2025-08-21T12:40:59.250Z");
  ASSERT_TRUE(frac);
  EXPECT_EQ(*frac - *t, std::chrono::milliseconds(250));
  auto off = parse_rfc3339("2025-08-21T14:40:59+02:00");
  ASSERT_TRUE(off);
  EXPECT_EQ(*off, *t);
  for (const char* bad : {"", "2025-08-21", "2025-08-21T12:40:59", "2025-02-30T00:00:00Z", "2025-08-21T25:00:00Z",
                          "2025-08-21T12:40:59.Z", "2025-08-21T12:40:59Zjunk", "2025-08-21T12:40:59+0200",
                          // Found by tests/fuzz (client_anthropic): years SystemTime's int64
                          // nanoseconds cannot hold overflowed (UBSan) instead of failing.
                          "1013-12-04T05:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

TEST(AnthropicErrorsTest, RateLimitHeaders) {
  Headers h;
  h.add("anthropic-ratelimit-requests-limit", "50");
  h.add("anthropic-ratelimit-requests-remaining", "0");
  h.add("anthropic-ratelimit-requests-reset", "2025-08-21T12:40:59Z");
  h.add("anthropic-ratelimit-tokens-limit", "40000");
  h.add("anthropic-ratelimit-tokens-remaining", "39000");
  h.add("anthropic-ratelimit-input-tokens-limit", "30000");
  h.add("anthropic-ratelimit-output-tokens-remaining", "abc");  // unparsable: unset
  h.add("anthropic-ratelimit-output-tokens-reset", "2025-08-21T12:41:00Z");
  const AnthropicRateLimitInfo rl = parse_anthropic_rate_limit_headers(h);
  EXPECT_EQ(rl.requests.limit, 50u);
  EXPECT_EQ(rl.requests.remaining, 0u);
  EXPECT_EQ(rl.requests.reset, parse_rfc3339("2025-08-21T12:40:59Z"));
  EXPECT_EQ(rl.tokens.limit, 40000u);
  EXPECT_EQ(rl.tokens.remaining, 39000u);
  EXPECT_FALSE(rl.tokens.reset);
  EXPECT_EQ(rl.input_tokens.limit, 30000u);
  EXPECT_FALSE(rl.output_tokens.remaining);
  EXPECT_TRUE(rl.output_tokens.reset);
  EXPECT_FALSE(rl.empty());
  EXPECT_TRUE(parse_anthropic_rate_limit_headers(Headers{}).empty());
}

}  // namespace
}  // namespace ploke::adapters::anthropic
