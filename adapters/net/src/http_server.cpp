// HttpServer: libevent 2.1 loops (raw fd events and timers), http-parser 2.9 for requests,
// our own response framing. See ploke/net/http_server.h for the contract.
//
// Design notes:
//  - Each loop (Worker) has its own event_base, listening socket (SO_REUSEPORT), eventfd
//    (wake-ups for stop and for work posted from other threads) and connections. Nothing
//    is shared between loops but the handler and two atomic counters.
//  - A connection (Conn) owns its fd, an input buffer, a RequestParser, an output buffer and
//    one detail::Exchange, reused for each request (a sequence number tells the requests
//    apart, so a Responder kept from an old request does nothing). Reads are level-
//    triggered with a persistent read event: a keep-alive request answered inline costs
//    epoll_wait + recv + send.
//  - Lifetime: every entry point (read/write/timer callbacks, posted work) holds a guard
//    on the Conn; close_conn() closes the fd and unlinks the Conn at once but frees it only
//    when the last guard is released, so handler code may end the connection anywhere.
//  - Responder calls from other threads go through the loop's queue (LoopShared), which
//
// Files: server_internal.h (the types), request_parser.{h,cpp} (request parsing, no
// socket), http_server.cpp (helpers, connections, dispatch), server_exchange.cpp
// (Responder operations on the loop, timers, endings, libevent callbacks, listeners),
// server_api.cpp (Responder, EventLoop, HttpServer::Start / stop).
#include "ploke/core/http_status.h"
#include "server_internal.h"

#include <event2/event.h>
#include <event2/event_struct.h>

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "byte_buffer.h"
#include "loop_internal.h"
#include "ploke/json/escape.h"
#include "ploke/net/event_loop.h"

