// File: ploke/net/http_server.h
//
// HttpServer: a generic asynchronous HTTP/1.1 server (the simulator's front, the recorder's
// proxy and the gateway all run on it). Implementation: libevent 2.1 event loops for fd
// events and timers only, http-parser 2.9 for requests, response framing written by us
// (status line, headers, Date, Content-Length or chunked) so that a complete response
// leaves in one send(). None of those libraries appear in this header.
//
//   * Threads: ServerOptions::threads event loops, each with its own listening socket on
//     the same port (SO_REUSEPORT; the kernel spreads connections). An explicit busy port
//     is an error (probed with a plain bind first). TCP_NODELAY on every connection.
//   * Requests: HTTP/1.1 keep-alive by default, `Connection: close` honoured, HTTP/1.0
//     keep-alive only when asked. Pipelined requests are answered in order: the next one is
//     handed to the handler only when the previous response is finished. `Expect:
//     100-continue` gets `100 Continue`. Chunked uploads are de-chunked. Bodies above
//     max_body_bytes get 413, malformed requests 400 (431 for headers above 80 KiB), both
//     with an OpenAI-shaped JSON error body, and the connection closes: the server
//     half-closes and reads and discards what the client still sends (at most 64 MiB, 10 s,
//     2 s idle) before closing, so the client reads the answer instead of a reset.
//   * Responses: the handler gets a Responder (a cheap, copyable handle) and answers with
//     respond() (head + body, one write), or start() + write()... + finish() (Content-Length
//     when given, else chunked; HTTP/1.0 clients get a close-delimited body), or a socket-
//     level ending: reset() (RST after queued bytes have left) or close() (FIN; before any
//     byte = "empty reply"). HEAD responses never carry a body. Framing headers in the
//     handler's Headers (content-length, transfer-encoding, connection) are dropped and
//     written by the server; `connection: close` among them makes the server close the
//     connection after the response. The Date header is formatted from the injected
//     Clock's system_now() once per second per loop.
//   * Threads and the Responder: the handler runs on the connection's loop thread. Every
//     Responder method may be called from ANY thread, at any later time: on the loop thread
//     it acts at once; elsewhere it is queued to the loop (eventfd wake-up) and runs in call
//     order. Calls on a finished exchange (answered, reset, client gone, server stopped)
//     are ignored. Answering inline, inside the handler, is the fast path: the response is
//     framed into the connection's output buffer and sent with one send() after the handler
//     returns (ServerOptions::inline_handler documents this; there is no other dispatch).
//   * Client gone: while an exchange is open, the connection's read side stays watched;
//     EOF/error closes the connection and runs the exchange's on_cancel() callback (once,
//     on the loop thread) so that a proxy can abort its upstream call. stop() also runs the
//     pending cancel callbacks (on the thread calling stop(), after the loops have ended).
//   * Timers: Responder::set_timer(due, fn) runs fn on the loop thread once the injected
//     Clock's now() >= due (libevent timers in slices of at most 50 ms, so a Clock that
//     jumps is noticed); one timer per exchange, cancelled when the exchange ends.
//   * Timeouts: idle keep-alive connections and stalled request reads close after the
//     larger of keep_alive_timeout/read_timeout; a write blocked for write_timeout closes
//     the connection (and cancels the exchange). An open exchange has no idle limit: the
//     handler owns its timing.
//   * Backpressure: write() never blocks; queued output is unbounded. A proxy that can
//     outrun its client checks Responder::queued_bytes() (any thread) and waits.
//   * SIGPIPE is ignored process-wide; writes use MSG_NOSIGNAL.
//
// Example (a hello server):
//   RealClock clock;
//   auto server = net::HttpServer::Start(net::ServerOptions{}, clock,
//       [](net::Request& req, net::Responder res) {
//         Headers h;
//         h.add("content-type", "text/plain");
//         res.respond(200, std::move(h), "hello " + req.path);
//       });
//   // (*server)->url() == "http://127.0.0.1:<port>"
//   (*server)->stop();   // also done by the destructor
//
// Example (answer later, from another thread, streaming):
//   [&pool](net::Request& req, net::Responder res) {
//     res.on_cancel([call] { call->cancel(); });     // client left: abort the upstream call
//     pool.submit([res, body = std::move(req.body)]() mutable {
//       res.start(200, sse_headers());                // chunked
//       res.write("data: x\n\n");
//       res.finish();
//     });
//   }
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  ///< 0 = pick an ephemeral port (see HttpServer::port())
  /// Event-loop threads (each serves any number of connections; >= 1).
  size_t threads = 2;
  /// Idle keep-alive connections and stalled request reads close after the larger of
  /// these two; a write blocked for write_timeout closes the connection.
  std::chrono::seconds keep_alive_timeout{5};
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};
  /// Request bodies above this get 413 (Content-Length or chunked uploads).
  size_t max_body_bytes = 32u << 20;
  /// The handler always runs inline on the loop thread that parsed the request; this flag
  /// is documentation for callers that answer inline (respond() inside the handler = one
  /// send() per request). Handlers that block must hand the work to their own threads.
  bool inline_handler = true;
  /// Busy polling: after a loop wakes for events and runs them, it polls up to this many
  /// more times without sleeping (giving the CPU to any other runnable thread between
  /// polls) before it blocks again. An answer or a request that arrives meanwhile is
  /// taken without a wake-up: no sleep/wake round trip through the kernel's scheduler on
  /// the request's path (tens of µs on a VM). Costs CPU only right after work (each poll
  /// is one epoll_wait and one sched_yield, about a µs); an idle loop sleeps. 0 = off.
  unsigned busy_poll = 0;
  /// Prefix of Start()'s error messages ("gateway: cannot bind ...").
  std::string name = "http server";
  /// HTTPS: a PEM certificate chain and its private key (both or neither). The handshake
  /// runs on the loop like any read (non-blocking OpenSSL; a stalled one closes after the
  /// idle timeout, a failed one closes without an HTTP answer); then the same HTTP/1.1.
  /// Start() fails (kInvalidRequest naming the file) when they cannot be loaded.
  std::string tls_cert_file;
  std::string tls_key_file;
};

