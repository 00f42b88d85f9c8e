// End to end on the Anthropic protocol: AnthropicAdapter + transport + ChatClient against
// the simulator, non-stream, stream, tools, and every fault kind, asserting the Status
// codes a caller sees.
//   - AnthropicE2eHttpTest: HttpTransport over loopback to SimServer (RealClock).
//   - AnthropicE2eInProcessTest: InProcessTransport on a SimulatedClock (virtual time).
#include <gtest/gtest.h>

#include <chrono>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "e2e_fixture.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;

ChatRequest hello(bool stream = false) {
  ChatRequest r;
  r.model = "claude-sonnet-4-5";
  r.messages.push_back(Message::System("You are terse."));
  r.messages.push_back(Message::User("Hello simulator, please answer."));
  r.max_output_tokens = 200;
  r.stream = stream;
  return r;
}

ToolDefinition weather_tool() {
  return ToolDefinition{"get_weather", "weather",
                        R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})",
                        std::nullopt, CacheControl::kNone};
}

FaultPlan plan(std::string_view json) {
  auto p = parse_fault_plan(json, "anthropic-e2e");
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p.ok() ? *p : FaultPlan{};
}

class AnthropicE2eCases {
 public:
  virtual ~AnthropicE2eCases() = default;
  virtual SimEngine& engine() = 0;
  virtual Result<ChatResponse> complete(const ChatRequest& r) = 0;
  virtual Result<ChatResponse> stream(const ChatRequest& r, std::vector<StreamEvent>* events) = 0;

  void set(std::string_view json) { ASSERT_OK(engine().set_faults(plan(json))); }

  void success_non_stream() {
    auto r = complete(hello());
    ASSERT_OK(r);
    EXPECT_FALSE(r->content.empty());
    EXPECT_EQ(r->id.substr(0, 4), "msg_");
    EXPECT_EQ(r->model, "claude-sonnet-4-5");
    EXPECT_EQ(r->request_id.substr(0, 4), "req_");
    EXPECT_EQ(r->finish_reason, FinishReason::kStop);
    EXPECT_EQ(r->native_finish_reason, "end_turn");
    ASSERT_TRUE(r->usage);
    EXPECT_GT(r->usage->prompt_tokens, 0u);
    EXPECT_EQ(r->usage->total_tokens, r->usage->prompt_tokens + r->usage->completion_tokens);
    const auto j = engine().journal();
    ASSERT_FALSE(j.empty());
    EXPECT_EQ(j.back().path, "/v1/messages");
    EXPECT_EQ(j.back().request_id, r->request_id);
  }

  void success_stream() {
    std::vector<StreamEvent> events;
    auto r = stream(hello(true), &events);
    ASSERT_OK(r);
    EXPECT_FALSE(r->content.empty());
    EXPECT_EQ(r->finish_reason, FinishReason::kStop);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front().kind, StreamEvent::Kind::kStart);
    EXPECT_EQ(events.front().id.substr(0, 4), "msg_");
    EXPECT_EQ(events.back().kind, StreamEvent::Kind::kUsage);
    ASSERT_TRUE(r->usage);
    EXPECT_GT(r->usage->completion_tokens, 0u);
  }

  void tool_round_trip() {
    ChatRequest req = hello(true);
    req.tools.push_back(weather_tool());
    req.tool_choice.mode = ToolChoice::Mode::kRequired;
    auto r = stream(req, nullptr);
    ASSERT_OK(r);
    ASSERT_EQ(r->tool_calls.size(), 1u);
    EXPECT_EQ(r->tool_calls[0].name, "get_weather");
    EXPECT_EQ(r->tool_calls[0].id.substr(0, 6), "toolu_");
    EXPECT_NE(r->tool_calls[0].arguments_json.find("\"city\""), std::string::npos);
    EXPECT_EQ(r->finish_reason, FinishReason::kToolCalls);
    // Send the result back (non-stream): the simulator validates the pairing and answers text.
    ChatRequest next = hello(false);
    Message asst;
    asst.role = Role::kAssistant;
    asst.tool_calls = r->tool_calls;
    next.messages.push_back(asst);
    next.messages.push_back(Message::ToolResult(r->tool_calls[0].id, "18C and sunny"));
    next.tools = req.tools;
    auto answer = complete(next);
    ASSERT_OK(answer);
    EXPECT_EQ(answer->finish_reason, FinishReason::kStop);
    EXPECT_TRUE(answer->tool_calls.empty());
    // A result for an id the model never used is the API's 400.
    next.messages.back().tool_call_id = "toolu_unknown";
    auto bad = complete(next);
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidRequest) << bad.status().to_string();
    EXPECT_NE(bad.status().message().find("unexpected `tool_use_id`"), std::string::npos);
  }

  void error_statuses() {
    set(R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":250,"trigger":{"nth":1}},
                      {"kind":"http_error","status":529,"trigger":{"nth":2}},
                      {"kind":"http_error","status":500,"should_retry":false,"trigger":{"nth":3}},
                      {"kind":"http_error","status":401,"trigger":{"nth":4}},
                      {"kind":"http_error","status":529,"trigger":{"nth":5}}]})");
    auto r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kRateLimited) << r.status().to_string();
    EXPECT_EQ(r.status().http_status(), 429);
    EXPECT_EQ(r.status().retry_after(), std::chrono::milliseconds(250));
    EXPECT_NE(r.status().message().find("request_id=req_"), std::string::npos);
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kOverloaded) << r.status().to_string();
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kServerError) << r.status().to_string();
    EXPECT_EQ(r.status().should_retry(), false);
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kAuth) << r.status().to_string();
    r = stream(hello(true), nullptr);  // pre-stream 529 on a streamed request
    EXPECT_EQ(r.status().code(), StatusCode::kOverloaded) << r.status().to_string();
    EXPECT_EQ(r.status().http_status(), 529);
    EXPECT_OK(complete(hello()));
  }

  void validation_error_from_the_simulator() {
    ChatRequest r = hello();
    r.model = "claude-nope";
    auto res = complete(r);
    EXPECT_EQ(res.status().code(), StatusCode::kNotFound) << res.status().to_string();
    EXPECT_NE(res.status().message().find("not_found_error"), std::string::npos);
  }

  void mid_stream_error() {
    set(R"({"faults":[{"kind":"mid_stream_error","after_events":5,"status":529,"trigger":{"nth":1}},
                      {"kind":"mid_stream_error","after_events":0,"status":529,"trigger":{"nth":2}}]})");
    auto r = stream(hello(true), nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted) << r.status().to_string();
    EXPECT_GT(r.status().delivered().events, 0u);
    EXPECT_NE(r.status().to_string().find("Overloaded"), std::string::npos) << r.status().to_string();
    r = stream(hello(true), nullptr);  // nothing delivered: the in-band error itself
    EXPECT_EQ(r.status().code(), StatusCode::kOverloaded) << r.status().to_string();
  }

  void stream_cut_malformed_reset() {
    set(R"({"faults":[{"kind":"stream_cut","after_events":6,"trigger":{"nth":1}},
                      {"kind":"stream_cut","after_events":0,"trigger":{"nth":2}},
                      {"kind":"malformed_json","after_events":4,"trigger":{"nth":3}},
                      {"kind":"malformed_json","trigger":{"nth":4}},
                      {"kind":"reset","trigger":{"nth":5}},
                      {"kind":"empty_reply","trigger":{"nth":6}},
                      {"kind":"stream_cut","trigger":{"nth":7}}]})");
    auto r = stream(hello(true), nullptr);
    EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted) << r.status().to_string();
    EXPECT_GT(r.status().delivered().content_chars, 0u);
    r = stream(hello(true), nullptr);
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
    r = stream(hello(true), nullptr);
    EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted) << r.status().to_string();
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse) << r.status().to_string();
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
    r = complete(hello());
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
    r = complete(hello());  // non-stream body truncated mid-way
    EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
  }

  void stream_hang_times_out_idle() {
    set(R"({"faults":[{"kind":"hang","after_events":3,"trigger":{"nth":1}}]})");
    auto r = stream(hello(true), nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().timeout_phase(), TimeoutPhase::kIdle) << r.status().to_string();
  }

  void delay_and_slow_stream_still_succeed() {
    set(R"({"faults":[{"kind":"delay","delay_ms":100,"trigger":{"nth":1}},
                      {"kind":"slow_stream","factor":3,"trigger":{"nth":2}}]})");
    EXPECT_OK(complete(hello()));
    EXPECT_OK(stream(hello(true), nullptr));
    for (const auto& s : engine().fault_stats()) EXPECT_EQ(s.fired, 1u) << s.id;
  }
};

