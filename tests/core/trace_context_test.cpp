// W3C Trace Context (ploke/core/trace_context.h): which traceparent values are valid, and
// the headers added for an upstream.
#include <gtest/gtest.h>

#include "ploke/core/trace_context.h"

namespace ploke {
namespace {

TEST(TraceContext, ValidTraceparentFollowsTheSpec) {
  EXPECT_TRUE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_TRUE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  EXPECT_TRUE(valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later"));  // a later version
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"));     // 00 is exact
  EXPECT_FALSE(valid_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  EXPECT_FALSE(valid_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // upper case
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent(""));
}

// Every byte of the hex fields is checked (eight at a time, then the tail): a byte just
// outside each hex range, or with the high bit set, makes any position invalid.
TEST(TraceContext, EveryHexPositionRejectsEveryNonHexByte) {
  const std::string good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::string bad_bytes = std::string("/:`gAF G\x80\xb0\xe1\xff") + '\0';
  for (size_t pos = 0; pos < good.size(); ++pos) {
    if (good[pos] == '-') continue;
    for (char c : bad_bytes) {
      std::string v = good;
      v[pos] = c;
      EXPECT_FALSE(valid_traceparent(v)) << "byte " << static_cast<int>(static_cast<unsigned char>(c)) << " at " << pos;
    }
    for (char c : std::string("09af")) {
      std::string v = good;
      v[pos] = c;
      if (pos < 2 && v.substr(0, 2) == "ff") continue;  // version ff is invalid
      EXPECT_TRUE(valid_traceparent(v)) << c << " at " << pos;
    }
  }
}

TEST(TraceContext, HeadersOnlyWithAValidTraceparent) {
  Headers h;
  add_trace_context(h, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=1,b=2");
  EXPECT_EQ(h.get("traceparent").value_or(""), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(h.get("tracestate").value_or(""), "a=1,b=2");
  Headers none;
  add_trace_context(none, "bogus", "a=1");
  EXPECT_FALSE(none.has("traceparent"));
  EXPECT_FALSE(none.has("tracestate"));
  Headers long_state;
  add_trace_context(long_state, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", std::string(600, 'a'));
  EXPECT_FALSE(long_state.has("tracestate"));
}

TEST(TraceContext, ChildKeepsTraceAndFlagsWithTheNewParent) {
  EXPECT_EQ(span_id_hex(0x00f067aa0ba902b7ULL), "00f067aa0ba902b7");
  EXPECT_EQ(child_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "b7ad6b7169203331"),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-00");
  EXPECT_EQ(child_traceparent("bogus", "b7ad6b7169203331"), "");
  EXPECT_EQ(child_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "0000000000000000"), "");
  EXPECT_EQ(child_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "XYZ"), "");
}

}  // namespace
}  // namespace ploke
