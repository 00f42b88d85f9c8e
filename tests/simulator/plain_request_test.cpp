// The DOM-free path for plain requests (the packages' request summaries,
// ploke/adapters/{anthropic,openai}/request_summary.h, then the package's renderer as on the
// DOM path) must answer exactly as the nlohmann path: same status, headers, bytes, timings
// and random draws. Each body is sent as is and with a member added that the summary
// declines (so the engine parses a DOM) while it means the same request (`"temperature":
// null` for Anthropic, `"logprobs":false` for OpenAI); the two engines (same seed, same
// clock) must agree. Bodies the summary must decline (validation errors, tools…) are in the
// lists too: accepting one would answer 200 where the DOM path answers the error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;

HttpRequest post(std::string body, bool version = true, std::string path = "/v1/messages") {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers.add("content-type", "application/json");
  if (version) r.headers.add("anthropic-version", "2023-06-01");
  r.body = std::move(body);
  return r;
}

// The same request, with a key the fast path refuses (so the engine takes the DOM path).
std::string with_dom_marker(const std::string& body, std::string_view marker = ",\"temperature\":null") {
  const size_t close = body.rfind('}');
  return body.substr(0, close) + std::string(marker) + body.substr(close);
}

void expect_same(const ScriptedResponse& a, const ScriptedResponse& b, const std::string& what) {
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_EQ(a.send_head, b.send_head) << what;
  EXPECT_EQ(a.streaming, b.streaming) << what;
  EXPECT_EQ(a.head_at, b.head_at) << what;
  EXPECT_EQ(static_cast<int>(a.ending), static_cast<int>(b.ending)) << what;
  EXPECT_EQ(a.headers.items(), b.headers.items()) << what;
  ASSERT_EQ(a.chunks.size(), b.chunks.size()) << what << "\nfast: " << a.body() << "\nDOM:  " << b.body();
  for (size_t i = 0; i < a.chunks.size(); ++i) {
    EXPECT_EQ(a.chunks[i].at, b.chunks[i].at) << what << " chunk " << i;
    EXPECT_EQ(a.chunks[i].bytes, b.chunks[i].bytes) << what << " chunk " << i;
  }
}

const std::vector<std::string>& bodies() {
  static const std::vector<std::string> k = {
      // accepted by the fast path
      R"({"model":"claude-haiku-4-5","max_tokens":24,"system":"You are a terse assistant.","messages":[{"role":"user","content":"Say hello"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":24,"system":"Terse.","messages":[{"role":"user","content":"Say hello"}],"stream":true})",
      R"({"model":"claude-sonnet-4-5","max_tokens":3,"messages":[{"role":"user","content":"cut me short"}]})",
      R"({"model":"claude-sonnet-4-5","max_tokens":3,"messages":[{"role":"user","content":"cut me short"}],"stream":true})",
      R"( { "stream" : false , "messages" : [ {"content":"a","role":"user"}, {"role":"assistant","content":"b","x":[1,{"y":null}]}, {"role":"user","content":"c"} ], "max_tokens" : 1000, "model":"claude-opus-4-1", "system": null, "metadata":{"user_id":"u1"} } )",
      R"({"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}],"stream":null,"top_k":5})",
      R"({"model":"claude-haiku-4-5","max_tokens":40,"messages":[{"role":"user","content":"caf\u00e9 \"quoted\""}]})",
      // refused by the fast path (the DOM path answers; both must agree)
      R"({"model":"claude-haiku-4-5","max_tokens":0,"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":2.5,"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"assistant","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":""}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":""}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"system","content":"a"}]})",
      R"({"model":"claude-nope","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"stream":"yes","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"system":[{"type":"text","text":"S"}],"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":40,"stop_sequences":["the"],"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":40,"model":"claude-opus-4-1","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":40,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"lookup","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}]})",
      R"({"model":"claude-haiku-4-5","max_tokens":40,"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"auto"}})",
  };
  return k;
}

class PlainRequestTest : public ::testing::Test {
 protected:
  std::unique_ptr<SimEngine> make(std::string_view plan_json = "") {
    SimOptions opts;
    if (!plan_json.empty()) {
      auto plan = parse_fault_plan(plan_json, "test");
      EXPECT_TRUE(plan.ok()) << plan.status().to_string();
      opts.faults = *plan;
    }
    opts.seed = 42;
    auto e = SimEngine::Create(opts, clock_);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::move(e).value();
  }
  SimulatedClock clock_;
};

