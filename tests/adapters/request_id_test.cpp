// Each package names the response header carrying its request id
// (ProviderAdapter::request_id_headers()), and ChatClient takes a stream's request id from
// that header only — never from another provider's (OpenAI x-request-id, Anthropic
// request-id, OpenRouter x-request-id then x-generation-id).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/core/scripted_response.h"
#include "support/test_support.h"

namespace ploke {
namespace {

const std::string kOpenAiStream =
    R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"
    "\n\n"
    "data: [DONE]\n\n";

const std::string kAnthropicStream =
    "event: message_start\n"
    R"(data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":1}}})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}})"
    "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":0})"
    "\n\n"
    "event: message_delta\n"
    R"(data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}})"
    "\n\n"
    "event: message_stop\n"
    R"(data: {"type":"message_stop"})"
    "\n\n";

struct Hdr {
  const char* name;
  const char* value;
};

// One streamed attempt through ChatClient answered with `body` and `headers`.
Result<ChatResponse> stream_with(const ProviderAdapter& adapter, const std::string& body, const std::vector<Hdr>& headers) {
  SimulatedClock clock;
  ScriptedResponse script;
  script.streaming = true;
  script.headers.add("content-type", "text/event-stream");
  for (const Hdr& h : headers) script.headers.add(h.name, h.value);
  script.chunks.push_back({Duration{0}, body});
  InProcessTransport transport(clock, [&](const HttpRequest&) { return script; });
  ChatClient client(adapter, Endpoint{"p", "http://127.0.0.1:1/v1", Secret{}, {}}, transport, clock, CallOptions{});
  ChatRequest req;
  req.model = "m";
  req.messages.push_back(Message::User("hi"));
  return client.stream(req, nullptr);
}

std::vector<std::string> names(const ProviderAdapter& a) {
  return {a.request_id_headers().begin(), a.request_id_headers().end()};
}

TEST(RequestIdHeader, OpenAiTakesXRequestIdOnly) {
  std::vector<ProviderAdapterPtr> both;
  both.push_back(adapters::openai::make_openai_adapter());
  both.push_back(adapters::openai::make_custom_openai_adapter());
  for (const ProviderAdapterPtr& adapter : both) {
    EXPECT_EQ(names(*adapter), std::vector<std::string>{"x-request-id"});
    auto own = stream_with(*adapter, kOpenAiStream, {{"request-id", "anth"}, {"x-generation-id", "gen"}, {"x-request-id", "oai"}});
    ASSERT_OK(own);
    EXPECT_EQ(own->content, "hi");
    EXPECT_EQ(own->request_id, "oai");
    auto foreign = stream_with(*adapter, kOpenAiStream, {{"request-id", "anth"}, {"x-generation-id", "gen"}});
    ASSERT_OK(foreign);
    EXPECT_EQ(foreign->request_id, "");
  }
}

TEST(RequestIdHeader, AnthropicTakesRequestIdOnly) {
  auto adapter = adapters::anthropic::make_anthropic_adapter();
  EXPECT_EQ(names(*adapter), std::vector<std::string>{"request-id"});
  auto own = stream_with(*adapter, kAnthropicStream, {{"x-request-id", "oai"}, {"x-generation-id", "gen"}, {"request-id", "anth"}});
  ASSERT_OK(own);
  EXPECT_EQ(own->content, "hi");
  EXPECT_EQ(own->request_id, "anth");
  auto foreign = stream_with(*adapter, kAnthropicStream, {{"x-request-id", "oai"}, {"x-generation-id", "gen"}});
  ASSERT_OK(foreign);
  EXPECT_EQ(foreign->request_id, "");
}

TEST(RequestIdHeader, OpenRouterTakesXRequestIdThenGenerationId) {
  auto adapter = adapters::openrouter::make_openrouter_adapter();
  EXPECT_EQ(names(*adapter), (std::vector<std::string>{"x-request-id", "x-generation-id"}));
  auto both = stream_with(*adapter, kOpenAiStream, {{"request-id", "anth"}, {"x-generation-id", "gen"}, {"x-request-id", "oai"}});
  ASSERT_OK(both);
  EXPECT_EQ(both->content, "hi");
  EXPECT_EQ(both->request_id, "oai");
  auto generation = stream_with(*adapter, kOpenAiStream, {{"request-id", "anth"}, {"x-generation-id", "gen"}});
  ASSERT_OK(generation);
  EXPECT_EQ(generation->request_id, "gen");
  auto foreign = stream_with(*adapter, kOpenAiStream, {{"request-id", "anth"}});
  ASSERT_OK(foreign);
  EXPECT_EQ(foreign->request_id, "");
}

}  // namespace
}  // namespace ploke
