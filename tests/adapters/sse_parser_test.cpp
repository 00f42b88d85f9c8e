// SseParser: framing rules and chunk-boundary independence.
#include "ploke/adapters/sse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/core/random.h"
#include "support/test_support.h"

namespace ploke {
namespace {

std::vector<adapters::SseEvent> parse_all(std::string_view corpus, const std::vector<size_t>& cuts, bool finish = true) {
  adapters::SseParser parser;
  std::vector<adapters::SseEvent> out;
  size_t prev = 0;
  for (size_t cut : cuts) {
    EXPECT_OK(parser.feed(corpus.substr(prev, cut - prev), out));
    prev = cut;
  }
  EXPECT_OK(parser.feed(corpus.substr(prev), out));
  if (finish) {
    EXPECT_OK(parser.finish([&](const adapters::SseEvent& e) { out.push_back(e); return true; }));
  }
  return out;
}

// Everything the framing has to survive, in one stream.
const std::string kCorpus =
    "\xEF\xBB\xBF: OPENROUTER PROCESSING\n"
    "\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"h\\u00e9llo \\\"w\\\\orld\\\" \xE2\x82\xAC \xF0\x9F\x98\x80\"}}]}\n"
    "\n"
    "event: message_start\r\n"
    "data: line one\r\n"
    "data:line two\r\n"
    "data:  two spaces\r\n"
    "id: 42\r\n"
    "\r\n"
    "retry: 1500\r"
    "data: cr only\r"
    "\r"
    ": comment between\n"
    "event: ping\n"
    "\n"
    "data\n"
    "\n"
    "unknown: field\n"
    "data: after unknown\n"
    "\n"
    "data: {\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{\\\"tz\\\":\\\"CET\\\\n\\\"}\"}}]}\n"
    "\n"
    "data: [DONE]\n"
    "\n";

TEST(SseParserTest, ParsesCorpusIntoExpectedEvents) {
  const auto events = parse_all(kCorpus, {});
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].event, "");
  EXPECT_EQ(events[0].data,
            "{\"choices\":[{\"delta\":{\"content\":\"h\\u00e9llo \\\"w\\\\orld\\\" \xE2\x82\xAC \xF0\x9F\x98\x80\"}}]}");
  EXPECT_EQ(events[1].event, "message_start");
  EXPECT_EQ(events[1].data, "line one\nline two\n two spaces");
  EXPECT_EQ(events[1].id, "42");
  EXPECT_EQ(events[2].data, "cr only");
  EXPECT_EQ(events[2].event, "");  // the event name resets after a dispatch
  EXPECT_EQ(events[2].id, "42");   // the last event id persists
  ASSERT_TRUE(events[2].retry_ms.has_value());
  EXPECT_EQ(*events[2].retry_ms, 1500u);
  EXPECT_EQ(events[3].data, "");  // "data" without a colon: empty value
  EXPECT_EQ(events[4].data, "after unknown");
  EXPECT_EQ(events[5].data.substr(0, 14), "{\"tool_calls\":");
  EXPECT_EQ(events[6].data, "[DONE]");
  // event: ping without data is not dispatched.
  for (const auto& e : events) EXPECT_NE(e.event, "ping");
}