namespace ploke::net {


std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    const size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

namespace srv {

std::string json_error(std::string_view message) {
  std::string out = "{\"error\":{\"message\":";
  ploke::json::append_quoted(out, message);
  out += ",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  return out;
}

std::string_view reason_phrase(int status) {
  const std::string_view known = http_reason_phrase(status);
  if (!known.empty()) return known;
  return status < 300 ? "OK" : (status < 500 ? "Client Error" : "Server Error");
}

timeval to_timeval(Duration d) {
  if (d < Duration{0}) d = Duration{0};
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

void abort_connection(int fd) {
  sockaddr sa{};
  sa.sa_family = AF_UNSPEC;
  if (::connect(fd, &sa, sizeof sa) != 0) {
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
}

// ---- connections ---------------------------------------------------------------------

void Worker::accept_all() {
  for (int i = 0; i < 64 && listen_fd >= 0; ++i) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error (EMFILE, ECONNABORTED): next wake-up
    auto* c = new (std::nothrow) Conn;
    if (c == nullptr) {
      ::close(fd);
      return;
    }
    try {
      c->ex = std::make_shared<Exchange>();
    } catch (...) {
      ::close(fd);
      delete c;
      return;
    }
    c->ex->shared = shared;
    c->ex->clock = clock;
    c->ex->worker = this;
    c->ex->conn = c;
    c->worker = this;
    c->fd = fd;
    if (tls_ctx != nullptr) {
      c->ssl = detail::tls_accept_new(tls_ctx, fd);
      if (c->ssl == nullptr) {
        ::close(fd);
        delete c;
        continue;
      }
      c->tls_handshaking = true;
    }
    c->id = counters->next_conn_id.fetch_add(1, std::memory_order_relaxed);
    c->parser.reset(max_body);
    event_assign(&c->rd, base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
    event_assign(&c->wr, base, fd, EV_WRITE, conn_write_cb, c);
    event_assign(&c->timer, base, -1, 0, conn_timer_cb, c);
    event_assign(&c->retry, base, -1, 0, conn_retry_cb, c);
    event_add(&c->rd, idle_timeout);
    c->next = conns;
    if (conns != nullptr) conns->prev = c;
    conns = c;
  }
}

void Worker::close_conn(Conn* c, bool cancel) {
  if (c->dead) return;
  c->dead = true;
  event_del(&c->rd);
  event_del(&c->wr);
  event_del(&c->timer);
  event_del(&c->retry);
  if (c->ssl != nullptr) detail::tls_free(c->ssl);
  c->ssl = nullptr;
  ::close(c->fd);
  c->fd = -1;
  if (c->prev != nullptr) c->prev->next = c->next;
  else conns = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  c->prev = c->next = nullptr;
  Exchange& e = *c->ex;
  std::function<void()> fn;
  if (e.open_seq.load(std::memory_order_relaxed) != 0) {
    e.open_seq.store(0, std::memory_order_relaxed);
    counters->in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (cancel) fn = std::move(e.cancel_fn);
  }
  e.conn = nullptr;
  e.cancel_fn = nullptr;
  e.timer_fn = nullptr;
  if (fn) {
    try {
      fn();
    } catch (...) {
    }
  }
  if (c->guard == 0) delete c;
}

// The connection's bytes, through its TLS session when it has one, with recv()/send()'s
// contract: > 0 bytes, 0 EOF, -1 and errno (EAGAIN: wait for the socket).
ssize_t conn_recv(Conn* c, char* buf, size_t cap) {
  if (c->ssl == nullptr) return ::recv(c->fd, buf, cap, 0);
  const detail::TlsStep st = detail::tls_read(c->ssl, buf, cap);
  switch (st.want) {
    case detail::TlsWant::kDone: return static_cast<ssize_t>(st.n);
    case detail::TlsWant::kRead:
    case detail::TlsWant::kWrite: errno = EAGAIN; return -1;
    case detail::TlsWant::kEof: return 0;
    case detail::TlsWant::kFailed: break;
  }
  errno = ECONNRESET;
  return -1;
}

ssize_t conn_send(Conn* c, const char* data, size_t len) {
  if (c->ssl == nullptr) return ::send(c->fd, data, len, MSG_NOSIGNAL);
  const detail::TlsStep st = detail::tls_write(c->ssl, data, len);
  if (st.want == detail::TlsWant::kDone) return static_cast<ssize_t>(st.n);
  errno = st.want == detail::TlsWant::kRead || st.want == detail::TlsWant::kWrite ? EAGAIN : EPIPE;
  return -1;
}

// Writes as much of the output buffer as the socket takes.
Sent send_pending(Conn* c) {
  while (!c->out.empty()) {
    const ssize_t n = conn_send(c, c->out.begin(), c->out.size());
    if (n > 0) {
      c->out.consume(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Sent::kBlocked;
    return Sent::kPeerGone;
  }
  return Sent::kAll;
}

void Worker::flush(Conn* c) {
  if (c->dead || c->ending_pending) return;
  const Sent sent = send_pending(c);
  c->ex->out_bytes.store(c->out.size(), std::memory_order_relaxed);
  switch (sent) {
    case Sent::kAll: break;
    case Sent::kBlocked:
      if (!c->write_armed) {
        event_add(&c->wr, write_timeout);
        c->write_armed = true;
      }
      return;
    case Sent::kPeerGone:
      close_conn(c);
      return;
  }
  if (c->write_armed) {
    event_del(&c->wr);
    c->write_armed = false;
  }
  c->out.shrink();
  if (c->close_after_write && !c->busy) {
    if (c->linger_on_close) linger(c);
    else close_conn(c);
  }
}

void Worker::linger(Conn* c) {
  if (c->lingering) return;
  if (c->ssl != nullptr) detail::tls_close_notify(c->ssl);
  if (::shutdown(c->fd, SHUT_WR) != 0) {
    close_conn(c);
    return;
  }
  c->lingering = true;
  c->linger_until = clock->now() + kMaxLinger;
  event_del(&c->rd);
  event_add(&c->rd, &kLingerIdle);  // no byte for kLingerIdle: the read callback's timeout closes
  if (c->read_paused) c->read_paused = false;
  drain(c);
}

void Worker::drain(Conn* c) {
  char buf[kReadChunk];
  for (;;) {
    const ssize_t n = conn_recv(c, buf, sizeof buf);
    if (n > 0) {
      c->drained += static_cast<size_t>(n);
      if (c->drained > kMaxLingerBytes || clock->now() >= c->linger_until) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;  // EOF: the client has read the answer and closed; or an error
  }
  close_conn(c);
}

void Worker::on_writable(Conn* c, bool timed_out) {
  c->write_armed = false;
  if (timed_out) {
    close_conn(c);
    return;
  }
  if (c->tls_handshaking) {
    if (tls_step(c)) on_readable(c);
    return;
  }
  flush(c);
}

bool Worker::tls_step(Conn* c) {
  switch (detail::tls_handshake(c->ssl)) {
    case detail::TlsWant::kDone: c->tls_handshaking = false; return true;
    case detail::TlsWant::kRead: return false;  // the read event is armed (persistent)
    case detail::TlsWant::kWrite:
      if (!c->write_armed) {
        event_add(&c->wr, write_timeout);
        c->write_armed = true;
      }
      return false;
    case detail::TlsWant::kEof:
    case detail::TlsWant::kFailed: break;
  }
  close_conn(c);  // a failed handshake: nothing to answer in HTTP
  return false;
}

void Worker::on_readable(Conn* c) {
  if (c->lingering) {
    drain(c);
    return;
  }
  if (c->tls_handshaking && !tls_step(c)) return;
  for (;;) {
    char* dst = c->in.reserve(kReadChunk);
    const ssize_t n = conn_recv(c, dst, kReadChunk);
    if (n > 0) {
      c->in.commit(static_cast<size_t>(n));
      // TLS: what OpenSSL already decrypted wakes no socket event; take it now.
      const bool more = static_cast<size_t>(n) == kReadChunk || (c->ssl != nullptr && detail::tls_has_pending(c->ssl));
      if (more && c->in.size() < kMaxPipelined + kReadChunk) continue;
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    close_conn(c);  // EOF or error: the client left (mid-exchange too: cancel)
    return;
  }
  if (c->busy) {
    // Pipelined input while an exchange is open: keep it for later, within bounds.
    if (c->in.size() > kMaxPipelined) {
      event_del(&c->rd);
      c->read_paused = true;
    }
    return;
  }
  process_input(c);
  if (!c->dead && !c->out.empty()) flush(c);
}

// Parses buffered input and dispatches each complete request in turn, until the input
// runs out, an exchange stays open, or the connection is to close.
void Worker::process_input(Conn* c) {
  using Step = RequestParser::Step;
  while (!c->dead && !c->busy && !c->close_after_write && !c->in.empty()) {
    size_t n = 0;
    const Step step = c->parser.parse(c->in.begin(), c->in.size(), &n);
    c->in.consume(n);
    if (c->parser.take_continue()) c->out.append("HTTP/1.1 100 Continue\r\n\r\n");  // flushed by the caller
    switch (step) {
      case Step::kRequest:
        c->keep_alive = c->parser.keep_alive();
        c->http10 = c->parser.http10();
        c->head_method = c->parser.head_method();
        dispatch(c);
        continue;
      case Step::kTooLarge:
        c->in.clear();
        respond_error(c, 413, "request body larger than " + std::to_string(max_body) + " bytes");
        return;
      case Step::kMalformed:
        c->in.clear();
        respond_error(c, c->parser.error_status(), c->parser.error_message());
        return;
      case Step::kNeedMore:
        return;  // everything consumed, the request is incomplete: wait for more
    }
  }
}

void Worker::respond_error(Conn* c, int status, std::string_view message) {
  c->keep_alive = false;
  c->head_method = false;
  c->close_after_write = true;
  c->linger_on_close = true;
  Headers h;
  h.add("content-type", "application/json");
  const std::string body = json_error(message);
  c->ex->chunked = false;
  write_head(c, status, h, body.size());
  c->out.append(body);
}

void Worker::dispatch(Conn* c) {
  Request& r = c->parser.request();
  r.received_at = clock->now();
  split_target(r);
  r.keep_alive = c->keep_alive;
  r.connection_id = c->id;
  r.loop_index = index;

  Exchange& e = *c->ex;
  const uint64_t s = ++e.seq;
  e.started = false;
  e.chunked = false;
  e.declared.reset();
  e.sent = 0;
  e.cancel_fn = nullptr;
  e.timer_fn = nullptr;
  e.open_seq.store(s, std::memory_order_relaxed);
  counters->in_flight.fetch_add(1, std::memory_order_relaxed);
  counters->requests.fetch_add(1, std::memory_order_relaxed);
  c->busy = true;
  c->in_dispatch = true;
  try {
    (*handler)(r, Exchange::make(c->ex, s));
  } catch (const std::exception& ex) {
    if (!c->dead && e.is_open(s)) {
      if (!e.started) {
        // A bug or out of memory in the handler: 500 and drop the connection.
        c->keep_alive = false;
        Headers h;
        h.add("content-type", "application/json");
        do_respond(e, s, 500, std::move(h), json_error(std::string("internal error: ") + ex.what()));
      } else {
        do_end(e, s, false);
      }
    }
  } catch (...) {
    if (!c->dead && e.is_open(s)) do_end(e, s, false);
  }
  c->in_dispatch = false;
  if (c->dead) return;
  if (c->busy && !e.is_open(s) && !c->ending_pending) c->busy = false;  // (defensive)
  if (c->busy) {
    // The exchange stays open: no idle timeout while the handler owns the timing.
    event_add(&c->rd, nullptr);
    if (!c->out.empty()) flush(c);
  }
}

std::string_view Worker::http_date() {
  const auto sys = clock->system_now();
  const int64_t sec = std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
  if (sec != date_second) {
    date_second = sec;
    const time_t t = static_cast<time_t>(sec);
    tm g{};
    gmtime_r(&t, &g);
    date_len = std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &g);
  }
  return {date, date_len};
}

void Worker::write_head(Conn* c, int status, const Headers& headers, std::optional<size_t> content_length) {
  ByteBuffer& b = c->out;
  b.append(c->http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_decimal(b, static_cast<uint64_t>(status));
  b.append(" ");
  b.append(reason_phrase(status));
  b.append("\r\n");
  for (const auto& kv : headers.items()) {
    const std::string& k = kv.first;
    if (k.size() >= 10 && (iequals(k, "content-length") || iequals(k, "transfer-encoding") || iequals(k, "connection"))) {
      if (iequals(k, "connection") && iequals(kv.second, "close")) c->keep_alive = false;
      continue;
    }
    b.append(k);
    b.append(": ");
    b.append(kv.second);
    b.append("\r\n");
  }
  b.append("Date: ");
  b.append(http_date());
  if (content_length) {
    b.append("\r\nContent-Length: ");
    append_decimal(b, *content_length);
  } else if (c->ex->chunked) {
    b.append("\r\nTransfer-Encoding: chunked");
  }
  if (!c->keep_alive) b.append("\r\nConnection: close");
  else if (c->http10) b.append("\r\nConnection: keep-alive");
  b.append("\r\n\r\n");
}

}  // namespace srv
}  // namespace ploke::net
