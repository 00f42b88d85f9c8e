// ploke::json::append_escaped / append_quoted: the one JSON string writer. Control bytes,
// quotes and backslashes; invalid UTF-8 (overlong, surrogates, > U+10FFFF, truncated, lone
// continuation, bytes that never occur) replaced by U+FFFD per maximal subpart; output
// always parses and equals nlohmann's dump(error_handler_t::replace) for every input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <random>
#include <string>

#include "ploke/json/escape.h"
#include "ploke/json/utf8.h"

namespace ploke::json {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string nlohmann_dump(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(JsonEscape, ControlCharsQuotesBackslash) {
  EXPECT_EQ(quote("a\"b\\c\n\r\t\b\f\x01\x1f\x7f/"), "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\"");
  EXPECT_EQ(quote(std::string("\0x", 2)), "\"\\u0000x\"");
  EXPECT_EQ(quote(""), "\"\"");
}

TEST(JsonEscape, ValidUtf8PassesThrough) {
  const std::string s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf \xed\x9f\xbf";
  EXPECT_EQ(quote(s), "\"" + s + "\"");
  EXPECT_TRUE(is_valid_utf8(s));
}

TEST(JsonEscape, InvalidUtf8BecomesOneReplacementPerMaximalSubpart) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"\xff", kFffd},                                        // never valid
      {"\x80", kFffd},                                        // lone continuation
      {"a\xbf\x80z", "a" + kFffd + kFffd + "z"},              // two stray continuations
      {"\xc0\xaf", kFffd + kFffd},                            // overlong '/' (C0 is never a lead)
      {"\xc1\xbf", kFffd + kFffd},                            // overlong, 2 bytes
      {"\xe0\x80\xaf", kFffd + kFffd + kFffd},                // overlong, 3 bytes
      {"\xf0\x80\x80\xaf", kFffd + kFffd + kFffd + kFffd},    // overlong, 4 bytes
      {"\xed\xa0\x80", kFffd + kFffd + kFffd},                // lone high surrogate U+D800
      {"\xed\xbf\xbf", kFffd + kFffd + kFffd},                // U+DFFF
      {"\xf4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},    // > U+10FFFF
      {"\xf5\x80", kFffd + kFffd},                            // F5 never valid
      {"ok\xe2\x82", "ok" + kFffd},                           // truncated at the end: one subpart
      {"\xe2\x82z", kFffd + "z"},                             // truncated before ASCII
      {"\xf0\x9f\x98", kFffd},                                // truncated 4-byte
      {"\xf0\x9f\x98\xe2\x82\xac", kFffd + "\xe2\x82\xac"},   // truncated, then a valid euro
      {"\xc3\"", kFffd + "\\\""},                             // truncated before a quote
  };
  for (const auto& c : cases) {
    EXPECT_EQ(quote(c.in), "\"" + c.out + "\"") << nlohmann::json(c.in).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    EXPECT_FALSE(is_valid_utf8(c.in));
    EXPECT_EQ(quote(c.in), nlohmann_dump(c.in));
  }
}

TEST(JsonEscape, EveryByteAndPairMatchesNlohmannAndParses) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 3) {
      const std::string s = {'x', static_cast<char>(a), static_cast<char>(b), '"'};
      const std::string q = quote(s);
      ASSERT_EQ(q, nlohmann_dump(s)) << a << " " << b;
      ASSERT_TRUE(nlohmann::json::accept(q)) << a << " " << b;
    }
  }
}

TEST(JsonEscape, RandomBytesMatchNlohmannAndRoundTripWhenValid) {
  std::mt19937_64 rng(14);  // seeded: deterministic
  const char alphabet[] = "ab\"\\\n\x01\x7f\x80\xbf\xc2\xc3\xa9\xe0\xa0\xed\xf0\x90\xf4\x8f\xff";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    const size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k) {
      s.push_back((rng() & 3) == 0 ? static_cast<char>(rng() & 0xFF)
                                    : alphabet[rng() % (sizeof alphabet - 1)]);
    }
    const std::string q = quote(s);
    ASSERT_EQ(q, nlohmann_dump(s)) << iter;
    const auto back = nlohmann::json::parse(q).get<std::string>();
    ASSERT_TRUE(is_valid_utf8(back));
    if (is_valid_utf8(s)) {
      ASSERT_EQ(back, s);
    }
  }
}

TEST(JsonEscape, LongRunsAcrossWordBoundaries) {
  // Special bytes at every offset of a word, after long plain runs.
  for (size_t pad = 0; pad < 20; ++pad) {
    for (const char* special : {"\"", "\\", "\n", "\x1f", "\xc3\xa9", "\xff"}) {
      const std::string s = std::string(pad, 'a') + special + std::string(pad, 'b');
      ASSERT_EQ(quote(s), nlohmann_dump(s)) << pad << " " << special;
    }
  }
}

TEST(JsonEscape, AppendKeepsWhatIsThere) {
  std::string out = "{\"k\":";
  append_quoted(out, "v\n");
  out += ",\"b\":\"";
  append_escaped(out, "x\"");
  out += "\"}";
  EXPECT_EQ(out, "{\"k\":\"v\\n\",\"b\":\"x\\\"\"}");
}

TEST(JsonEscape, Utf8Sequence) {
  EXPECT_EQ(utf8_sequence("\xc3\xa9", 0), 2u);
  EXPECT_EQ(utf8_sequence("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(utf8_sequence("\xf0\x9f\x98\x80", 0), 4u);
  EXPECT_EQ(utf8_sequence("\xe2\x82", 0), 0u);
  EXPECT_EQ(utf8_sequence("\xed\xa0\x80", 0), 0u);
  EXPECT_EQ(utf8_sequence("\xc0\x80", 0), 0u);
}

TEST(JsonUtf8, AppendUtf8MatchesNlohmannAndScansBack) {
  for (uint32_t cp : {0x24u, 0x7Fu, 0x80u, 0xE9u, 0x7FFu, 0x800u, 0x20ACu, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu, 0x10000u,
                      0x1F600u, 0x10FFFFu}) {
    std::string ours;
    append_utf8(ours, cp);
    char esc[32];
    if (cp < 0x10000) {
      std::snprintf(esc, sizeof esc, "\"\\u%04x\"", cp);
    } else {
      const uint32_t v = cp - 0x10000;
      std::snprintf(esc, sizeof esc, "\"\\u%04x\\u%04x\"", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
    }
    EXPECT_EQ(ours, nlohmann::json::parse(esc).get<std::string>()) << cp;
    if (cp >= 0x80) {
      EXPECT_EQ(scan_utf8(reinterpret_cast<const unsigned char*>(ours.data()), ours.size()),
                static_cast<int>(ours.size()))
          << cp;
    }
  }
  // Maximal subparts: how much an ill-formed sequence swallows.
  const auto scan = [](std::string_view s) { return scan_utf8(reinterpret_cast<const unsigned char*>(s.data()), s.size()); };
  EXPECT_EQ(scan("\xe2\x82"), -2);
  EXPECT_EQ(scan("\xf0\x9f\x98"), -3);
  EXPECT_EQ(scan("\xe0\x80"), -1);
  EXPECT_EQ(scan("\x80"), -1);
  EXPECT_EQ(scan("\xf4\x90\x80\x80"), -1);
}

}  // namespace
}  // namespace ploke::json
