#include "ploke/core/secret_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "ploke/core/status.h"

namespace ploke {
namespace {

// An opaque key with no well-known prefix: only redaction by value can catch it.
const std::string kOpaque = "zq7Opaque9Tok3nNoPrefix4242";  // fake key, planted
const std::string kOpaque2 = "Vk!q#opaque$with%punct&88";   // fake key, planted (non-token chars)

class SecretRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_registered_secrets_for_testing(); }
  void TearDown() override { clear_registered_secrets_for_testing(); }
};

TEST_F(SecretRegistryTest, OpaqueKeyIsOnlyCaughtOnceRegistered) {
  const std::string text = "upstream said: invalid key '" + kOpaque + "' (check it)";
  EXPECT_EQ(redact_secrets(text), text);
  EXPECT_FALSE(contains_secret(text));
  EXPECT_TRUE(register_secret(kOpaque));
  EXPECT_EQ(redact_secrets(text), "upstream said: invalid key '[REDACTED]' (check it)");
  EXPECT_TRUE(contains_secret(text));
  ASSERT_EQ(find_secrets(text).size(), 1u);
  EXPECT_EQ(find_secrets(text)[0].begin, text.find(kOpaque));
}

TEST_F(SecretRegistryTest, SecretConstructorRegistersItsValue) {
  const Secret s(kOpaque);
  EXPECT_EQ(registered_secret_count(), 1u);
  EXPECT_EQ(redact_secrets("x" + kOpaque + "y"), "x[REDACTED]y");
}

TEST_F(SecretRegistryTest, StatusMessagesAreRedactedByValue) {
  register_secret(kOpaque2);
  const Status st = AuthError("bad key " + kOpaque2 + " given");
  EXPECT_EQ(st.message().find(kOpaque2), std::string::npos);
  EXPECT_EQ(st.to_string().find(kOpaque2), std::string::npos);
}

TEST_F(SecretRegistryTest, ShortValuesAndPlaceholdersAreNotRegistered) {
  EXPECT_FALSE(register_secret("short"));
  EXPECT_FALSE(register_secret("[REDACTED]"));
  EXPECT_FALSE(register_secret("[REDACTED:authorization]"));
  EXPECT_EQ(registered_secret_count(), 0u);
  EXPECT_FALSE(has_registered_secrets());
}

TEST_F(SecretRegistryTest, EveryOccurrenceAndOverlappingKeysAndPatternsTogether) {
  register_secret(kOpaque);
  register_secret(kOpaque.substr(0, 12));  // a key that is a prefix of another
  const std::string text = kOpaque + " and " + kOpaque.substr(0, 12) + " and sk-proj-FAKEfGhIjKlMnOpQrSt " + kOpaque;
  EXPECT_EQ(redact_secrets(text), "[REDACTED] and [REDACTED] and [REDACTED] [REDACTED]");
}

TEST_F(SecretRegistryTest, RegistryIsBoundedAndDeduplicated) {
  EXPECT_TRUE(register_secret(kOpaque));
  EXPECT_TRUE(register_secret(kOpaque));
  EXPECT_EQ(registered_secret_count(), 1u);
  for (size_t i = 0; registered_secret_count() < kMaxRegisteredSecrets; ++i) register_secret("filler-key-" + std::to_string(i));
  EXPECT_FALSE(register_secret("one-key-too-many-0001"));
  EXPECT_EQ(registered_secrets_dropped(), 1u);
  EXPECT_EQ(redact_secrets(kOpaque), "[REDACTED]");
}

TEST_F(SecretRegistryTest, ConcurrentRegistrationAndRedaction) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = "thread" + std::to_string(t) + "-opaque-" + std::to_string(i);
        register_secret(key);
        EXPECT_EQ(redact_secrets("<" + key + ">"), "<[REDACTED]>");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(registered_secret_count(), 200u);
}

/// Feeds `text` to a StreamRedactor cut at every position in `cuts`; returns the output.
std::string stream(const std::string& text, std::vector<size_t> cuts) {
  StreamRedactor r;
  std::string out;
  size_t pos = 0;
  for (size_t c : cuts) {
    out += r.feed(std::string_view(text).substr(pos, c - pos));
    pos = c;
  }
  out += r.feed(std::string_view(text).substr(pos));
  out += r.finish();
  return out;
}

TEST_F(SecretRegistryTest, StreamRedactorCatchesAKeySplitAtEveryByte) {
  register_secret(kOpaque);
  register_secret(kOpaque2);
  const std::string text = "data: {\"error\":{\"message\":\"key " + kOpaque + " / " + kOpaque2 + " rejected\"}}\n\n";
  const std::string want = redact_secrets(text);
  ASSERT_EQ(want.find(kOpaque), std::string::npos);
  for (size_t c = 0; c <= text.size(); ++c) {
    for (size_t d = c; d <= text.size(); d += 5) EXPECT_EQ(stream(text, {c, d}), want) << c << "," << d;
  }
}

TEST_F(SecretRegistryTest, StreamRedactorCatchesSplitPatternsAndBearer) {
  const std::string text = "auth: Bearer opaqueBearerTokenValue123 and sk-proj-FAKEfGhIjKlMnOpQrSt done";
  const std::string want = redact_secrets(text);
  for (size_t c = 0; c <= text.size(); ++c) EXPECT_EQ(stream(text, {c}), want) << c;
}

TEST_F(SecretRegistryTest, StreamRedactorHoldsOnlyWhatCouldBeAKey) {
  register_secret(kOpaque);
  StreamRedactor r;
  EXPECT_EQ(r.feed("data: {\"a\":1}\n\n"), "data: {\"a\":1}\n\n");  // nothing held after a frame
  EXPECT_EQ(r.feed("x zq7Op"), "x ");                                 // could start the key
  EXPECT_EQ(r.pending(), 5u);
  EXPECT_EQ(r.feed("era!"), "zq7Opera!");                             // it did not
  EXPECT_EQ(r.finish(), "");
}

}  // namespace
}  // namespace ploke
