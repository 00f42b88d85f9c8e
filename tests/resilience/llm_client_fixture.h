// File: llm_client_fixture.h — the LlmClient tests' world: simulated providers ("alpha",
// "beta", …) as SimEngines behind InProcessTransports on one SimulatedClock, each
// endpoint "NAME/gpt-4o" on the OpenAI adapter, and the request bodies each engine got.
// Every wait (backoff, Retry-After, timeouts, breaker open time) costs no wall time.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "support/test_support.h"

namespace ploke::resilience {

using namespace std::chrono_literals;

inline ChatRequest hello(std::string text = "Hello, please answer briefly.") {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages.push_back(Message::User(std::move(text)));
  return r;
}

inline LlmClientOptions base_options() {
  LlmClientOptions o;
  o.router.default_policy = "pinned";  // candidate order: alpha, then beta
  o.backoff = BackoffConfig{100ms, 2s, JitterMode::kNone};
  o.seed = 7;
  return o;
}

class LlmClientTest : public ::testing::Test {
 protected:
  void SetUp() override { adapter_ = adapters::openai::make_openai_adapter(); }

  simulator::SimEngine& add_sim(const std::string& name, std::string_view faults = "") {
    simulator::SimOptions o;
    o.seed = 100 + engines_.size();
    if (!faults.empty()) {
      auto p = simulator::parse_fault_plan(faults, name);
      EXPECT_TRUE(p.ok()) << p.status().to_string();
      if (p.ok()) o.faults = *p;
    }
    auto e = simulator::SimEngine::Create(o, clock_);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    engines_.push_back(std::move(e).value());
    auto handler = simulator::engine_handler(*engines_.back());
    const size_t index = engines_.size() - 1;
    bodies_.emplace_back();
    transports_.push_back(std::make_unique<InProcessTransport>(clock_, [this, handler, index](const HttpRequest& r) {
      bodies_[index].push_back(r.body);
      return handler(r);
    }));
    names_.push_back(name);
    return *engines_.back();
  }

  void make_client(LlmClientOptions o = base_options()) {
    client_ = std::make_unique<LlmClient>(clock_, std::move(o));
    for (size_t i = 0; i < names_.size(); ++i) {
      EndpointConfig c;
      c.candidate.id = names_[i] + "/gpt-4o";
      c.candidate.provider = names_[i];
      c.candidate.model = "gpt-4o";
      c.candidate.key_id = "default";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.candidate.input_usd_per_mtok = 2.5;
      c.candidate.output_usd_per_mtok = 10;
      c.adapter = adapter_.get();
      c.endpoint = Endpoint{names_[i], "http://" + names_[i] + ".sim.invalid/v1", Secret("sk-FAKE-resilience-test"), {}};
      c.transport = transports_[i].get();
      c.call_options.first_byte_timeout = 5s;
      c.call_options.idle_timeout = 5s;
      c.call_options.total_timeout = 60s;
      ASSERT_OK(client_->add_endpoint(std::move(c)));
    }
  }

  double attempts(const std::string& name, StatusCode code) {
    return client_->metric(MetricId::kAttempts, {name + "/gpt-4o", status_code_name(code)});
  }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_;
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::vector<std::string> names_;
  std::deque<std::vector<std::string>> bodies_;  // request bodies each engine received
  std::unique_ptr<LlmClient> client_;
};

}  // namespace ploke::resilience
