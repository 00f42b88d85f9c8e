#include "ploke/codec/cassette_json.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "codec_fixtures.h"
#include "ploke/codec/matcher.h"
#include "ploke/core/file_io.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

using testing::full_cassette;

std::string valid_text() { return serialize_cassette(full_cassette()); }

Status parse_status(const std::string& text) {
  auto r = parse_cassette(text, "cassettes/x.json");
  return r.ok() ? Status::Ok() : r.status();
}

TEST(CassetteJsonTest, RoundTripIsByteStableAndLossless) {
  const Cassette c = full_cassette();
  const std::string s1 = serialize_cassette(c);
  auto parsed = parse_cassette(s1, "fixture.json");
  ASSERT_OK(parsed);
  EXPECT_EQ(*parsed, c);
  EXPECT_EQ(serialize_cassette(*parsed), s1);
}

// The writer escapes through ploke::json: names, paths and header values with quotes,
// controls and invalid UTF-8 still give a cassette the strict reader accepts (invalid
// sequences read back as U+FFFD).
TEST(CassetteJsonTest, WriterEmitsValidJsonForAnyStringBytes) {
  Cassette c = full_cassette();
  c.name = "n\xff\"q\"\n\x01";
  c.interactions[0].request.path = "/v1/\xc0\xaf";
  c.interactions[0].request.headers.add("x-odd", "v\xed\xa0\x80\t\\");
  const std::string text = serialize_cassette(c);
  auto parsed = parse_cassette(text, "odd.json");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->name, "n\xef\xbf\xbd\"q\"\n\x01");
  EXPECT_EQ(parsed->interactions[0].request.path, "/v1/\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(parsed->interactions[0].request.headers.get("x-odd"), "v\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\t\\");
}

TEST(CassetteJsonTest, BodiesKeepExactBytes) {
  const Cassette c = full_cassette();
  auto parsed = parse_cassette(serialize_cassette(c), "fixture.json");
  ASSERT_OK(parsed);
  for (size_t i = 0; i < c.interactions.size(); ++i) {
    EXPECT_EQ(parsed->interactions[i].request.body.bytes, c.interactions[i].request.body.bytes) << i;
    EXPECT_EQ(parsed->interactions[i].response.body_bytes(), c.interactions[i].response.body_bytes()) << i;
    ASSERT_EQ(parsed->interactions[i].response.chunks.size(), c.interactions[i].response.chunks.size());
    for (size_t k = 0; k < c.interactions[i].response.chunks.size(); ++k) {
      EXPECT_EQ(parsed->interactions[i].response.chunks[k], c.interactions[i].response.chunks[k]);
    }
  }
}

TEST(CassetteJsonTest, JsonBodiesAreEmbeddedAsJsonAndChunksOnePerLine) {
  const std::string s = valid_text();
  // Embedded, pretty-printed, not an escaped string.
  EXPECT_NE(s.find("\"body_encoding\": \"json\""), std::string::npos);
  EXPECT_NE(s.find("\"model\": \"gpt-4o\""), std::string::npos);
  // The pretty-printed response body remembers its indent.
  EXPECT_NE(s.find("\"body_indent\": 2"), std::string::npos);
  EXPECT_NE(s.find("\n          {\"offset_ms\": 80.125, \"data\": \"data: {"), std::string::npos) << s;
  // A chunk that splits a UTF-8 sequence is stored as base64, byte-exact.
  EXPECT_NE(s.find("\"data_base64\": "), std::string::npos);
  // Repeated headers become an array.
  EXPECT_NE(s.find("\"set-cookie\": [\"[REDACTED:set-cookie]\", \"[REDACTED:set-cookie]\"]"), std::string::npos);
  EXPECT_EQ(s.back(), '\n');
}

TEST(CassetteJsonTest, KeyOrderIsStable) {
  const std::string s = valid_text();
  const auto pos = [&](const char* k) { return s.find(k); };
  EXPECT_LT(pos("\"format\""), pos("\"version\""));
  EXPECT_LT(pos("\"version\""), pos("\"name\""));
  EXPECT_LT(pos("\"synthetic\""), pos("\"interactions\""));
  EXPECT_LT(pos("\"request\""), pos("\"response\""));
  EXPECT_LT(pos("\"method\""), pos("\"path\""));
}

