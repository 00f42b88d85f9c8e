// End to end: OpenAI adapter + transport + ChatClient against the simulator, through
// every fault kind, asserting the Status codes a caller sees.
//   - SimE2eHttpTest: HttpTransport over loopback to SimServer (RealClock).
//   - SimE2eInProcessTest: InProcessTransport on a SimulatedClock (virtual time: a 30 s
//     hang against a 5 s first-byte timeout completes instantly in wall time).
#include <gtest/gtest.h>

#include <chrono>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "e2e_fixture.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;

ChatRequest hello(bool stream = false) {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages.push_back(Message::User("Hello simulator, please answer."));
  r.stream = stream;
  return r;
}

FaultPlan plan(std::string_view json) {
  auto p = parse_fault_plan(json, "e2e");
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p.ok() ? *p : FaultPlan{};
}

// The expectations both transports must meet.
class E2eCases {
 public:
  virtual ~E2eCases() = default;
  virtual SimEngine& engine() = 0;
  virtual Result<ChatResponse> complete(const ChatRequest& r) = 0;
  virtual Result<ChatResponse> stream(const ChatRequest& r, std::vector<StreamEvent>* events) = 0;

  void set(std::string_view json) { ASSERT_OK(engine().set_faults(plan(json))); }

  void success_non_stream() {
    auto r = complete(hello());
    ASSERT_OK(r);
    EXPECT_FALSE(r->content.empty());
    EXPECT_EQ(r->id.substr(0, 9), "chatcmpl-");
    EXPECT_EQ(r->request_id.substr(0, 4), "req_");
    EXPECT_EQ(r->finish_reason, FinishReason::kStop);
    ASSERT_TRUE(r->usage);
    EXPECT_EQ(r->usage->total_tokens, r->usage->prompt_tokens + r->usage->completion_tokens);
  }

