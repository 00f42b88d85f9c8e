// Rate-limit observations: each adapter normalizes its protocol's headers
// (ProviderAdapter::observe_rate_limits), and LlmClient's limiters learn through the
// adapter's observation alone (virtual time).
#include <gtest/gtest.h>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/simulator/engine.h"
#include "support/test_support.h"

namespace ploke::resilience {
namespace {
using namespace ploke::adapters::openrouter;  // NOLINT: the OpenRouter package

using namespace std::chrono_literals;

const SystemTime kNow(std::chrono::seconds(1735689600));  // 2025-01-01T00:00:00Z

Headers openai_headers() {  // as api.openai.com sends them on a 429
  Headers h;
  h.add("x-ratelimit-limit-requests", "10000");
  h.add("x-ratelimit-remaining-requests", "9999");
  h.add("x-ratelimit-limit-tokens", "30000000");
  h.add("x-ratelimit-remaining-tokens", "29999000");
  h.add("x-ratelimit-reset-requests", "6m0s");
  h.add("X-RateLimit-Reset-Tokens", "1.5s");
  h.add("retry-after", "2");
  return h;
}

Headers anthropic_headers() {  // as api.anthropic.com sends them on a 429
  Headers h;
  h.add("anthropic-ratelimit-requests-limit", "50");
  h.add("anthropic-ratelimit-requests-remaining", "0");
  h.add("anthropic-ratelimit-requests-reset", "2025-01-01T00:00:30Z");
  h.add("anthropic-ratelimit-tokens-limit", "40000");
  h.add("anthropic-ratelimit-tokens-remaining", "38000");
  h.add("anthropic-ratelimit-tokens-reset", "2025-01-01T02:00:10+02:00");
  h.add("anthropic-ratelimit-input-tokens-limit", "30000");
  h.add("retry-after-ms", "250");
  h.add("retry-after", "9");  // retry-after-ms wins
  return h;
}

TEST(RateLimitObservationTest, OpenAiAdapterReadsXRateLimitHeaders) {
  const RateLimitObservation o = adapters::openai::OpenAiAdapter().observe_rate_limits(openai_headers(), kNow);
  EXPECT_EQ(o.limit_requests, 10000u);
  EXPECT_EQ(o.remaining_requests, 9999u);
  EXPECT_EQ(o.limit_tokens, 30000000u);
  EXPECT_EQ(o.remaining_tokens, 29999000u);
  EXPECT_EQ(o.reset_requests, Duration(360s));
  EXPECT_EQ(o.reset_tokens, Duration(1500ms));
  EXPECT_EQ(o.retry_after, Duration(2s));
  // OpenRouter speaks the OpenAI dialect here.
  const RateLimitObservation r = OpenRouterAdapter().observe_rate_limits(openai_headers(), kNow);
  EXPECT_EQ(r.remaining_requests, 9999u);
  EXPECT_EQ(r.reset_tokens, Duration(1500ms));
  // Another protocol's headers mean nothing to it.
  EXPECT_EQ(adapters::openai::OpenAiAdapter().observe_rate_limits(anthropic_headers(), kNow).limit_requests, std::nullopt);
}

TEST(RateLimitObservationTest, AnthropicAdapterReadsAnthropicRateLimitHeaders) {
  const RateLimitObservation o = adapters::anthropic::AnthropicAdapter().observe_rate_limits(anthropic_headers(), kNow);
  EXPECT_EQ(o.limit_requests, 50u);
  EXPECT_EQ(o.remaining_requests, 0u);
  EXPECT_EQ(o.reset_requests, Duration(30s));  // absolute reset time, made relative
  EXPECT_EQ(o.limit_tokens, 40000u);
  EXPECT_EQ(o.remaining_tokens, 38000u);
  EXPECT_EQ(o.reset_tokens, Duration(10s));
  EXPECT_EQ(o.retry_after, Duration(250ms));
  EXPECT_EQ(adapters::anthropic::AnthropicAdapter().observe_rate_limits(openai_headers(), kNow).limit_requests, std::nullopt);
  // A reset already past is "now", never negative.
  const RateLimitObservation late =
      adapters::anthropic::AnthropicAdapter().observe_rate_limits(anthropic_headers(), kNow + std::chrono::hours(3));
  EXPECT_EQ(late.reset_requests, Duration(0));
}

TEST(RateLimitObservationTest, GarbageIsIgnored) {
  Headers h;
  h.add("x-ratelimit-limit-requests", "lots");
  h.add("x-ratelimit-reset-requests", "6 minutes");
  h.add("retry-after", "-3");
  h.add("anthropic-ratelimit-requests-reset", "tomorrow");
  EXPECT_TRUE(adapters::openai::OpenAiAdapter().observe_rate_limits(h, kNow).empty());
  EXPECT_TRUE(adapters::anthropic::AnthropicAdapter().observe_rate_limits(h, kNow).empty());
}

// The OpenAI adapter, but its observation is scripted: proves the client learns from the
// adapter's observation and reads no header itself.
class ScriptedObservationAdapter final : public ProviderAdapter {
 public:
  std::string_view name() const override { return inner_.name(); }
  Result<HttpRequest> build_request(const ChatRequest& r, const Endpoint& e) const override {
    return inner_.build_request(r, e);
  }
  Result<ChatResponse> parse_response(const HttpResponse& r, const Endpoint& e) const override {
    return inner_.parse_response(r, e);
  }
  Status map_error(const HttpResponse& r, const Endpoint& e) const override { return inner_.map_error(r, e); }
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& e) const override {
    return inner_.new_stream_decoder(e);
  }
  RateLimitObservation observe_rate_limits(const Headers&, SystemTime) const override {
    ++calls;
    return observation;
  }
  RateLimitObservation observation;
  mutable int calls = 0;

