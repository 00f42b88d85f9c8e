// Test fixture: a whole gateway stack on loopback — two SimServers (sim-a, sim-b), the
// façade over HttpTransport on the RealClock, Gateway + GatewayServer on port 0 — and a
// small HTTP client (HttpTransport) for the tests. Everything is stopped by the destructor.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/server.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "ploke/simulator/http_server.h"

namespace ploke::gateway::testing_support {

struct StackOptions {
  size_t max_queue = 1024;  ///< requests in flight per event loop (each on a fiber of its loop)
  size_t server_threads = 2;
  uint32_t max_in_flight = 256;
  Duration attempt_timeout = std::chrono::seconds(10);
  Duration first_byte_timeout = std::chrono::seconds(5);
  int sim_ttft_ms = 0;
  double sim_tps = 5000;
  uint64_t sim_limit_requests = 10000;  ///< the simulated provider's advertised limit per minute
  size_t upstream_pool = 64;            ///< idle keep-alive connections per upstream
  std::optional<resilience::BreakerConfig> breaker;  ///< default: the façade's
  OtlpExporter* otlp = nullptr;                       ///< GatewayOptions::otlp (must outlive the stack)
};

class GatewayStack {
 public:
  explicit GatewayStack(StackOptions o = {}) : o_(o) {}
  ~GatewayStack() {
    if (server_) server_->stop();
    gateway_.reset();
    client_.reset();
    for (auto& s : sims_) s->stop();
  }

  bool start() {
    for (int i = 0; i < 2; ++i) {
      simulator::SimOptions so;
      so.seed = 3 + static_cast<uint64_t>(i);
      so.latency.time_to_first_token = std::chrono::milliseconds(o_.sim_ttft_ms);
      so.latency.tokens_per_second = o_.sim_tps;
      so.rate_limits.limit_requests = o_.sim_limit_requests;
      auto e = simulator::SimEngine::Create(so, clock_);
      if (!e.ok()) return fail(e.status());
      engines_.push_back(std::move(e).value());
      simulator::ServerOptions sso;
      sso.threads = 1;
      auto srv = simulator::SimServer::Start(*engines_.back(), clock_, sso);
      if (!srv.ok()) return fail(srv.status());
      sims_.push_back(std::move(srv).value());
    }
    resilience::LlmClientOptions lo;
    lo.admission.max_in_flight = o_.max_in_flight;
    if (o_.breaker) lo.breaker = *o_.breaker;
    client_ = std::make_unique<resilience::LlmClient>(clock_, lo);
    std::vector<EndpointInfo> infos;
    for (int i = 0; i < 2; ++i) {
      resilience::EndpointConfig c;
      const std::string name = i == 0 ? "sim-a" : "sim-b";
      c.candidate.id = name + "/gpt-4o-mini";
      c.candidate.provider = name;
      c.candidate.model = "gpt-4o-mini";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.adapter = adapter_.get();
      c.endpoint.provider = name;
      c.endpoint.base_url = sims_[static_cast<size_t>(i)]->url() + "/v1";
      c.transport = &upstream_;
      c.call_options.connect_timeout = std::chrono::seconds(2);
      c.call_options.first_byte_timeout = o_.first_byte_timeout;
      c.call_options.total_timeout = o_.attempt_timeout;
      infos.push_back({c.candidate.id, c.candidate.provider, c.candidate.model, false, "127.0.0.1"});
      if (Status st = client_->add_endpoint(std::move(c)); !st.ok()) return fail(st);
    }
    GatewayOptions go;
    go.max_queue = o_.max_queue;
    // Anthropic clients ask for a Claude name: it stands for both simulators.
    go.model_names = {{"claude-haiku-4-5", {"sim-a/gpt-4o-mini", "sim-b/gpt-4o-mini"}, {}, false}};
    go.otlp = o_.otlp;
    gateway_ = std::make_unique<Gateway>(*client_, clock_, infos, go);
    ServerOptions so;
    so.threads = o_.server_threads;
    auto srv = GatewayServer::Start(*gateway_, so);
    if (!srv.ok()) return fail(srv.status());
    server_ = std::move(srv).value();
    return true;
  }

  bool fail(const Status& st) {
    ADD_FAILURE() << "gateway stack: " << st.to_string();
    return false;
  }

  void fault(int sim, const std::string& plan) {
    auto p = simulator::parse_fault_plan(plan, "test");
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    ASSERT_TRUE(engines_[static_cast<size_t>(sim)]->set_faults(*p).ok());
  }

  Result<HttpResponse> post(const std::string& path, const std::string& body,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    return send("POST", path, body, std::move(headers));
  }
  Result<HttpResponse> get(const std::string& path) { return send("GET", path, "", {}); }

  Result<HttpResponse> send(const std::string& method, const std::string& path, const std::string& body,
                            std::vector<std::pair<std::string, std::string>> headers, adapters::HttpTransport* via = nullptr) {
    HttpRequest r;
    r.method = method;
    r.base_url = server_->url();
    r.path = path;
    r.body = body;
    if (!body.empty()) r.headers.add("content-type", "application/json");
    for (auto& [k, v] : headers) r.headers.add(k, v);
    CallOptions co;
    co.total_timeout = std::chrono::seconds(30);
    return send_and_wait(via != nullptr ? *via : client_http_, clock_, r, co);
  }

  /// Sends a request on a raw socket, waits for the response head, then closes.
  bool post_and_leave(const std::string& path, const std::string& body) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(server_->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return false;
    }
    const std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    bool ok = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
    std::string got;
    char buf[4096];
    while (ok && got.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) ok = false;
      else got.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return ok && got.rfind("HTTP/1.1 200", 0) == 0;
  }

  void wait_ms(int ms) { clock_.sleep_until(clock_.now() + std::chrono::milliseconds(ms)); }

  Gateway& gateway() { return *gateway_; }
  GatewayServer& server() { return *server_; }
  simulator::SimEngine& engine(int i) { return *engines_[static_cast<size_t>(i)]; }
  RealClock& clock() { return clock_; }
  std::string url() const { return server_->url(); }

 private:
  StackOptions o_;
  RealClock clock_;
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<simulator::SimServer>> sims_;
  ProviderAdapterPtr adapter_ = adapters::openai::make_openai_adapter();
  static adapters::HttpTransport::Options upstream_options(const StackOptions& o) {
    adapters::HttpTransport::Options h{o.upstream_pool, "ploke-gateway-test", true, "", false};
    h.on_event_loop = true;  // upstream calls on the request's loop
    return h;
  }
  adapters::HttpTransport upstream_{clock_, upstream_options(o_)};
  adapters::HttpTransport client_http_{clock_, adapters::HttpTransport::Options{64, "gateway-test-client", true, "", false}};
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<GatewayServer> server_;
};

}  // namespace ploke::gateway::testing_support
