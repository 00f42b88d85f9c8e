// Error mapping table, retry headers, rate-limit headers, and secret redaction.
#include "ploke/adapters/openai/errors.h"

#include <gtest/gtest.h>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/secret.h"
#include "support/test_support.h"

namespace ploke::adapters::openai {
namespace {

using namespace std::chrono_literals;

std::string err_body(std::string_view type, std::string_view code, std::string_view message = "boom") {
  auto q = [](std::string_view s) { return s.empty() ? std::string("null") : "\"" + std::string(s) + "\""; };
  return R"({"error":{"message":)" + q(message) + R"(,"type":)" + q(type) + R"(,"param":null,"code":)" + q(code) + "}}";
}

struct Case {
  int status;
  std::string body;
  StatusCode want;
};

TEST(OpenAiErrorsTest, MapsTheStatusTable) {
  const Case cases[] = {
      {429, err_body("requests", "rate_limit_exceeded"), StatusCode::kRateLimited},
      {429, err_body("tokens", "rate_limit_exceeded"), StatusCode::kRateLimited},
      {429, err_body("insufficient_quota", "insufficient_quota"), StatusCode::kInsufficientCredits},
      {429, err_body("insufficient_quota", ""), StatusCode::kInsufficientCredits},
      {429, "", StatusCode::kRateLimited},
      {401, err_body("invalid_request_error", "invalid_api_key"), StatusCode::kAuth},
      {403, err_body("request_forbidden", "unsupported_country_region_territory"), StatusCode::kPermission},
      {403, R"({"error":{"code":403,"message":"flagged","metadata":{"error_type":"content_policy_violation"}}})",
       StatusCode::kContentFilter},
      {404, err_body("invalid_request_error", "model_not_found"), StatusCode::kNotFound},
      {400, err_body("invalid_request_error", ""), StatusCode::kInvalidRequest},
      {400, err_body("invalid_request_error", "unsupported_parameter"), StatusCode::kInvalidRequest},
      {400, err_body("invalid_request_error", "context_length_exceeded"), StatusCode::kContextLengthExceeded},
      {400, err_body("invalid_request_error", "content_filter"), StatusCode::kContentFilter},
      {400, err_body("invalid_request_error", "content_policy_violation"), StatusCode::kContentFilter},
      {422, err_body("", ""), StatusCode::kInvalidRequest},
      {413, "too large", StatusCode::kInvalidRequest},
      {402, R"({"error":{"code":402,"message":"Insufficient credits"}})", StatusCode::kInsufficientCredits},
      {408, "", StatusCode::kTimeout},
      {409, "", StatusCode::kServerError},
      {500, err_body("server_error", ""), StatusCode::kServerError},
      {502, "<html>bad gateway</html>", StatusCode::kServerError},
      {504, "", StatusCode::kServerError},
      {503, err_body("server_error", "", "The engine is currently overloaded"), StatusCode::kOverloaded},
      {503, "", StatusCode::kOverloaded},
      {529, "", StatusCode::kOverloaded},
      {500, err_body("server_error", "", "The server is overloaded, try later"), StatusCode::kOverloaded},
      {524, "", StatusCode::kServerError},
      {302, "", StatusCode::kServerError},
  };
  for (const Case& c : cases) {
    const Status st = map_openai_error(c.status, c.body, Headers{}, "openai");
    EXPECT_EQ(st.code(), c.want) << c.status << " " << c.body << " -> " << st.to_string();
    EXPECT_EQ(st.http_status(), c.status);
    EXPECT_EQ(st.provider(), "openai");
    EXPECT_FALSE(st.ok());
  }
}

TEST(OpenAiErrorsTest, MessageCarriesTypeCodeAndParam) {
  const Status st = map_openai_error(
      400,
      R"({"error":{"message":"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.","type":"invalid_request_error","param":"messages.[1].role","code":null}})",
      Headers{}, "openai");
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("preceeding"), std::string::npos);
  EXPECT_NE(st.message().find("param=messages.[1].role"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("type=invalid_request_error"), std::string::npos);
}

TEST(OpenAiErrorsTest, RetryAfterHeaders) {
  Headers h;
  h.add("Retry-After-Ms", "250.6");
  h.add("Retry-After", "7");
  EXPECT_EQ(adapters::parse_retry_after(h), 251ms);  // retry-after-ms wins
  Headers s;
  s.add("retry-after", "1.5");
  EXPECT_EQ(adapters::parse_retry_after(s), 1500ms);
  Headers date;
  date.add("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT");
  EXPECT_FALSE(adapters::parse_retry_after(date).has_value());  // no clock: left unset
  const SystemTime now = SystemTime(std::chrono::sys_days(std::chrono::year(2015) / 10 / 21).time_since_epoch() +
                                    7h + 28min);
  EXPECT_EQ(adapters::parse_retry_after(date, now), 30s);
  EXPECT_EQ(adapters::parse_retry_after(date, now + 1h), 0ms);  // in the past
  // Found by tests/fuzz: a date SystemTime cannot hold (year 1013, 9999) is ignored, not
  // overflowed (UBSan: signed overflow in the nanosecond conversion).
  for (const char* far : {"Wed, 21 Oct 1013 07:28:30 GMT", "Wed, 21 Oct 9999 07:28:30 GMT"}) {
    Headers far_date;
    far_date.add("retry-after", far);
    EXPECT_FALSE(adapters::parse_retry_after(far_date, now).has_value()) << far;
  }
  // Found by tests/fuzz: 799999999999 s is past what a nanosecond Duration holds (UBSan:
  // signed overflow converting to Duration); such delays are ignored, the largest kept fits.
  for (const auto& [name, v] : std::vector<std::pair<const char*, const char*>>{
           {"retry-after", "799999999999"}, {"retry-after", "1e9"}, {"retry-after-ms", "1e12"},
           {"retry-after-ms", "9223372036854775807"}}) {
    Headers huge;
    huge.add(name, v);
    EXPECT_FALSE(adapters::parse_retry_after(huge).has_value()) << name << ": " << v;
  }
  Headers longest;
  longest.add("retry-after", "999999999");
  ASSERT_TRUE(adapters::parse_retry_after(longest).has_value());
  EXPECT_EQ(Duration(*adapters::parse_retry_after(longest)), Duration(999999999s));
  Headers bad;
  bad.add("retry-after", "-3");
  bad.add("retry-after-ms", "soon");
  EXPECT_FALSE(adapters::parse_retry_after(bad).has_value());

  Headers resp;
  resp.add("retry-after-ms", "20");
  resp.add("x-should-retry", "false");
  const Status st = map_openai_error(429, err_body("insufficient_quota", "insufficient_quota"), resp, "openai");
  EXPECT_EQ(st.code(), StatusCode::kInsufficientCredits);
  EXPECT_EQ(st.retry_after(), 20ms);
  EXPECT_EQ(st.should_retry(), false);
  Headers yes;
  yes.add("X-Should-Retry", "true");
  EXPECT_EQ(map_openai_error(400, "", yes, "openai").should_retry(), true);
  EXPECT_FALSE(map_openai_error(400, "", Headers{}, "openai").should_retry().has_value());
  EXPECT_FALSE(map_openai_error(429, "", Headers{}, "openai").retry_after().has_value());
}

TEST(OpenAiErrorsTest, GoDurations) {
  EXPECT_EQ(parse_go_duration("12ms"), Duration(12ms));
  EXPECT_EQ(parse_go_duration("1s"), Duration(1s));
  EXPECT_EQ(parse_go_duration("6m0s"), Duration(6min));
  EXPECT_EQ(parse_go_duration("1h2m3.5s"), Duration(1h + 2min + 3500ms));
  EXPECT_EQ(parse_go_duration("0.5s"), Duration(500ms));
  EXPECT_EQ(parse_go_duration("250us"), Duration(250us));
  EXPECT_EQ(parse_go_duration("250\xC2\xB5s"), Duration(250us));
  EXPECT_EQ(parse_go_duration("10ns"), Duration(10ns));
  EXPECT_EQ(parse_go_duration("2"), Duration(2s));
  EXPECT_EQ(parse_go_duration("0"), Duration(0));
  EXPECT_FALSE(parse_go_duration("").has_value());
  EXPECT_FALSE(parse_go_duration("-1s").has_value());
  EXPECT_FALSE(parse_go_duration("5x").has_value());
  // Found by tests/fuzz (client_openai): values past int64 nanoseconds are refused.
  EXPECT_FALSE(parse_go_duration("1e300").has_value());
  EXPECT_FALSE(parse_go_duration("9223372037").has_value());
  EXPECT_EQ(parse_go_duration("9000000000"), Duration(9'000'000'000s));
  EXPECT_FALSE(parse_go_duration("ms").has_value());
  EXPECT_FALSE(parse_go_duration("1.2.3s").has_value());
}

TEST(OpenAiErrorsTest, RateLimitHeaders) {
  Headers h;
  h.add("x-ratelimit-limit-requests", "500");
  h.add("X-RateLimit-Limit-Tokens", "30000");
  h.add("x-ratelimit-remaining-requests", "499");
  h.add("x-ratelimit-remaining-tokens", "29950");
  h.add("x-ratelimit-reset-requests", "120ms");
  h.add("x-ratelimit-reset-tokens", "6m0s");
  const RateLimitInfo rl = parse_openai_rate_limit_headers(h);
  EXPECT_EQ(rl.limit_requests, 500u);
  EXPECT_EQ(rl.limit_tokens, 30000u);
  EXPECT_EQ(rl.remaining_requests, 499u);
  EXPECT_EQ(rl.remaining_tokens, 29950u);
  EXPECT_EQ(rl.reset_requests, Duration(120ms));
  EXPECT_EQ(rl.reset_tokens, Duration(6min));
  EXPECT_FALSE(rl.empty());
  Headers partial;
  partial.add("x-ratelimit-remaining-requests", "abc");
  partial.add("x-ratelimit-reset-tokens", "1s");
  const RateLimitInfo p = parse_openai_rate_limit_headers(partial);
  EXPECT_FALSE(p.remaining_requests.has_value());
  EXPECT_EQ(p.reset_tokens, Duration(1s));
  EXPECT_TRUE(parse_openai_rate_limit_headers(Headers{}).empty());
}

TEST(OpenAiErrorsTest, SecretsNeverLeakIntoStatus) {
  const std::string key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH";  // fake key, planted
  const std::string body = R"({"error":{"message":"Incorrect API key provided: )" + key +
                           R"(. You can find your API key at https://platform.openai.com.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
  HttpResponse resp;
  resp.status = 401;
  resp.body = body;
  auto adapter = make_openai_adapter();
  Endpoint ep{"openai", "https://api.openai.com/v1", Secret(key), {}};
  const Status st = adapter->map_error(resp, ep);
  EXPECT_EQ(st.code(), StatusCode::kAuth);
  EXPECT_EQ(st.to_string().find(key), std::string::npos) << st.to_string();
  EXPECT_EQ(st.to_string().find("AbCdEfGhIjKlMnOp"), std::string::npos) << st.to_string();
  EXPECT_EQ(st.message().find("AbCdEfGhIjKlMnOp"), std::string::npos);
  EXPECT_EQ(st.body_excerpt().find("AbCdEfGhIjKlMnOp"), std::string::npos) << st.body_excerpt();
  EXPECT_FALSE(contains_secret(st.to_string()));
  EXPECT_FALSE(contains_secret(st.body_excerpt()));

  // Same through a malformed 200 body and an in-band stream error.
  resp.status = 200;
  resp.body = R"({"choices": "Bearer )" + key + "\"";
  auto parsed = adapter->parse_response(resp, ep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().to_string().find("AbCdEfGhIjKlMnOp"), std::string::npos);
  EXPECT_EQ(parsed.status().body_excerpt().find("AbCdEfGhIjKlMnOp"), std::string::npos);
  auto dec = adapter->new_stream_decoder(ep);
  std::vector<StreamEvent> out;
  const Status ss = dec->feed("data: {\"error\":{\"message\":\"bad key " + key + "\"}}\n\n", out);
  ASSERT_FALSE(ss.ok());
  EXPECT_EQ(ss.to_string().find("AbCdEfGhIjKlMnOp"), std::string::npos) << ss.to_string();
  EXPECT_EQ(ss.body_excerpt().find("AbCdEfGhIjKlMnOp"), std::string::npos);
}

}  // namespace
}  // namespace ploke::adapters::openai
