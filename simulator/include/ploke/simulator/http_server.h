// File: ploke/simulator/http_server.h
//
// SimServer: the simulator's HTTP/1.1 front. Serves a SimEngine on a real socket:
// `threads` libevent event loops (requests parsed by http-parser, responses framed by
// us), each with its own listening socket on the same port (SO_REUSEPORT; the kernel
// spreads connections). Nothing blocks and nothing
// sleeps: each ScriptedResponse is played with event timers whose delays are computed
// from offsets relative to the request's start time read from the injected Clock — the
// head at head_at, then a Content-Length body or, for streams, chunked SSE events, all
// chunks due at the same instant coalesced into one write. Endings that HTTP libraries
// cannot express are done at socket level: kReset aborts the TCP connection (RST),
// kCloseNoReply closes it without a byte, kHang keeps it open and silent until the client
// leaves, stop() is called, or ServerOptions::max_hang.
//
// Admin API (JSON), see simulator/README.md:
//   GET    /__admin/health                  {"status":"ok","requests":N}
//   GET    /__admin/faults                  {"plan":{"faults":[…]},"stats":[…]}
//   POST   /__admin/faults[?append=1]       body = plan JSON; replaces (or appends)
//   DELETE /__admin/faults
//   GET    /__admin/requests[?limit=N]      {"requests":[…]} (journal, oldest first)
//   DELETE /__admin/requests
//   GET    /__admin/otlp                    what the OTLP sink received (below); DELETE clears it
//
// OTLP sink (an OpenTelemetry collector's HTTP JSON receiver, for tests and users):
//   POST /v1/traces, POST /v1/metrics      OTLP/HTTP JSON; 200 `{}` (an empty partial
//                                          success); malformed → 400 {"code":3,"message"}
//                                          naming the byte offset or the field path. The
//                                          last ServerOptions::otlp_max_payloads are kept.
//
// Thread-safety: start/stop from one owner thread; port()/url() from any thread. The
// event-loop threads call the engine concurrently (SimEngine is thread-safe).
// SimServer ignores SIGPIPE process-wide (writes to vanished clients must not kill it).
//
// Example:
//   RealClock clock;
//   auto engine = SimEngine::Create(SimOptions{}, clock);
//   auto server = SimServer::Start(**engine, clock, ServerOptions{});   // port 0 = ephemeral
//   // point an OpenAI SDK at (*server)->url() + "/v1"
//   (*server)->stop();   // also done by the destructor; never hangs
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/net/http_server.h"
#include "ploke/simulator/engine.h"

namespace ploke::simulator {

/// The shared server's options (host, port, threads, timeouts, body limit) plus the
/// simulator's own.
struct ServerOptions : net::ServerOptions {
  /// A hanging response gives up (closes the connection) after this long.
  Duration max_hang = std::chrono::minutes(10);
  /// Called once per answered provider request (not admin or /metrics) when its exchange
  /// ends — last byte, reset, close or the end of a hang — with its journal entry and the
  /// time from arrival; on the event-loop thread, so it must not block (serve's access log).
  std::function<void(const JournalEntry& entry, Duration latency)> on_served;
  /// OTLP payloads (traces and metrics together) the sink keeps; older ones are forgotten.
  size_t otlp_max_payloads = 256;
};

class SimServer {
 public:
  /// Binds (the socket listens when this returns) and starts the event-loop threads.
  /// kInvalidRequest for bad options; kInternal when the address cannot be bound.
  /// `engine` and `clock` must outlive the server.
  static Result<std::unique_ptr<SimServer>> Start(SimEngine& engine, Clock& clock, const ServerOptions& options);

  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;
  ~SimServer();  ///< stop()

  int port() const;
  /// "http://host:port" (no path; OpenAI clients use url() + "/v1").
  std::string url() const;
  /// Stops the event loops, closes the listening sockets and every open connection
  /// (hanging and paced responses included), joins the threads. Idempotent; prompt.
  void stop();

 private:
  struct Impl;
  explicit SimServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ploke::simulator
