// OpenAI stream decoding: text, parallel tool calls, usage, in-band errors, truncation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/random.h"
#include "stream_decode_util.h"
#include "support/test_support.h"

namespace ploke::adapters::openai {
namespace {

using Kind = StreamEvent::Kind;

const std::string kTextStream =
    R"(data: {"id":"chatcmpl-sim0002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","system_fingerprint":"fp_sim","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\n\n"
    ": OPENROUTER PROCESSING\n\n"
    R"(data: {"id":"chatcmpl-sim0002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","system_fingerprint":"fp_sim","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\r\n\r\n"
    R"(data: {"id":"chatcmpl-sim0002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","system_fingerprint":"fp_sim","choices":[{"index":0,"delta":{"content":"lo! \u00e9\u20ac \"q\""},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-sim0002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","system_fingerprint":"fp_sim","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-sim0002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","system_fingerprint":"fp_sim","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":1}}})"
    "\n\n"
    "data: [DONE]\n\n";

const std::string kToolStream =
    R"(data: {"id":"chatcmpl-sim0003","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-sim0003","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": \"Pa"}}]},"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-sim0003","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_B","type":"function","function":{"name":"get_time","arguments":""}}]},"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-sim0003","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ris\\n\"}"}}]},"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-sim0003","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":\"CET\"}"}}]},"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-sim0003","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"
    "\n\n"
    "data: [DONE]\n\n";

using testing_support::assemble;
using testing_support::Decoded;
using testing_support::describe;

Decoded decode(std::string_view stream, const std::vector<size_t>& cuts = {}, bool fast_json = true) {
  OpenAiAdapter::Options opts;
  opts.fast_json = fast_json;
  auto dec = OpenAiAdapter(opts).new_stream_decoder(Endpoint{"openai", "", Secret(), {}});
  return testing_support::decode_with(*dec, stream, cuts);
}

TEST(OpenAiStreamTest, DecodesTextStream) {
  const Decoded d = decode(kTextStream);
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  EXPECT_TRUE(d.terminated);
  ASSERT_EQ(d.events.size(), 5u) << describe(d.events);
  EXPECT_EQ(d.events[0].kind, Kind::kStart);
  EXPECT_EQ(d.events[0].id, "chatcmpl-sim0002");
  EXPECT_EQ(d.events[0].model, "gpt-4o");
  EXPECT_EQ(d.events[1].kind, Kind::kTextDelta);
  EXPECT_EQ(d.events[1].text, "Hel");
  EXPECT_EQ(d.events[2].text, "lo! \xC3\xA9\xE2\x82\xAC \"q\"");
  EXPECT_EQ(d.events[3].kind, Kind::kFinish);
  EXPECT_EQ(d.events[3].finish_reason, FinishReason::kStop);
  EXPECT_EQ(d.events[4].kind, Kind::kUsage);
  EXPECT_EQ(d.events[4].usage.prompt_tokens, 12u);
  EXPECT_EQ(d.events[4].usage.cached_prompt_tokens, 2u);
  EXPECT_EQ(d.events[4].usage.reasoning_tokens, 1u);
  const ChatResponse r = assemble(d.events);
  EXPECT_EQ(r.content, "Hello! \xC3\xA9\xE2\x82\xAC \"q\"");
}

TEST(OpenAiStreamTest, DecodesParallelToolCallFragments) {
  const Decoded d = decode(kToolStream);
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  ASSERT_EQ(d.events.size(), 7u) << describe(d.events);
  EXPECT_EQ(d.events[1].kind, Kind::kToolCallDelta);
  EXPECT_EQ(d.events[1].tool_index, 0u);
  EXPECT_EQ(d.events[1].tool_call_id, "call_A");
  EXPECT_EQ(d.events[1].tool_name, "get_weather");
  EXPECT_EQ(d.events[2].tool_call_id, "");
  EXPECT_EQ(d.events[2].tool_name, "");
  EXPECT_EQ(d.events[2].arguments_fragment, "{\"city\": \"Pa");
  EXPECT_EQ(d.events[3].tool_index, 1u);
  EXPECT_EQ(d.events[3].tool_call_id, "call_B");
  EXPECT_EQ(d.events[6].finish_reason, FinishReason::kToolCalls);
  const ChatResponse r = assemble(d.events);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0], (ToolCall{"call_A", "get_weather", "{\"city\": \"Paris\\n\"}"}));
  EXPECT_EQ(r.tool_calls[1], (ToolCall{"call_B", "get_time", "{\"tz\":\"CET\"}"}));
}

