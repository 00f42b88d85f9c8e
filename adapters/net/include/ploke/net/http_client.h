// File: ploke/net/http_client.h
//
// HttpClient: a fast plain-HTTP/1.1 client (http:// only): own non-blocking sockets,
// responses parsed by http-parser 2.9 (not in this header), keep-alive pool per origin.
// HttpTransport (ploke/adapters/http_transport.h) uses it for every http:// base_url and
// keeps cpp-httplib for https://.
//
//   * Blocking: start() runs the exchange on the calling thread and calls the handler
//     inline (on_head, on_body as bytes arrive, on_complete exactly once) before it returns.
//     start_async() runs it on a new thread so another thread can cancel it.
//   * Request: one send (head and body via sendmsg), `Host`, `Content-Length` (always for
//     a body or POST/PUT/PATCH) and a default `User-Agent` added; caller's Content-Length,
//     Host and Transfer-Encoding are replaced.
//   * Response: Content-Length, chunked (de-chunked before on_body) or close-delimited
//     bodies; 1xx heads are skipped; HEAD responses have no body. Header names as received.
//   * Pool: up to max_idle_per_origin idle connections per origin. A connection returns to
//     the pool only after a complete response with keep-alive. Before reuse it is checked
//     (a FIN or stray bytes from the server: dropped). Retry: when a reused connection fails
//     before any response byte (the server closed it idle while we sent), the request is
//     sent again on a new connection only when that is safe: the method is idempotent (GET,
//     HEAD, OPTIONS, PUT, DELETE, TRACE), the request carries an Idempotency-Key, or the
//     send itself failed (EPIPE/ECONNRESET: the server cannot have read it).
//   * Timeouts (CallOptions), all measured on the injected Clock: connect (capped by total),
//     first byte (request written -> first response byte), idle (between response bytes
//     once the first arrived), total (start -> end). The socket waits (poll) in slices of
//     at most 50 ms and re-reads the Clock after each, so a SimulatedClock moved by another
//     thread is noticed too. Failures: refused/reset/EOF mid-response -> kConnectionReset;
//     malformed response -> kMalformedResponse; Call::cancel() or on_body() returning false
//     -> kCancelled; timeouts -> kTimeout with the phase.
//
// Thread-safety: start()/start_async() may be called concurrently from many threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

namespace ploke::net {

class HttpClient final : public Transport {
 public:
  struct Options {
    size_t max_idle_per_origin = 8;  ///< pooled keep-alive connections per origin
    std::string user_agent = "ploke-sim/0.1";
    /// https:// (LoopHttpClient on a loop): verify the server's certificate and name.
    bool verify_tls = true;
    /// PEM CA bundle for verification; empty: OpenSSL's default paths (SSL_CERT_FILE).
    std::string ca_file;
    /// LoopHttpClient: how long a host name's addresses are used before they are looked
    /// up again (the old ones serve while the new lookup runs).
    Duration dns_ttl = std::chrono::seconds(30);
    /// LoopHttpClient: resolves a host name to IP literals, on its resolver thread (custom
    /// DNS, tests); empty: getaddrinfo.
    std::function<Result<std::vector<std::string>>(const std::string& host)> resolver;
  };

  explicit HttpClient(Clock& clock);
  HttpClient(Clock& clock, Options options);
  ~HttpClient() override;

  // Transport
  /// Blocking: returns after handler.on_complete(). kInvalidRequest for a base_url that is
  /// not http://host[:port][/prefix].
  CallPtr start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) override;
  /// Runs the exchange on a new thread; returns at once. The Call's destructor waits for
  /// the exchange to finish (it does not cancel it).
  CallPtr start_async(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler);

  /// Idle pooled connections (tests and metrics).
  size_t idle_connections() const;
  /// Connections opened so far (tests: proves reuse and retries).
  size_t connections_opened() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;  // holds the Clock; shared with start_async() threads
};

}  // namespace ploke::net
