// File: ploke/adapters/http_transport.h
//
// HttpTransport: a Transport over real sockets. Three paths behind one interface:
//   * http:// — ploke::net::HttpClient (adapters/net, ploke/net/http_client.h): own
//     non-blocking sockets, responses parsed by http-parser, one sendmsg() per request,
//     keep-alive pool per origin with a liveness peek before reuse and a retry on a fresh
//     connection only when safe (idempotent method, Idempotency-Key, or nothing was sent).
//     Every CallOptions phase (connect, first byte, idle, total) is measured on the
//     injected Clock between poll slices of at most 50 ms, so it works with a RealClock and
//     with a SimulatedClock advanced by another thread.
//   * https:// on an event loop (Options::on_event_loop) — the same LoopHttpClient as http://,
//     its TLS on non-blocking OpenSSL (SNI, verification on by default, pooled sessions).
//   * https:// anywhere else — cpp-httplib with OpenSSL, the simplest correct blocking
//     client for one-shot CLI calls and test drivers: the connect timeout
//     is httplib's connection timeout (capped by the total timeout); first byte, idle and
//     total are enforced by a watchdog timer on the injected Clock that aborts the socket
//     (httplib::Client::stop()); that watchdog needs a running clock (RealClock).
//
// Common to all (the on-loop path is asynchronous instead: ploke/net/loop_client.h):
//   * Blocking: start() runs the whole exchange on the calling thread and invokes the
//     handler inline (on_head, on_body per received chunk, on_complete exactly once)
//     before it returns; the returned Call is already done. start_async() runs the same
//     exchange on a new thread and returns at once, so another thread can cancel it.
//   * Connection reuse: up to max_idle_per_origin keep-alive connections per origin; a
//     connection goes back to the pool only after a clean, complete exchange.
//   * Failures: refused/reset/EOF mid-body → kConnectionReset; Call::cancel() or a handler
//     returning false from on_body → kCancelled; timeouts → kTimeout with the phase.
//     TCP_NODELAY is set.
//   * Streaming: bytes reach on_body as they arrive, for every response, streamed or not;
//     the body is never buffered here.
//
// Thread-safety: start()/start_async() may be called concurrently from many threads.
//
// Example:
//   RealClock clock;
//   HttpTransport http(clock);
//   RecordingHandler h;
//   http.start(request, CallOptions{.first_byte_timeout = 30s}, h);  // returns when done
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

namespace ploke::adapters {

class HttpTransport final : public Transport {
 public:
  struct Options {
    size_t max_idle_per_origin = 4;        ///< pooled keep-alive clients per origin
    std::string user_agent = "ploke-sim/0.1";
    bool verify_tls = true;                ///< verify server certificates and names (HTTPS)
    /// PEM CA bundle for HTTPS verification; empty: OpenSSL's default paths, which honour
    /// SSL_CERT_FILE / SSL_CERT_DIR.
    std::string ca_file;
    /// Calls made on an HttpServer event-loop thread, http:// and https:// alike, run
    /// asynchronously on that loop (ploke::net::LoopHttpClient, non-blocking OpenSSL for
    /// TLS: start() returns at once, callbacks later on the loop; no thread per call);
    /// from any other thread they stay blocking. For code that runs on the loop and waits
    /// through Completion inside loop fibers (the gateway).
    bool on_event_loop = false;
  };

  explicit HttpTransport(Clock& clock);
  HttpTransport(Clock& clock, Options options);
  ~HttpTransport() override;

  // Transport
  /// Blocking: returns after handler.on_complete(). See the file comment.
  CallPtr start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) override;

  /// Runs the exchange on a new thread; returns immediately. The Call's destructor waits
  /// for the exchange to finish (it does not cancel it). `handler` must outlive the call.
  CallPtr start_async(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler);

  /// Idle pooled connections (for tests and metrics).
  size_t idle_connections() const;

  struct Impl;  // defined in http_transport.cpp (keeps httplib out of this header)

 private:
  Clock& clock_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ploke::adapters
