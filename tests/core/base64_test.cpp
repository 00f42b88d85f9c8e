// ploke/core/base64.h: RFC 4648 vectors, round trips of every length, strict decoding.
#include "ploke/core/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace ploke {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64Test, AppendKeepsWhatIsThere) {
  std::string out = "x:";
  base64_append(out, "foob");
  EXPECT_EQ(out, "x:Zm9vYg==");
}

TEST(Base64Test, RoundTripEveryLengthAndByte) {
  std::string bytes;
  for (int n = 0; n < 300; ++n) {
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, bytes) << n;
    bytes.push_back(static_cast<char>((n * 37 + 11) & 0xFF));
  }
}

TEST(Base64Test, DecodeIsStrict) {
  EXPECT_FALSE(base64_decode("Zg=").has_value());     // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Z===").has_value());    // padding too early
  EXPECT_FALSE(base64_decode("Zg==Zg==").has_value()); // padding before the end
  EXPECT_FALSE(base64_decode("Zm9 ").has_value());    // whitespace
  EXPECT_FALSE(base64_decode("Zm9*").has_value());    // outside the alphabet
  EXPECT_EQ(base64_decode("Zm9vYmFy").value_or(""), "foobar");
}

}  // namespace
}  // namespace ploke
