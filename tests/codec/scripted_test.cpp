#include "ploke/codec/scripted.h"

#include "ploke/codec/cassette_json.h"
#include "ploke/codec/matcher.h"
#include "ploke/codec/redact.h"

#include <gtest/gtest.h>

#include "codec_fixtures.h"
#include "ploke/core/in_process_transport.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

using namespace std::chrono_literals;
using testing::sse_response;

TEST(ScriptedTest, TimingParse) {
  EXPECT_EQ(Timing::Parse("recorded")->mode, Timing::Mode::kRecorded);
  EXPECT_EQ(Timing::Parse("none")->mode, Timing::Mode::kNone);
  auto x2 = Timing::Parse("x2");
  ASSERT_OK(x2);
  EXPECT_EQ(x2->mode, Timing::Mode::kFactor);
  EXPECT_EQ(x2->factor, 2.0);
  EXPECT_EQ(Timing::Parse("x0.5")->factor, 0.5);
  EXPECT_EQ(Timing::Parse("x0.5")->to_string(), "x0.5");
  EXPECT_TRUE(Timing::Parse("x1000000").ok());
  for (const char* bad : {"x0", "x-1", "x", "fast", "2", "x2s", "xnan", "xinf", "x1e30", "x1000001"}) {
    auto r = Timing::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
  }
}

TEST(ScriptedTest, RecordedTimingKeepsOffsetsAndExactChunks) {
  const RecordedResponse rec = sse_response();
  const ScriptedResponse s = to_scripted(rec, Timing::Recorded());
  EXPECT_TRUE(s.streaming);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.head_at, 80ms);
  ASSERT_EQ(s.chunks.size(), rec.chunks.size());
  for (size_t i = 0; i < rec.chunks.size(); ++i) {
    EXPECT_EQ(s.chunks[i].bytes, rec.chunks[i].data) << i;
  }
  EXPECT_EQ(s.chunks[0].at, Duration(80'125'000));
  EXPECT_EQ(s.chunks[1].at, Duration(95'500'000));
  EXPECT_EQ(s.chunks[3].at, 120ms);
  EXPECT_EQ(s.body(), rec.body_bytes());
  EXPECT_EQ(s.ending, Ending::kComplete);
}

TEST(ScriptedTest, FactorScalesAndNoneFlattens) {
  const RecordedResponse rec = sse_response();
  const ScriptedResponse fast = to_scripted(rec, Timing::Factor(2));
  EXPECT_EQ(fast.head_at, 40ms);
  EXPECT_EQ(fast.chunks[3].at, 60ms);
  const ScriptedResponse slow = to_scripted(rec, Timing::Factor(0.5));
  EXPECT_EQ(slow.head_at, 160ms);
  EXPECT_EQ(slow.chunks[3].at, 240ms);
  const ScriptedResponse none = to_scripted(rec, Timing::None());
  EXPECT_EQ(none.head_at, Duration{0});
  for (const auto& c : none.chunks) EXPECT_EQ(c.at, Duration{0});
  EXPECT_EQ(none.body(), rec.body_bytes());
}

TEST(ScriptedTest, NonStreamBodyArrivesAtElapsedAndFramingHeadersAreDropped) {
  RecordedResponse rec = testing::json_response(429, R"({"error":{"type":"rate_limit"}})");
  rec.headers.add("Content-Length", "999");
  rec.headers.add("transfer-encoding", "chunked");
  rec.headers.add("retry-after", "2");
  const ScriptedResponse s = to_scripted(rec, Timing::Recorded());
  EXPECT_FALSE(s.streaming);
  EXPECT_EQ(s.status, 429);
  EXPECT_FALSE(s.headers.has("content-length"));
  EXPECT_FALSE(s.headers.has("transfer-encoding"));
  EXPECT_EQ(s.headers.get("retry-after"), "2");
  ASSERT_EQ(s.chunks.size(), 1u);
  EXPECT_EQ(s.chunks[0].bytes, rec.body.bytes);
  EXPECT_EQ(s.chunks[0].at, Duration(121'250'000));
  EXPECT_EQ(s.head_at, Duration(120'500'000));
}

