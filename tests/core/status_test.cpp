#include "ploke/core/status.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace ploke {
namespace {

TEST(StatusTest, DefaultIsOkAndPrintsOk) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.to_string(), "ok");
}

TEST(StatusTest, RetryClassesFollowTheDocumentedTable) {
  EXPECT_EQ(retry_class(StatusCode::kRateLimited), RetryClass::kRetry);
  EXPECT_EQ(retry_class(StatusCode::kOverloaded), RetryClass::kRetry);
  EXPECT_EQ(retry_class(StatusCode::kServerError), RetryClass::kRetry);
  EXPECT_EQ(retry_class(StatusCode::kTimeout), RetryClass::kRetry);
  EXPECT_EQ(retry_class(StatusCode::kConnectionReset), RetryClass::kRetry);
  EXPECT_EQ(retry_class(StatusCode::kNotFound), RetryClass::kFallOver);
  EXPECT_EQ(retry_class(StatusCode::kContextLengthExceeded), RetryClass::kFallOver);
  EXPECT_EQ(retry_class(StatusCode::kInsufficientCredits), RetryClass::kFallOver);
  EXPECT_EQ(retry_class(StatusCode::kInvalidRequest), RetryClass::kFatal);
  EXPECT_EQ(retry_class(StatusCode::kCancelled), RetryClass::kFatal);
  EXPECT_EQ(retry_class(StatusCode::kStreamInterrupted), RetryClass::kFatal);
  EXPECT_FALSE(is_retryable(StatusCode::kAuth));
}

TEST(StatusTest, ToStringCarriesProviderContext) {
  Status st = RateLimitedError("slow down")
                  .with_provider("openai")
                  .with_http_status(429)
                  .with_retry_after(std::chrono::milliseconds(250));
  EXPECT_EQ(st.to_string(), "rate_limited: slow down (provider=openai http=429 retry_after=250ms)");
}

TEST(StatusTest, TimeoutNamesItsPhase) {
  Status st = TimeoutError(TimeoutPhase::kIdle, "stalled");
  EXPECT_EQ(st.code(), StatusCode::kTimeout);
  EXPECT_EQ(st.timeout_phase(), TimeoutPhase::kIdle);
  EXPECT_NE(st.to_string().find("phase=idle"), std::string::npos);
}

TEST(StatusTest, StreamInterruptedCarriesDelivered) {
  Status st = StreamInterruptedError("cut", Delivered{3, 42, 0});
  EXPECT_EQ(st.delivered().content_chars, 42u);
  EXPECT_NE(st.to_string().find("delivered_chars=42"), std::string::npos);
}

TEST(StatusTest, MessagesAndExcerptsAreRedacted) {
  const std::string key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123";  // fake key, planted
  Status st = AuthError("Incorrect API key provided: " + key);
  st.with_body_excerpt(R"({"error":{"message":"bad key )" + key + R"("}})");
  EXPECT_EQ(st.message().find(key), std::string::npos);
  EXPECT_EQ(st.body_excerpt().find(key), std::string::npos);
  EXPECT_EQ(st.to_string().find(key), std::string::npos);
  EXPECT_NE(st.body_excerpt().find("[REDACTED]"), std::string::npos);
}

TEST(StatusTest, BodyExcerptIsTruncated) {
  Status st = ServerError("x");
  st.with_body_excerpt(std::string(4096, 'a'));
  EXPECT_LE(st.body_excerpt().size(), 520u);
}

Result<int> half(int x) {
  if (x % 2 != 0) return InvalidRequestError("odd");
  return x / 2;
}

Result<int> quarter(int x) {
  PLOKE_ASSIGN_OR_RETURN(int h, half(x));
  PLOKE_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

TEST(ResultTest, AssignOrReturnPropagatesErrors) {
  ASSERT_OK(quarter(8));
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).status().code(), StatusCode::kInvalidRequest);
}

TEST(ResultTest, ResultFromOkStatusBecomesInternalError) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace ploke