TEST(CassetteJsonTest, MakeRecordedBodyPicksAnExactEncoding) {
  auto compact = make_recorded_body(R"({"a":1,"b":[true,null]})", "application/json");
  EXPECT_EQ(compact.encoding, BodyEncoding::kJson);
  EXPECT_EQ(compact.json_indent, -1);
  auto pretty = make_recorded_body("{\n  \"a\": 1\n}", "application/json; charset=utf-8");
  EXPECT_EQ(pretty.encoding, BodyEncoding::kJson);
  EXPECT_EQ(pretty.json_indent, 2);
  // Not reproducible by re-serializing (exponent, spacing): text keeps the bytes.
  EXPECT_EQ(make_recorded_body(R"({"a": 1e5})", "application/json").encoding, BodyEncoding::kText);
  EXPECT_EQ(make_recorded_body(R"({"a":1})", "text/plain").encoding, BodyEncoding::kText);
  EXPECT_EQ(make_recorded_body(std::string("\xFF\xFE", 2), "").encoding, BodyEncoding::kBase64);
  EXPECT_EQ(make_recorded_body("", "application/json").encoding, BodyEncoding::kEmpty);
}

TEST(CassetteJsonTest, JsonBodiesOfEveryShapeReloadByteExact) {
  const std::string bodies[] = {
      R"({"a":[],"b":{},"c":[{}],"d":[[]],"e":null,"f":true,"g":false})",
      R"({"n":-12,"big":18446744073709551615,"neg":-9223372036854775808,"f":0.25,"e":1e-07})",
      "{\"s\":\"caf\xC3\xA9 \\\"q\\\" \\\\ \\n\\t\\u0001 \x7F \xF0\x9F\x98\x80\"}",
      R"([1,"two",[3,[4,[5]]],{"k":{"k":{"k":"v"}}}])",
      "{\n  \"model\": \"gpt-4o\",\n  \"messages\": [\n    {\n      \"role\": \"user\"\n    }\n  ],\n  \"empty\": []\n}",
      "[\n    1,\n    {\n        \"a\": \"b\"\n    }\n]",
      R"({"dup":1,"dup":2})",
  };
  Cassette c;
  for (const auto& b : bodies) {
    Interaction i;
    i.request.path = "/v1/x";
    i.request.body = make_recorded_body(b, "application/json");
    i.response.body = make_recorded_body(b, "application/json");
    c.interactions.push_back(i);
  }
  auto parsed = parse_cassette(serialize_cassette(c), "shapes.json");
  ASSERT_OK(parsed);
  for (size_t k = 0; k < c.interactions.size(); ++k) {
    EXPECT_EQ(parsed->interactions[k].request.body, c.interactions[k].request.body) << bodies[k];
    EXPECT_EQ(parsed->interactions[k].response.body.bytes, bodies[k]);
  }
  for (size_t k = 0; k < 6; ++k) EXPECT_EQ(c.interactions[k].request.body.encoding, BodyEncoding::kJson) << bodies[k];
  EXPECT_EQ(c.interactions[4].request.body.json_indent, 2);
  EXPECT_EQ(c.interactions[5].request.body.json_indent, 4);
}

TEST(CassetteJsonTest, RecordedRequestFromHttpSplitsQuery) {
  HttpRequest h;
  h.method = "GET";
  h.path = "/v1/models?limit=5&q=a%20b";
  h.headers.add("Authorization", "Bearer x");
  auto r = recorded_request_from_http(h);
  EXPECT_EQ(r.path, "/v1/models");
  ASSERT_EQ(r.query.size(), 2u);
  EXPECT_EQ(r.query[1].second, "a b");
  EXPECT_EQ(r.body.encoding, BodyEncoding::kEmpty);
}

