// Anthropic stream decoding: the full event sequence (text then tool_use), usage merging,
// ping/unknown events, `event: error` mid-stream, truncation, malformed events, and
// identical results for randomized chunk splits.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/core/random.h"
#include "stream_decode_util.h"
#include "support/test_support.h"

namespace ploke::adapters::anthropic {
namespace {

using Kind = StreamEvent::Kind;

// The API reference's stream example, plus a unicode/escape-heavy text delta, a thinking block, CRLF
// line ends and an unknown event.
const std::string kStream =
    "event: message_start\n"
    R"(data: {"type":"message_start","message":{"id":"msg_sim02","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":320,"output_tokens":1,"cache_creation_input_tokens":7,"cache_read_input_tokens":100}}})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}})"
    "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":0})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})"
    "\r\n\r\n"
    "event: ping\n"
    R"(data: {"type":"ping"})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me "}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"check \u00e9\u20ac \"q\"."}})"
    "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":1})"
    "\n\n"
    "event: brand_new_event\n"
    R"(data: {"type":"brand_new_event","x":1})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_sim02","name":"get_weather","input":{}}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ris\\n\"}"}})"
    "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":2})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_B","name":"get_time","input":{}}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"tz\":\"CET\"}"}})"
    "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":3})"
    "\n\n"
    "event: message_delta\n"
    R"(data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":41}})"
    "\n\n"
    "event: message_stop\n"
    R"(data: {"type":"message_stop"})"
    "\n\n";

const std::string kStart =
    "event: message_start\n"
    R"(data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"
    "\n\n";

using testing_support::assemble;
using testing_support::Decoded;

Decoded decode(std::string_view stream, const std::vector<size_t>& cuts = {}) {
  auto dec = AnthropicAdapter().new_stream_decoder(Endpoint{"anthropic", "", Secret(), {}});
  return testing_support::decode_with(*dec, stream, cuts);
}

// With tool indexes and token counts.
std::string describe(const std::vector<StreamEvent>& events) { return testing_support::describe(events, true); }

TEST(AnthropicStreamTest, DecodesTheFullEventSequence) {
  const Decoded d = decode(kStream);
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  EXPECT_TRUE(d.terminated);
  ASSERT_EQ(d.events.size(), 13u) << describe(d.events);
  EXPECT_EQ(d.events[0].kind, Kind::kStart);
  EXPECT_EQ(d.events[0].id, "msg_sim02");
  EXPECT_EQ(d.events[0].model, "claude-sonnet-4-5");
  // message_start's usage right away: the prompt's counts (and its cache split) before content.
  EXPECT_EQ(d.events[1].kind, Kind::kUsage);
  EXPECT_EQ(d.events[1].usage.prompt_tokens, 427u);
  EXPECT_EQ(d.events[2].kind, Kind::kReasoningDelta);  // thinking_delta
  EXPECT_EQ(d.events[2].text, "hmm");
  EXPECT_EQ(d.events[3].kind, Kind::kReasoningDelta);  // signature_delta: no text, the signature
  EXPECT_EQ(d.events[3].text, "");
  EXPECT_EQ(d.events[3].signature, "sig");
  const std::vector<StreamEvent> e(d.events.begin() + 2, d.events.end());  // from the signature on
  EXPECT_EQ(e[2].kind, Kind::kTextDelta);
  EXPECT_EQ(e[2].text, "Let me ");
  EXPECT_EQ(e[3].text, "check \xC3\xA9\xE2\x82\xAC \"q\".");
  EXPECT_EQ(e[4].kind, Kind::kToolCallDelta);
  EXPECT_EQ(e[4].tool_index, 0u);
  EXPECT_EQ(e[4].tool_call_id, "toolu_sim02");
  EXPECT_EQ(e[4].tool_name, "get_weather");
  EXPECT_EQ(e[4].arguments_fragment, "");
  EXPECT_EQ(e[5].arguments_fragment, "{\"city\": \"Pa");  // the empty "" delta is not an event
  EXPECT_EQ(e[5].tool_call_id, "");
  EXPECT_EQ(e[7].tool_index, 1u);
  EXPECT_EQ(e[7].tool_call_id, "toolu_B");
  EXPECT_EQ(e[9].kind, Kind::kFinish);
  EXPECT_EQ(e[9].finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(e[9].native_finish_reason, "tool_use");
  EXPECT_EQ(e[10].kind, Kind::kUsage);
  EXPECT_EQ(e[10].usage.prompt_tokens, 427u);  // input + cache read + cache creation
  EXPECT_EQ(e[10].usage.cached_prompt_tokens, 100u);
  EXPECT_EQ(e[10].usage.cache_write_tokens, 7u);
  EXPECT_EQ(e[10].usage.completion_tokens, 41u);
  EXPECT_EQ(e[10].usage.total_tokens, 468u);
  const ChatResponse r = assemble(d.events);
  EXPECT_EQ(r.content, "Let me check \xC3\xA9\xE2\x82\xAC \"q\".");
  EXPECT_EQ(r.reasoning, "hmm");
  EXPECT_EQ(r.reasoning_blocks, (std::vector<ReasoningBlock>{{ReasoningBlock::Kind::kThinking, "hmm", "sig", ""}}));
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0], (ToolCall{"toolu_sim02", "get_weather", "{\"city\": \"Paris\\n\"}"}));
  EXPECT_EQ(r.tool_calls[1], (ToolCall{"toolu_B", "get_time", "{\"tz\":\"CET\"}"}));
  EXPECT_EQ(r.finish_reason, FinishReason::kToolCalls);
}