/// One parsed request. The handler may move fields out of it.
struct Request {
  std::string method;   ///< "GET", "POST", ...
  std::string target;   ///< the request-target as received ("/v1/x?a=1", or absolute form)
  std::string path;     ///< percent-decoded path without the query ("/v1/x"); absolute-form targets reduced to the path
  std::string query;    ///< the raw query without '?' ("a=1"), empty if none
  Headers headers;      ///< names as received (use Headers::get, case-insensitive)
  std::string body;     ///< de-chunked
  int http_minor = 1;   ///< 0 for HTTP/1.0
  bool keep_alive = true;   ///< the connection stays open after this exchange (unless the response says close)
  TimePoint received_at{};  ///< Clock::now() when the request was complete
  uint64_t connection_id = 0;  ///< unique per connection within this server (starts at 1)
  size_t loop_index = 0;       ///< which event loop serves it [0, threads)
};

/// Undecoded value of `name` in a raw query string ("a=1&b=2"); nullopt when absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);

class EventLoop;  // ploke/net/event_loop.h

namespace detail {
struct Exchange;  // the server's per-connection state a Responder points to
}

/// A handle on one request's response. Copyable and cheap (a shared pointer and a
/// sequence number); every method is thread-safe (see the file comment). Methods return
/// false when the exchange is known to be over (answered, client gone, server stopped);
/// a call queued from another thread returns true and may still turn out to be too late.
class Responder {
 public:
  Responder() = default;

  /// The whole response: head and body in one write. Ends the exchange.
  bool respond(int status, Headers headers, std::string body);
  /// Convenience: `content-type: <content_type>` and the body.
  bool respond(int status, std::string_view content_type, std::string_view body);

