#include "ploke/codec/redact.h"

#include <gtest/gtest.h>

#include "codec_fixtures.h"
#include "ploke/codec/cassette_json.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

// Planted secrets (fake, but shaped like the real thing).
const std::string kOpenAI = "sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUvWx";
const std::string kAnthropic = "sk-ant-api03-ZyXwVu9876543210TsRqPoNmLkJi";
const std::string kOpenRouter = "sk-or-v1-0123456789abcdef0123456789abcdef";
const std::string kOpaqueToken = "tok_9f8e7d6c5b4a3210zyxw";  // no provider pattern: only found structurally
const std::string kOrg = "org-Q1w2E3r4T5y6U7i8";
const std::string kPassword = "hunter2-correct-horse";
const std::string kSplitKey = "sk-proj-SPLITSPLITSPLIT0123456789abcdef";

Interaction planted_json_interaction() {
  Interaction i;
  i.id = "0001";
  i.request.method = "POST";
  i.request.path = "/v1/chat/completions";
  i.request.query = {{"key", kOpenRouter}, {"limit", "5"}, {"note", "uses " + kAnthropic}};
  i.request.headers.add("Authorization", "Bearer " + kOpaqueToken);
  i.request.headers.add("x-api-key", kAnthropic);
  i.request.headers.add("OpenAI-Organization", kOrg);
  i.request.headers.add("OpenAI-Project", "proj_abcdefgh12345");
  i.request.headers.add("Cookie", "session=" + kOpaqueToken + "x; theme=dark");
  i.request.headers.add("X-Stainless-Retry-Count", "0");
  i.request.headers.add("Content-Type", "application/json");
  i.request.headers.add("anthropic-version", "2023-06-01");
  i.request.body = make_recorded_body(
      R"({"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"my key is )" + kOpenAI +
          R"("}],"metadata":{"deep":{"api_key":"whatever-secret-123","password":")" + kPassword +
          R"(","client":{"refresh_token":["a","b"]}}},"prompt_cache_key":"cache-1"})",
      "application/json");
  i.response.status = 401;
  i.response.headers.add("content-type", "application/json");
  i.response.headers.add("set-cookie", "__cf_bm=abcdefghijklmnop; path=/");
  i.response.headers.add("openai-organization", kOrg);
  i.response.headers.add("x-request-id", "req_1");
  i.response.body = make_recorded_body(
      R"({"error":{"message":"Incorrect API key provided: )" + kOpenAI + R"(. Token )" + kOpaqueToken +
          R"( rejected.","type":"invalid_request_error","code":"invalid_api_key"}})",
      "application/json");
  return i;
}

Interaction planted_stream_interaction() {
  Interaction i;
  i.id = "0002";
  i.request.method = "POST";
  i.request.path = "/v1/chat/completions";
  i.request.headers.add("authorization", "Bearer " + kOpenAI);
  i.request.body = make_recorded_body(R"({"model":"gpt-4o","stream":true})", "application/json");
  i.response.status = 200;
  i.response.streamed = true;
  i.response.headers.add("content-type", "text/event-stream");
  i.response.chunks.push_back({1, "data: {\"delta\":\"" + kAnthropic + "\"}\n\n"});
  // A key split across two chunks.
  i.response.chunks.push_back({2, "data: {\"delta\":\"" + kSplitKey.substr(0, 14)});
  i.response.chunks.push_back({3, kSplitKey.substr(14) + " and Bearer " + kOpaqueToken + "\"}\n\n"});
  i.response.chunks.push_back({4, "data: {\"error\":{\"message\":\"bad key " + kOpenRouter + "\"}}\n\n"});
  i.response.chunks.push_back({5, "data: [DONE]\n\n"});
  return i;
}

Cassette planted_cassette() {
  Cassette c;
  c.name = "planted";
  c.interactions = {planted_json_interaction(), planted_stream_interaction()};
  return c;
}

