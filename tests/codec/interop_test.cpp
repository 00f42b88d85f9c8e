// VCR (vcrpy, Ruby VCR) and WireMock import/export: the fixtures under data/ are written in
// those tools' documented formats; each imports, and import → export → import keeps the
// interactions.
#include "ploke/codec/interop.h"

#include <gtest/gtest.h>

#include <string>

#include "codec_fixtures.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/matcher.h"
#include "ploke/core/file_io.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

std::string data_path(const std::string& name) { return std::string(PLOKE_SOURCE_DIR) + "/tests/codec/data/" + name; }

std::string fixture(const std::string& name) {
  auto text = read_file(data_path(name));
  EXPECT_TRUE(text.ok()) << text.status().message();
  return text.ok() ? *text : std::string();
}

Cassette import_vcr(const std::string& name) {
  auto c = vcr_to_cassette(fixture(name), name);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : Cassette{};
}

TEST(VcrTest, ImportsAVcrpyCassette) {
  const Cassette c = import_vcr("vcrpy_openai.yaml");
  EXPECT_EQ(c.upstream, "https://api.openai.com");
  ASSERT_EQ(c.interactions.size(), 3u);
  const Interaction& chat = c.interactions[0];
  EXPECT_EQ(chat.id, "0001");
  EXPECT_EQ(chat.request.method, "POST");
  EXPECT_EQ(chat.request.path, "/v1/chat/completions");
  EXPECT_EQ(chat.request.headers.get("authorization"), "Bearer sk-FAKE-vcrpy-0123456789abcdefghij");
  EXPECT_FALSE(chat.request.headers.has("content-length"));  // framing: the player frames the body
  EXPECT_EQ(chat.request.body.encoding, BodyEncoding::kText);  // Python's spacing does not re-serialize
  EXPECT_EQ(chat.response.status, 200);
  EXPECT_EQ(chat.response.body.encoding, BodyEncoding::kJson);
  EXPECT_EQ(chat.response.headers.get("x-request-id"), "req_vcrpy_1");

  const Interaction& stream = c.interactions[1];
  EXPECT_EQ(stream.request.query, (QueryParams{{"api-version", "2024-10-21"}}));
  ASSERT_TRUE(stream.response.streamed);
  ASSERT_EQ(stream.response.chunks.size(), 3u);  // one chunk per SSE event
  EXPECT_EQ(stream.response.chunks[0].data, "data: {\"choices\":[{\"delta\":{\"content\":\"1\"}}]}\n\n");
  EXPECT_EQ(stream.response.chunks[2].data, "data: [DONE]\n\n");

  const Interaction& models = c.interactions[2];
  EXPECT_EQ(models.request.method, "GET");
  EXPECT_TRUE(models.request.body.empty());
  EXPECT_EQ(models.response.status, 429);
  EXPECT_EQ(models.response.body.bytes, std::string("\x00\x01\x02\xff", 4));  // !!binary
  EXPECT_EQ(models.response.body.encoding, BodyEncoding::kBase64);
}

TEST(VcrTest, ImportsARubyVcrCassette) {
  const Cassette c = import_vcr("ruby_vcr_anthropic.yml");
  EXPECT_EQ(c.upstream, "https://api.anthropic.com");
  ASSERT_EQ(c.interactions.size(), 2u);
  const Interaction& a = c.interactions[0];
  EXPECT_EQ(a.request.method, "POST");  // Ruby VCR writes lower case
  EXPECT_EQ(a.request.path, "/v1/messages");
  EXPECT_EQ(a.recorded_at, "2025-12-02T10:15:30.000Z");
  EXPECT_EQ(a.request.headers.get("anthropic-version"), "2023-06-01");
  EXPECT_EQ(a.request.body.encoding, BodyEncoding::kJson);
  const Interaction& b = c.interactions[1];
  EXPECT_EQ(b.request.body.bytes, R"({"model":"claude","stream":true})");  // base64_string
  ASSERT_TRUE(b.response.streamed);
  ASSERT_EQ(b.response.chunks.size(), 3u);
  EXPECT_EQ(b.response.chunks[0].data, "event: message_start\ndata: {\"type\":\"message_start\"}\n\n");
}

