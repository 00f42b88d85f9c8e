// LlmClient streams and cancellation in virtual time (llm_client_fixture.h): no silent
// fall-over after content reached the caller, fall-over before it, opt-in continuation,
// cancel from the callback, during backoff, before the first attempt, and of a blocking
// transfer.
#include "ploke/resilience/llm_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <thread>

#include "llm_client_fixture.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "support/test_support.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;
using simulator::SimEngine;
using simulator::SimOptions;

TEST_F(LlmClientTest, NoSilentFallbackAfterContentReachedTheCaller) {
  add_sim("alpha", R"({"faults":[{"kind":"stream_cut","after_events":4}]})");
  add_sim("beta");
  make_client();
  std::vector<StreamEvent> events;
  RequestTrace trace;
  auto r = client_->stream(hello(), [&](const StreamEvent& e) { events.push_back(e); }, {}, &trace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted);
  EXPECT_GT(r.status().delivered().content_chars, 0u);
  EXPECT_EQ(r.status().delivered().events, events.size());
  uint64_t chars = 0;
  for (const auto& e : events) chars += e.kind == StreamEvent::Kind::kTextDelta ? e.text.size() : 0;
  EXPECT_EQ(r.status().delivered().content_chars, chars);
  EXPECT_EQ(engines_[1]->request_count(), 0u);  // no silent fallback
  EXPECT_NE(trace.attempts.back().decision.find("content already reached the caller"), std::string::npos);
}

TEST_F(LlmClientTest, StreamFailureBeforeContentFallsOverSilently) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":503,"should_retry":false}]})");
  add_sim("beta");
  make_client();
  std::vector<StreamEvent> events;
  auto r = client_->stream(hello(), [&](const StreamEvent& e) { events.push_back(e); });
  ASSERT_OK(r);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, StreamEvent::Kind::kStart);
  int starts = 0;
  std::string text;
  for (const auto& e : events) {
    starts += e.kind == StreamEvent::Kind::kStart;
    if (e.kind == StreamEvent::Kind::kTextDelta) text += e.text;
  }
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(text, r->content);
  EXPECT_EQ(r->provider, "beta");
}

TEST_F(LlmClientTest, StreamCutBeforeContentFallsOver) {
  add_sim("alpha", R"({"faults":[{"kind":"stream_cut","after_events":0}]})");
  add_sim("beta");
  make_client();
  std::vector<StreamEvent> events;
  RequestTrace trace;
  auto r = client_->stream(hello(), [&](const StreamEvent& e) { events.push_back(e); }, {}, &trace);
  ASSERT_TRUE(r.ok()) << r.status().to_string() << "\n" << render_trace_text(trace);
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
}

TEST_F(LlmClientTest, OptInContinuationAfterMidStreamCut) {
  add_sim("alpha", R"({"faults":[{"kind":"stream_cut","after_events":4}]})");
  add_sim("beta");
  LlmClientOptions o = base_options();
  o.stream_continuation = true;
  make_client(o);
  std::string text, first_delta;
  int starts = 0;
  RequestTrace trace;
  auto r = client_->stream(
      hello(),
      [&](const StreamEvent& e) {
        starts += e.kind == StreamEvent::Kind::kStart;
        if (e.kind == StreamEvent::Kind::kTextDelta && first_delta.empty()) first_delta = e.text;
        if (e.kind == StreamEvent::Kind::kTextDelta) text += e.text;
      },
      {}, &trace);
  ASSERT_TRUE(r.ok()) << r.status().to_string() << "\n" << render_trace_text(trace);
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(r->content, text);  // what was delivered from alpha + beta's continuation
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  ASSERT_FALSE(trace.notes.empty());
  EXPECT_NE(trace.notes[0].find("continuation"), std::string::npos);
  // Beta was asked to continue: the partial answer went along as an assistant message.
  ASSERT_EQ(bodies_[1].size(), 1u);
  const std::string& body = bodies_[1][0];
  ASSERT_FALSE(first_delta.empty());
  // "continuation: N chars delivered by …": the first N chars the caller got came from alpha
  // and must travel to beta as the assistant's message.
  const size_t n = std::stoul(trace.notes[0].substr(std::string("continuation: ").size()));
  ASSERT_GT(n, 0u);
  ASSERT_LT(n, text.size());
  EXPECT_NE(body.find("\"content\":\"" + text.substr(0, n) + "\""), std::string::npos)
      << "partial answer not sent along: " << body;
  EXPECT_NE(body.find("\"role\":\"assistant\""), std::string::npos) << body;
  EXPECT_NE(body.find("Continue exactly where your previous message stopped"), std::string::npos) << body;
}