TEST(CassetteJsonTest, LiveRequestFromHttpSkipsClassification) {
  HttpRequest h;
  h.path = "/v1/chat/completions?x=1";
  h.body = R"({"a":1})";
  auto r = live_request_from_http(h);
  EXPECT_EQ(r.path, "/v1/chat/completions");
  EXPECT_EQ(r.body.bytes, h.body);
  EXPECT_EQ(r.body.encoding, BodyEncoding::kText);
  EXPECT_EQ(canonical_request_key(r, {}), canonical_request_key(recorded_request_from_http(h), {}));
}

// ---- Malformed cassettes: file name + field path (or byte offset), kInvalidRequest.

TEST(CassetteJsonTest, TruncatedJsonNamesFileAndByteOffset) {
  const std::string s = valid_text();
  const Status st = parse_status(s.substr(0, s.size() / 2));
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("cassettes/x.json: JSON syntax error at byte "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("line "), std::string::npos) << st.message();
}

TEST(CassetteJsonTest, WrongTypeNamesFieldPath) {
  std::string s = valid_text();
  const std::string needle = "{\"offset_ms\": 80.125, \"data\"";
  const size_t at = s.find(needle);
  ASSERT_NE(at, std::string::npos);
  s.replace(at, std::string("{\"offset_ms\": 80.125").size(), "{\"offset_ms\": \"80.125\"");
  const Status st = parse_status(s);
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("cassettes/x.json: interactions[1].response.chunks[0].offset_ms: expected number, got string"),
            std::string::npos)
      << st.message();
}

TEST(CassetteJsonTest, UnknownVersionIsRejected) {
  std::string s = valid_text();
  s.replace(s.find("\"version\": 1"), 12, "\"version\": 2");
  const Status st = parse_status(s);
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("version: unsupported version 2 (this build reads version 1)"), std::string::npos)
      << st.message();
}

TEST(CassetteJsonTest, WrongFormatIsRejected) {
  const Status st = parse_status(R"({"format": "har", "version": 1, "interactions": []})");
  EXPECT_NE(st.message().find("format: expected \"ploke-cassette\""), std::string::npos) << st.message();
  const Status st2 = parse_status("[1, 2]");
  EXPECT_NE(st2.message().find("(document): expected object, got array"), std::string::npos) << st2.message();
}

TEST(CassetteJsonTest, MissingFieldsAreAllReportedInOnePass) {
  const std::string text = R"({
    "format": "ploke-cassette", "version": 1,
    "interactions": [
      {"request": {"path": "/v1/x"}, "response": {"status": 200}},
      {"request": {"method": "GET", "path": "/v1/y"}},
      {"request": {"method": "GET", "path": "/v1/z"}, "response": {"status": 200, "streamed": true}},
      {"request": {"method": 7, "path": "nope", "colour": 1}, "response": {"status": 99, "body": "x"}}
    ]})";
  const Status st = parse_status(text);
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  const std::string& m = st.message();
  EXPECT_NE(m.find("8 errors"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[0].request.method: missing required field"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[1].response: missing required field"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[2].response.chunks: missing required field"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[3].request.method: expected string, got number"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[3].request.path: must start with '/'"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[3].request.colour: unknown field"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[3].response.status: must be an HTTP status"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[3].response.body_encoding: missing required field"), std::string::npos) << m;
}

TEST(CassetteJsonTest, BodyAndChunkEncodingErrors) {
  const std::string text = R"({
    "format": "ploke-cassette", "version": 1, "_comment": "ignored",
    "interactions": [
      {"request": {"method": "POST", "path": "/a", "body_encoding": "base64", "body": "***"},
       "response": {"status": 200, "streamed": true, "chunks": [
          {"offset_ms": 5, "data": "a"}, {"offset_ms": 4, "data": "b"}, {"offset_ms": 6},
          {"offset_ms": 7, "data_base64": "%%%%"}]}},
      {"request": {"method": "POST", "path": "/b", "body": {"a": 1}},
       "response": {"status": 200, "body_encoding": "yaml", "ending": "exploded"}}
    ]})";
  const Status st = parse_status(text);
  const std::string& m = st.message();
  EXPECT_NE(m.find("interactions[0].request.body: invalid base64"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[0].response.chunks[1].offset_ms: decreases"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[0].response.chunks[2]: missing required field data"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[0].response.chunks[3].data_base64: invalid base64"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[1].request.body_encoding: missing required field"), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[1].response.body_encoding: unknown encoding \"yaml\""), std::string::npos) << m;
  EXPECT_NE(m.find("interactions[1].response.ending: unknown ending \"exploded\""), std::string::npos) << m;
}

