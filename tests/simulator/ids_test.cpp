// Response ids: derived from the seed (same seed → same ids; another seed → other ids),
// never repeated within one engine, and one id per stream on every chunk (OpenAI chunks with
// n > 1 and tools; OpenRouter chunks including the mid-stream error chunk). A request `seed`
// makes the content repeat, never the id.
#include <gtest/gtest.h>

#include <set>

#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "sim_test_util.h"

namespace ploke::simulator {
namespace {

using testing::chat_http;
using testing::Json;
using testing::simple_body;
using testing::sse_data;

std::unique_ptr<SimEngine> engine(Clock& clock, uint64_t seed, std::string_view plan = {}) {
  SimOptions opts;
  opts.seed = seed;
  if (!plan.empty()) {
    auto p = parse_fault_plan(plan, "test");
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    opts.faults = *p;
  }
  auto e = SimEngine::Create(opts, clock);
  EXPECT_TRUE(e.ok()) << e.status().to_string();
  return std::move(e).value();
}

Json or_body(bool stream) { return simple_body(stream, "moonshotai/kimi-k2"); }

// The id of each of `n` answers (stream or not; OpenAI or OpenRouter route).
std::vector<std::string> ids(SimEngine& e, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    const bool stream = i % 2 == 1;
    const bool openrouter = i % 3 == 2;
    ScriptedResponse r = e.handle(openrouter ? chat_http(or_body(stream), "/api/v1/chat/completions") : chat_http(simple_body(stream)));
    const std::string first = stream ? sse_data(r.body()).front() : r.body();
    out.push_back(Json::parse(first)["id"].get<std::string>());
  }
  return out;
}

TEST(SimIds, SameSeedSameIdsOtherSeedOtherIdsNeverRepeated) {
  SimulatedClock clock;
  auto a = engine(clock, 42), b = engine(clock, 42), c = engine(clock, 43);
  const auto ia = ids(*a, 30), ib = ids(*b, 30), ic = ids(*c, 30);
  EXPECT_EQ(ia, ib);
  for (size_t i = 0; i < ia.size(); ++i) EXPECT_NE(ia[i], ic[i]) << i;
  auto many = ids(*a, 1500);
  many.insert(many.end(), ia.begin(), ia.end());
  EXPECT_EQ(std::set<std::string>(many.begin(), many.end()).size(), many.size());
}

TEST(SimIds, RequestSeedRepeatsContentNotIds) {
  SimulatedClock clock;
  auto e = engine(clock, 7);
  Json body = simple_body();
  body["seed"] = 5;
  const Json r1 = Json::parse(e->handle(chat_http(body)).body());
  const Json r2 = Json::parse(e->handle(chat_http(body)).body());
  EXPECT_EQ(r1["choices"][0]["message"]["content"], r2["choices"][0]["message"]["content"]);
  EXPECT_NE(r1["id"], r2["id"]);
}

TEST(SimIds, EveryOpenAiChunkCarriesItsStreamId) {
  SimulatedClock clock;
  auto e = engine(clock, 9);
  Json body = simple_body(true);
  body["n"] = 2;
  body["stream_options"] = {{"include_usage", true}};
  body["logprobs"] = true;
  const ScriptedResponse r = e->handle(chat_http(body));
  const auto chunks = sse_data(r.body());
  ASSERT_GT(chunks.size(), 4u) << r.status << " " << r.body();
  const std::string id = Json::parse(chunks.front())["id"];
  for (const auto& c : chunks) {
    if (c == "[DONE]") continue;
    EXPECT_EQ(Json::parse(c)["id"], id) << c;
  }
}

TEST(SimIds, OpenRouterFaultChunkCarriesTheStreamId) {
  SimulatedClock clock;
  auto e = engine(clock, 11, R"({"faults":[{"kind":"mid_stream_error","status":502,"after_events":2}]})");
  const auto chunks = sse_data(e->handle(chat_http(or_body(true), "/api/v1/chat/completions")).body());
  ASSERT_GE(chunks.size(), 2u);
  const std::string id = Json::parse(chunks.front())["id"];
  EXPECT_EQ(id.rfind("gen-", 0), 0u) << id;
  bool saw_error = false;
  for (const auto& c : chunks) {
    const Json j = Json::parse(c);
    EXPECT_EQ(j["id"], id) << c;
    saw_error = saw_error || j.contains("error");
  }
  EXPECT_TRUE(saw_error);
}

// ---- Anthropic Messages: msg_ / toolu_ / req_ ids ----

HttpRequest anth(bool stream, bool tools) {
  Json b = {{"model", "claude-sonnet-4-6"},
            {"max_tokens", 64},
            {"messages", Json::array({{{"role", "user"}, {"content", "Say hello."}}})}};
  if (stream) b["stream"] = true;
  if (tools) {
    b["tools"] = Json::parse(R"([{"name":"f","input_schema":{"type":"object","properties":{"a":{"type":"string"}}}}])");
    b["tool_choice"] = {{"type", "any"}};
  }
  HttpRequest r = chat_http(b, "/v1/messages");
  r.headers.add("anthropic-version", "2023-06-01");
  r.expect_stream = stream;
  return r;
}

// Every msg_, toolu_ and req_ id of `n` answers (plain, streamed, with tools), in order.
std::vector<std::string> anthropic_ids(SimEngine& e, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    const bool stream = i % 2 == 1, tools = i % 3 == 2;
    const ScriptedResponse r = e.handle(anth(stream, tools));
    EXPECT_EQ(r.status, 200) << r.body();
    out.push_back(std::string(r.headers.get("request-id").value_or("")));
    const Json msg = stream ? Json::parse(sse_data(r.body()).front())["message"] : Json::parse(r.body());
    out.push_back(msg["id"]);
    if (!tools) continue;
    const size_t before = out.size();
    if (!stream) {
      for (const auto& b : msg["content"]) if (b["type"] == "tool_use") out.push_back(b["id"]);
    }
    for (const auto& d : stream ? sse_data(r.body()) : std::vector<std::string>{}) {
      const Json j = Json::parse(d);
      if (j.value("type", "") == "content_block_start" && j["content_block"]["type"] == "tool_use") {
        out.push_back(j["content_block"]["id"]);
      }
    }
    EXPECT_GT(out.size(), before) << "no tool_use ids: " << r.body();
  }
  return out;
}