TEST_F(LlmClientTest, CancelFromTheStreamCallbackAbortsTheTransfer) {
  add_sim("alpha");
  add_sim("beta");
  make_client();
  CancelToken token;
  CallControl ctl;
  ctl.cancel = &token;
  int deltas = 0;
  RequestTrace trace;
  auto r = client_->stream(
      hello(),
      [&](const StreamEvent& e) {
        if (e.kind == StreamEvent::Kind::kTextDelta && ++deltas == 2) token.cancel();
      },
      ctl, &trace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().to_string();
  EXPECT_EQ(r.status().delivered().content_chars > 0, true);
  EXPECT_LE(deltas, 3);                          // the transfer stopped right away
  EXPECT_EQ(engines_[1]->request_count(), 0u);   // and nothing was retried elsewhere
  EXPECT_EQ(client_->health()[0].breaker_failure_rate, 0.0);  // not the endpoint's fault
  EXPECT_EQ(client_->queue_status().in_flight, 0u);
}

TEST_F(LlmClientTest, CancelDuringBackoffEndsTheWaitAtOnce) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":20000}]})");
  make_client();
  CancelToken token;
  CallControl ctl;
  ctl.cancel = &token;
  const TimePoint t0 = clock_.now();
  clock_.schedule_after(3s, [&] { token.cancel(); });  // the caller gives up after 3 s
  auto r = client_->complete(hello(), ctl);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_LT(clock_.now() - t0, 4s);  // did not sit out the 20 s Retry-After
  EXPECT_EQ(engines_[0]->request_count(), 1u);
}

TEST_F(LlmClientTest, AlreadyCancelledMakesNoAttempt) {
  add_sim("alpha");
  make_client();
  CancelToken token;
  token.cancel();
  CallControl ctl;
  ctl.cancel = &token;
  auto r = client_->complete(hello(), ctl);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(engines_[0]->request_count(), 0u);
}


// A blocking transport (like HttpTransport's plain-HTTP path) delivers the whole body inside
// start(), before the façade can register the call with the CancelToken: a cancel from the
// stream callback must still stop the transfer at the next chunk.
TEST(LlmClientCancelTest, CancelStopsABlockingTransferAtTheNextChunk) {
  SimulatedClock clock;
  struct Done final : Call {
    void cancel() override {}
    bool done() const override { return true; }
  };
  class Blocking final : public Transport {
   public:
    CallPtr start(const HttpRequest&, const CallOptions&, ResponseHandler& h) override {
      Headers hs;
      hs.add("content-type", "text/event-stream");
      h.on_head(200, hs);
      bool go = true;
      for (int i = 0; i < 20 && go; ++i) {
        ++chunks_delivered;
        go = h.on_body(
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\","
            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n");
      }
      if (go) h.on_body("data: [DONE]\n\n");
      h.on_complete(go ? Status::Ok() : CancelledError("handler stopped the transfer"));
      return std::make_unique<Done>();
    }
    int chunks_delivered = 0;
  } transport;
  auto adapter = adapters::openai::make_openai_adapter();
  LlmClient client(clock, base_options());
  EndpointConfig c;
  c.candidate.id = "blocking/gpt-4o";
  c.candidate.provider = "blocking";
  c.candidate.model = "gpt-4o";
  c.candidate.caps = Capabilities{true, true, true, true, true, 0};
  c.adapter = adapter.get();
  c.endpoint = Endpoint{"blocking", "http://blocking.invalid/v1", Secret("sk-FAKE-resilience-test"), {}};
  c.transport = &transport;
  ASSERT_OK(client.add_endpoint(std::move(c)));
  CancelToken token;
  CallControl ctl;
  ctl.cancel = &token;
  int deltas = 0;
  auto r = client.stream(
      hello(), [&](const StreamEvent& e) {
        if (e.kind == StreamEvent::Kind::kTextDelta && ++deltas == 2) token.cancel();
      },
      ctl);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().to_string();
  EXPECT_LE(transport.chunks_delivered, 3);  // not all 20
}

}  // namespace
}  // namespace ploke::resilience