 private:
  adapters::openai::OpenAiAdapter inner_;
};

struct OneEndpoint {
  SimulatedClock clock;
  std::unique_ptr<simulator::SimEngine> engine;
  std::unique_ptr<InProcessTransport> transport;
  ScriptedObservationAdapter adapter;
  std::unique_ptr<LlmClient> client;

  OneEndpoint() {
    auto e = simulator::SimEngine::Create(simulator::SimOptions{}, clock);
    EXPECT_TRUE(e.ok());
    engine = std::move(e).value();
    transport = std::make_unique<InProcessTransport>(clock, simulator::engine_handler(*engine));
    LlmClientOptions o;
    o.max_rate_limit_wait = 60s;
    client = std::make_unique<LlmClient>(clock, o);
    EndpointConfig c;
    c.candidate.id = "alpha/gpt-4o";
    c.candidate.provider = "alpha";
    c.candidate.model = "gpt-4o";
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    c.adapter = &adapter;
    c.endpoint = Endpoint{"alpha", "http://alpha.sim.invalid/v1", Secret("sk-FAKE-observation-test"), {}};
    c.transport = transport.get();
    EXPECT_TRUE(client->add_endpoint(std::move(c)).ok());
  }
  ChatRequest hello() const {
    ChatRequest r;
    r.model = "gpt-4o";
    r.messages.push_back(Message::User("Hello"));
    return r;
  }
};

TEST(RateLimitObservationTest, ClientLearnsLimitsThroughTheAdaptersObservation) {
  OneEndpoint f;
  f.adapter.observation.limit_requests = 100;
  f.adapter.observation.remaining_requests = 0;
  f.adapter.observation.reset_requests = Duration(30s);
  ASSERT_OK(f.client->complete(f.hello()));
  EXPECT_EQ(f.adapter.calls, 1);
  // The window is spent until +30s: the next call waits for the limiter in virtual time.
  const TimePoint t1 = f.clock.now();
  RequestTrace trace;
  ASSERT_OK(f.client->complete(f.hello(), {}, &trace));
  EXPECT_GE(f.clock.now() - t1, 29s);
  ASSERT_FALSE(trace.notes.empty());
  EXPECT_NE(trace.notes[0].find("every candidate rate-limited"), std::string::npos) << trace.notes[0];
}

TEST(RateLimitObservationTest, NothingObservedNothingLearned) {
  OneEndpoint f;  // the simulator's own headers are not read by the client
  ASSERT_OK(f.client->complete(f.hello()));
  const TimePoint t1 = f.clock.now();
  RequestTrace trace;
  ASSERT_OK(f.client->complete(f.hello(), {}, &trace));
  EXPECT_LT(f.clock.now() - t1, 5s);
  EXPECT_TRUE(trace.notes.empty());
  EXPECT_EQ(f.adapter.calls, 2);
}

}  // namespace
}  // namespace ploke::resilience
