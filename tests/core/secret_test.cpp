#include "ploke/core/secret.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ploke {
namespace {

// Planted keys in every provider family we know.
const char* const kPlanted[] = {
    "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",  // fake key, planted
    "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_xy",  // fake key, planted
    "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef",  // fake key, planted
    "sk-AbCdEfGhIjKlMnOpQrSt",
    "AKIAIOSFODNN7EXAMPLE",
};

TEST(SecretTest, PrintsRedactedNeverTheValue) {
  for (const char* k : kPlanted) {
    Secret s{std::string(k)};
    std::ostringstream os;
    os << s;
    EXPECT_EQ(os.str().find(k), std::string::npos) << k;
    EXPECT_NE(os.str().find("[REDACTED]"), std::string::npos);
    EXPECT_EQ(s.reveal(), k);
  }
}

TEST(SecretTest, RedactSecretsScrubsEveryPlantedKeyInText) {
  for (const char* k : kPlanted) {
    const std::string text = std::string("header: Bearer ") + k + " and body {\"key\":\"" + k + "\"}";
    const std::string red = redact_secrets(text);
    EXPECT_EQ(red.find(k), std::string::npos) << red;
    EXPECT_FALSE(contains_secret(red)) << red;
    EXPECT_TRUE(contains_secret(text));
  }
}

TEST(SecretTest, BearerTokensOfUnknownShapeAreRedacted) {
  const std::string red = redact_secrets("Authorization: Bearer abc.def-123456789");
  EXPECT_EQ(red, "Authorization: Bearer [REDACTED]");
}

TEST(SecretTest, OrdinaryTextIsUntouched) {
  const std::string text = "the task-list has sk- prefixes and a short sk-abc";
  EXPECT_EQ(redact_secrets(text), text);
}

TEST(SecretTest, RedactionIsIdempotent) {
  const std::string once = redact_secrets(std::string("Bearer ") + kPlanted[0]);
  EXPECT_EQ(redact_secrets(once), once);
}

}  // namespace
}  // namespace ploke
