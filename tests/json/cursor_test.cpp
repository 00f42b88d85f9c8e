// ploke::json::JsonCursor: the one single-pass reader. Members and elements, strings with
// escapes and UTF-8 (decoded, and measured without a copy), the limits it shares with
// check_json_limits (depth, numbers a double cannot hold), and what it refuses.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>
#include <string>

#include "ploke/json/cursor.h"

namespace ploke::json {
namespace {

std::string nested(int depth) { return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']'); }

TEST(JsonCursor, ReadsMembersElementsAndScalars) {
  JsonCursor c(R"( {"a": "x\ty", "b": [1, 2.5, -3e2], "c": true, "d": null, "e": {"f": []}} )");
  bool first = true;
  std::string_view key;
  std::string s;
  ASSERT_TRUE(c.next_member(first, key));
  EXPECT_EQ(key, "a");
  ASSERT_TRUE(c.read_string(s));
  EXPECT_EQ(s, "x\ty");
  ASSERT_TRUE(c.next_member(first, key));
  EXPECT_EQ(key, "b");
  bool afirst = true;
  uint64_t u = 0;
  double d = 0;
  ASSERT_TRUE(c.next_element(afirst));
  ASSERT_TRUE(c.read_u64(u));
  EXPECT_EQ(u, 1u);
  ASSERT_TRUE(c.next_element(afirst));
  ASSERT_TRUE(c.read_double(d));
  EXPECT_EQ(d, 2.5);
  ASSERT_TRUE(c.next_element(afirst));
  ASSERT_TRUE(c.read_double(d));
  EXPECT_EQ(d, -300.0);
  EXPECT_FALSE(c.next_element(afirst));
  ASSERT_TRUE(c.next_member(first, key));
  bool b = false;
  ASSERT_TRUE(c.read_bool(b));
  EXPECT_TRUE(b);
  ASSERT_TRUE(c.next_member(first, key));
  EXPECT_TRUE(c.consume_null());
  ASSERT_TRUE(c.next_member(first, key));
  EXPECT_EQ(key, "e");
  EXPECT_TRUE(c.skip_value());
  EXPECT_FALSE(c.next_member(first, key));
  EXPECT_FALSE(c.failed());
  EXPECT_TRUE(c.at_end());
}

TEST(JsonCursor, StringSizeIsTheDecodedLengthWithoutACopy) {
  const struct { const char* json; std::string decoded; } cases[] = {
      {R"("plain")", "plain"},
      {R"("caf\u00e9 \"q\" \\ \/")", "caf\xC3\xA9 \"q\" \\ /"},
      {R"("\ud83d\ude00!")", "\xF0\x9F\x98\x80!"},
      {"\"caf\xC3\xA9\"", "caf\xC3\xA9"},
      {R"("")", ""},
  };
  for (const auto& k : cases) {
    JsonCursor a(k.json);
    uint64_t n = 99;
    ASSERT_TRUE(a.read_string_size(n)) << k.json;
    EXPECT_EQ(n, k.decoded.size()) << k.json;
    EXPECT_TRUE(a.at_end());
    JsonCursor b(k.json);
    std::string s;
    ASSERT_TRUE(b.read_string(s)) << k.json;
    EXPECT_EQ(s, k.decoded) << k.json;
  }
}

TEST(JsonCursor, RefusesBadStringsAndEscapedKeys) {
  for (const char* bad : {"\"a\x01\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", R"("\ude00")", R"("\ud800x")",
                          R"("\x")", "\"open"}) {
    uint64_t n = 0;
    JsonCursor c(bad);
    EXPECT_FALSE(c.read_string_size(n)) << bad;
    EXPECT_TRUE(c.failed()) << bad;
  }
  JsonCursor k(R"({"mod\u0065l":1})");
  bool first = true;
  std::string_view key;
  EXPECT_FALSE(k.next_member(first, key));
  EXPECT_TRUE(k.failed());
}

TEST(JsonCursor, DepthLimitIsKMaxDepthLevels) {
  const std::string at_limit = nested(JsonCursor::kMaxDepth);  // the cursor keeps a view: the text must outlive it
  JsonCursor ok(at_limit);
  EXPECT_TRUE(ok.skip_value());
  EXPECT_TRUE(ok.at_end());
  std::string with_scalar = std::string(JsonCursor::kMaxDepth, '[') + "1" + std::string(JsonCursor::kMaxDepth, ']');
  JsonCursor ok2(with_scalar);
  EXPECT_TRUE(ok2.skip_value());
  const std::string past_limit = nested(JsonCursor::kMaxDepth + 1);
  JsonCursor deep(past_limit);
  EXPECT_FALSE(deep.skip_value());
  EXPECT_TRUE(deep.failed());
}