  /// The head. With `content_length` the body is exactly that many bytes (write() them,
  /// then finish()); without, it is chunked (HTTP/1.0: ends with the connection).
  bool start(int status, Headers headers, std::optional<size_t> content_length = std::nullopt);
  /// Body bytes, sent as they come (one chunk per call when chunked). Empty writes are ignored.
  bool write(std::string bytes);
  bool write(std::string_view bytes) { return write(std::string(bytes)); }
  /// Ends the body (the chunked terminator) and the exchange; the next pipelined request
  /// follows. A Content-Length response that got fewer bytes than declared is closed instead.
  bool finish();

  /// Socket-level endings. Queued output is flushed first (bounded wait), then:
  /// reset(): abort with RST (the client sees ECONNRESET); close(): FIN (an "empty reply"
  /// when nothing was sent). Both end the exchange and the connection.
  bool reset();
  bool close();

  /// `fn` runs once, on the loop thread, if the exchange ends without being finished by
  /// this Responder: client gone, write timeout, server stop(). Replaces a previous one.
  /// If the exchange is already gone, `fn` is not called (returns false).
  bool on_cancel(std::function<void()> fn);

  /// Runs `fn` on the loop thread once the Clock says now() >= due (fires at once when due
  /// already). One timer per exchange: setting again replaces it; it is cancelled when the
  /// exchange ends.
  bool set_timer(TimePoint due, std::function<void()> fn);
  bool cancel_timer();
  /// Runs `fn` on the exchange's loop thread (at once when called there), if the exchange
  /// is still open.
  bool post(std::function<void()> fn);

  /// True while the exchange is open (not answered, client not gone). A snapshot from
  /// another thread.
  bool open() const;
  /// True when called on the loop thread that owns this exchange.
  bool on_loop_thread() const;
  /// Bytes written but not yet taken by the socket: on the loop thread, the connection's
  /// output buffer; from another thread, an estimate (bytes still queued to the loop plus
  /// the output buffer after the loop's last send). For backpressure in proxies.
  size_t queued_bytes() const;
  /// The server's clock.
  Clock& clock() const;
  explicit operator bool() const { return ex_ != nullptr; }

 private:
  friend struct detail::Exchange;
  Responder(std::shared_ptr<detail::Exchange> ex, uint64_t seq) : ex_(std::move(ex)), seq_(seq) {}
  std::shared_ptr<detail::Exchange> ex_;
  uint64_t seq_ = 0;
};

/// Called on the loop thread for every complete request.
using Handler = std::function<void(Request& request, Responder responder)>;

class HttpServer {
 public:
  /// Binds (listening when this returns) and starts the loops. kInvalidRequest for bad
  /// options; kInternal when the address cannot be bound. `clock` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Clock& clock, Handler handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  ///< stop()

  int port() const;
  /// "http://host:port" (0.0.0.0 and :: shown as loopback).
  std::string url() const;
  /// Requests handed to the handler whose exchange is still open (any thread; a snapshot).
  size_t in_flight() const;
  /// Requests handed to the handler so far.
  uint64_t requests() const;
  /// Event loop `index` in [0, threads) (std::out_of_range beyond), for work that runs on
  /// the server's loops without a request: post() to it, make loop locals there (the
  /// scenario runner's real-time driver runs its calls this way). Lives as long as the
  /// server; after stop(), post() returns false.
  EventLoop& loop(size_t index) const;
  /// Closes the listening sockets: new connections are refused; open ones carry on
  /// (keep-alive included). For graceful drains: stop_accepting(), wait for in_flight()==0,
  /// stop(). Idempotent; any thread.
  void stop_accepting();
  /// Stops the loops, closes every connection (running pending cancel callbacks) and the
  /// listeners, joins the threads. Idempotent; prompt; must not be called from a loop thread.
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ploke::net