  void success_stream() {
    std::vector<StreamEvent> events;
    auto r = stream(hello(true), &events);
    ASSERT_OK(r);
    EXPECT_FALSE(r->content.empty());
    EXPECT_EQ(r->finish_reason, FinishReason::kStop);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front().kind, StreamEvent::Kind::kStart);
  }

  void tool_calls_stream() {
    ChatRequest req = hello(true);
    req.tools.push_back(ToolDefinition{"get_weather", "weather",
                                       R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})",
                                       std::nullopt, CacheControl::kNone});
    req.tool_choice.mode = ToolChoice::Mode::kRequired;
    auto r = stream(req, nullptr);
    ASSERT_OK(r);
    ASSERT_EQ(r->tool_calls.size(), 1u);
    EXPECT_EQ(r->tool_calls[0].name, "get_weather");
    EXPECT_NE(r->tool_calls[0].arguments_json.find("\"city\""), std::string::npos);
    EXPECT_EQ(r->finish_reason, FinishReason::kToolCalls);
  }

  void rate_limited() {
    set(R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":250,"trigger":{"nth":1}}]})");
    auto r = complete(hello());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kRateLimited) << r.status().to_string();
    EXPECT_EQ(r.status().http_status(), 429);
    EXPECT_EQ(r.status().retry_after(), std::chrono::milliseconds(250));
    EXPECT_OK(complete(hello()));  // nth:1 only
  }

  void server_errors() {
    set(R"({"faults":[{"kind":"http_error","status":500,"trigger":{"nth":1}},
                      {"kind":"http_error","status":529,"trigger":{"nth":2}},
                      {"kind":"http_error","status":502,"should_retry":false,"trigger":{"nth":3}},
                      {"kind":"http_error","status":500,"trigger":{"nth":4}}]})");
    auto r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kServerError) << r.status().to_string();
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kOverloaded) << r.status().to_string();
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kServerError) << r.status().to_string();
    EXPECT_EQ(r.status().should_retry(), false);
    r = stream(hello(true), nullptr);  // pre-stream error status on a streamed request
    EXPECT_EQ(r.status().code(), StatusCode::kServerError) << r.status().to_string();
    EXPECT_EQ(r.status().http_status(), 500);
  }

  void hang_times_out_first_byte() {
    set(R"({"faults":[{"kind":"hang","trigger":{"nth":1}}]})");
    auto r = complete(hello());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status().to_string();
    EXPECT_EQ(r.status().timeout_phase(), TimeoutPhase::kFirstByte);
  }

  void stream_hang_times_out_idle() {
    set(R"({"faults":[{"kind":"hang","after_events":3,"trigger":{"nth":1}}]})");
    auto r = stream(hello(true), nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted) << r.status().to_string();
    EXPECT_EQ(r.status().timeout_phase(), TimeoutPhase::kIdle) << r.status().to_string();
    EXPECT_GT(r.status().delivered().events, 0u);
  }

  void reset_and_empty_reply() {
    set(R"({"faults":[{"kind":"reset","trigger":{"nth":1}},{"kind":"empty_reply","trigger":{"nth":2}}]})");
    auto r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
  }

  void malformed() {
    set(R"({"faults":[{"kind":"malformed_json","trigger":{"nth":1}},
                      {"kind":"malformed_json","after_events":0,"trigger":{"nth":2}}]})");
    auto r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse) << r.status().to_string();
    r = stream(hello(true), nullptr);
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse) << r.status().to_string();
  }

  void stream_cut() {
    set(R"({"faults":[{"kind":"stream_cut","after_events":4,"trigger":{"nth":1}},
                      {"kind":"stream_cut","after_events":0,"trigger":{"nth":2}},
                      {"kind":"stream_cut","trigger":{"nth":3}}]})");
    std::vector<StreamEvent> events;
    auto r = stream(hello(true), &events);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted) << r.status().to_string();
    EXPECT_GT(r.status().delivered().events, 0u);
    EXPECT_GT(r.status().delivered().content_chars, 0u);
    r = stream(hello(true), nullptr);  // cut before any event: nothing delivered
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
    r = complete(hello());  // non-stream body truncated mid-way
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
  }

  void mid_stream_error() {
    set(R"({"faults":[{"kind":"mid_stream_error","after_events":3,"trigger":{"nth":1}},
                      {"kind":"mid_stream_error","after_events":0,"trigger":{"nth":2}}]})");
    auto r = stream(hello(true), nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted) << r.status().to_string();
    EXPECT_GT(r.status().delivered().events, 0u);
    r = stream(hello(true), nullptr);
    EXPECT_EQ(r.status().code(), StatusCode::kServerError) << r.status().to_string();
  }

  void delay_and_slow_stream_still_succeed() {
    set(R"({"faults":[{"kind":"delay","delay_ms":100,"trigger":{"nth":1}},
                      {"kind":"slow_stream","factor":3,"trigger":{"nth":2}}]})");
    EXPECT_OK(complete(hello()));
    EXPECT_OK(stream(hello(true), nullptr));
    for (const auto& s : engine().fault_stats()) EXPECT_EQ(s.fired, 1u) << s.id;
  }

  void unknown_model_is_not_found() {
    ChatRequest r = hello();
    r.model = "gpt-nope";
    auto res = complete(r);
    EXPECT_EQ(res.status().code(), StatusCode::kNotFound) << res.status().to_string();
  }
};

// ---- Over real sockets ----

class SimE2eHttpTest : public e2e::E2eHttpFixture<E2eCases> {
 protected:
  e2e::Target target() const override { return e2e::Target{adapters::openai::make_openai_adapter(), "openai", "/v1", "sk-sim-test"}; }
};

TEST_F(SimE2eHttpTest, SuccessNonStream) { success_non_stream(); }
TEST_F(SimE2eHttpTest, SuccessStream) { success_stream(); }
TEST_F(SimE2eHttpTest, ToolCallsStream) { tool_calls_stream(); }
TEST_F(SimE2eHttpTest, RateLimited) { rate_limited(); }
TEST_F(SimE2eHttpTest, ServerErrors) { server_errors(); }
TEST_F(SimE2eHttpTest, HangTimesOutFirstByte) { hang_times_out_first_byte(); }
TEST_F(SimE2eHttpTest, StreamHangTimesOutIdle) { stream_hang_times_out_idle(); }
TEST_F(SimE2eHttpTest, ResetAndEmptyReply) { reset_and_empty_reply(); }
TEST_F(SimE2eHttpTest, Malformed) { malformed(); }
TEST_F(SimE2eHttpTest, StreamCut) { stream_cut(); }
TEST_F(SimE2eHttpTest, MidStreamError) { mid_stream_error(); }
TEST_F(SimE2eHttpTest, DelayAndSlowStream) { delay_and_slow_stream_still_succeed(); }
TEST_F(SimE2eHttpTest, UnknownModel) { unknown_model_is_not_found(); }

