// recorder_latency_bench: the recorder's added latency over a direct call at
// concurrency 1 (target: p50 ≤ 0.1 ms).
//
// Upstream: the simulator in-process with no simulated latency (--fast), 1 KB-ish
// non-stream answers. Client: one keep-alive cpp-httplib client per path. Rounds
// alternate direct / via recorder (mode all: every request is forwarded AND recorded,
// redaction included) so machine load affects both alike. Prints p50/p90/p99 per path and
// the p50 difference. Usage: recorder_latency_bench [requests_per_round=2000] [rounds=5] [notimeouts]
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/recorder/recorder.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/http_server.h"

using namespace ploke;

namespace {

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

bool run(Clock& clock, httplib::Client& c, const std::string& body, int n, std::vector<double>& out) {
  for (int i = 0; i < n; ++i) {
    const TimePoint t0 = clock.now();
    auto res = c.Post("/v1/chat/completions", body, "application/json");
    const TimePoint t1 = clock.now();
    if (!res || res->status != 200) {
      std::fprintf(stderr, "request failed\n");
      return false;
    }
    out.push_back(to_ms(t1 - t0));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  RealClock clock;
  simulator::SimOptions so;
  so.latency = simulator::LatencyModel::Fast();
  auto engine = simulator::SimEngine::Create(so, clock);
  auto server = simulator::SimServer::Start(**engine, clock, simulator::ServerOptions{});
  if (!server.ok()) return 1;
  const std::string cassette =
      (std::filesystem::temp_directory_path() / "ploke-recorder-bench.json").string();
  recorder::RecorderOptions ro;
  ro.upstream = (*server)->url();
  ro.cassette_path = cassette;
  ro.mode = recorder::RecordMode::kAll;
  ro.flush_interval = Duration{0};
  ro.max_idle_upstream = 8;
  // "notimeouts": no upstream watchdog (isolates HttpTransport's timer-thread wakeups).
  if (argc > 3 && std::string(argv[3]) == "notimeouts") ro.upstream_timeouts = CallOptions{};
  auto rec = recorder::Recorder::Create(ro, clock);
  if (!rec.ok() || !(*rec)->Start().ok()) {
    std::fprintf(stderr, "recorder failed\n");
    return 1;
  }
  const std::string body =
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"Say hello to the simulator"}],"max_tokens":8,"n":3})";
  httplib::Client direct((*server)->url());
  httplib::Client via((*rec)->url());
  for (auto* c : {&direct, &via}) {
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
  }
  std::vector<double> d, v, warm;
  if (!run(clock, direct, body, 200, warm) || !run(clock, via, body, 200, warm)) return 1;
  for (int r = 0; r < rounds; ++r) {
    if (!run(clock, direct, body, n, d) || !run(clock, via, body, n, v)) return 1;
  }
  std::printf("requests: %zu direct, %zu via recorder (c1, keep-alive, ~1 KB non-stream)\n", d.size(), v.size());
  std::printf("direct        p50 %.3f ms  p90 %.3f ms  p99 %.3f ms\n", pct(d, 0.5), pct(d, 0.9), pct(d, 0.99));
  std::printf("via recorder  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms\n", pct(v, 0.5), pct(v, 0.9), pct(v, 0.99));
  std::printf("added p50     %.3f ms (target <= 0.100 ms)\n", pct(v, 0.5) - pct(d, 0.5));
  (void)(*rec)->stop();
  std::filesystem::remove(cassette);
  (*server)->stop();
  return 0;
}
