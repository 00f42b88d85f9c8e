#include "ploke/core/stream_event_redactor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ploke {
namespace {

const std::string kKey = "zq7Opaque9Tok3nNoPrefix4242";  // fake key, planted

class StreamEventRedactorTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_registered_secrets_for_testing(); }
  void TearDown() override { clear_registered_secrets_for_testing(); }
};

/// Feeds `pieces` as text deltas, then a finish event; returns the concatenated text out
/// and checks that no single forwarded event carries a part of the key longer than 4 bytes.
std::string run_text(StreamEventRedactor& r, const std::vector<std::string>& pieces) {
  std::vector<StreamEvent> out;
  for (const std::string& p : pieces) {
    for (StreamEvent& e : r.apply(StreamEvent::TextDelta(p))) out.push_back(std::move(e));
  }
  StreamEvent fin;
  fin.kind = StreamEvent::Kind::kFinish;
  for (StreamEvent& e : r.apply(fin)) out.push_back(std::move(e));
  EXPECT_EQ(out.back().kind, StreamEvent::Kind::kFinish);
  std::string text;
  for (const StreamEvent& e : out) {
    if (e.kind != StreamEvent::Kind::kTextDelta) continue;
    EXPECT_EQ(e.text.find(kKey.substr(0, 5)), std::string::npos) << e.text;
    text += e.text;
  }
  return text;
}

TEST_F(StreamEventRedactorTest, KeySplitAcrossDeltasIsRedactedAtEveryCut) {
  ASSERT_TRUE(register_secret(kKey));
  const std::string whole = "your key is " + kKey + " ok";
  for (size_t cut = 1; cut < whole.size(); ++cut) {
    StreamEventRedactor r;
    EXPECT_EQ(run_text(r, {whole.substr(0, cut), whole.substr(cut)}), "your key is [REDACTED] ok") << cut;
  }
}

TEST_F(StreamEventRedactorTest, KeyInOneByteDeltas) {
  ASSERT_TRUE(register_secret(kKey));
  std::vector<std::string> bytes;
  for (char c : "a " + kKey + " b") bytes.emplace_back(1, c);
  StreamEventRedactor r;
  EXPECT_EQ(run_text(r, bytes), "a [REDACTED] b");
}

// Reasoning (thinking) deltas are redacted like text, with their own held-back tail.
TEST_F(StreamEventRedactorTest, KeyInReasoningDeltasIsRedacted) {
  ASSERT_TRUE(register_secret(kKey));
  const std::string whole = "thinking about " + kKey + " now";
  for (size_t cut : {size_t{3}, size_t{17}, whole.size() - 5}) {
    StreamEventRedactor r;
    std::vector<StreamEvent> out;
    for (const std::string& piece : {whole.substr(0, cut), whole.substr(cut)}) {
      StreamEvent e;
      e.kind = StreamEvent::Kind::kReasoningDelta;
      e.text = piece;
      for (StreamEvent& x : r.apply(e)) out.push_back(std::move(x));
    }
    for (StreamEvent& x : r.flush()) out.push_back(std::move(x));
    std::string reasoning;
    for (const StreamEvent& e : out) {
      ASSERT_EQ(e.kind, StreamEvent::Kind::kReasoningDelta);
      EXPECT_EQ(e.text.find(kKey.substr(0, 5)), std::string::npos) << e.text;
      reasoning += e.text;
    }
    EXPECT_EQ(reasoning, "thinking about [REDACTED] now") << cut;
  }
}

// A signature (or redacted block) closes a thinking block: the held reasoning tail goes out
// before it, so the accumulated block keeps all its text and its signature.
TEST_F(StreamEventRedactorTest, SignatureGoesOutAfterTheHeldReasoningTail) {
  ASSERT_TRUE(register_secret(kKey));
  StreamEventRedactor r;
  std::vector<StreamEvent> out;
  StreamEvent text;
  text.kind = StreamEvent::Kind::kReasoningDelta;
  text.text = "ends with " + kKey.substr(0, 4);  // a possible key prefix: held back
  StreamEvent sig;
  sig.kind = StreamEvent::Kind::kReasoningDelta;
  sig.signature = "sig-1";
  StreamEvent redacted;
  redacted.kind = StreamEvent::Kind::kReasoningDelta;
  redacted.redacted = "ENC";
  for (const StreamEvent& e : {text, sig, redacted}) {
    for (StreamEvent& x : r.apply(e)) out.push_back(std::move(x));
  }
  for (StreamEvent& x : r.flush()) out.push_back(std::move(x));
  StreamAccumulator acc;
  for (const StreamEvent& e : out) ASSERT_TRUE(acc.add(e).ok());
  const std::vector<ReasoningBlock> want{{ReasoningBlock::Kind::kThinking, "ends with " + kKey.substr(0, 4), "sig-1", ""},
                                         {ReasoningBlock::Kind::kRedacted, "", "", "ENC"}};
  EXPECT_EQ(acc.response().reasoning_blocks, want);
}