TEST(VcrTest, VcrpyRoundTripKeepsTheInteractions) {
  const Cassette first = import_vcr("vcrpy_openai.yaml");
  const std::string yaml = cassette_to_vcr(first);
  EXPECT_NE(yaml.find("interactions:"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("version: 1"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("uri: https://api.openai.com/v1/chat/completions?api-version=2024-10-21"), std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("message: Too Many Requests"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("!!binary"), std::string::npos) << yaml;
  auto second = vcr_to_cassette(yaml, "exported.yaml");
  ASSERT_OK(second);
  EXPECT_EQ(second->upstream, first.upstream);
  EXPECT_EQ(second->interactions, first.interactions);
}

TEST(VcrTest, RubyVcrRoundTripKeepsTheInteractionsButNotRecordedAt) {
  Cassette first = import_vcr("ruby_vcr_anthropic.yml");
  auto second = vcr_to_cassette(cassette_to_vcr(first), "exported.yaml");
  ASSERT_OK(second);
  for (auto& in : first.interactions) in.recorded_at.clear();  // vcrpy's layout has no recorded_at
  EXPECT_EQ(second->interactions, first.interactions);
}

TEST(VcrTest, AStreamedInteractionSurvivesAsOneChunkPerEvent) {
  const Cassette c = testing::full_cassette();
  auto back = vcr_to_cassette(cassette_to_vcr(c), "x.yaml");
  ASSERT_OK(back);
  ASSERT_EQ(back->interactions.size(), c.interactions.size());
  const RecordedResponse& orig = c.interactions[1].response;
  const RecordedResponse& got = back->interactions[1].response;
  ASSERT_TRUE(got.streamed);
  EXPECT_EQ(got.body_bytes(), orig.body_bytes());  // same bytes, split at event boundaries
  EXPECT_EQ(got.chunks.size(), 3u);
  EXPECT_EQ(back->interactions[2].request.query, c.interactions[2].request.query);
  EXPECT_EQ(back->interactions[0].response.body.bytes, c.interactions[0].response.body.bytes);
}

// PyYAML (vcrpy's writer) folds long single-quoted bodies across lines and writes a body
// ending in blank lines as empty lines before the closing quote; double-quoted bodies
// (non-ASCII text) continue lines with a trailing backslash.
TEST(VcrTest, FoldedPyYamlBodiesKeepTheirBytes) {
  const Cassette c = import_vcr("vcrpy_folded_streams.yaml");
  ASSERT_EQ(c.interactions.size(), 2u);
  std::string folded;
  std::string quoted;
  for (int i = 0; i < 4; ++i) {
    folded += "data: {\"choices\":[{\"delta\":{\"content\":\"tok " + std::to_string(i) +
              " with some spaces here  and two 'q'\"}}]}\n\n";
    quoted += "data: {\"choices\":[{\"delta\":{\"content\":\"tok " + std::to_string(i) +
              " \xC3\xA9 with some spaces here\"}}]}\n\n";
  }
  folded += "data: [DONE]\n\n";
  quoted += "data: [DONE]\n\n";
  EXPECT_EQ(c.interactions[0].response.body_bytes(), folded);
  EXPECT_EQ(c.interactions[1].response.body_bytes(), quoted);
  EXPECT_EQ(c.interactions[0].response.chunks.size(), 5u);
}

TEST(VcrTest, MalformedInputNamesTheLineOrTheField) {
  auto syntax = vcr_to_cassette("interactions:\n- request: {method: GET\n", "bad.yaml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(syntax.status().message().find("bad.yaml: YAML error: line "), std::string::npos)
      << syntax.status().message();
  auto field = vcr_to_cassette("interactions:\n- request:\n    method: GET\n  response:\n    status: {code: 99}\n",
                               "f.yaml");
  ASSERT_FALSE(field.ok());
  const std::string m = field.status().message();
  EXPECT_NE(m.find("interactions[0].request.uri: missing required field"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[0].response.status.code: expected an HTTP status"), std::string::npos) << m;
  auto other = vcr_to_cassette("just: text\n", "o.yaml");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("expected a VCR cassette"), std::string::npos);
}

TEST(WireMockTest, ImportsAMappingsFile) {
  auto c = load_wiremock(data_path("wiremock_stubs.json"));
  ASSERT_OK(c);
  ASSERT_EQ(c->interactions.size(), 3u);
  const Interaction& chat = c->interactions[0];
  EXPECT_EQ(chat.request.path, "/v1/chat/completions");
  EXPECT_EQ(chat.request.headers.get("authorization"), "Bearer sk-FAKE-wiremock-0123456789abcdef");
  EXPECT_EQ(chat.request.body.bytes, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(chat.response.body.encoding, BodyEncoding::kJson);
  EXPECT_EQ(chat.response.elapsed_ms, 120);

  const RecordedResponse& s = c->interactions[1].response;
  EXPECT_EQ(c->interactions[1].request.query, (QueryParams{{"api-version", "2024-10-21"}}));
  ASSERT_TRUE(s.streamed);
  ASSERT_EQ(s.chunks.size(), 3u);
  EXPECT_EQ(s.first_byte_ms, 50);
  EXPECT_EQ(s.chunks[0].offset_ms, 150);  // chunkedDribbleDelay: 300 ms over 3 events
  EXPECT_EQ(s.chunks[2].offset_ms, 350);
  EXPECT_EQ(s.elapsed_ms, 350);

  const Interaction& m = c->interactions[2];
  EXPECT_EQ(m.request.method, "GET");
  EXPECT_EQ(m.request.query, (QueryParams{{"limit", "2"}}));
  EXPECT_EQ(m.response.status, 429);
  EXPECT_EQ(m.response.headers.get("retry-after"), "2");
  EXPECT_EQ(m.response.headers.size(), 4u);  // two set-cookie values
}

TEST(WireMockTest, ImportsAMappingsDirectory) {
  auto c = load_wiremock(data_path("wiremock"));  // reads wiremock/mappings/*.json
  ASSERT_OK(c);
  ASSERT_EQ(c->interactions.size(), 2u);
  EXPECT_EQ(c->interactions[0].response.body.bytes, R"({"id":"chatcmpl-dir","choices":[]})");
  EXPECT_EQ(c->interactions[1].response.ending, Ending::kReset);
  EXPECT_EQ(c->interactions[1].id, "0002");
}

TEST(WireMockTest, RoundTripKeepsTheInteractions) {
  auto first = load_wiremock(data_path("wiremock_stubs.json"));
  ASSERT_OK(first);
  const std::string json = cassette_to_wiremock(*first);
  EXPECT_NE(json.find("\"equalToJson\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"chunkedDribbleDelay\""), std::string::npos) << json;
  auto second = wiremock_to_cassette({WireMockDocument{"exported.json", json}});
  ASSERT_OK(second);
  EXPECT_EQ(second->interactions, first->interactions);

  const std::vector<WireMockDocument> files = cassette_to_wiremock_files(*first);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].source, "0001-post-v1-chat-completions.json");
  auto third = wiremock_to_cassette(files);
  ASSERT_OK(third);
  EXPECT_EQ(third->interactions, first->interactions);
}

TEST(WireMockTest, AStreamedInteractionSurvives) {
  const Cassette c = testing::full_cassette();
  auto back = wiremock_to_cassette({WireMockDocument{"x.json", cassette_to_wiremock(c)}});
  ASSERT_OK(back);
  const RecordedResponse& got = back->interactions[1].response;
  ASSERT_TRUE(got.streamed);
  EXPECT_EQ(got.body_bytes(), c.interactions[1].response.body_bytes());
  EXPECT_EQ(got.chunks.size(), 3u);
  EXPECT_EQ(got.first_byte_ms, 80);
  EXPECT_EQ(got.elapsed_ms, 121);
  EXPECT_EQ(back->interactions[2].request.query, c.interactions[2].request.query);
  // A credential placeholder is not exported as a header matcher: it never matches live traffic.
  EXPECT_FALSE(back->interactions[0].request.headers.has("authorization"));
}

TEST(WireMockTest, RepeatedRequestsKeepTheirOrderAsAScenario) {
  Cassette c;
  for (const char* answer : {"first", "second", "third"}) {
    Interaction& in = c.interactions.emplace_back();
    in.request.method = "GET";
    in.request.path = "/v1/models";
    in.response.body = make_recorded_body(answer, "text/plain");
  }
  Interaction& other = c.interactions.emplace_back();
  other.request.method = "GET";
  other.request.path = "/v1/other";
  const std::string json = cassette_to_wiremock(c);
  EXPECT_NE(json.find("\"scenarioName\": \"ploke-1\",\n      \"requiredScenarioState\": \"Started\",\n"
                      "      \"newScenarioState\": \"2\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"requiredScenarioState\": \"3\"\n"), std::string::npos) << json;  // the last stays
  EXPECT_EQ(json.find("ploke-4"), std::string::npos) << json;  // not repeated: no scenario
  auto back = wiremock_to_cassette({WireMockDocument{"s.json", json}});
  ASSERT_OK(back);
  ASSERT_EQ(back->interactions.size(), 4u);
  EXPECT_EQ(back->interactions[1].response.body.bytes, "second");
}

TEST(WireMockTest, UnsupportedOrMalformedMappingsNameTheField) {
  auto pattern = wiremock_to_cassette(
      {WireMockDocument{"p.json", R"({"mappings":[{"request":{"method":"GET","urlPattern":"/v1/.*"},"response":{}}]})"}});
  ASSERT_FALSE(pattern.ok());
  EXPECT_NE(pattern.status().message().find("p.json: mappings[0].request.urlPattern: pattern URLs do not import"),
            std::string::npos)
      << pattern.status().message();
  auto matcher = wiremock_to_cassette({WireMockDocument{
      "m.json", R"({"request":{"method":"POST","url":"/x","bodyPatterns":[{"matchesJsonPath":"$.a"}]},"response":{}})"}});
  ASSERT_FALSE(matcher.ok());
  EXPECT_NE(matcher.status().message().find("request.bodyPatterns[0]: only equalToJson"), std::string::npos)
      << matcher.status().message();
  auto syntax = wiremock_to_cassette({WireMockDocument{"s.json", "{\n  \"request\": {\n    \"method\": ,\n"}});
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("s.json: JSON syntax error at line 3"), std::string::npos)
      << syntax.status().message();
}

TEST(SseSplitTest, OneChunkPerEvent) {
  const auto chunks = split_sse_events("data: a\n\ndata: b\r\n\r\ndata: c", 7);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].data, "data: a\n\n");
  EXPECT_EQ(chunks[1].data, "data: b\r\n\r\n");
  EXPECT_EQ(chunks[2].data, "data: c");
  EXPECT_EQ(chunks[2].offset_ms, 7);
  EXPECT_TRUE(split_sse_events("", 0).empty());
}

TEST(PerTestCassetteTest, NameRule) {
  for (const char* ok : {"chat", "suite/login-retry", "a.b_c-1/x/y", "v1.2"}) {
    EXPECT_TRUE(check_cassette_name(ok).ok()) << ok;
  }
  for (const char* bad : {"", "/abs", "trail/", "a//b", "../x", "a/../b", "./a", "sp ace", "a\\b", "q?x", "\xC3\xA9"}) {
    EXPECT_FALSE(check_cassette_name(bad).ok()) << bad;
  }
  EXPECT_FALSE(check_cassette_name(std::string(201, 'a')).ok());
  EXPECT_EQ(cassette_path_in("dir", "suite/x"), "dir/suite/x.json");
}

TEST(PerTestCassetteTest, ScopedStoreMatchesOnlyTheNamedCassette) {
  Cassette a = testing::full_cassette();
  a.name = "suite/a";
  Cassette b = testing::full_cassette();
  b.name = "b";
  b.interactions[0].response.body = make_recorded_body(R"({"id":"from-b"})", "application/json");
  ReplayOptions opts;
  opts.scope_by_cassette = true;
  auto store = ReplayStore::Create({a, b}, opts);
  ASSERT_OK(store);
  EXPECT_TRUE((*store)->scoped());
  EXPECT_TRUE((*store)->has_cassette("suite/a"));
  EXPECT_FALSE((*store)->has_cassette("suite"));
  const RecordedRequest live = a.interactions[0].request;
  ReplayResult ra = (*store)->match(live, "suite/a");
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(ra.ref->cassette, "suite/a");
  ReplayResult rb = (*store)->match(live, "b");
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb.interaction->response.body.bytes, R"({"id":"from-b"})");
  ReplayResult none = (*store)->match(live, "c");
  EXPECT_FALSE(none.ok());
  EXPECT_FALSE(none.near_miss.nearest.has_value());  // never another test's recording
}

}  // namespace
}  // namespace ploke::codec
