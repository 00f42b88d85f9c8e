// logprobs through the OpenAI package: the client half sends logprobs / top_logprobs and
// reads `choices[0].logprobs.content` (non-stream and stream; the fast paths hand such
// bodies to the DOM path), the server half renders them back; a round trip is lossless.
// The Anthropic adapter refuses a request for logprobs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/server.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;

const Endpoint kEp{"openai", "https://api.openai.com/v1", Secret(), {}};

std::vector<TokenLogprob> sample() {
  TokenLogprob hi{"Hi", -0.25, std::vector<uint8_t>{'H', 'i'}, {{"Hi", -0.25, std::vector<uint8_t>{'H', 'i'}}, {"Hey", -1.5, std::nullopt}}};
  TokenLogprob bang{"!", -0.5, std::nullopt, {}};
  return {hi, bang};
}

ChatRequest request() {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages = {Message::User("hi")};
  r.logprobs = true;
  r.top_logprobs = 2;
  return r;
}

TEST(OpenAiLogprobs, RequestCarriesThemOnlyWhenAsked) {
  auto http = make_openai_adapter()->build_request(request(), kEp);
  ASSERT_TRUE(http.ok());
  const json body = json::parse(http->body);
  EXPECT_EQ(body["logprobs"], true);
  EXPECT_EQ(body["top_logprobs"], 2);
  ChatRequest plain = request();
  plain.logprobs = false;
  const json none = json::parse(make_openai_adapter()->build_request(plain, kEp)->body);
  EXPECT_FALSE(none.contains("logprobs"));
  EXPECT_FALSE(none.contains("top_logprobs"));
  auto an = anthropic::make_anthropic_adapter()->build_request(request(), kEp);
  ASSERT_FALSE(an.ok());
  EXPECT_EQ(an.status().code(), StatusCode::kInvalidRequest);
  EXPECT_EQ(an.status().message().rfind("logprobs: ", 0), 0u) << an.status().message();
}

TEST(OpenAiLogprobs, NonStreamRoundTripFastAndDom) {
  ChatResponse r;
  r.id = "chatcmpl-1";
  r.model = "gpt-4o";
  r.content = "Hi!";
  r.finish_reason = FinishReason::kStop;
  r.logprobs = sample();
  HttpResponse http;
  http.status = 200;
  http.body = render_openai_chat_completion(r, 1735689600, "x");
  const json j = json::parse(http.body);
  EXPECT_EQ(j["choices"][0]["logprobs"]["content"][0]["bytes"], json::array({72, 105}));
  EXPECT_TRUE(j["choices"][0]["logprobs"]["content"][1]["bytes"].is_null());
  EXPECT_TRUE(j["choices"][0]["logprobs"]["refusal"].is_null());
  for (bool fast : {true, false}) {
    OpenAiAdapter::Options o;
    o.fast_json = fast;
    auto back = OpenAiAdapter(o).parse_response(http, kEp);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back->logprobs, r.logprobs) << "fast_json " << fast;
    EXPECT_EQ(back->content, "Hi!");
  }
  // Without logprobs the body says null and nothing comes back.
  r.logprobs.clear();
  http.body = render_openai_chat_completion(r, 1735689600, "x");
  EXPECT_TRUE(json::parse(http.body)["choices"][0]["logprobs"].is_null());
  EXPECT_TRUE(make_openai_adapter()->parse_response(http, kEp)->logprobs.empty());
}

TEST(OpenAiLogprobs, MalformedLogprobsNameTheField) {
  HttpResponse http;
  http.status = 200;
  http.body = R"({"id":"c","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"x"},
    "logprobs":{"content":[{"token":"x","logprob":"low","bytes":null,"top_logprobs":[]}]},"finish_reason":"stop"}]})";
  auto r = make_openai_adapter()->parse_response(http, kEp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse);
  EXPECT_NE(r.status().message().find("choices[0].logprobs.content[0].logprob"), std::string::npos) << r.status().message();
}

TEST(OpenAiLogprobs, StreamRoundTripWithChoiceIndexes) {
  OpenAiSseWriter w("chatcmpl-2", "gpt-4o", 1735689600, /*include_usage=*/true);
  const auto lps = sample();
  StreamEvent a = StreamEvent::TextDelta("Hi");
  a.logprobs = {lps[0]};
  StreamEvent b = StreamEvent::TextDelta("!");
  b.logprobs = {lps[1]};
  ChatResponse done;
  done.finish_reason = FinishReason::kStop;
  Usage usage;
  usage.prompt_tokens = 3;
  usage.completion_tokens = 4;
  usage.total_tokens = 7;
  done.usage = usage;
  std::string sse = w.event(a);  // one call per statement: the writer's order is the stream's
  sse += w.event(b);
  sse += w.finish_choice(done);
  w.begin_choice(1);
  sse += w.event(StreamEvent::TextDelta("Yo"));
  sse += w.finish_choice(done);
  sse += w.finish(done);
  // With logprobs, the role chunk comes first with empty content and empty logprobs.
  EXPECT_EQ(sse.find(R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":{"content":[],"refusal":null})"),
            sse.find("data: ") + std::string("data: {\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o\",").size())
      << sse;
  EXPECT_NE(sse.find(R"("choices":[{"index":1,"delta":{"role":"assistant","content":"Yo"})"), std::string::npos) << sse;
  size_t finishes = 0;
  for (size_t p = 0; (p = sse.find("\"finish_reason\":\"stop\"", p)) != std::string::npos; ++p) ++finishes;
  EXPECT_EQ(finishes, 2u);
  for (bool fast : {true, false}) {
    OpenAiAdapter::Options o;
    o.fast_json = fast;
    auto dec = OpenAiAdapter(o).new_stream_decoder(kEp);
    std::vector<StreamEvent> ev;
    ASSERT_TRUE(dec->feed(sse, ev).ok());
    ASSERT_TRUE(dec->finish(ev).ok());
    StreamAccumulator acc;
    for (const auto& e : ev) ASSERT_TRUE(acc.add(e).ok());
    EXPECT_EQ(acc.response().content, "Hi!") << "choice 0 only (fast_json " << fast << ")";
    EXPECT_EQ(acc.response().logprobs, lps);
    EXPECT_EQ(acc.response().usage->total_tokens, 7u);
  }
}

}  // namespace
}  // namespace ploke::adapters::openai