TEST(AnthropicStreamTest, SameEventsForRandomChunkSplits) {
  const uint64_t seed = testing::test_seed();
  Random rng(seed);
  const std::string ref = describe(decode(kStream).events);
  for (int iter = 0; iter < 500; ++iter) {
    std::vector<size_t> cuts;
    for (size_t i = 0, n = rng.below(30); i < n; ++i) cuts.push_back(rng.below(kStream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    const Decoded d = decode(kStream, cuts);
    ASSERT_OK(d.status);
    ASSERT_OK(d.finish);
    ASSERT_TRUE(d.terminated);
    ASSERT_EQ(describe(d.events), ref) << "seed=" << seed << " iter=" << iter;
  }
  // Byte by byte.
  std::vector<size_t> every;
  for (size_t i = 1; i < kStream.size(); ++i) every.push_back(i);
  EXPECT_EQ(describe(decode(kStream, every).events), ref);
}

TEST(AnthropicStreamTest, MidStreamErrorEventIsTheMappedStatus) {
  const std::string s = kStart +
                        "event: error\n"
                        R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
                        "\n\n";
  const Decoded d = decode(s);
  ASSERT_FALSE(d.status.ok());
  EXPECT_EQ(d.status.code(), StatusCode::kOverloaded) << d.status.to_string();
  EXPECT_NE(d.status.message().find("Overloaded"), std::string::npos);
  EXPECT_EQ(d.status.provider(), "anthropic");
  EXPECT_EQ(describe(d.events), describe(decode(kStart).events));  // what came before was delivered
  // Sticky: later feeds return the same error.
  auto dec = AnthropicAdapter().new_stream_decoder(Endpoint{"anthropic", "", Secret(), {}});
  std::vector<StreamEvent> ev;
  EXPECT_EQ(dec->feed(s, ev).code(), StatusCode::kOverloaded);
  EXPECT_EQ(dec->feed("event: ping\ndata: {}\n\n", ev).code(), StatusCode::kOverloaded);
  EXPECT_EQ(dec->finish(ev).code(), StatusCode::kOverloaded);
}

TEST(AnthropicStreamTest, ErrorEventTypes) {
  for (const auto& [type, code] : {std::pair<const char*, StatusCode>{"api_error", StatusCode::kServerError},
                                   {"rate_limit_error", StatusCode::kRateLimited},
                                   {"invalid_request_error", StatusCode::kInvalidRequest}}) {
    const Decoded d = decode(std::string("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"") + type +
                             "\",\"message\":\"m\"}}\n\n");
    EXPECT_EQ(d.status.code(), code) << type;
  }
}

TEST(AnthropicStreamTest, TruncatedStreamIsConnectionReset) {
  const Decoded d = decode(kStart);
  ASSERT_OK(d.status);
  EXPECT_EQ(d.finish.code(), StatusCode::kConnectionReset);
  EXPECT_NE(d.finish.message().find("message_stop"), std::string::npos);
  EXPECT_FALSE(d.terminated);
  const Decoded empty = decode("");
  EXPECT_EQ(empty.finish.code(), StatusCode::kConnectionReset);
}

TEST(AnthropicStreamTest, BytesAfterMessageStopAreIgnored) {
  const Decoded d = decode(kStream + "event: content_block_delta\ndata: {not json\n\n");
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  EXPECT_TRUE(d.terminated);
}

TEST(AnthropicStreamTest, EventsWithoutEventLinesUseTheDataType) {
  std::string s;
  for (const std::string& line : {std::string(R"({"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":3}}})"),
                                  std::string(R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":"A"}})"),
                                  std::string(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"B"}})"),
                                  std::string(R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":2}})"),
                                  std::string(R"({"type":"message_stop"})")}) {
    s += "data: " + line + "\n\n";
  }
  const Decoded d = decode(s);
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  const ChatResponse r = assemble(d.events);
  EXPECT_EQ(r.content, "AB");
  EXPECT_EQ(r.finish_reason, FinishReason::kLength);
  ASSERT_TRUE(r.usage);
  EXPECT_EQ(r.usage->prompt_tokens, 3u);
  EXPECT_EQ(r.usage->completion_tokens, 2u);
}

TEST(AnthropicStreamTest, MalformedEventsNameTheProblemAndOffset) {
  const std::string start = kStart.substr(0, kStart.find("event: content_block_start"));
  const std::pair<std::string, const char*> cases[] = {
      {"event: message_start\ndata: {\"type\":\"message_start\",\n\n", "invalid JSON at data byte"},
      {"event: content_block_delta\ndata: {\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n",
       "event before message_start"},
      {start + "event: content_block_delta\ndata: {\"index\":5,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n",
       "index 5: no content_block_start"},
      {start + "event: content_block_start\ndata: {\"index\":0}\n\n", "content_block: missing"},
      {start + "event: content_block_start\ndata: {\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\"}}\n\n",
       "content_block.name: missing"},
      {kStart + "event: content_block_delta\ndata: {\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n",
       "input_json_delta on a non-tool_use block"},
      {kStart + "event: content_block_delta\ndata: {\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":3}}\n\n",
       "delta.text: expected string"},
      {kStart + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"}}\n\n",
       "delta.text: missing"},
      {kStart + "event: content_block_stop\ndata: {\"index\":0}\n\nevent: content_block_stop\ndata: {\"index\":0}\n\n",
       "block already stopped"},
      {start + "event: message_start\ndata: {\"message\":{}}\n\n", "second message_start"},
      {start + "event: message_delta\ndata: {\"delta\":{},\"usage\":{\"output_tokens\":-4}}\n\n",
       "usage.output_tokens: negative count"},
      {"event: message_start\ndata: [1]\n\n", "data is not a JSON object"},
  };
  for (const auto& [s, what] : cases) {
    const Decoded d = decode(s);
    ASSERT_FALSE(d.status.ok()) << s;
    EXPECT_EQ(d.status.code(), StatusCode::kMalformedResponse) << s;
    EXPECT_NE(d.status.message().find(what), std::string::npos) << s << " -> " << d.status.message();
    EXPECT_NE(d.status.message().find("at stream byte"), std::string::npos);
  }
}

