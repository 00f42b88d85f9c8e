#include "ploke/core/chat.h"
#include "ploke/core/reasoning_names.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace ploke {
namespace {

StreamEvent tool_delta(uint32_t index, std::string id, std::string name, std::string args) {
  StreamEvent e;
  e.kind = StreamEvent::Kind::kToolCallDelta;
  e.tool_index = index;
  e.tool_call_id = std::move(id);
  e.tool_name = std::move(name);
  e.arguments_fragment = std::move(args);
  return e;
}

TEST(StreamAccumulatorTest, ConcatenatesTextAndCountsDelivered) {
  StreamAccumulator acc;
  ASSERT_OK(acc.add(StreamEvent::TextDelta("Hel")));
  ASSERT_OK(acc.add(StreamEvent::TextDelta("lo!")));
  EXPECT_EQ(acc.response().content, "Hello!");
  EXPECT_EQ(acc.delivered().events, 2u);
  EXPECT_EQ(acc.delivered().content_chars, 6u);
  EXPECT_FALSE(acc.saw_finish());
}

// Reasoning deltas extend the open thinking block; a signature closes it; redacted data is
// a block of its own; text after a signature opens a new block.
TEST(StreamAccumulatorTest, AssemblesReasoningBlocksWithSignatures) {
  StreamAccumulator acc;
  auto reasoning = [](std::string text, std::string signature, std::string redacted) {
    StreamEvent e;
    e.kind = StreamEvent::Kind::kReasoningDelta;
    e.text = std::move(text);
    e.signature = std::move(signature);
    e.redacted = std::move(redacted);
    return e;
  };
  for (const StreamEvent& e : {reasoning("a", "", ""), reasoning("b", "", ""), reasoning("", "s1", ""),
                               reasoning("", "", "ENC"), reasoning("c", "", ""), reasoning("", "s2", "")}) {
    ASSERT_TRUE(acc.add(e).ok());
  }
  EXPECT_EQ(acc.response().reasoning, "abc");
  const std::vector<ReasoningBlock> want{{ReasoningBlock::Kind::kThinking, "ab", "s1", ""},
                                         {ReasoningBlock::Kind::kRedacted, "", "", "ENC"},
                                         {ReasoningBlock::Kind::kThinking, "c", "s2", ""}};
  EXPECT_EQ(acc.response().reasoning_blocks, want);
}

TEST(StreamAccumulatorTest, JoinsParallelToolCallFragmentsByIndex) {
  StreamAccumulator acc;
  ASSERT_OK(acc.add(tool_delta(0, "call_A", "get_weather", "")));
  ASSERT_OK(acc.add(tool_delta(0, "", "", "{\"city\": \"Pa")));
  ASSERT_OK(acc.add(tool_delta(1, "call_B", "get_time", "")));
  ASSERT_OK(acc.add(tool_delta(0, "", "", "ris\"}")));
  ASSERT_OK(acc.add(tool_delta(1, "", "", "{\"tz\":\"CET\"}")));
  StreamEvent fin;
  fin.kind = StreamEvent::Kind::kFinish;
  fin.finish_reason = FinishReason::kToolCalls;
  ASSERT_OK(acc.add(fin));
  const auto& calls = acc.response().tool_calls;
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], (ToolCall{"call_A", "get_weather", "{\"city\": \"Paris\"}"}));
  EXPECT_EQ(calls[1], (ToolCall{"call_B", "get_time", "{\"tz\":\"CET\"}"}));
  EXPECT_TRUE(acc.saw_finish());
  EXPECT_EQ(acc.response().finish_reason, FinishReason::kToolCalls);
}

TEST(StreamAccumulatorTest, ToolCallChangingIdentityIsAnError) {
  StreamAccumulator acc;
  ASSERT_OK(acc.add(tool_delta(0, "call_A", "get_weather", "")));
  Status st = acc.add(tool_delta(0, "call_B", "", "{}"));
  EXPECT_EQ(st.code(), StatusCode::kMalformedResponse);
  Status st2 = acc.add(tool_delta(0, "", "other_tool", "{}"));
  EXPECT_EQ(st2.code(), StatusCode::kMalformedResponse);
}

TEST(StreamAccumulatorTest, UsageAndStartAreKept) {
  StreamAccumulator acc;
  StreamEvent start;
  start.kind = StreamEvent::Kind::kStart;
  start.id = "chatcmpl-1";
  start.model = "gpt-4o";
  ASSERT_OK(acc.add(start));
  StreamEvent u;
  u.kind = StreamEvent::Kind::kUsage;
  u.usage.prompt_tokens = 12;
  u.usage.completion_tokens = 3;
  u.usage.total_tokens = 15;
  ASSERT_OK(acc.add(u));
  EXPECT_EQ(acc.response().id, "chatcmpl-1");
  EXPECT_EQ(acc.response().model, "gpt-4o");
  ASSERT_TRUE(acc.response().usage.has_value());
  EXPECT_EQ(acc.response().usage->total_tokens, 15u);
}

TEST(StreamAccumulatorTest, ErrorEventReturnsItsStatus) {
  StreamAccumulator acc;
  StreamEvent e;
  e.kind = StreamEvent::Kind::kError;
  e.error = OverloadedError("Overloaded");
  EXPECT_EQ(acc.add(e).code(), StatusCode::kOverloaded);
}

TEST(MessageTest, TextConcatenatesTextPartsOnly) {
  Message m;
  m.content = {ContentPart::Text("a"), ContentPart::Image("https://x/y.png"), ContentPart::Text("b")};
  EXPECT_EQ(m.text(), "ab");
  EXPECT_EQ(role_name(Role::kDeveloper), "developer");
  EXPECT_EQ(finish_reason_name(FinishReason::kToolCalls), "tool_calls");
}

}  // namespace
}  // namespace ploke

namespace ploke {
namespace {

// One spelling of the reasoning modes for every data file; names round-trip, others do not.
TEST(ReasoningNames, RoundTripAndRejectOthers) {
  for (auto m : {ReasoningOptions::Mode::kEnabled, ReasoningOptions::Mode::kDisabled, ReasoningOptions::Mode::kAdaptive}) {
    EXPECT_EQ(reasoning_mode_from_name(reasoning_mode_name(m)), m);
  }
  EXPECT_EQ(reasoning_mode_name(ReasoningOptions::Mode::kUnset), "unset");
  EXPECT_FALSE(reasoning_mode_from_name("unset"));
  EXPECT_FALSE(reasoning_mode_from_name("Enabled"));
  EXPECT_FALSE(reasoning_mode_from_name("deep"));
}

}  // namespace
}  // namespace ploke
