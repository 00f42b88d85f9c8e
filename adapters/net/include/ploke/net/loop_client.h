// File: ploke/net/loop_client.h
//
// LoopHttpClient: the asynchronous twin of HttpClient for code that runs on an HttpServer's
// event loop (a proxy's handler, a fiber of the gateway). On a loop thread
// (EventLoop::current() != nullptr) start() returns at once and the exchange runs on that
// loop: non-blocking connect/send/recv registered with the loop's libevent base, response
// parsed by http-parser, handler callbacks (on_head, on_body, on_complete) on the loop
// thread, never inside start() (except on a closing loop, below). Nothing changes threads, so a proxied request costs no
// wake-ups beyond the sockets' own. Called from any other thread, start() runs the
// blocking HttpClient (same contract as HttpClient::start; http:// only).
//
//   * https:// (on a loop): TLS 1.2+ on non-blocking OpenSSL over the same socket events —
//     SNI, ALPN http/1.1, verification on by default (Options::ca_file, else OpenSSL's
//     default paths, which honour SSL_CERT_FILE; then the host name or IP literal), the
//     handshake inside the connect phase (connect timeout; its message says "TLS
//     handshake"). A certificate that fails verification is kConnectionReset with
//     should_retry=false and the X.509 reason (the retry layer falls over to another
//     endpoint); another handshake failure is kConnectionReset naming OpenSSL's reason.
//     Pooled connections keep their TLS session (tls_handshakes() counts new ones); an
//     idle one whose socket holds only TLS records without data (session tickets) is
//     still reused.
//
//   * Same request/response rules as HttpClient (ploke/net/http_client.h): one sendmsg for
//     head + body, Host/Content-Length/User-Agent, Content-Length/chunked/close-delimited
//     bodies, 1xx skipped, HEAD without body, the same error codes and timeout phases
//     (connect, first byte, idle, total; re-checked on the injected Clock at least every
//     50 ms), the same safe-retry rule for a pooled connection the server had closed.
//   * Pool: idle keep-alive connections per origin and per loop (no locks), at most
//     Options::max_idle_per_origin each. A connection's read event stays registered with
//     the loop while it is pooled: a server closing an idle connection (or sending bytes
//     nobody asked for) has it dropped from the pool at once, and reuse costs no system
//     call; one idle for a second or more is also probed (MSG_PEEK) before reuse.
//   * Host names never block a loop: an IP literal is used as is; a name is looked up on
//     the client's resolver threads (at most 4, made as needed; getaddrinfo, or
//     Options::resolver), the answer
//     comes back to the loop that asked, and each loop keeps it for Options::dns_ttl (30 s,
//     counted from when it was asked;
//     after that the old addresses serve while a new lookup runs, and are kept if it
//     fails). The lookup counts in the connect timeout. A name that cannot be resolved
//     is kConnectionReset ("cannot resolve HOST: …") and is not cached.
//   * Flow control: set_paused(call, true) on the loop stops reading the response (a proxy
//     whose client is slower than the upstream); set_paused(call, false) resumes.
//   * Call::cancel() from any thread: on_complete(kCancelled) follows on the loop thread
//     (not inside cancel()). on_body() returning false aborts the same way.
//   * Server stop: calls still running on a loop complete with kCancelled while the loop
//     closes (EventLoop locals); start() on a closing loop completes at once with
//     kCancelled.
//   * The request is copied: the caller's HttpRequest may die after start() returns; the
//     handler must live until on_complete().
//
// Thread-safety: one LoopHttpClient may be shared by all loops and threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "ploke/core/clock.h"
#include "ploke/core/transport.h"
#include "ploke/net/http_client.h"

namespace ploke::net {

class LoopHttpClient final : public Transport {
 public:
  using Options = HttpClient::Options;

  explicit LoopHttpClient(Clock& clock);
  LoopHttpClient(Clock& clock, Options options);
  ~LoopHttpClient() override;

  // Transport
  CallPtr start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) override;

  /// Flow control for a proxy whose client is slower than the upstream: while paused, a
  /// call running on a loop stops reading its response socket (the kernel's receive
  /// window then throttles the upstream; what one read already took, at most 16 KiB, is
  /// still delivered) and its first-byte and idle timeouts do not run (connect and total
  /// do; resuming restarts the idle/first-byte clock). Call on the call's loop thread
  /// (e.g. inside on_body, or from a Responder timer). A paused call still completes on
  /// cancel() and on server stop. Returns false (no effect) when `call` was not started
  /// on a loop by a LoopHttpClient, off its loop thread, or once it is done.
  static bool set_paused(Call& call, bool paused);

  /// Connections opened so far on loops (tests: proves reuse).
  size_t connections_opened() const;
  /// Exchanges run on a loop / handed to the blocking fallback (tests).
  size_t loop_calls() const;
  size_t fallback_calls() const;
  /// TLS handshakes started (tests: proves https:// connection reuse).
  size_t tls_handshakes() const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
  HttpClient fallback_;
};

}  // namespace ploke::net