// ---- Over real sockets ----

class AnthropicE2eHttpTest : public e2e::E2eHttpFixture<AnthropicE2eCases> {
 protected:
  e2e::Target target() const override { return e2e::Target{adapters::anthropic::make_anthropic_adapter(), "anthropic", "", "sk-ant-FAKE-e2e-0123456789"}; }
};

TEST_F(AnthropicE2eHttpTest, SuccessNonStream) { success_non_stream(); }
TEST_F(AnthropicE2eHttpTest, SuccessStream) { success_stream(); }
TEST_F(AnthropicE2eHttpTest, ToolRoundTrip) { tool_round_trip(); }
TEST_F(AnthropicE2eHttpTest, ErrorStatuses) { error_statuses(); }
TEST_F(AnthropicE2eHttpTest, ValidationErrorFromTheSimulator) { validation_error_from_the_simulator(); }
TEST_F(AnthropicE2eHttpTest, MidStreamError) { mid_stream_error(); }
TEST_F(AnthropicE2eHttpTest, StreamCutMalformedReset) { stream_cut_malformed_reset(); }
TEST_F(AnthropicE2eHttpTest, StreamHangTimesOutIdle) { stream_hang_times_out_idle(); }
TEST_F(AnthropicE2eHttpTest, DelayAndSlowStream) { delay_and_slow_stream_still_succeed(); }

// ---- In process, virtual time ----

class AnthropicE2eInProcessTest : public e2e::E2eInProcessFixture<AnthropicE2eCases> {
 protected:
  e2e::Target target() const override { return e2e::Target{adapters::anthropic::make_anthropic_adapter(), "anthropic", "", "sk-ant-FAKE-e2e-0123456789"}; }
};

TEST_F(AnthropicE2eInProcessTest, SuccessNonStream) { success_non_stream(); }
TEST_F(AnthropicE2eInProcessTest, SuccessStream) { success_stream(); }
TEST_F(AnthropicE2eInProcessTest, ToolRoundTrip) { tool_round_trip(); }
TEST_F(AnthropicE2eInProcessTest, ErrorStatuses) { error_statuses(); }
TEST_F(AnthropicE2eInProcessTest, ValidationErrorFromTheSimulator) { validation_error_from_the_simulator(); }
TEST_F(AnthropicE2eInProcessTest, MidStreamError) { mid_stream_error(); }
TEST_F(AnthropicE2eInProcessTest, StreamCutMalformedReset) { stream_cut_malformed_reset(); }
TEST_F(AnthropicE2eInProcessTest, StreamHangTimesOutIdle) { stream_hang_times_out_idle(); }
TEST_F(AnthropicE2eInProcessTest, DelayAndSlowStream) { delay_and_slow_stream_still_succeed(); }

}  // namespace
}  // namespace ploke::simulator