TEST(SseParserTest, SameEventsForEveryRandomSplit) {
  const uint64_t seed = testing::test_seed();
  Random rng(seed);
  const auto reference = parse_all(kCorpus, {});
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<size_t> cuts;
    const size_t n = rng.below(12);
    for (size_t i = 0; i < n; ++i) cuts.push_back(rng.below(kCorpus.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    ASSERT_EQ(parse_all(kCorpus, cuts), reference) << "seed=" << seed << " iter=" << iter;
  }
}

TEST(SseParserTest, SameEventsByteByByteAndEverySingleSplit) {
  const auto reference = parse_all(kCorpus, {});
  std::vector<size_t> every;
  for (size_t i = 1; i < kCorpus.size(); ++i) every.push_back(i);
  EXPECT_EQ(parse_all(kCorpus, every), reference);
  for (size_t i = 0; i <= kCorpus.size(); ++i) ASSERT_EQ(parse_all(kCorpus, {i}), reference) << "cut at " << i;
}

TEST(SseParserTest, CrLfSplitAcrossFeedsCountsAsOneLineEnding) {
  // "data: a\r" | "\n\r\n": if the LF were treated as a second (blank) line the event would
  // be dispatched early, which gives the same result; so check with two data lines.
  adapters::SseParser p;
  std::vector<adapters::SseEvent> out;
  ASSERT_OK(p.feed("data: a\r", out));
  ASSERT_OK(p.feed("\ndata: b\r", out));
  ASSERT_OK(p.feed("\n\r", out));
  ASSERT_OK(p.feed("\n", out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "a\nb");
}

TEST(SseParserTest, ReportsStreamOffsetOfEachEvent) {
  const std::string s = "data: a\n\n: c\ndata: b\n\n";
  const auto events = parse_all(s, {3, 11});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].stream_offset, 0u);
  EXPECT_EQ(events[1].stream_offset, 9u);  // the comment line starts the event
}

TEST(SseParserTest, OversizedEventFailsWithOffsetAndStaysFailed) {
  adapters::SseParser p(adapters::SseParser::Options{.max_event_bytes = 64});
  std::vector<adapters::SseEvent> out;
  ASSERT_OK(p.feed("data: ok\n\n", out));
  Status st = p.feed("data: " + std::string(40, 'x') + "\n", out);
  ASSERT_OK(st);
  st = p.feed("data: " + std::string(20, 'y'), out);  // partial line pushes it over
  st = st.ok() ? p.feed(std::string(20, 'y') + "\n", out) : st;
  EXPECT_EQ(st.code(), StatusCode::kMalformedResponse);
  EXPECT_NE(st.message().find("stream byte 10"), std::string::npos) << st.message();
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.feed("data: z\n\n", out).code(), StatusCode::kMalformedResponse);
  EXPECT_EQ(out.size(), 1u);
}

TEST(SseParserTest, HugeSingleLineInOneChunkIsBounded) {
  adapters::SseParser p(adapters::SseParser::Options{.max_event_bytes = 1024});
  std::vector<adapters::SseEvent> out;
  const Status st = p.feed("data: " + std::string(5000, 'x') + "\n\n", out);
  EXPECT_EQ(st.code(), StatusCode::kMalformedResponse);
  EXPECT_TRUE(out.empty());
}

TEST(SseParserTest, CallbackCanStopParsing) {
  adapters::SseParser p;
  int seen = 0;
  ASSERT_OK(p.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n", [&](const adapters::SseEvent&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(p.stopped());
  ASSERT_OK(p.feed("data: 4\n\n", [&](const adapters::SseEvent&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
}

TEST(SseParserTest, FinishDispatchesCompleteEventButDropsPartialLine) {
  {
    adapters::SseParser p;
    std::vector<adapters::SseEvent> out;
    ASSERT_OK(p.feed("data: [DONE]\n", out));
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(p.has_pending());
    ASSERT_OK(p.finish([&](const adapters::SseEvent& e) { out.push_back(e); return true; }));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "[DONE]");
  }
  {
    adapters::SseParser p;
    std::vector<adapters::SseEvent> out;
    ASSERT_OK(p.feed("data: partial", out));
    ASSERT_OK(p.finish([&](const adapters::SseEvent& e) { out.push_back(e); return true; }));
    EXPECT_TRUE(out.empty());
  }
}

TEST(SseParserTest, CallbackEventIsReusedWithoutLeakingPreviousFields) {
  adapters::SseParser p;
  std::vector<std::string> names;
  ASSERT_OK(p.feed("event: a\ndata: 1\n\ndata: 2\n\n", [&](const adapters::SseEvent& e) {
    names.push_back(e.event + "=" + e.data);
    return true;
  }));
  EXPECT_EQ(names, (std::vector<std::string>{"a=1", "=2"}));
}

}  // namespace
}  // namespace ploke