Cassette redacted(const Cassette& c, const RedactionRules& rules = RedactionRules::Defaults()) {
  Cassette out = c;
  for (auto& i : out.interactions) i = redact_interaction(std::move(i), rules);
  return out;
}

void expect_no_secret(const std::string& text) {
  for (const std::string& s : {kOpenAI, kAnthropic, kOpenRouter, kOpaqueToken, kOrg, kPassword, kSplitKey,
                               std::string("whatever-secret-123"), kSplitKey.substr(14)}) {
    EXPECT_EQ(text.find(s), std::string::npos) << "leaked: " << s << "\n" << text;
  }
}

TEST(RedactTest, PlantedKeysAppearNowhereInTheSerializedCassette) {
  const Cassette c = redacted(planted_cassette());
  const std::string text = serialize_cassette(c);
  expect_no_secret(text);
  // And the file still parses.
  EXPECT_OK(parse_cassette(text, "planted.json"));
}

TEST(RedactTest, CredentialHeadersBecomeStablePlaceholders) {
  const Interaction i = redact_interaction(planted_json_interaction(), RedactionRules::Defaults());
  const Headers& h = i.request.headers;
  EXPECT_EQ(h.get("authorization"), "[REDACTED:authorization]");
  EXPECT_EQ(h.get("x-api-key"), "[REDACTED:x-api-key]");
  EXPECT_EQ(h.get("openai-organization"), "[REDACTED:openai-organization]");
  EXPECT_EQ(h.get("openai-project"), "[REDACTED:openai-project]");
  EXPECT_EQ(h.get("cookie"), "[REDACTED:cookie]");
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("anthropic-version"), "2023-06-01");
  EXPECT_FALSE(h.has("x-stainless-retry-count")) << "unlisted request headers are dropped";
  EXPECT_EQ(i.response.headers.get("set-cookie"), "[REDACTED:set-cookie]");
  EXPECT_EQ(i.response.headers.get("openai-organization"), "[REDACTED:openai-organization]");
  EXPECT_EQ(i.response.headers.get("x-request-id"), "req_1") << "response headers are kept";
}

TEST(RedactTest, QueryAndNestedBodyFields) {
  const Interaction i = redact_interaction(planted_json_interaction(), RedactionRules::Defaults());
  ASSERT_EQ(i.request.query.size(), 3u);
  EXPECT_EQ(i.request.query[0].second, "[REDACTED:key]");
  EXPECT_EQ(i.request.query[1].second, "5");
  EXPECT_EQ(i.request.query[2].second, "uses [REDACTED:x-api-key]");  // known value wins over the pattern
  const std::string& body = i.request.body.bytes;
  EXPECT_NE(body.find(R"("api_key":"[REDACTED:api_key]")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("password":"[REDACTED:password]")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("refresh_token":"[REDACTED:refresh_token]")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("content":"my key is [REDACTED]")"), std::string::npos) << body;
  // Not secrets: token counts and cache keys survive, and key order is kept.
  EXPECT_NE(body.find(R"({"model":"gpt-4o","max_tokens":5,)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("prompt_cache_key":"cache-1")"), std::string::npos) << body;
  EXPECT_EQ(i.request.body.encoding, BodyEncoding::kJson);
}

TEST(RedactTest, ErrorMessagesEchoingTheKeyAreScrubbed) {
  const Interaction i = redact_interaction(planted_json_interaction(), RedactionRules::Defaults());
  const std::string& body = i.response.body.bytes;
  EXPECT_NE(body.find("Incorrect API key provided: [REDACTED]."), std::string::npos) << body;
  // The opaque bearer token matches no pattern but was removed from the Authorization header:
  // its echo is replaced with that header's placeholder.
  EXPECT_NE(body.find("Token [REDACTED:authorization] rejected."), std::string::npos) << body;
}