TEST(CassetteJsonTest, MinimalCassetteUsesDefaults) {
  auto c = parse_cassette(R"({"format":"ploke-cassette","version":1,"interactions":[
      {"request":{"method":"GET","path":"/v1/models"},"response":{"status":200}}]})",
                          "min.json");
  ASSERT_OK(c);
  ASSERT_EQ(c->interactions.size(), 1u);
  EXPECT_EQ(c->interactions[0].response.body.encoding, BodyEncoding::kEmpty);
  EXPECT_FALSE(c->interactions[0].response.streamed);
  EXPECT_EQ(c->interactions[0].response.ending, Ending::kComplete);
}

TEST(CassetteJsonTest, CompactJsonBodyIsReproducedFromEmbeddedValue) {
  auto c = parse_cassette(R"({"format":"ploke-cassette","version":1,"interactions":[
      {"request":{"method":"POST","path":"/v1/x","body_encoding":"json","body":{"b":1,"a":[1,2]}},
       "response":{"status":200}}]})",
                          "min.json");
  ASSERT_OK(c);
  EXPECT_EQ(c->interactions[0].request.body.bytes, R"({"b":1,"a":[1,2]})");  // key order kept
}

TEST(CassetteJsonTest, StrictJsonSyntax) {
  const std::string head = R"({"format":"ploke-cassette","version":1,"interactions":[)";
  struct Case {
    std::string text;
    const char* expect;
  };
  const Case cases[] = {
      {head + "],}", "expected '\"' to start an object key"},
      {head + "]} trailing", "unexpected text after the JSON value"},
      {head + "]", "expected ',' or '}'"},
      {R"({"name": "unterminated)", "unterminated string"},
      {"{\"name\": \"bad \xFF utf8\"}", "string is not valid UTF-8"},
      {"{\"name\": \"raw\ncontrol\"}", "control character in string"},
      {R"({"name": "\ud800 lone"})", "unpaired surrogate"},
      {R"({"n": 01})", "expected ',' or '}' after object member"},
      {R"({"n": 1.})", "expected digits after '.'"},
      {R"({"n": NaN})", "expected a value"},
      {std::string(1000, '[') + std::string(1000, ']'), "nesting too deep"},
  };
  for (const auto& c : cases) {
    const Status st = parse_status(c.text);
    EXPECT_EQ(st.code(), StatusCode::kInvalidRequest) << c.text;
    EXPECT_NE(st.message().find("cassettes/x.json: JSON syntax error at byte "), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << c.expect << " in: " << st.message();
  }
  // Line and column point at the problem.
  const Status st = parse_status("{\n  \"format\": \"ploke-cassette\",\n  \"version\": 1,,\n}");
  EXPECT_NE(st.message().find("(line 3, column 16)"), std::string::npos) << st.message();
}

TEST(CassetteJsonTest, EscapesAndUnicodeRoundTrip) {
  auto c = parse_cassette(R"({"format":"ploke-cassette","version":1,"name":"caf\u00e9 \ud83d\ude00 \"q\" \/ \t","interactions":[]})",
                          "u.json");
  ASSERT_OK(c);
  EXPECT_EQ(c->name, "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" / \t");
  auto again = parse_cassette(serialize_cassette(*c), "u.json");
  ASSERT_OK(again);
  EXPECT_EQ(again->name, c->name);
}

// ---- Files.

class CassetteFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(PLOKE_BINARY_DIR) / "tests" / "codec" /
           ("tmp_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(dir_, ec);
  }
  size_t entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++n;
    return n;
  }
  std::filesystem::path dir_;
};