TEST(SimIds, AnthropicIdsFollowTheSeedAndNeverRepeat) {
  SimulatedClock clock;
  auto a = engine(clock, 42), b = engine(clock, 42), c = engine(clock, 43);
  const auto ia = anthropic_ids(*a, 30), ib = anthropic_ids(*b, 30), ic = anthropic_ids(*c, 30);
  ASSERT_GT(ia.size(), 60u);
  EXPECT_EQ(ia, ib);
  ASSERT_EQ(ia.size(), ic.size());
  for (size_t i = 0; i < ia.size(); ++i) EXPECT_NE(ia[i], ic[i]) << i;
  for (const auto& id : ia) {
    EXPECT_TRUE(id.rfind("msg_", 0) == 0 || id.rfind("toolu_", 0) == 0 || id.rfind("req_", 0) == 0) << id;
  }
  auto many = anthropic_ids(*a, 600);
  many.insert(many.end(), ia.begin(), ia.end());
  EXPECT_EQ(std::set<std::string>(many.begin(), many.end()).size(), many.size());
}

// A mid-stream `event: error` belongs to its message: it carries the request id of the
// response that started the stream (the SDK reports it as the error's request id).
TEST(SimIds, AnthropicFaultEventCarriesItsRequestId) {
  SimulatedClock clock;
  auto e = engine(clock, 5, R"({"faults":[{"kind":"mid_stream_error","status":529,"after_events":3}]})");
  const ScriptedResponse r = e->handle(anth(true, false));
  const auto events = sse_data(r.body());
  ASSERT_GE(events.size(), 2u) << r.body();
  const Json err = Json::parse(events.back());
  EXPECT_EQ(err["type"], "error");
  EXPECT_EQ(err["request_id"], std::string(r.headers.get("request-id").value_or("?")));
  EXPECT_EQ(Json::parse(events.front())["type"], "message_start");
}

}  // namespace
}  // namespace ploke::simulator
