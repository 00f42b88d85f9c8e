// Redaction by value in the codec (registered secrets, split SSE chunks), HAR import and
// `cassette redact` (redact_and_serialize), diff output, and lower-case header names.
#include <gtest/gtest.h>

#include "ploke/codec/cassette_json.h"
#include "ploke/codec/recording.h"
#include "ploke/codec/redact.h"
#include "ploke/codec/tools.h"
#include "ploke/core/secret_registry.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

// Planted fake keys. kOpaque has no provider prefix: patterns alone never catch it.
const std::string kOpaque = "zq7Opaque9Tok3nNoPrefix4242";
const std::string kCookie = "sess-8c1f0e2d9b7a6c5d";
const std::string kQueryKey = "AIzaQueryKey0123456789xyz";
const std::string kBodyKey = "body-secret-9988776655";

class RedactByValueTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_registered_secrets_for_testing(); }
  void TearDown() override { clear_registered_secrets_for_testing(); }
};

Interaction streamed_echo(const std::vector<std::string>& chunks) {
  Interaction i;
  i.id = "0001";
  i.request.method = "POST";
  i.request.path = "/v1/chat/completions";
  i.request.body = make_recorded_body(R"({"model":"m","stream":true})", "application/json");
  i.response.status = 200;
  i.response.headers.add("content-type", "text/event-stream");
  i.response.streamed = true;
  double t = 1;
  for (const auto& c : chunks) i.response.chunks.push_back({t++, c});
  return i;
}

TEST_F(RedactByValueTest, RegisteredOpaqueKeyIsRedactedByTheCodecRules) {
  const RedactionRules rules = RedactionRules::Defaults();
  const std::string text = "upstream error: key " + kOpaque + " is not valid";
  EXPECT_EQ(rules.redact_text(text), text);  // unknown: nothing to recognise it by
  register_secret(kOpaque);
  EXPECT_EQ(rules.redact_text(text), "upstream error: key [REDACTED] is not valid");
  EXPECT_TRUE(rules.text_has_secret(text));
}

TEST_F(RedactByValueTest, RegisteredKeySplitAcrossSseChunksIsRedactedInTheCassette) {
  register_secret(kOpaque);
  const std::string a = "data: {\"error\":{\"message\":\"bad key " + kOpaque.substr(0, 9);
  const std::string b = kOpaque.substr(9, 10);
  const std::string c = kOpaque.substr(19) + "\"}}\n\ndata: [DONE]\n\n";
  Interaction i = redact_interaction(streamed_echo({a, b, c}), RedactionRules::Defaults());
  ASSERT_EQ(i.response.chunks.size(), 3u);  // boundaries kept
  Cassette cas;
  cas.interactions.push_back(i);
  const std::string out = serialize_cassette(cas);
  EXPECT_EQ(out.find(kOpaque.substr(0, 9)), std::string::npos);
  EXPECT_EQ(out.find(kOpaque.substr(9, 10)), std::string::npos);
  EXPECT_EQ(out.find(kOpaque.substr(19)), std::string::npos);
  EXPECT_NE(i.response.chunks[0].data.find("[REDACTED]"), std::string::npos);
}

std::string planted_har() {
  return R"({"log":{"version":"1.2","creator":{"name":"browser","version":"1"},"entries":[
    {"startedDateTime":"2026-01-01T00:00:00Z","time":50,
     "request":{"method":"POST","url":"https://api.example.com/v1/chat/completions?key=)" + kQueryKey + R"(","httpVersion":"HTTP/1.1",
                "headers":[{"name":"Content-Type","value":"application/json"},
                           {"name":"Authorization","value":"Bearer )" + kOpaque + R"("},
                           {"name":"Cookie","value":"session=)" + kCookie + R"("},
                           {"name":"X-Api-Key","value":")" + kOpaque + R"("}],
                "queryString":[{"name":"key","value":")" + kQueryKey + R"("}],
                "postData":{"mimeType":"application/json","text":"{\"model\":\"m\",\"api_key\":\")" + kBodyKey + R"(\"}"},
                "headersSize":-1,"bodySize":13},
     "response":{"status":401,"statusText":"Unauthorized","httpVersion":"HTTP/1.1",
                 "headers":[{"name":"Content-Type","value":"application/json"},{"name":"Set-Cookie","value":"s=)" + kCookie + R"("}],
                 "content":{"size":20,"mimeType":"application/json","text":"{\"error\":{\"message\":\"bad key )" + kOpaque + R"(\"}}"},
                 "redirectURL":"","headersSize":-1,"bodySize":20},
     "cache":{},"timings":{"send":0,"wait":30,"receive":20}}]}})";
}

