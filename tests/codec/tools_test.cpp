#include "ploke/codec/tools.h"

#include <gtest/gtest.h>

#include "codec_fixtures.h"
#include "ploke/codec/cassette_json.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

using testing::full_cassette;

TEST(LintTest, CleanCassetteHasNoFindings) {
  const LintReport rep = lint_cassette(serialize_cassette(full_cassette()), "fixture.json");
  EXPECT_TRUE(rep.parsed);
  EXPECT_TRUE(rep.ok()) << rep.to_string();
  EXPECT_EQ(rep.errors(), 0u);
  EXPECT_NE(rep.to_string().find("fixture.json: 0 error(s)"), std::string::npos);
}

TEST(LintTest, ReportsSecretsByPathWithoutTheValue) {
  Cassette c = full_cassette();
  const std::string key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz";  // fake key, planted
  c.interactions[0].request.headers.set("x-api-key", key);
  c.interactions[1].response.chunks[0].data = "data: {\"k\":\"" + key + "\"}\n\n";
  const LintReport rep = lint_cassette(serialize_cassette(c), "leaky.json");
  EXPECT_FALSE(rep.ok());
  const std::string text = rep.to_string();
  EXPECT_NE(text.find("leaky.json: error: interactions[0].request.headers.x-api-key: credential header is not redacted"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("interactions[1].response.chunks[0]: looks like a secret"), std::string::npos) << text;
  EXPECT_EQ(text.find(key), std::string::npos);
}

TEST(LintTest, SchemaErrorsAndConsistencyWarnings) {
  const LintReport bad = lint_cassette(R"({"format":"ploke-cassette","version":1,"interactions":[{"request":{}}]})", "bad.json");
  EXPECT_FALSE(bad.parsed);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.to_string().find("bad.json: error: interactions[0].request.method: missing required field"), std::string::npos)
      << bad.to_string();

  Cassette c = full_cassette();
  c.interactions[1].id = c.interactions[0].id;
  c.interactions[1].response.headers = Headers{};
  c.interactions[1].response.first_byte_ms = 500;
  const LintReport rep = lint_cassette(serialize_cassette(c), "dup.json");
  EXPECT_FALSE(rep.ok());
  const std::string t = rep.to_string();
  EXPECT_NE(t.find("error: interactions[1].id: duplicate id \"0001\""), std::string::npos) << t;
  EXPECT_NE(t.find("warning: interactions[1].response.headers: streamed response without content-type"), std::string::npos) << t;
  EXPECT_NE(t.find("warning: interactions[1].response.first_byte_ms: is after elapsed_ms"), std::string::npos) << t;
  EXPECT_NE(t.find("warning: interactions[1].response.chunks[0].offset_ms: is before first_byte_ms"), std::string::npos) << t;
}

TEST(LintTest, MalformedFileWithSecretStillFlagsIt) {
  const LintReport rep = lint_cassette("{\"x\": \"sk-proj-abcdefghijklmnopqrstuvwxyz\"", "t.json");  // fake key, planted
  EXPECT_FALSE(rep.ok());
  EXPECT_NE(rep.to_string().find("looks like a secret"), std::string::npos);
  EXPECT_EQ(rep.to_string().find("sk-proj-abcdefghijklmnop"), std::string::npos);
}

TEST(DiffTest, IdenticalCassettesHaveNoDifferences) {
  const CassetteDiff d = diff_cassettes(full_cassette(), full_cassette());
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.to_string(), "no differences\n");
}