TEST(OpenAiStreamTest, SameEventsForRandomChunkSplits) {
  const uint64_t seed = testing::test_seed();
  Random rng(seed);
  for (const std::string* stream : {&kTextStream, &kToolStream}) {
    const std::string ref = describe(decode(*stream).events);
    for (int iter = 0; iter < 500; ++iter) {
      std::vector<size_t> cuts;
      for (size_t i = 0, n = rng.below(20); i < n; ++i) cuts.push_back(rng.below(stream->size() + 1));
      std::sort(cuts.begin(), cuts.end());
      const Decoded d = decode(*stream, cuts);
      ASSERT_OK(d.status);
      ASSERT_OK(d.finish);
      ASSERT_EQ(describe(d.events), ref) << "seed=" << seed << " iter=" << iter;
    }
  }
}

TEST(OpenAiStreamTest, MissingDoneIsConnectionReset) {
  const std::string cut = kTextStream.substr(0, kTextStream.find("data: [DONE]"));
  const Decoded d = decode(cut);
  ASSERT_OK(d.status);
  EXPECT_EQ(d.finish.code(), StatusCode::kConnectionReset);
  EXPECT_NE(d.finish.message().find("[DONE]"), std::string::npos);
  EXPECT_FALSE(d.terminated);
  // [DONE] without the final blank line still terminates.
  const Decoded d2 = decode(cut + "data: [DONE]\n");
  ASSERT_OK(d2.finish);
  EXPECT_TRUE(d2.terminated);
}

TEST(OpenAiStreamTest, MidStreamErrorIsMapped) {
  const std::string head = kTextStream.substr(0, kTextStream.find("\n\n") + 2);
  Decoded d = decode(head + R"(data: {"error":{"message":"The server had an error","type":"server_error","code":null}})" +
                     "\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kServerError) << d.status.to_string();
  EXPECT_EQ(d.status.http_status(), 0);
  EXPECT_EQ(d.status.provider(), "openai");
  ASSERT_EQ(d.events.size(), 1u);  // the start event came before the error
  d = decode(head + R"(data: {"error":{"message":"Rate limit","code":"rate_limit_exceeded"}})" + "\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kRateLimited);
  // OpenRouter: error plus finish_reason "error" in a normal-looking chunk.
  d = decode(head + R"(data: {"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"m","provider":"X","error":{"code":"server_error","message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]})" +
             "\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kServerError);
  d = decode(head + R"(data: {"error":{"code":529,"message":"Overloaded"}})" + "\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kOverloaded);
  d = decode("event: error\ndata: {\"error\":{\"message\":\"nope\",\"type\":\"invalid_request_error\"}}\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kInvalidRequest);
}

TEST(OpenAiStreamTest, MalformedJsonReportsStreamOffset) {
  const std::string head = kTextStream.substr(0, kTextStream.find("\n\n") + 2);
  const Decoded d = decode(head + "data: {\"choices\":[{\"delta\":{\"content\":\"x}\n\n");
  EXPECT_EQ(d.status.code(), StatusCode::kMalformedResponse);
  EXPECT_NE(d.status.message().find("stream byte " + std::to_string(head.size())), std::string::npos)
      << d.status.message();
  const Decoded d2 = decode(R"(data: {"choices":[{"delta":{"tool_calls":[{"index":"0"}]}}]})" "\n\n");
  EXPECT_EQ(d2.status.code(), StatusCode::kMalformedResponse);
  EXPECT_NE(d2.status.message().find("choices[0].delta.tool_calls[0].index"), std::string::npos)
      << d2.status.message();
  // Sticky: later input keeps returning the error.
}

TEST(OpenAiStreamTest, IgnoresEverythingAfterDone) {
  const Decoded d = decode(kTextStream + "data: {not json\n\n");
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  EXPECT_EQ(d.events.size(), 5u);
}

TEST(OpenAiStreamTest, FinishEmittedOnceAndOtherChoicesIgnored) {
  const std::string s =
      R"(data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"},{"index":1,"delta":{"content":"other"},"finish_reason":"length"}]})"
      "\n\n"
      R"(data: {"id":"a","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}})"
      "\n\ndata: [DONE]\n\n";
  const Decoded d = decode(s);
  ASSERT_OK(d.status);
  ASSERT_EQ(describe(d.events), "start(a)text_delta(x)finish(stop)usage()") << describe(d.events);
}