TEST_F(RedactByValueTest, HarImportRedactsLikeRecordAndPassesLint) {
  auto c = har_to_cassette(planted_har(), "planted.har");
  ASSERT_OK(c);
  auto text = redact_and_serialize(*c, RedactionRules::Defaults(), "out.json");
  ASSERT_OK(text);
  for (const std::string& k : {kOpaque, kCookie, kQueryKey, kBodyKey}) EXPECT_EQ(text->find(k), std::string::npos) << k;
  EXPECT_NE(text->find("\"authorization\": \"[REDACTED:authorization]\""), std::string::npos) << *text;
  EXPECT_NE(text->find("\"content-type\""), std::string::npos);  // names stored in lower case
  EXPECT_EQ(text->find("Content-Type"), std::string::npos);
  EXPECT_TRUE(lint_cassette(*text, "out.json").ok());
  EXPECT_EQ(registered_secret_count(), 0u);  // a file's keys are redacted structurally, not registered
}

TEST_F(RedactByValueTest, RedactAndSerializeRefusesWhatLintWouldReject) {
  Cassette c;
  Interaction i = streamed_echo({"data: x\n\n"});
  i.response.status = 42;  // not an HTTP status: the schema check rejects it
  c.interactions.push_back(i);
  auto text = redact_and_serialize(c, RedactionRules::Defaults(), "bad.json");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("bad.json"), std::string::npos);
  EXPECT_NE(text.status().message().find("lint"), std::string::npos);
}

TEST_F(RedactByValueTest, DiffShowsDifferencesButNeverTheSecretValues) {
  auto a = har_to_cassette(planted_har(), "a.har");
  ASSERT_OK(a);
  Cassette b = *a;
  b.interactions[0].request.headers.set("X-Api-Key", "another-opaque-key-777");
  const std::string raw = diff_cassettes(*a, b).to_string();
  ASSERT_NE(raw.find("another-opaque-key-777"), std::string::npos) << raw;  // the plain diff shows it
  const std::string text = redacted_diff_text(*a, b, {});
  EXPECT_FALSE(text.empty());
  EXPECT_NE(text.find("x-api-key"), std::string::npos) << text;
  for (const std::string& k : {kOpaque, kCookie, kQueryKey, kBodyKey, std::string("another-opaque-key-777")}) {
    EXPECT_EQ(text.find(k), std::string::npos) << k << "\n" << text;
  }
}

TEST_F(RedactByValueTest, HeaderNamesAreStoredInLowerCaseAndLoadedInEitherCase) {
  HttpRequest http;
  http.method = "POST";
  http.path = "/v1/chat/completions";
  http.headers.add("Content-Type", "application/json");
  http.headers.add("Anthropic-Version", "2023-06-01");
  http.body = "{}";
  InteractionBuilder b(http, "0001", "2026-01-01T00:00:00Z");
  Headers rh;
  rh.add("Content-Type", "application/json");
  rh.add("X-Request-Id", "req_1");
  b.on_head(std::chrono::milliseconds(5), 200, rh);
  b.on_body(std::chrono::milliseconds(6), "{}");
  Interaction i = std::move(b).finish(std::chrono::milliseconds(7), Ending::kComplete, RedactionRules::Defaults());
  EXPECT_EQ(i.request.headers.items()[0].first, "content-type");
  EXPECT_EQ(i.response.headers.items()[1].first, "x-request-id");
  Cassette c;
  i.response.headers.add("X-Mixed-Case", "v");  // the writer lower-cases whatever it is given
  c.interactions.push_back(i);
  const std::string text = serialize_cassette(c);
  EXPECT_NE(text.find("\"x-mixed-case\""), std::string::npos);
  EXPECT_EQ(text.find("X-"), std::string::npos);
  // The loader accepts either case.
  std::string upper = text;
  upper.replace(upper.find("\"x-mixed-case\""), 14, "\"X-Mixed-Case\"");
  auto loaded = parse_cassette(upper, "upper.json");
  ASSERT_OK(loaded);
  EXPECT_EQ(loaded->interactions[0].response.headers.get("x-mixed-case"), "v");
}

}  // namespace
}  // namespace ploke::codec