TEST(RedactTest, SseChunksKeepTheirCountAndAKeySplitAcrossChunksIsRemoved) {
  const Interaction before = planted_stream_interaction();
  const Interaction i = redact_interaction(before, RedactionRules::Defaults());
  ASSERT_EQ(i.response.chunks.size(), before.response.chunks.size());
  EXPECT_EQ(i.response.chunks[0].data, "data: {\"delta\":\"[REDACTED]\"}\n\n");
  EXPECT_EQ(i.response.chunks[1].data, "data: {\"delta\":\"[REDACTED]");
  EXPECT_EQ(i.response.chunks[2].data, " and Bearer [REDACTED]\"}\n\n");
  EXPECT_EQ(i.response.chunks[4].data, "data: [DONE]\n\n");
  for (size_t k = 0; k < i.response.chunks.size(); ++k) {
    EXPECT_EQ(i.response.chunks[k].offset_ms, before.response.chunks[k].offset_ms);
  }
}

TEST(RedactTest, RedactionIsStableAndIdempotent) {
  const Cassette once = redacted(planted_cassette());
  const Cassette twice = redacted(once);
  EXPECT_EQ(serialize_cassette(once), serialize_cassette(twice));
  // A different key gives the same placeholder: re-recording diffs cleanly.
  Interaction other = planted_stream_interaction();
  other.request.headers.set("authorization", "Bearer sk-proj-ANOTHERkey0123456789abcdefgh");
  EXPECT_EQ(redact_interaction(other, RedactionRules::Defaults()).request.headers.get("authorization"),
            redact_interaction(planted_stream_interaction(), RedactionRules::Defaults()).request.headers.get("authorization"));
}

TEST(RedactTest, UntouchedJsonBodyKeepsExactBytes) {
  Interaction i;
  i.request.path = "/v1/x";
  const std::string pretty = "{\n  \"model\": \"gpt-4o\",\n  \"max_tokens\": 10\n}";
  i.request.body = make_recorded_body(pretty, "application/json");
  i.response.body = make_recorded_body(pretty, "application/json");
  const Interaction r = redact_interaction(i, RedactionRules::Defaults());
  EXPECT_EQ(r.request.body, i.request.body);
  EXPECT_EQ(r.response.body, i.response.body);
}

TEST(RedactTest, SchemaObjectsUnderSensitiveNamesAreWalkedNotReplaced) {
  Interaction i;
  i.request.path = "/v1/x";
  i.request.body = make_recorded_body(
      R"({"tools":[{"function":{"parameters":{"properties":{"password":{"type":"string"},"key":{"type":"string","description":"sk-proj-abcdefghijklmnopqrstu"}}}}}]})",
      "application/json");
  const Interaction r = redact_interaction(i, RedactionRules::Defaults());
  EXPECT_EQ(r.request.body.bytes,
            R"({"tools":[{"function":{"parameters":{"properties":{"password":{"type":"string"},"key":{"type":"string","description":"[REDACTED]"}}}}}]})");
  Cassette c;
  c.interactions.push_back(r);
  EXPECT_TRUE(scan_for_secrets(c).empty());
}

TEST(RedactTest, ChangedPrettyBodyKeepsItsIndent) {
  Interaction i;
  i.request.path = "/v1/x";
  i.request.body = make_recorded_body("{\n  \"api_key\": \"abc\"\n}", "application/json");
  const Interaction r = redact_interaction(i, RedactionRules::Defaults());
  EXPECT_EQ(r.request.body.bytes, "{\n  \"api_key\": \"[REDACTED:api_key]\"\n}");
  EXPECT_EQ(r.request.body.json_indent, 2);
}