TEST(ScriptedTest, RecordedResetIsKept) {
  RecordedResponse rec = sse_response();
  rec.ending = Ending::kReset;
  EXPECT_EQ(to_scripted(rec, Timing::Recorded()).ending, Ending::kReset);
}

TEST(ScriptedTest, PlaysThroughInProcessTransportWithExactChunkBoundaries) {
  const RecordedResponse rec = sse_response();
  SimulatedClock clock;
  InProcessTransport transport(clock, [&](const HttpRequest&) { return to_scripted(rec, Timing::Recorded()); });
  struct Collect : ResponseHandler {
    void on_head(int s, const Headers&) override { status = s; }
    bool on_body(std::string_view b) override {
      chunks.emplace_back(b);
      return true;
    }
    void on_complete(Status s) override { final_status = std::move(s); done = true; }
    int status = 0;
    std::vector<std::string> chunks;
    Status final_status;
    bool done = false;
  } handler;
  HttpRequest req;
  req.path = "/v1/chat/completions";
  const TimePoint start = clock.now();
  auto call = transport.start(req, {}, handler);
  clock.run_until_idle();
  ASSERT_TRUE(handler.done);
  EXPECT_OK(handler.final_status);
  EXPECT_EQ(handler.status, 200);
  std::string joined;
  for (const auto& c : handler.chunks) joined += c;
  EXPECT_EQ(joined, rec.body_bytes());
  // Empty chunks may be skipped by a player; non-empty ones keep their boundaries.
  std::vector<std::string> expected;
  for (const auto& c : rec.chunks) if (!c.data.empty()) expected.push_back(c.data);
  std::vector<std::string> got;
  for (const auto& c : handler.chunks) if (!c.empty()) got.push_back(c);
  EXPECT_EQ(got, expected);
  EXPECT_GE(clock.now() - start, 95ms);
}

// The whole pipeline as the recorder and server will use it: record (with a real key),
// redact, write, load, match a live request carrying the key, replay byte-exact.
TEST(ScriptedTest, RecordRedactSaveLoadMatchReplay) {
  const std::string key = "sk-proj-LiveKey0123456789abcdefghij";  // fake key, planted
  HttpRequest live;
  live.method = "POST";
  live.path = "/v1/chat/completions";
  live.headers.add("Authorization", "Bearer " + key);
  live.headers.add("Content-Type", "application/json");
  live.body = R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})";

  Interaction rec;
  rec.id = "0001";
  rec.request = recorded_request_from_http(live);
  rec.response = sse_response();
  Cassette c;
  c.name = "e2e";
  c.interactions.push_back(redact_interaction(rec, RedactionRules::Defaults()));
  const std::string text = serialize_cassette(c);
  EXPECT_EQ(text.find(key), std::string::npos);
  auto loaded = parse_cassette(text, "e2e.json");
  ASSERT_OK(loaded);
  std::vector<Cassette> cs;
  cs.push_back(std::move(loaded).value());
  auto store = ReplayStore::Create(std::move(cs), ReplayOptions{});
  ASSERT_OK(store);
  ReplayResult hit = (*store)->match(recorded_request_from_http(live));
  ASSERT_TRUE(hit.ok()) << hit.status.message();
  const ScriptedResponse s = to_scripted(hit.interaction->response, Timing::Recorded());
  ASSERT_EQ(s.chunks.size(), rec.response.chunks.size());
  for (size_t i = 0; i < s.chunks.size(); ++i) EXPECT_EQ(s.chunks[i].bytes, rec.response.chunks[i].data);
  EXPECT_TRUE((*store)->strict_report().ok());
}

}  // namespace
}  // namespace ploke::codec