TEST_F(CassetteFileTest, WriteThenLoad) {
  const std::string path = (dir_ / "c.json").string();
  ASSERT_OK(write_file_atomic(path, valid_text()));
  auto c = load_cassette_file(path);
  ASSERT_OK(c);
  EXPECT_EQ(*c, full_cassette());
  EXPECT_EQ(entries(), 1u);  // no temp file left behind
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(CassetteFileTest, OverwriteReplacesWholeFileAndKeepsMode) {
  const std::string path = (dir_ / "c.json").string();
  ASSERT_OK(write_file_atomic(path, std::string(10000, 'x')));
  ::chmod(path.c_str(), 0600);
  ASSERT_OK(write_file_atomic(path, "short"));
  auto text = read_file(path);
  ASSERT_OK(text);
  EXPECT_EQ(*text, "short");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(CassetteFileTest, FailedWriteLeavesOldFileIntact) {
  const std::string path = (dir_ / "c.json").string();
  ASSERT_OK(write_file_atomic(path, "old contents"));
  // Make the write itself fail part-way: a file size limit below the new data's size.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_action {};
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old_action), 0);
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const Status st = write_file_atomic(path, std::string(100000, 'n'));
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::sigaction(SIGXFSZ, &old_action, nullptr);
  EXPECT_FALSE(st.ok());
  auto text = read_file(path);
  ASSERT_OK(text);
  EXPECT_EQ(*text, "old contents");
  EXPECT_EQ(entries(), 1u) << "temp file must be removed";
}

TEST_F(CassetteFileTest, ReadOnlyDirectoryFailsCleanly) {
  const std::string path = (dir_ / "c.json").string();
  ASSERT_OK(write_file_atomic(path, "old contents"));
  if (::geteuid() == 0) {
    // root ignores directory permissions; use a read-only filesystem instead.
    const Status st = write_file_atomic("/proc/ploke-codec-test.json", "data");
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("/proc/ploke-codec-test.json"), std::string::npos) << st.message();
  } else {
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    const Status st = write_file_atomic(path, "new");
    EXPECT_EQ(st.code(), StatusCode::kPermission) << st.to_string();
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
  }
  auto text = read_file(path);
  ASSERT_OK(text);
  EXPECT_EQ(*text, "old contents");
}

TEST_F(CassetteFileTest, RenameOntoDirectoryFailsAndCleansUp) {
  const auto target = dir_ / "c.json";
  std::filesystem::create_directories(target / "inner");
  const Status st = write_file_atomic(target.string(), "data");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("c.json"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_directory(target / "inner"));
  EXPECT_EQ(entries(), 1u) << "temp file must be removed";
}

TEST_F(CassetteFileTest, LoadErrors) {
  auto missing = load_cassette_file((dir_ / "nope.json").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  const std::string path = (dir_ / "bad.json").string();
  ASSERT_OK(write_file_atomic(path, "{\"format\": \"ploke-cassette\", \"version\": 1, \"interactions\": [{]}"));
  auto bad = load_cassette_file(path);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(bad.status().message().find(path + ": JSON syntax error at byte"), std::string::npos)
      << bad.status().message();
}

TEST_F(CassetteFileTest, LoadCassettesFromFileOrDirectory) {
  Cassette a = full_cassette();
  a.name = "a";
  Cassette b = full_cassette();
  b.name = "b";
  ASSERT_OK(write_file_atomic((dir_ / "2-b.json").string(), serialize_cassette(b)));
  ASSERT_OK(write_file_atomic((dir_ / "1-a.json").string(), serialize_cassette(a)));
  ASSERT_OK(write_file_atomic((dir_ / "notes.txt").string(), "not a cassette"));
  auto all = load_cassettes(dir_.string());
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a");
  EXPECT_EQ((*all)[1].name, "b");
  auto one = load_cassettes((dir_ / "2-b.json").string());
  ASSERT_OK(one);
  EXPECT_EQ(one->at(0).name, "b");
  ASSERT_OK(write_file_atomic((dir_ / "3-bad.json").string(), "{"));
  auto bad = load_cassettes(dir_.string());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(bad.status().message().find("3-bad.json: JSON syntax error"), std::string::npos) << bad.status().message();
  std::filesystem::create_directories(dir_ / "empty");
  EXPECT_EQ(load_cassettes((dir_ / "empty").string()).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ploke::codec
