// StreamRelay alone: what reaches the caller across attempts (LlmClient's mid-stream
// contract), on a simulated clock.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "llm_client_internal.h"
#include "ploke/core/clock.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

StreamEvent start_event() {
  StreamEvent e;
  e.kind = StreamEvent::Kind::kStart;
  return e;
}

StreamEvent tool_delta() {
  StreamEvent e;
  e.kind = StreamEvent::Kind::kToolCallDelta;
  return e;
}

struct Fixture {
  SimulatedClock clock;
  ChatRequest request;
  std::vector<StreamEvent> seen;
  ChatClient::EventCallback cb = [this](const StreamEvent& e) { seen.push_back(e); };
  detail::StreamRelay relay{request, &cb, clock};
  Fixture() { request.messages.push_back(Message::User("hi")); }
};

TEST(StreamRelay, HoldsStartUntilContentAndTimesFirstContent) {
  Fixture f;
  f.relay.begin_attempt(f.clock.now());
  f.relay.on_event(start_event());
  EXPECT_TRUE(f.seen.empty());
  EXPECT_TRUE(f.relay.has_held_start());
  EXPECT_FALSE(f.relay.caller_saw_content());
  f.clock.advance(250ms);
  f.relay.on_event(StreamEvent::TextDelta("abc"));
  ASSERT_EQ(f.seen.size(), 2u);
  EXPECT_EQ(f.seen[0].kind, StreamEvent::Kind::kStart);
  EXPECT_EQ(f.seen[1].text, "abc");
  EXPECT_EQ(f.relay.ttft(), std::optional<Duration>(250ms));
  EXPECT_EQ(f.relay.delivered(), (Delivered{2, 3, 0}));
  EXPECT_FALSE(f.relay.has_held_start());
}

TEST(StreamRelay, FailureBeforeContentDeliversNothing) {
  Fixture f;
  f.relay.begin_attempt(f.clock.now());
  f.relay.on_event(start_event());
  f.relay.drop_held_start();  // the attempt failed: the next one starts clean
  f.relay.begin_attempt(f.clock.now());
  f.relay.on_event(start_event());
  f.relay.on_event(StreamEvent::TextDelta("x"));
  ASSERT_EQ(f.seen.size(), 2u);  // one start, one delta
  EXPECT_EQ(f.relay.delivered().events, 2u);
}

TEST(StreamRelay, StartOnlyStreamIsFlushedOnce) {
  Fixture f;
  f.relay.begin_attempt(f.clock.now());
  f.relay.on_event(start_event());
  f.relay.flush_held_start();
  ASSERT_EQ(f.seen.size(), 1u);
  EXPECT_EQ(f.relay.delivered().events, 1u);
  EXPECT_FALSE(f.relay.has_held_start());
}

TEST(StreamRelay, ContinuationCarriesThePartialAnswer) {
  Fixture f;
  f.relay.begin_attempt(f.clock.now());
  f.relay.on_event(start_event());
  f.relay.on_event(StreamEvent::TextDelta("Hello, "));
  EXPECT_EQ(&f.relay.current(), &f.request);
  f.relay.continue_partial();
  const ChatRequest& next = f.relay.current();
  ASSERT_EQ(next.messages.size(), 3u);
  EXPECT_EQ(next.messages[1].content.at(0).text, "Hello, ");
  EXPECT_NE(next.messages[2].content.at(0).text.find("Continue exactly"), std::string::npos);
  // The second attempt's start is not repeated; its text follows the first's.
  f.relay.begin_attempt(f.clock.now());
  f.relay.on_event(start_event());
  f.relay.on_event(StreamEvent::TextDelta("world"));
  EXPECT_EQ(f.seen.size(), 3u);
  EXPECT_EQ(f.relay.final_content("world"), "Hello, world");
  f.relay.continue_partial();  // a second continuation carries both parts
  EXPECT_EQ(f.relay.current().messages[1].content.at(0).text, "Hello, world");
}

TEST(StreamRelay, ToolFragmentsAreCountedAndBlockContinuation) {
  Fixture f;
  f.relay.begin_attempt(f.clock.now());
  f.relay.on_event(tool_delta());
  EXPECT_TRUE(f.relay.tool_fragments_delivered());
  EXPECT_EQ(f.relay.delivered().tool_call_fragments, 1u);
  EXPECT_TRUE(f.relay.ttft().has_value());
}

}  // namespace
}  // namespace ploke::resilience