std::string full(const std::vector<StreamEvent>& events) {
  std::string s;
  for (const auto& e : events) {
    s += std::string(stream_event_kind_name(e.kind)) + "|" + e.text + "|" + std::to_string(e.tool_index) + "|" +
         e.tool_call_id + "|" + e.tool_name + "|" + e.arguments_fragment + "|" +
         std::string(finish_reason_name(e.finish_reason)) + "|" + e.native_finish_reason + "|" + e.id + "|" +
         e.model + "|" + std::to_string(e.usage.prompt_tokens) + "," + std::to_string(e.usage.completion_tokens) +
         "," + std::to_string(e.usage.total_tokens) + "," + std::to_string(e.usage.cached_prompt_tokens) + "," +
         std::to_string(e.usage.reasoning_tokens) + "\n";
  }
  return s;
}

// The single-pass chunk decoder and the DOM decoder must produce identical events and
// statuses, on the corpora and on randomly mutated chunks.
TEST(OpenAiStreamTest, FastAndDomDecodersAgree) {
  Random rng(testing::test_seed());
  auto same = [](std::string_view stream) {
    const Decoded a = decode(stream, {}, true);
    const Decoded b = decode(stream, {}, false);
    ASSERT_EQ(full(a.events), full(b.events)) << ::testing::PrintToString(std::string(stream));
    ASSERT_EQ(a.status.code(), b.status.code()) << a.status.to_string() << " vs " << b.status.to_string();
    ASSERT_EQ(a.finish.code(), b.finish.code());
  };
  same(kTextStream);
  same(kToolStream);
  const std::string extra[] = {
      R"(data: {"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"x"},"index":2},{"id":"c","function":null}],"content":"t"},"index":0,"finish_reason":"stop"},{"index":1,"delta":{"content":"no"}}],"usage":{"prompt_tokens":3},"id":"z","model":"m"})",
      R"(data: {"id":"a","choices":null,"usage":null,"error":null})",
      R"(data: {"id":"a","choices":[{"index":0,"delta":null,"finish_reason":null,"logprobs":{"content":[{"token":"x","bytes":[1,2]}]}}]})",
      // Repeated members (the last one wins on the DOM path; the fast path defers to it).
      R"(data: {"id":"a","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}],"choices":[{"index":0,"delta":{}}]})",
      R"(data: {"choices":[{"index":0,"delta":{"content":"x"},"delta":{"tool_calls":[{"index":0,"function":{"name":"f"}}]}}]})",
      R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f"},"function":{"arguments":"{}"}}]}}]})",
  };
  for (const std::string& e : extra) same(e + "\n\ndata: [DONE]\n\n");
  // Mutate one chunk of each corpus.
  for (const std::string* corpus : {&kTextStream, &kToolStream}) {
    for (int i = 0; i < 600; ++i) {
      std::string m = *corpus;
      const size_t start = m.find("data: {", rng.below(m.size() - 20));
      if (start == std::string::npos) continue;
      const size_t end = m.find("\n", start);
      const size_t pos = start + 6 + rng.below(end - start - 6);
      switch (rng.below(3)) {
        case 0: m.erase(pos, 1); break;
        case 1: m[pos] = "{}[]\",:0-9 nlx\\"[rng.below(16)]; break;
        default: m.insert(pos, 1, "{}[]\",:0-9 nlx\\"[rng.below(16)]); break;
      }
      same(m);
    }
  }
}

}  // namespace
}  // namespace ploke::adapters::openai