TEST(JsonCursor, NumbersADoubleCannotHoldAreRefusedAsCheckJsonLimitsDoes) {
  for (const char* bad : {"1e400", "-1e400", "01", "1.", "-", "1e", ".5"}) {
    JsonCursor c(bad);
    EXPECT_FALSE(c.skip_value()) << bad;
  }
  const std::string digits(400, '9');
  JsonCursor big(digits);
  EXPECT_FALSE(big.skip_value());
  JsonCursor tiny("1e-400");  // underflow is allowed, as by check_json_limits
  EXPECT_TRUE(tiny.skip_value());
  uint64_t u = 0;
  JsonCursor neg("-1");
  EXPECT_FALSE(neg.read_u64(u));
  JsonCursor frac("1.5");
  EXPECT_FALSE(frac.read_u64(u));
}

TEST(JsonCursor, ReadDoubleTakesUnderflowAsZeroOrSubnormal) {
  double v = 1;
  JsonCursor tiny("1e-400");
  ASSERT_TRUE(tiny.read_double(v));
  EXPECT_EQ(v, 0.0);
  JsonCursor neg_tiny("-1e-400");
  ASSERT_TRUE(neg_tiny.read_double(v));
  EXPECT_EQ(v, 0.0);
  EXPECT_TRUE(std::signbit(v));
  JsonCursor sub("2.5e-310");
  ASSERT_TRUE(sub.read_double(v));
  EXPECT_GT(v, 0.0);
  EXPECT_LT(v, 1e-300);
  JsonCursor huge("1e400");
  EXPECT_FALSE(huge.read_double(v));
}

TEST(JsonCursor, TrailingBytesAreNotTheEnd) {
  JsonCursor c("{} x");
  EXPECT_TRUE(c.skip_value());
  EXPECT_FALSE(c.at_end());
}

// read_string, read_string_size and skip_value against nlohmann on the same text: accepted
// or not, and the decoded bytes. Covers the eight-byte scan's edges (a special byte at
// every offset of a word, after plain runs of every length).
void expect_agrees_with_nlohmann(const std::string& text) {
  std::string want;
  bool ok = true;
  try {
    want = nlohmann::json::parse(text).get<std::string>();
  } catch (const nlohmann::json::exception&) {
    ok = false;
  }
  JsonCursor a(text);
  std::string got;
  ASSERT_EQ(a.read_string(got) && a.at_end(), ok) << text;
  if (ok) {
    ASSERT_EQ(got, want) << text;
  }
  JsonCursor b(text);
  uint64_t n = 0;
  ASSERT_EQ(b.read_string_size(n) && b.at_end(), ok) << text;
  if (ok) {
    ASSERT_EQ(n, want.size()) << text;
  }
  JsonCursor c(text);
  ASSERT_EQ(c.skip_value() && c.at_end(), ok) << text;
}

TEST(JsonCursor, StringsAgreeWithNlohmannAtEveryWordOffset) {
  for (size_t pad = 0; pad < 20; ++pad) {
    for (const char* special : {"\\\"", "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "\xC3\xA9",
                                "\xE2\x82\xAC", "\x01", "\xFF", "\xE2\x82", "\\q", "\"", ""}) {
      expect_agrees_with_nlohmann("\"" + std::string(pad, 'a') + special + std::string(pad % 9, 'b') + "\"");
    }
    expect_agrees_with_nlohmann("\"" + std::string(pad, 'a'));  // unterminated at every length
  }
}

TEST(JsonCursor, RandomStringsAgreeWithNlohmann) {
  std::mt19937_64 rng(16);  // seeded: deterministic
  const char* pieces[] = {"a", "bcdefgh", "\\\"", "\\\\", "\\/", "\\t", "\\u0041", "\\ud83d\\ude00", "\\ude00",
                          "\xC3\xA9", "\xF0\x9F\x98\x80", "\xC0\xAF", "\x7F", "\x1F", "\"", "\\"};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = "\"";
    const size_t parts = rng() % 12;
    for (size_t k = 0; k < parts; ++k) {
      // Mostly valid pieces, so most strings parse and their bytes are compared.
      s += (rng() % 8 == 0) ? pieces[10 + rng() % 6] : pieces[rng() % 10];
    }
    s += "\"";
    expect_agrees_with_nlohmann(s);
  }
}

}  // namespace
}  // namespace ploke::json