TEST_F(PlainRequestTest, AnthropicFastPathAnswersExactlyAsTheDomPath) {
  auto fast = make();
  auto dom = make();
  int ok = 0;
  for (int round = 0; round < 3; ++round) {  // later rounds: other request ids and draws
    for (const std::string& body : bodies()) {
      ScriptedResponse a = fast->handle(post(body));
      ScriptedResponse b = dom->handle(post(with_dom_marker(body)));
      expect_same(a, b, body);
      if (a.status == 200) ++ok;
      clock_.advance(1500ms);
    }
  }
  // The seven fast-path bodies succeed, and seven the DOM path accepts (an empty final
  // assistant turn, system/content blocks, stop_sequences, a duplicate key, tools,
  // tool_choice); the other eleven are errors.
  EXPECT_EQ(ok, 3 * 14);
  // Without anthropic-version the fast path is not taken: the same 400 either way.
  ScriptedResponse a = fast->handle(post(bodies()[0], false));
  ScriptedResponse b = dom->handle(post(with_dom_marker(bodies()[0]), false));
  EXPECT_EQ(a.status, 400);
  expect_same(a, b, "no anthropic-version");
}

TEST_F(PlainRequestTest, AnthropicFaultsApplyAlikeOnBothPaths) {
  const std::string plan = R"({"faults":[
      {"id":"cut","kind":"stream_cut","after_events":3,"match":{"stream":true},"trigger":{"probability":0.5}},
      {"id":"err","kind":"http_error","status":529,"trigger":{"nth":4,"every":5}},
      {"id":"slow","kind":"slow_stream","factor":3,"trigger":{"nth":3,"every":7}},
      {"id":"bad","kind":"malformed_json","trigger":{"nth":2,"every":9}}]})";
  auto fast = make(plan);
  auto dom = make(plan);
  for (int i = 0; i < 40; ++i) {
    const std::string& body = bodies()[static_cast<size_t>(i) % 6];
    expect_same(fast->handle(post(body)), dom->handle(post(with_dom_marker(body))), body);
    clock_.advance(200ms);
  }
  const auto fs = fast->fault_stats();
  const auto ds = dom->fault_stats();
  ASSERT_EQ(fs.size(), ds.size());
  uint64_t fired = 0;
  for (size_t i = 0; i < fs.size(); ++i) {
    EXPECT_EQ(fs[i].matched, ds[i].matched) << fs[i].id;
    EXPECT_EQ(fs[i].fired, ds[i].fired) << fs[i].id;
    fired += fs[i].fired;
  }
  EXPECT_GT(fired, 10u);
}

const std::vector<std::string>& openai_bodies() {
  static const std::vector<std::string> k = {
      // read by the package's summary
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"Say hello"}]})",
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"Say hello"}],"max_tokens":8,"n":3})",
      R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"Terse."},{"role":"user","content":"hi"}],"stream":true,"n":2})",
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"cut"}],"max_completion_tokens":3,"max_tokens":20,"temperature":0.5,"top_p":1})",
      R"( { "stream" : null , "messages" : [ {"content":"caf\u00e9 \"q\"","role":"developer"}, {"role":"assistant","content":"b","x":[1,{"y":null}]}, {"role":"user","content":"\ud83d\ude00"} ], "model":"gpt-4o", "user": "\u00fc", "metadata":{"k":"v"} } )",
      // declined (the DOM path answers; both must agree)
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"n":0})",
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"n":2.0})",
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":0})",
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":3})",
      R"({"model":"gpt-4o","messages":[]})",
      R"({"model":"gpt-4o","messages":[{"role":"robot","content":"hi"}]})",
      R"({"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]})",
      R"({"model":"gpt-nope","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}})",
      R"({"model":"gpt-4o","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})",
  };
  return k;
}

TEST_F(PlainRequestTest, OpenAiFastPathAnswersExactlyAsTheDomPath) {
  auto fast = make();
  auto dom = make();
  int ok = 0;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& body : openai_bodies()) {
      ScriptedResponse a = fast->handle(post(body, false, "/v1/chat/completions"));
      ScriptedResponse b = dom->handle(post(with_dom_marker(body, ",\"logprobs\":false"), false, "/v1/chat/completions"));
      expect_same(a, b, body);
      if (a.status == 200) ++ok;
      clock_.advance(1500ms);
    }
  }
  // The five summary bodies, content parts, include_usage and the duplicate key succeed;
  // the other seven are errors.
  EXPECT_EQ(ok, 3 * 8);
}

}  // namespace
}  // namespace ploke::simulator
