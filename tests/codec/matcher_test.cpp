#include "ploke/codec/matcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "codec_fixtures.h"
#include "support/test_support.h"

namespace ploke::codec {
namespace {

using testing::chat_request;
using testing::json_response;

Interaction make(std::string id, RecordedRequest req, std::string response_body) {
  Interaction i;
  i.id = std::move(id);
  i.request = std::move(req);
  i.response = json_response(200, std::move(response_body));
  return i;
}

Cassette cassette_of(std::string name, std::vector<Interaction> in) {
  Cassette c;
  c.name = std::move(name);
  c.interactions = std::move(in);
  return c;
}

std::unique_ptr<ReplayStore> store_of(std::vector<Cassette> cs, ReplayOptions opts = {}) {
  auto s = ReplayStore::Create(std::move(cs), std::move(opts));
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

const char* kHello = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hello"}],"temperature":0})";

TEST(MatcherTest, KeyOrderIsIgnored) {
  auto store = store_of({cassette_of("c", {make("1", chat_request(kHello), R"({"n":1})")})});
  auto r = store->match(chat_request(R"({"temperature":0,"messages":[{"content":"hello","role":"user"}],"model":"gpt-4o"})"));
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.interaction->response.body.bytes, R"({"n":1})");
  EXPECT_EQ(r.ref->id, "1");
  EXPECT_EQ(r.use, 1u);
}

// The codec knows no protocol's fields: the callers pass the volatile ones in.
TEST(MatcherTest, NoBodyPathIsIgnoredByDefault) {
  EXPECT_TRUE(MatchOptions{}.ignore_paths.empty());
  auto store = store_of({cassette_of("c", {make("1", chat_request(R"({"model":"m","user":"u1"})"), "{}")})});
  EXPECT_FALSE(store->match(chat_request(R"({"model":"m","user":"u2"})")).ok());
  EXPECT_TRUE(store->match(chat_request(R"({"model":"m","user":"u1"})")).ok());
}

TEST(MatcherTest, VolatileFieldsPassedInAreIgnored) {
  ReplayOptions opts;
  opts.match.ignore_paths = {"user", "metadata", "request_id"};
  auto store = store_of({cassette_of("c", {make("1", chat_request(R"({"model":"m","user":"u1","metadata":{"a":1},"request_id":"r1"})"), "{}")})},
                        opts);
  EXPECT_TRUE(store->match(chat_request(R"({"model":"m","user":"u2","request_id":"r2"})")).ok());
  EXPECT_FALSE(store->match(chat_request(R"({"model":"other"})")).ok());
}

TEST(MatcherTest, IgnorePathsAreConfigurable) {
  ReplayOptions opts;
  opts.match.ignore_paths = {"messages[*].name", "temperature"};
  auto store = store_of(
      {cassette_of("c", {make("1", chat_request(R"({"messages":[{"name":"a","content":"x"}],"temperature":1,"user":"u"})"), "{}")})},
      opts);
  EXPECT_TRUE(store->match(chat_request(R"({"messages":[{"name":"b","content":"x"}],"temperature":0.2,"user":"u"})")).ok());
  // `user` is no longer ignored once the list is replaced.
  EXPECT_FALSE(store->match(chat_request(R"({"messages":[{"name":"b","content":"x"}],"user":"v"})")).ok());

  ReplayOptions bad;
  bad.match.ignore_paths = {"a[x]"};
  auto s = ReplayStore::Create({}, bad);
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(s.status().message().find("match.ignore_paths[0]"), std::string::npos);
}

TEST(MatcherTest, QueryAndMethodAndPathMatter) {
  RecordedRequest models;
  models.method = "GET";
  models.path = "/v1/models";
  models.query = {{"limit", "5"}, {"after", "x"}};
  auto store = store_of({cassette_of("c", {make("1", models, "{}")})});
  RecordedRequest live = models;
  live.query = {{"after", "x"}, {"limit", "5"}};  // order does not matter
  EXPECT_TRUE(store->match(live).ok());
  live.query = {{"limit", "6"}, {"after", "x"}};
  auto miss = store->match(live);
  ASSERT_FALSE(miss.ok());
  ASSERT_EQ(miss.near_miss.diff.size(), 1u);
  EXPECT_EQ(miss.near_miss.diff[0].to_string(), "changed $query.limit: \"5\" -> \"6\"");
  live = models;
  live.method = "POST";
  EXPECT_FALSE(store->match(live).ok());
}

TEST(MatcherTest, HeaderMatchers) {
  RecordedRequest rec = chat_request(kHello);
  rec.headers.add("anthropic-version", "2023-06-01");
  ReplayOptions opts;
  opts.match.match_headers = {"Anthropic-Version"};
  auto store = store_of({cassette_of("c", {make("1", rec, "{}")})}, opts);
  RecordedRequest live = chat_request(kHello);
  live.headers.add("anthropic-version", "2023-06-01");
  EXPECT_TRUE(store->match(live).ok());
  live.headers.set("anthropic-version", "2024-01-01");
  auto miss = store->match(live);
  ASSERT_FALSE(miss.ok());
  ASSERT_EQ(miss.near_miss.diff.size(), 1u);
  EXPECT_EQ(miss.near_miss.diff[0].path, "$header.anthropic-version");
  // Without the matcher, headers do not matter.
  auto lax = store_of({cassette_of("c", {make("1", rec, "{}")})});
  EXPECT_TRUE(lax->match(live).ok());
}

TEST(MatcherTest, RedactedRecordingMatchesLiveSecrets) {
  // The cassette holds placeholders; the live request carries real values.
  RecordedRequest rec = chat_request(R"({"model":"m","api_key":"[REDACTED:api_key]"})");
  rec.headers.add("authorization", "[REDACTED:authorization]");
  rec.query = {{"key", "[REDACTED:key]"}};
  ReplayOptions opts;
  opts.match.match_headers = {"authorization"};
  auto store = store_of({cassette_of("c", {make("1", rec, "{}")})}, opts);
  RecordedRequest live = chat_request(R"({"model":"m","api_key":"real-secret-value-123"})");
  live.headers.add("Authorization", "Bearer sk-proj-0123456789abcdefABCDEF");  // fake key
  live.headers.add("x-stainless-retry-count", "1");
  live.query = {{"key", "sk-or-v1-0123456789abcdef0123"}};  // fake key
  auto r = store->match(live);
  EXPECT_TRUE(r.ok()) << r.status.message();
}

TEST(MatcherTest, IdenticalRequestsGetRecordedResponsesInOrderThenRepeatLast) {
  auto store = store_of({cassette_of("c", {make("1", chat_request(kHello), R"({"n":1})"),
                                           make("2", chat_request(R"({"other":true})"), R"({"n":9})"),
                                           make("3", chat_request(kHello), R"({"n":2})")})});
  EXPECT_EQ(store->match(chat_request(kHello)).interaction->response.body.bytes, R"({"n":1})");
  EXPECT_EQ(store->match(chat_request(kHello)).interaction->response.body.bytes, R"({"n":2})");
  auto third = store->match(chat_request(kHello));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third.interaction->response.body.bytes, R"({"n":2})");
  EXPECT_EQ(third.use, 2u);
}

TEST(MatcherTest, AfterLastFailReportsExhaustion) {
  ReplayOptions opts;
  opts.after_last = AfterLast::kFail;
  auto store = store_of({cassette_of("c", {make("1", chat_request(kHello), "{}")})}, opts);
  EXPECT_TRUE(store->match(chat_request(kHello)).ok());
  auto r = store->match(chat_request(kHello));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_TRUE(r.near_miss.exhausted);
  ASSERT_TRUE(r.near_miss.nearest.has_value());
  EXPECT_EQ(r.near_miss.nearest->id, "1");
  EXPECT_NE(r.status.message().find("already used (after_last = fail)"), std::string::npos) << r.status.message();
}

TEST(MatcherTest, OrderSpansCassettesInLoadOrder) {
  auto store = store_of({cassette_of("a", {make("1", chat_request(kHello), R"({"from":"a"})")}),
                         cassette_of("b", {make("1", chat_request(kHello), R"({"from":"b"})")})});
  EXPECT_EQ(store->match(chat_request(kHello)).ref->cassette, "a");
  EXPECT_EQ(store->match(chat_request(kHello)).ref->cassette, "b");
  EXPECT_EQ(store->size(), 2u);
}

TEST(MatcherTest, NearMissNamesNearestInteractionAndJsonDifference) {
  RecordedRequest models;
  models.method = "GET";
  models.path = "/v1/models";
  auto store = store_of({cassette_of(
      "openai", {make("0001", chat_request(R"({"model":"gpt-4o","messages":[{"role":"user","content":"bye"}]})"), "{}"),
                 make("0002", chat_request(kHello), "{}"), make("0003", models, "{}")})});
  auto r = store->match(chat_request(
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hullo"}],"temperature":0,"top_p":0.5,"stream":false})"));
  ASSERT_FALSE(r.ok());
  const NearMiss& m = r.near_miss;
  ASSERT_TRUE(m.nearest.has_value());
  EXPECT_EQ(m.nearest->id, "0002");
  EXPECT_EQ(m.nearest->cassette, "openai");
  ASSERT_EQ(m.diff.size(), 3u);
  EXPECT_EQ(m.diff[0].to_string(), "changed messages[0].content: \"hello\" -> \"hullo\"");
  EXPECT_EQ(m.diff[1].to_string(), "added stream: false");
  EXPECT_EQ(m.diff[2].to_string(), "added top_p: 0.5");
  const std::string& msg = r.status.message();
  EXPECT_NE(msg.find("no recorded interaction matches POST /v1/chat/completions"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nearest: openai#1 (id 0002) POST /v1/chat/completions"), std::string::npos) << msg;
  EXPECT_NE(msg.find("changed messages[0].content"), std::string::npos) << msg;
}

TEST(MatcherTest, NearMissPrefersSameRouteAndReportsRemovedFields) {
  RecordedRequest embeddings = chat_request(R"({"input":"x"})");
  embeddings.path = "/v1/embeddings";
  auto store = store_of({cassette_of("c", {make("chat", chat_request(R"({"model":"a","n":2,"seed":1})"), "{}"),
                                           make("emb", embeddings, "{}")})});
  // Closer to the embeddings body, but the chat route wins.
  auto r = store->match(chat_request(R"({"input":"x"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.near_miss.nearest->id, "chat");
  ASSERT_EQ(r.near_miss.diff.size(), 4u);
  EXPECT_EQ(r.near_miss.diff[0].to_string(), "added input: \"x\"");
  EXPECT_EQ(r.near_miss.diff[1].to_string(), "removed model: \"a\"");
  // Different route entirely: the nearest has a $path difference.
  RecordedRequest other = chat_request(R"({"input":"x"})");
  other.path = "/v1/responses";
  auto r2 = store->match(other);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.near_miss.nearest->id, "emb");
  EXPECT_EQ(r2.near_miss.diff[0].path, "$path");
}

TEST(MatcherTest, EmptyStoreMiss) {
  auto store = store_of({});
  auto r = store->match(chat_request(kHello));
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.near_miss.nearest.has_value());
  EXPECT_NE(r.status.message().find("the cassette is empty"), std::string::npos);
}

TEST(MatcherTest, StrictReportListsUnmatchedAndUnused) {
  auto store = store_of({cassette_of("c", {make("1", chat_request(kHello), "{}"), make("2", chat_request(R"({"x":1})"), "{}")})});
  EXPECT_TRUE(store->match(chat_request(kHello)).ok());
  EXPECT_FALSE(store->match(chat_request(R"({"x":2})")).ok());
  const StrictReport rep = store->strict_report();
  EXPECT_FALSE(rep.ok());
  EXPECT_EQ(rep.requests, 2u);
  EXPECT_EQ(rep.unmatched, 1u);
  ASSERT_EQ(rep.unused.size(), 1u);
  EXPECT_EQ(rep.unused[0].id, "2");
  ASSERT_EQ(store->misses().size(), 1u);
  const std::string text = rep.to_string();
  EXPECT_NE(text.find("2 requests, 1 unmatched, 1 unused interactions: FAILED"), std::string::npos) << text;
  EXPECT_NE(text.find("unused: c#1 (id 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("changed x: 1 -> 2"), std::string::npos) << text;
  auto usage = store->usage();
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].uses, 1u);
  store->reset();
  EXPECT_EQ(store->strict_report().requests, 0u);
  EXPECT_EQ(store->unused().size(), 2u);
}

TEST(MatcherTest, ConcurrentMatchesAreCountedExactly) {
  std::vector<Interaction> in;
  for (int k = 0; k < 50; ++k) in.push_back(make(std::to_string(k), chat_request(kHello), "{\"k\":" + std::to_string(k) + "}"));
  ReplayOptions opts;
  opts.after_last = AfterLast::kFail;
  auto store = store_of({cassette_of("c", std::move(in))}, opts);
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) (store->match(chat_request(kHello)).ok() ? ok : failed)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(failed.load(), 30);
  EXPECT_TRUE(store->unused().empty());
  for (const auto& u : store->usage()) EXPECT_EQ(u.uses, 1u);
}

TEST(MatcherTest, DiffJsonText) {
  auto d = diff_json_text(R"({"a":[1,2,3],"b":{"c":"x"}})", R"({"a":[1,5],"b":{"c":"x","d":null}})");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].to_string(), "changed a[1]: 2 -> 5");
  EXPECT_EQ(d[1].to_string(), "removed a[2]: 3");
  EXPECT_EQ(d[2].to_string(), "added b.d: null");
  EXPECT_TRUE(diff_json_text(R"({"a":1.0})", R"({"a":1})").empty());
  auto t = diff_json_text("plain", "other");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].path, "$body");
  // Long values are shortened.
  auto l = diff_json_text(R"({"a":")" + std::string(200, 'x') + "\"}", R"({"a":"y"})");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_LT(l[0].recorded.size(), 70u);
}

}  // namespace
}  // namespace ploke::codec
