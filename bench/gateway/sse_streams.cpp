// sse_streams: N concurrent SSE streams against a chat-completions endpoint, each event's
// arrival time recorded; prints one JSON object (pacing error percentiles, completions,
// failures). The load generator of bench/gateway/sse.sh; runs the streams on one event loop
// (ploke::net::LoopHttpClient on an HttpServer's loop), so 5,000 streams cost it one thread.
//
//   sse_streams --url http://127.0.0.1:PORT --streams 5000 --body FILE [--ramp-ms 2000]
//               [--gap-ms 200] [--timeout-s 120]
//
// Pacing error: the upstream sends a stream's events on a grid (one token every gap_ms after
// the first; some events share a slot, e.g. the role and the first token). For every event
// after a stream's first: its offset from that first event, minus the nearest multiple of
// gap_ms; |error| over all events of all streams → p50/p99/max (errors alias beyond
// gap_ms / 2, so keep the gap well above the delays measured). A gateway that delays some
// events (a busy loop, a slow write) shows up here; a stream that arrives late as a whole
// does not (that is its first-byte latency, reported as ttfb percentiles). The bench's own
// clock is the machine's steady clock.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/net/event_loop.h"
#include "ploke/net/http_server.h"
#include "ploke/net/loop_client.h"

namespace {

using namespace ploke;
using Steady = std::chrono::steady_clock;

struct Stream final : ResponseHandler {
  Steady::time_point sent;
  std::vector<double> event_ms;  // arrival of each "data:" event (not [DONE]), from `sent`
  std::string pending;           // an event split across reads
  int status = 0;
  bool ok = false;
  std::atomic<bool> done{false};
  CallPtr call;

  void on_head(int s, const Headers&) override { status = s; }
  bool on_body(std::string_view bytes) override {
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - sent).count();
    pending.append(bytes);
    size_t start = 0;
    for (size_t end; (end = pending.find("\n\n", start)) != std::string::npos; start = end + 2) {
      const std::string_view ev(pending.data() + start, end - start);
      if (ev.rfind("data:", 0) == 0 && ev.find("[DONE]") == std::string_view::npos) event_ms.push_back(ms);
    }
    pending.erase(0, start);
    return true;
  }
  void on_complete(Status st) override {
    ok = st.ok() && status == 200;
    done.store(true, std::memory_order_release);
  }
};

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

// Each event's offset from its stream's first event, against the upstream's pacing grid
// (multiples of `gap_ms`): |offset − nearest multiple|, over every event after the first.
std::vector<double> pacing_errors(const std::vector<std::unique_ptr<Stream>>& streams, double gap_ms) {
  std::vector<double> errors;
  for (const auto& s : streams) {
    if (!s->ok) continue;
    for (size_t k = 1; k < s->event_ms.size(); ++k) {
      const double o = s->event_ms[k] - s->event_ms[0];
      errors.push_back(std::abs(o - std::round(o / gap_ms) * gap_ms));
    }
  }
  return errors;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"N concurrent SSE streams; pacing error percentiles as JSON"};
  std::string url, body_file;
  size_t n = 1000;
  int ramp_ms = 2000, timeout_s = 120;
  double gap_ms = 200;
  app.add_option("--url", url, "Base URL (http://host:port)")->required();
  app.add_option("--body", body_file, "Request body (JSON, stream: true)")->required();
  app.add_option("--streams", n, "Concurrent streams");
  app.add_option("--ramp-ms", ramp_ms, "Spread the starts over this long");
  app.add_option("--timeout-s", timeout_s, "Give up after");
  app.add_option("--gap-ms", gap_ms, "The upstream's time between tokens (1000 / tokens per second)");
  CLI11_PARSE(app, argc, argv);
  std::ifstream in(body_file);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string body = ss.str();

  RealClock clock;
  net::ServerOptions so;
  so.threads = 1;
  auto host = net::HttpServer::Start(so, clock, [](net::Request&, net::Responder res) { res.respond(404, "text/plain", ""); });
  if (!host.ok()) return std::fprintf(stderr, "%s\n", host.status().to_string().c_str()), 1;
  net::LoopHttpClient::Options co;
  co.max_idle_per_origin = 0;
  net::LoopHttpClient client(clock, co);
  std::vector<std::unique_ptr<Stream>> streams;
  for (size_t i = 0; i < n; ++i) streams.push_back(std::make_unique<Stream>());
  const auto t0 = Steady::now();
  for (size_t i = 0; i < n; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::microseconds(static_cast<int64_t>(ramp_ms) * 1000 * static_cast<int64_t>(i) / static_cast<int64_t>(n)));
    Stream* s = streams[i].get();
    (*host)->loop(0).post([s, &client, &url, &body] {
      HttpRequest r;
      r.method = "POST";
      r.base_url = url;
      r.path = "/v1/chat/completions";
      r.headers.add("content-type", "application/json");
      r.body = body;
      s->sent = Steady::now();
      s->call = client.start(r, CallOptions{}, *s);
    });
  }
  const auto deadline = Steady::now() + std::chrono::seconds(timeout_s);
  for (const auto& s : streams)
    while (!s->done.load(std::memory_order_acquire) && Steady::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  (*host)->stop();
  size_t ok = 0, events = 0;
  std::vector<double> ttfb;
  for (const auto& s : streams) {
    ok += s->ok;
    events += s->event_ms.size();
    if (s->ok && !s->event_ms.empty()) ttfb.push_back(s->event_ms[0]);
  }
  std::vector<double> err = pacing_errors(streams, gap_ms);
  std::printf("{\"streams\":%zu,\"completed\":%zu,\"events\":%zu,\"pacing_error_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
              "\"ttfb_ms\":{\"p50\":%.3f,\"p99\":%.3f}}\n",
              n, ok, events, pct(err, 0.5), pct(err, 0.99), err.empty() ? 0 : *std::max_element(err.begin(), err.end()),
              pct(ttfb, 0.5), pct(ttfb, 0.99));
  return ok == n ? 0 : 3;
}