TEST(DiffTest, ReportsRequestAndResponseDifferencesPerInteraction) {
  Cassette a = full_cassette();
  Cassette b = full_cassette();
  b.name = "renamed";
  b.interactions[0].request.body = make_recorded_body(R"({"model":"gpt-4o","messages":[{"role":"user","content":"yo"}]})", "application/json");
  b.interactions[0].response.status = 500;
  b.interactions[0].response.headers.set("x-request-id", "req_999");
  b.interactions[1].response.chunks[0].data = "data: changed\n\n";
  b.interactions[1].response.chunks[0].offset_ms = 300;
  b.interactions.pop_back();
  const CassetteDiff d = diff_cassettes(a, b);
  const std::string t = d.to_string();
  EXPECT_NE(t.find("name changed: \"fixture\" -> \"renamed\""), std::string::npos) << t;
  EXPECT_NE(t.find("interactions[0] (id 0001):\n  request changed messages[0].content: \"hi\" -> \"yo\""), std::string::npos) << t;
  EXPECT_NE(t.find("response status changed: 200 -> 500"), std::string::npos) << t;
  EXPECT_NE(t.find("response header changed x-request-id: \"req_123\" -> \"req_999\""), std::string::npos) << t;
  EXPECT_NE(t.find("response chunks[0] changed: "), std::string::npos) << t;
  EXPECT_EQ(t.find("offset_ms"), std::string::npos) << "timing ignored by default\n" << t;
  EXPECT_NE(t.find("interactions[3] (id 0004):\n  only in A: POST /v1/audio"), std::string::npos) << t;

  DiffOptions timing;
  timing.compare_timing = true;
  timing.timing_tolerance_ms = 1;
  EXPECT_NE(diff_cassettes(a, b, timing).to_string().find("response chunks[0].offset_ms changed: 80.125 -> 300"),
            std::string::npos);
}

TEST(HarTest, RoundTripIsLossless) {
  const Cassette c = full_cassette();
  const std::string har = cassette_to_har(c);
  EXPECT_NE(har.find("\"version\": \"1.2\""), std::string::npos);
  EXPECT_NE(har.find("\"_chunks\""), std::string::npos);
  EXPECT_NE(har.find("\"url\": \"https://api.openai.com/v1/models?limit=5&after=a%20b%26c\""), std::string::npos) << har;
  auto back = har_to_cassette(har, "x.har");
  ASSERT_OK(back);
  EXPECT_EQ(*back, c);
  EXPECT_EQ(serialize_cassette(*back), serialize_cassette(c));
}

TEST(HarTest, RoundTripKeepsUpstreamPathPrefix) {
  Cassette c = full_cassette();
  c.upstream = "https://openrouter.ai/api";
  auto back = har_to_cassette(cassette_to_har(c), "x.har");
  ASSERT_OK(back);
  EXPECT_EQ(*back, c);
}

TEST(HarTest, ImportsAForeignHar) {
  const std::string har = R"({"log":{"version":"1.2","creator":{"name":"browser","version":"1"},"entries":[
    {"startedDateTime":"2026-01-01T00:00:00Z","time":50,
     "request":{"method":"POST","url":"https://api.openai.com/v1/chat/completions?x=1","httpVersion":"HTTP/1.1",
                "headers":[{"name":"Content-Type","value":"application/json"}],"queryString":[{"name":"x","value":"1"}],
                "postData":{"mimeType":"application/json","text":"{\"model\":\"m\"}"},"headersSize":-1,"bodySize":13},
     "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],
                 "content":{"size":20,"mimeType":"text/event-stream","text":"data: a\n\ndata: b\n\n"},
                 "redirectURL":"","headersSize":-1,"bodySize":20},
     "cache":{},"timings":{"send":0,"wait":30,"receive":20}}]}})";
  auto c = har_to_cassette(har, "b.har");
  ASSERT_OK(c);
  EXPECT_EQ(c->upstream, "https://api.openai.com");
  ASSERT_EQ(c->interactions.size(), 1u);
  const Interaction& i = c->interactions[0];
  EXPECT_EQ(i.request.path, "/v1/chat/completions");
  EXPECT_EQ(i.request.query, (QueryParams{{"x", "1"}}));
  EXPECT_EQ(i.request.body.encoding, BodyEncoding::kJson);
  EXPECT_TRUE(i.response.streamed);
  ASSERT_EQ(i.response.chunks.size(), 1u);
  EXPECT_EQ(i.response.chunks[0].offset_ms, 30);
  EXPECT_EQ(i.response.elapsed_ms, 50);
}

TEST(HarTest, BadHarNamesTheField) {
  auto r = har_to_cassette(R"({"log":{"entries":[{"request":{"url":"http://x/y"},"response":{"status":"200"}}]}})", "bad.har");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(r.status().message().find("bad.har: 2 errors:\n  log.entries[0].request.method: missing required field"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("log.entries[0].response.status"), std::string::npos);
  auto t = har_to_cassette("{\"log\":", "trunc.har");
  EXPECT_NE(t.status().message().find("trunc.har: JSON syntax error at byte"), std::string::npos);
}

}  // namespace
}  // namespace ploke::codec