TEST_F(SimE2eHttpTest, JournalSeesEveryAttempt) {
  ASSERT_OK(complete(hello()));
  ASSERT_OK(stream(hello(true), nullptr));
  auto j = engine_->journal();
  ASSERT_EQ(j.size(), 2u);
  EXPECT_FALSE(j[0].stream);
  EXPECT_TRUE(j[1].stream);
  EXPECT_EQ(j[1].status, 200);
}

// ---- In process, virtual time ----

class SimE2eInProcessTest : public e2e::E2eInProcessFixture<E2eCases> {
 protected:
  e2e::Target target() const override { return e2e::Target{adapters::openai::make_openai_adapter(), "openai", "/v1", "sk-sim-test"}; }
};

TEST_F(SimE2eInProcessTest, SuccessNonStream) { success_non_stream(); }
TEST_F(SimE2eInProcessTest, SuccessStream) { success_stream(); }
TEST_F(SimE2eInProcessTest, ToolCallsStream) { tool_calls_stream(); }
TEST_F(SimE2eInProcessTest, RateLimited) { rate_limited(); }
TEST_F(SimE2eInProcessTest, ServerErrors) { server_errors(); }
TEST_F(SimE2eInProcessTest, StreamHangTimesOutIdle) { stream_hang_times_out_idle(); }
TEST_F(SimE2eInProcessTest, ResetAndEmptyReply) { reset_and_empty_reply(); }
TEST_F(SimE2eInProcessTest, Malformed) { malformed(); }
TEST_F(SimE2eInProcessTest, StreamCut) { stream_cut(); }
TEST_F(SimE2eInProcessTest, MidStreamError) { mid_stream_error(); }
TEST_F(SimE2eInProcessTest, DelayAndSlowStream) { delay_and_slow_stream_still_succeed(); }
TEST_F(SimE2eInProcessTest, UnknownModel) { unknown_model_is_not_found(); }

TEST_F(SimE2eInProcessTest, LongHangTimesOutInVirtualTimeInstantly) {
  set(R"({"faults":[{"kind":"hang","trigger":{"nth":1}}]})");
  const TimePoint v0 = clock_.now();
  RealClock wall;
  const TimePoint w0 = wall.now();
  auto r = complete(hello());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status().to_string();
  EXPECT_EQ(r.status().timeout_phase(), TimeoutPhase::kFirstByte);
  EXPECT_EQ(clock_.now() - v0, Duration(5s));  // exactly the first-byte timeout, virtually
  EXPECT_LT(wall.now() - w0, Duration(2s));
}

TEST_F(SimE2eInProcessTest, DelayBeyondTimeoutIsAFirstByteTimeout) {
  set(R"({"faults":[{"kind":"delay","delay_ms":30000,"trigger":{"nth":1}}]})");
  auto r = complete(hello());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status().to_string();
  EXPECT_EQ(r.status().timeout_phase(), TimeoutPhase::kFirstByte);
}

TEST_F(SimE2eInProcessTest, SameSeedSameConversationTwice) {
  auto a = complete(hello());
  SimulatedClock clock2;
  auto e2 = SimEngine::Create(SimOptions{}, clock2);
  ASSERT_OK(e2);
  InProcessTransport t2(clock2, engine_handler(**e2));
  Endpoint ep{"openai", "http://sim.invalid/v1", Secret("sk-sim-test"), {}};
  ChatClient c2(*adapter_, ep, t2, clock2, CallOptions{});
  auto b = c2.complete(hello());
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a->content, b->content);
  EXPECT_EQ(a->id, b->id);
}

}  // namespace
}  // namespace ploke::simulator
