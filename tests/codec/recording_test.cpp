#include "ploke/codec/recording.h"

#include <gtest/gtest.h>

#include "ploke/codec/cassette_json.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

using namespace std::chrono_literals;

HttpRequest live_request(const std::string& key) {
  HttpRequest h;
  h.method = "POST";
  h.path = "/v1/chat/completions";
  h.headers.add("Authorization", "Bearer " + key);
  h.headers.add("Content-Type", "application/json");
  h.headers.add("User-Agent", "OpenAI/JS 4.0");
  h.body = R"({"model":"gpt-4o","stream":true})";
  return h;
}

TEST(RecordingTest, StreamedResponseKeepsExactChunksAndOffsets) {
  const std::string key = "sk-proj-RecordedKey0123456789abcdef";  // fake key, planted
  InteractionBuilder b(live_request(key), "0001", "2026-11-24T01:00:00.000Z");
  Headers head;
  head.add("content-type", "text/event-stream; charset=utf-8");
  head.add("set-cookie", "sid=abcdefgh12345");
  b.on_head(150ms, 200, head);
  b.on_body(Duration(150'250'000), "data: {\"a\":1}\n\n");
  b.on_body(149ms, "data: {\"echo\":\"" + key + "\"}\n\n");  // clock jitter: clamped
  b.on_body(400ms, "data: [DONE]\n\n");
  const Interaction i = std::move(b).finish(401ms, Ending::kComplete, RedactionRules::Defaults());
  EXPECT_EQ(i.id, "0001");
  EXPECT_EQ(i.request.body.encoding, BodyEncoding::kJson);
  EXPECT_EQ(i.request.headers.get("authorization"), "[REDACTED:authorization]");
  EXPECT_FALSE(i.request.headers.has("user-agent"));
  const RecordedResponse& r = i.response;
  EXPECT_TRUE(r.streamed);
  EXPECT_EQ(r.first_byte_ms, 150);
  EXPECT_EQ(r.elapsed_ms, 401);
  ASSERT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(r.chunks[0].offset_ms, 150.25);
  EXPECT_EQ(r.chunks[1].offset_ms, 150.25);
  EXPECT_EQ(r.chunks[1].data, "data: {\"echo\":\"[REDACTED:authorization]\"}\n\n");
  EXPECT_EQ(r.chunks[2].offset_ms, 400);
  EXPECT_EQ(r.headers.get("set-cookie"), "[REDACTED:set-cookie]");
  Cassette c;
  c.interactions.push_back(i);
  EXPECT_EQ(serialize_cassette(c).find(key), std::string::npos);
}

TEST(RecordingTest, NonStreamedResponseIsJoinedAndClassified) {
  InteractionBuilder b(live_request("sk-proj-RecordedKey0123456789abcdef"), "0002", "");  // fake key, planted
  Headers head;
  head.add("content-type", "application/json");
  b.on_head(90ms, 429, head);
  b.on_body(95ms, "{\"error\":{\"type\":");
  b.on_body(96ms, "\"rate_limit_exceeded\"}}");
  const Interaction i = std::move(b).finish(97ms, Ending::kComplete, RedactionRules::Defaults());
  EXPECT_FALSE(i.response.streamed);
  EXPECT_EQ(i.response.status, 429);
  EXPECT_EQ(i.response.body.encoding, BodyEncoding::kJson);
  EXPECT_EQ(i.response.body.bytes, R"({"error":{"type":"rate_limit_exceeded"}})");
  EXPECT_EQ(i.response.elapsed_ms, 97);
}

}  // namespace
}  // namespace ploke::codec