TEST(RedactTest, ExtraRulesFromConfig) {
  RedactionConfig cfg;
  cfg.headers = {"X-Custom-Auth"};
  cfg.query_params = {"sig"};
  cfg.body_fields = {"ssn"};
  cfg.json_paths = {"metadata.email", "messages[*].name"};
  cfg.patterns = {"acct_[0-9]{6,}"};
  cfg.keep_request_headers = {"x-trace"};
  auto rules = RedactionRules::Create(cfg);
  ASSERT_OK(rules);
  Interaction i;
  i.request.path = "/v1/x";
  i.request.query = {{"sig", "abcdef"}};
  i.request.headers.add("x-custom-auth", "let-me-in-please");
  i.request.headers.add("x-trace", "t1");
  i.request.body = make_recorded_body(
      R"({"metadata":{"email":"a@b.c"},"messages":[{"name":"alice","content":"acct_1234567"}],"ssn":"123"})",
      "application/json");
  i.response.body = make_recorded_body("echo let-me-in-please", "text/plain");
  const Interaction r = redact_interaction(i, *rules);
  EXPECT_EQ(r.request.headers.get("x-custom-auth"), "[REDACTED:x-custom-auth]");
  EXPECT_EQ(r.request.headers.get("x-trace"), "t1");
  EXPECT_EQ(r.request.query[0].second, "[REDACTED:sig]");
  EXPECT_EQ(r.request.body.bytes,
            R"({"metadata":{"email":"[REDACTED:metadata.email]"},"messages":[{"name":"[REDACTED:messages[*].name]","content":"[REDACTED]"}],"ssn":"[REDACTED:ssn]"})");
  EXPECT_EQ(r.response.body.bytes, "echo [REDACTED:x-custom-auth]");
}

TEST(RedactTest, InvalidRulesAreRejectedWithTheirIndex) {
  RedactionConfig cfg;
  cfg.patterns = {"ok", "([unclosed"};
  cfg.json_paths = {"a..b"};
  auto rules = RedactionRules::Create(cfg);
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(rules.status().message().find("patterns[1]: invalid regex"), std::string::npos) << rules.status().message();
  EXPECT_NE(rules.status().message().find("json_paths[0]"), std::string::npos);
}

TEST(RedactTest, ScanFindsUnredactedSecretsWithoutPrintingThem) {
  const auto findings = scan_for_secrets(planted_cassette());
  ASSERT_FALSE(findings.empty());
  std::string all;
  for (const auto& f : findings) all += f.to_string() + "\n";
  EXPECT_NE(all.find("interactions[0].request.headers.authorization: credential header is not redacted"), std::string::npos) << all;
  EXPECT_NE(all.find("interactions[0].request.query.key: sensitive query parameter is not redacted"), std::string::npos) << all;
  EXPECT_NE(all.find("interactions[0].request.body.metadata.deep.api_key: sensitive field is not redacted"), std::string::npos) << all;
  EXPECT_NE(all.find("interactions[0].response.body.error.message: looks like a secret"), std::string::npos) << all;
  EXPECT_NE(all.find("interactions[1].response.chunks[0]: looks like a secret"), std::string::npos) << all;
  expect_no_secret(all);
  EXPECT_TRUE(scan_for_secrets(redacted(planted_cassette())).empty());
}

TEST(RedactTest, ScanFindsAKeySplitAcrossChunks) {
  Cassette c;
  Interaction i;
  i.request.path = "/v1/x";
  i.response.streamed = true;
  i.response.chunks = {{1, "data: " + kSplitKey.substr(0, 10)}, {2, kSplitKey.substr(10) + "\n\n"}};
  c.interactions.push_back(i);
  const auto findings = scan_for_secrets(c);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].path, "interactions[0].response.chunks");
}

TEST(RedactTest, PlaceholderHelpers) {
  EXPECT_EQ(redaction_placeholder("X-Api-Key"), "[REDACTED:x-api-key]");
  EXPECT_TRUE(is_redaction_placeholder("[REDACTED]"));
  EXPECT_TRUE(is_redaction_placeholder("[REDACTED:authorization]"));
  EXPECT_FALSE(is_redaction_placeholder("[REDACTED:"));
  EXPECT_FALSE(is_redaction_placeholder("sk-proj-abc"));
}

}  // namespace
}  // namespace ploke::codec
