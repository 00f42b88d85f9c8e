// The openai-responses adapter (the Responses API's client half): request shaping, the
// Response parsed into the normalized answer, the typed stream decoded in any split into
// StreamEvents (text, tool calls, usage, finish, the end), errors in and out of the stream;
// checked against the package's own server half (render_response / render_response_stream).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ploke/adapters/openai/responses.h"
#include "ploke/adapters/openai/responses_adapter.h"
#include "ploke/core/random.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;

const Endpoint kResponsesEp{"openai", "https://api.example/v1/", Secret("sk-FAKE-responses-0123456789"), {}};

ChatRequest responses_conversation() {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages = {Message::System("Be brief."), Message::User("Weather?")};
  Message a = Message::Assistant("Looking.");
  a.tool_calls.push_back(ToolCall{"call_1", "get_weather", R"({"city":"Paris"})"});
  r.messages.push_back(a);
  r.messages.push_back(Message::ToolResult("call_1", "21"));
  r.tools.push_back(ToolDefinition{"get_weather", "Weather", R"({"type":"object"})", std::nullopt, CacheControl::kNone});
  r.tool_choice.mode = ToolChoice::Mode::kRequired;
  r.max_output_tokens = 64;
  r.stream = true;
  return r;
}

TEST(OpenAiResponsesAdapter, ShapesInputItemsToolsAndOptions) {
  OpenAiResponsesAdapter a;
  auto http = a.build_request(responses_conversation(), kResponsesEp);
  ASSERT_TRUE(http.ok()) << http.status().to_string();
  EXPECT_EQ(http->path, "/responses");
  EXPECT_EQ(http->base_url, "https://api.example/v1");
  EXPECT_TRUE(http->expect_stream);
  const json b = json::parse(http->body);
  ASSERT_EQ(b["input"].size(), 5u);
  EXPECT_EQ(b["input"][0], json({{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(b["input"][2]["role"], "assistant");
  EXPECT_EQ(b["input"][3]["type"], "function_call");
  EXPECT_EQ(b["input"][3]["call_id"], "call_1");
  EXPECT_EQ(b["input"][4], json({{"type", "function_call_output"}, {"call_id", "call_1"}, {"output", "21"}}));
  EXPECT_EQ(b["tools"][0]["name"], "get_weather");
  EXPECT_EQ(b["tools"][0]["type"], "function");
  EXPECT_EQ(b["tool_choice"], "required");
  EXPECT_EQ(b["max_output_tokens"], 64);
  EXPECT_EQ(b["store"], false);
  EXPECT_EQ(b["stream"], true);
  ChatRequest stop = responses_conversation();
  stop.stop = {"END"};
  EXPECT_EQ(a.build_request(stop, kResponsesEp).status().code(), StatusCode::kInvalidRequest);
}

WireResponse client_sample() {
  WireResponse w;
  w.id = "resp_1";
  w.model = "gpt-4o";
  w.input_tokens = 9;
  w.output_tokens = 4;
  w.reasoning_tokens = 3;
  WireOutputItem rs;  // a reasoning model's item first, with a summary
  rs.is_reasoning = true;
  rs.id = "rs_1";
  rs.tokens = {"Think", "ing."};
  rs.encrypted_content = "gAAAAAopaque";
  w.output.push_back(rs);
  WireOutputItem m;
  m.id = "msg_1";
  m.tokens = {"Hello", " \"there\"", " caf\xC3\xA9."};
  w.output.push_back(m);
  WireOutputItem f;
  f.is_call = true;
  f.id = "fc_1";
  f.call_id = "call_7";
  f.name = "get_weather";
  f.arguments = R"({"city":"Rome"})";
  f.fragments = {R"({"ci)", R"(ty":"Rome"})"};
  w.output.push_back(f);
  return w;
}

TEST(OpenAiResponsesAdapter, ParsesAResponse) {
  OpenAiResponsesAdapter a;
  HttpResponse resp;
  resp.status = 200;
  resp.body = render_response(client_sample());
  resp.headers.add("x-request-id", "req_9");
  auto r = a.parse_response(resp, kResponsesEp);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->id, "resp_1");
  EXPECT_EQ(r->content, "Hello \"there\" caf\xC3\xA9.");
  ASSERT_EQ(r->tool_calls.size(), 1u);
  EXPECT_EQ(r->tool_calls[0].id, "call_7");
  EXPECT_EQ(r->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(r->usage->prompt_tokens, 9u);
  EXPECT_EQ(r->usage->total_tokens, 13u);
  EXPECT_EQ(r->usage->reasoning_tokens, 3u);
  EXPECT_EQ(r->reasoning, "Thinking.");
  EXPECT_EQ(r->request_id, "req_9");
  WireResponse cut = client_sample();
  cut.incomplete = true;
  resp.body = render_response(cut);
  EXPECT_EQ(a.parse_response(resp, kResponsesEp)->finish_reason, FinishReason::kLength);
  resp.body = R"({"error":{"message":"boom","type":"server_error","param":null,"code":null}})";
  EXPECT_EQ(a.parse_response(resp, kResponsesEp).status().code(), StatusCode::kServerError);
}

std::string response_stream_bytes(const WireResponse& w) {
  std::string s;
  for (const auto& e : render_response_stream(w)) s += e.bytes;
  return s;
}

TEST(OpenAiResponsesAdapter, DecodesTheStreamInAnySplit) {
  OpenAiResponsesAdapter a;
  const std::string bytes = response_stream_bytes(client_sample());
  Random rng(17);
  for (int round = 0; round < 40; ++round) {
    auto dec = a.new_stream_decoder(kResponsesEp);
    std::vector<StreamEvent> ev;
    for (size_t pos = 0; pos < bytes.size();) {
      const size_t n = std::min<size_t>(round == 0 ? 1 : 1 + rng.below(200), bytes.size() - pos);
      ASSERT_TRUE(dec->feed(std::string_view(bytes).substr(pos, n), ev).ok());
      pos += n;
    }
    ASSERT_TRUE(dec->finish(ev).ok());
    ASSERT_TRUE(dec->terminated());
    StreamAccumulator acc;
    for (const auto& e : ev) ASSERT_TRUE(acc.add(e).ok());
    EXPECT_EQ(ev.front().kind, StreamEvent::Kind::kStart);
    EXPECT_EQ(ev.front().id, "resp_1");
    const ChatResponse& r = acc.response();
    EXPECT_EQ(r.content, "Hello \"there\" caf\xC3\xA9.");
    ASSERT_EQ(r.tool_calls.size(), 1u);
    EXPECT_EQ(r.tool_calls[0].id, "call_7");
    EXPECT_EQ(r.tool_calls[0].arguments_json, R"({"city":"Rome"})");
    EXPECT_EQ(r.finish_reason, FinishReason::kToolCalls);
    EXPECT_EQ(r.usage->completion_tokens, 4u);
    EXPECT_EQ(r.usage->reasoning_tokens, 3u);
    EXPECT_EQ(r.reasoning, "Thinking.");
  }
}

TEST(OpenAiResponsesAdapter, StreamErrorsAndTruncation) {
  OpenAiResponsesAdapter a;
  auto dec = a.new_stream_decoder(kResponsesEp);
  std::vector<StreamEvent> ev;
  const std::string bytes = response_stream_bytes(client_sample());
  const std::string head = bytes.substr(0, bytes.find("event: response.output_text.done"));
  ASSERT_TRUE(dec->feed(head, ev).ok());
  const Status cut = dec->finish(ev);
  EXPECT_EQ(cut.code(), StatusCode::kConnectionReset);
  EXPECT_NE(cut.message().find("response.completed"), std::string::npos);
  dec = a.new_stream_decoder(kResponsesEp);
  const std::string err = head + response_error_event(WireError{429, "slow down", "requests", std::nullopt,
                                                                 std::string("rate_limit_exceeded")}, 9);
  EXPECT_EQ(dec->feed(err, ev).code(), StatusCode::kRateLimited);
  dec = a.new_stream_decoder(kResponsesEp);
  EXPECT_EQ(dec->feed(std::string(kMalformedResponseEvent), ev).code(), StatusCode::kMalformedResponse);
}

}  // namespace
}  // namespace ploke::adapters::openai