TEST(AnthropicStreamTest, UsageIsCumulativeAcrossMessageDeltas) {
  std::string s = kStart;
  s += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\n";
  s += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9,\"input_tokens\":null}}\n\n";
  s += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  const Decoded d = decode(s);
  ASSERT_OK(d.status);
  ASSERT_OK(d.finish);
  int finishes = 0;
  for (const auto& e : d.events) finishes += e.kind == Kind::kFinish;
  EXPECT_EQ(finishes, 1);
  const ChatResponse r = assemble(d.events);
  ASSERT_TRUE(r.usage);
  EXPECT_EQ(r.usage->prompt_tokens, 10u);
  EXPECT_EQ(r.usage->completion_tokens, 9u);
  EXPECT_EQ(r.finish_reason, FinishReason::kStop);
}

}  // namespace
}  // namespace ploke::adapters::anthropic

namespace ploke::adapters::anthropic {
namespace {

// Corrupted input never escapes as an exception or kInternal: every outcome is OK, a
// protocol error (kMalformedResponse), a truncation (kConnectionReset) or, when the
// mutation happens to produce one, an in-band error's mapped code.
TEST(AnthropicStreamTest, RandomCorruptionNeverThrowsOrIsInternal) {
  const uint64_t seed = testing::test_seed();
  Random rng(seed);
  const AnthropicAdapter adapter;
  const Endpoint ep{"anthropic", "", Secret(), {}};
  static const char kBytes[] = "{}[]\":,\\\n\r 0-e.xnul\xC3\xFF";
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s = kStream;
    for (size_t i = 0, n = 1 + rng.below(6); i < n; ++i) {
      const size_t pos = rng.below(s.size());
      switch (rng.below(3)) {
        case 0: s[pos] = kBytes[rng.below(sizeof kBytes - 1)]; break;
        case 1: s.erase(pos, 1 + rng.below(8)); break;
        default: s.insert(pos, 1, kBytes[rng.below(sizeof kBytes - 1)]); break;
      }
    }
    const Decoded d = decode(s);
    const Status& st = d.status.ok() ? d.finish : d.status;
    EXPECT_NE(st.code(), StatusCode::kInternal) << "seed=" << seed << " iter=" << iter << " " << st.to_string();
    // The same bytes as a non-stream body.
    HttpResponse r;
    r.status = 200;
    r.body = s.substr(s.find('{'));
    auto parsed = adapter.parse_response(r, ep);
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().code(), StatusCode::kInternal) << parsed.status().to_string();
    }
  }
}

}  // namespace
}  // namespace ploke::adapters::anthropic