// A delta's logprobs go out with the text once nothing is held (none lost); a registered
// value spelled across tokens becomes one redacted entry, alternatives are redacted too.
TEST_F(StreamEventRedactorTest, LogprobsTravelWithTheTextAndTheirTokensAreRedacted) {
  ASSERT_TRUE(register_secret(kKey));
  StreamEventRedactor r;
  std::vector<StreamEvent> out;
  const std::vector<std::string> pieces = {"a ", kKey.substr(0, 6), kKey.substr(6), " b"};
  for (const std::string& p : pieces) {
    StreamEvent e = StreamEvent::TextDelta(p);
    e.logprobs = {TokenLogprob{p, -0.5, std::vector<uint8_t>(p.begin(), p.end()), {TopLogprob{kKey, -2.0, std::nullopt}}}};
    for (StreamEvent& x : r.apply(e)) out.push_back(std::move(x));
  }
  for (StreamEvent& x : r.flush()) out.push_back(std::move(x));
  std::string tokens, text;
  for (const StreamEvent& e : out) {
    text += e.text;
    std::string spelled;
    for (const TokenLogprob& t : e.logprobs) spelled += t.token;
    EXPECT_EQ(spelled, e.text) << "each event's tokens spell its text";
    for (const TokenLogprob& t : e.logprobs) {
      tokens += t.token;
      EXPECT_EQ(std::string(t.bytes->begin(), t.bytes->end()), t.token);
      if (!t.top_logprobs.empty()) {
        EXPECT_EQ(t.top_logprobs[0].token, "[REDACTED]");
      }
    }
  }
  EXPECT_EQ(text, "a [REDACTED] b");
  EXPECT_EQ(tokens, text);  // the key's two tokens became one entry
}

TEST_F(StreamEventRedactorTest, ToolArgumentsSplitAcrossFragmentsAreRedacted) {
  ASSERT_TRUE(register_secret(kKey));
  StreamEventRedactor r;
  StreamEvent first;
  first.kind = StreamEvent::Kind::kToolCallDelta;
  first.tool_call_id = "call_1";
  first.tool_name = "f";
  first.arguments_fragment = "{\"k\":\"" + kKey.substr(0, 10);
  StreamEvent second = first;
  second.tool_call_id.clear();
  second.tool_name.clear();
  second.arguments_fragment = kKey.substr(10) + "\"}";
  std::string args;
  std::vector<StreamEvent> out = r.apply(first);
  ASSERT_EQ(out.size(), 1u);  // the first fragment (id, name) goes out at once
  EXPECT_EQ(out[0].tool_call_id, "call_1");
  for (const StreamEvent& e : out) args += e.arguments_fragment;
  for (const StreamEvent& e : r.apply(second)) args += e.arguments_fragment;
  for (const StreamEvent& e : r.flush()) args += e.arguments_fragment;
  EXPECT_EQ(args, "{\"k\":\"[REDACTED]\"}");
}

TEST_F(StreamEventRedactorTest, HeldTailIsFlushedBeforeOtherEventsAndReported) {
  ASSERT_TRUE(register_secret(kKey));
  StreamEventRedactor r;
  EXPECT_TRUE(r.apply(StreamEvent::TextDelta("abc " + kKey.substr(0, 3))).size() == 1);
  EXPECT_TRUE(r.holding());
  StreamEvent usage;
  usage.kind = StreamEvent::Kind::kUsage;
  std::vector<StreamEvent> out = r.apply(usage);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, kKey.substr(0, 3));  // not a key after all: released unchanged
  EXPECT_EQ(out[1].kind, StreamEvent::Kind::kUsage);
  EXPECT_FALSE(r.holding());
}

TEST_F(StreamEventRedactorTest, NothingRegisteredPassesEventsThrough) {
  StreamEventRedactor r;
  std::vector<StreamEvent> out = r.apply(StreamEvent::TextDelta(kKey.substr(0, 6)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, kKey.substr(0, 6));
  EXPECT_FALSE(r.holding());
}

}  // namespace
}  // namespace ploke
