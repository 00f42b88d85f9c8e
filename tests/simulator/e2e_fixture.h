// The two transports the end-to-end tests run their cases over, for any protocol:
//   - E2eHttpFixture: HttpTransport over loopback to SimServer (RealClock, fast pacing);
//   - E2eInProcessFixture: InProcessTransport on a SimulatedClock (virtual time).
// `Cases` declares engine(), complete() and stream() (pure virtual) and the checks; a test
// class derives from a fixture and says which protocol through target().
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ploke/adapters/http_transport.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/http_server.h"
#include "support/test_support.h"

namespace ploke::simulator::e2e {

using namespace std::chrono_literals;

/// The protocol under test: its adapter and how its endpoint is addressed.
struct Target {
  ProviderAdapterPtr adapter;
  std::string provider;     ///< the endpoint's provider name
  std::string http_suffix;  ///< appended to the server URL ("/v1", or "" when the adapter adds it)
  std::string key;          ///< a fake key
};

template <class Cases>
class Fixture : public ::testing::Test, public Cases {
 protected:
  virtual Target target() const = 0;
  SimEngine& engine() override { return *engine_; }
  Result<ChatResponse> complete(const ChatRequest& r) override { return client_->complete(r); }
  Result<ChatResponse> stream(const ChatRequest& r, std::vector<StreamEvent>* events) override {
    return client_->stream(r, [events](const StreamEvent& e) { if (events) events->push_back(e); });
  }
  void make_client(Transport& transport, Clock& clock, const std::string& base, const CallOptions& co) {
    Target t = target();
    adapter_ = std::move(t.adapter);
    client_ = std::make_unique<ChatClient>(*adapter_, Endpoint{t.provider, base, Secret(t.key), {}}, transport,
                                           clock, co);
  }

  std::unique_ptr<SimEngine> engine_;
  ProviderAdapterPtr adapter_;
  std::unique_ptr<ChatClient> client_;
};

template <class Cases>
class E2eHttpFixture : public Fixture<Cases> {
 protected:
  void SetUp() override {
    SimOptions o;
    o.latency.time_to_first_token = 2ms;
    o.latency.tokens_per_second = 5000;
    auto e = SimEngine::Create(o, clock_);
    ASSERT_OK(e);
    this->engine_ = std::move(e).value();
    ServerOptions so;
    so.threads = 16;
    auto s = SimServer::Start(*this->engine_, clock_, so);
    ASSERT_OK(s);
    server_ = std::move(s).value();
    transport_ = std::make_unique<adapters::HttpTransport>(clock_);
    CallOptions co;
    co.connect_timeout = 2s;
    co.first_byte_timeout = 500ms;
    co.idle_timeout = 500ms;
    co.total_timeout = 10s;
    this->make_client(*transport_, clock_, server_->url() + this->target().http_suffix, co);
  }
  void TearDown() override {
    this->client_.reset();
    transport_.reset();
    if (server_) server_->stop();
  }

  RealClock clock_;
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<adapters::HttpTransport> transport_;
};

template <class Cases>
class E2eInProcessFixture : public Fixture<Cases> {
 protected:
  void SetUp() override {
    auto e = SimEngine::Create(SimOptions{}, clock_);  // default pacing: free in virtual time
    ASSERT_OK(e);
    this->engine_ = std::move(e).value();
    transport_ = std::make_unique<InProcessTransport>(clock_, engine_handler(*this->engine_));
    CallOptions co;
    co.first_byte_timeout = 5s;
    co.idle_timeout = 5s;
    co.total_timeout = 120s;
    this->make_client(*transport_, clock_, "http://sim.invalid/v1", co);
  }

  SimulatedClock clock_;
  std::unique_ptr<InProcessTransport> transport_;
};

}  // namespace ploke::simulator::e2e
