// HttpServer: libevent 2.1 loops (raw fd events and timers), http-parser 2.9 for requests,
// our own response framing. See ploke/net/http_server.h for the contract.
//
// Design notes:
//  - Each loop (Worker) has its own event_base, listening socket (SO_REUSEPORT), eventfd
//    (wake-ups for stop and for work posted from other threads) and connections. Nothing
//    is shared between loops but the handler and two atomic counters.
//  - A connection (Conn) owns its fd, an input buffer, an http_parser, an output buffer and
//    one detail::Exchange, reused for each request (a sequence number tells the requests
//    apart, so a Responder kept from an old request does nothing). Reads are level-
//    triggered with a persistent read event: a keep-alive request answered inline costs
//    epoll_wait + recv + send.
//  - Lifetime: every entry point (read/write/timer callbacks, posted work) holds a guard
//    on the Conn; close_conn() closes the fd and unlinks the Conn at once but frees it only
//    when the last guard is released, so handler code may end the connection anywhere.
//  - Responder calls from other threads go through the loop's queue (LoopShared), which
//    outlives the server (shared_ptr) so a late call after stop() is a safe no-op.
#include "ploke/net/http_server.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <http_parser.h>

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
#include "ploke/net/event_loop.h"

namespace ploke::net {

using detail::append_decimal;
using detail::append_hex;
using detail::ByteBuffer;

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

constexpr Duration kSlice = std::chrono::milliseconds(50);
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxPipelined = 1u << 20;  // unparsed input kept while an exchange is open
// After an error response that left request bytes unread (413, 400, 431), the server
// half-closes and reads and discards what the client still sends, so closing does not
// reset the connection before the client has read the answer. Bounded in bytes and time.
constexpr size_t kMaxLingerBytes = 64u << 20;
constexpr timeval kLingerIdle{2, 0};
constexpr std::chrono::seconds kMaxLinger{10};

std::string json_error(std::string_view message) {
  std::string out = "{\"error\":{\"message\":\"";
  for (char ch : message) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char tmp[8];
          std::snprintf(tmp, sizeof tmp, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
          out += tmp;
        } else {
          out += ch;
        }
    }
  }
  out += "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  return out;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Site Overloaded";
    default: return status < 300 ? "OK" : (status < 500 ? "Client Error" : "Server Error");
  }
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

struct Worker;

// The part of a loop that other threads (and late Responders) may touch.
struct LoopShared {
  std::mutex mu;
  std::vector<std::function<void()>> queue;  // GUARDED_BY(mu)
  bool alive = true;                         // GUARDED_BY(mu)
  bool stopping = false;                     // GUARDED_BY(mu)
  int wake_fd = -1;                          // GUARDED_BY(mu) once the loop runs
  std::atomic<std::thread::id> tid{};

  // false when the loop is gone.
  bool post(std::function<void()> fn) {
    std::lock_guard<std::mutex> l(mu);
    if (!alive) return false;
    const bool wake = queue.empty();
    queue.push_back(std::move(fn));
    if (wake && wake_fd >= 0) {
      const uint64_t one = 1;
      (void)!::write(wake_fd, &one, sizeof one);
    }
    return true;
  }
};

struct Conn;

}  // namespace srv

namespace detail {
using srv::Conn;
using srv::LoopShared;
using srv::Worker;

// One connection's exchange state, reused request after request (seq tells them apart).
// Touched only on the loop thread, except open_seq (atomic) and the immutable pointers.
struct Exchange {
  std::shared_ptr<LoopShared> shared;
  Clock* clock = nullptr;
  Worker* worker = nullptr;  // valid while conn != nullptr
  Conn* conn = nullptr;      // null once the connection is closed
  uint64_t seq = 0;          // the current (or last) exchange
  std::atomic<uint64_t> open_seq{0};  // seq while the exchange is open, else 0
  std::atomic<size_t> posted_bytes{0};  // write() bytes queued from other threads, not yet applied
  std::atomic<size_t> out_bytes{0};     // the connection's unsent output after the last flush
  bool started = false;      // head written
  bool chunked = false;
  std::optional<size_t> declared;
  size_t sent = 0;
  std::function<void()> cancel_fn;
  std::function<void()> timer_fn;
  TimePoint timer_due{};

  bool is_open(uint64_t s) const { return conn != nullptr && open_seq.load(std::memory_order_relaxed) == s; }
  static Responder make(std::shared_ptr<Exchange> ex, uint64_t s) { return Responder(std::move(ex), s); }
};

}  // namespace detail

using detail::Exchange;
using namespace srv;

namespace srv {

struct Conn {
  Worker* worker = nullptr;
  int fd = -1;
  event rd{};
  event wr{};
  event timer{};   // the exchange's timer (Responder::set_timer)
  event retry{};   // socket-level endings waiting for output to drain
  http_parser parser{};
  Conn* prev = nullptr;
  Conn* next = nullptr;
  uint64_t id = 0;
  int guard = 0;
  bool dead = false;

  // The request being parsed.
  Request req;
  std::string field;
  std::string value;
  bool in_value = false;
  bool message_done = false;
  bool too_large = false;
  bool keep_alive = true;
  bool http10 = false;
  bool head_method = false;

  ByteBuffer in;
  ByteBuffer out;
  bool write_armed = false;
  bool close_after_write = false;
  bool linger_on_close = false;  // an error response: half-close and drain before closing
  bool lingering = false;
  size_t drained = 0;
  TimePoint linger_until{};
  bool read_paused = false;
  bool in_dispatch = false;  // inside the handler: the dispatcher flushes afterwards
  bool batch = false;        // inside a timer callback: flushed once afterwards

  bool busy = false;  // an exchange is open or a socket-level ending is pending
  bool ending_pending = false;
  bool ending_reset = false;
  uint32_t end_tries = 0;
  std::shared_ptr<Exchange> ex;
};

extern "C" void conn_read_cb(evutil_socket_t, short what, void* arg);
extern "C" void conn_write_cb(evutil_socket_t, short what, void* arg);
extern "C" void conn_timer_cb(evutil_socket_t, short, void* arg);
extern "C" void conn_retry_cb(evutil_socket_t, short, void* arg);
extern "C" void accept_cb(evutil_socket_t fd, short, void* arg);
extern "C" void wake_cb(evutil_socket_t fd, short, void* arg);

http_parser_settings make_parser_settings();

struct Guard {
  explicit Guard(Conn* conn) : c(conn) { ++c->guard; }
  ~Guard() {
    if (--c->guard == 0 && c->dead) delete c;
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  Conn* c;
};

struct Counters {
  std::atomic<size_t> in_flight{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> next_conn_id{1};
};

struct Worker {
  Clock* clock = nullptr;
  const Handler* handler = nullptr;
  Counters* counters = nullptr;
  size_t index = 0;
  size_t max_body = 0;
  timeval idle_tv{};
  timeval write_tv{};
  const timeval* idle_timeout = nullptr;  // common timeouts (O(1) re-arm)
  const timeval* write_timeout = nullptr;
  event_base* base = nullptr;
  int listen_fd = -1;
  event listen_ev{};
  bool listen_added = false;
  int wake_fd = -1;
  event wake{};
  bool wake_added = false;
  std::shared_ptr<LoopShared> shared = std::make_shared<LoopShared>();
  std::thread thread;
  std::unique_ptr<EventLoop::Impl> loop_impl;  // the public EventLoop face of this worker
  std::unique_ptr<EventLoop> loop;
  Conn* conns = nullptr;  // every open connection (intrusive list)
  http_parser_settings settings = make_parser_settings();
  int64_t date_second = -1;
  char date[40] = {};
  size_t date_len = 0;

  ~Worker() { destroy(); }

  void destroy();
  void stop_listening();
  void accept_all();
  void close_conn(Conn* c, bool cancel = true);
  void on_readable(Conn* c);
  void linger(Conn* c);
  void drain(Conn* c);
  void on_writable(Conn* c, bool timed_out);
  void process_input(Conn* c);
  void dispatch(Conn* c);
  void respond_error(Conn* c, int status, std::string_view message);
  void write_head(Conn* c, int status, const Headers& headers, std::optional<size_t> content_length);
  void flush(Conn* c);
  void end_exchange(Conn* c);
  void close_exchange(Conn* c);  // the exchange ends without completion (no cancel callback)
  void begin_ending(Conn* c, bool reset);
  bool try_end(Conn* c);  // false: retry later
  void arm_timer(Conn* c);
  std::string_view http_date();

  // Responder operations (loop thread; `s` = the exchange's seq).
  bool do_respond(Exchange& e, uint64_t s, int status, Headers&& headers, std::string&& body);
  bool do_start(Exchange& e, uint64_t s, int status, Headers&& headers, std::optional<size_t> length);
  bool do_write(Exchange& e, uint64_t s, std::string_view bytes);
  bool do_finish(Exchange& e, uint64_t s);
  bool do_end(Exchange& e, uint64_t s, bool reset);
  bool do_set_timer(Exchange& e, uint64_t s, TimePoint due, std::function<void()>&& fn);
  bool do_cancel_timer(Exchange& e, uint64_t s);
};

// ---- request parsing (http-parser callbacks) -------------------------------------------

Conn* conn_of(http_parser* p) { return static_cast<Conn*>(p->data); }

void push_header(Conn* c) {
  if (!c->in_value) return;
  c->req.headers.add(std::move(c->field), std::move(c->value));
  c->field.clear();
  c->value.clear();
  c->in_value = false;
}

http_parser_settings make_parser_settings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = [](http_parser* p) {
    Conn* c = conn_of(p);
    c->field.clear();
    c->value.clear();
    c->in_value = false;
    c->req.target.clear();
    c->req.headers = Headers{};
    c->req.body.clear();
    return 0;
  };
  s.on_url = [](http_parser* p, const char* at, size_t n) {
    conn_of(p)->req.target.append(at, n);
    return 0;
  };
  s.on_header_field = [](http_parser* p, const char* at, size_t n) {
    Conn* c = conn_of(p);
    push_header(c);
    c->field.append(at, n);
    return 0;
  };
  s.on_header_value = [](http_parser* p, const char* at, size_t n) {
    Conn* c = conn_of(p);
    c->in_value = true;
    c->value.append(at, n);
    return 0;
  };
  s.on_headers_complete = [](http_parser* p) {
    Conn* c = conn_of(p);
    push_header(c);
    const uint64_t cl = p->content_length;
    if (cl != ULLONG_MAX && cl > c->worker->max_body) {
      c->too_large = true;
      http_parser_pause(p, 1);
      return 0;
    }
    if (cl != ULLONG_MAX && cl > 0) c->req.body.reserve(static_cast<size_t>(cl));
    if (auto e = c->req.headers.get("expect"); e && iequals(*e, "100-continue") && p->http_minor >= 1) {
      c->out.append("HTTP/1.1 100 Continue\r\n\r\n");  // flushed by the read handler
    }
    return 0;
  };
  s.on_body = [](http_parser* p, const char* at, size_t n) {
    Conn* c = conn_of(p);
    if (c->req.body.size() + n > c->worker->max_body) {
      c->too_large = true;
      http_parser_pause(p, 1);
      return 0;
    }
    c->req.body.append(at, n);
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    Conn* c = conn_of(p);
    c->message_done = true;
    c->keep_alive = http_should_keep_alive(p) != 0;
    c->http10 = p->http_major == 1 && p->http_minor == 0;
    c->head_method = p->method == HTTP_HEAD;
    c->req.method = http_method_str(static_cast<http_method>(p->method));
    c->req.http_minor = p->http_minor;
    http_parser_pause(p, 1);
    return 0;
  };
  return s;
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
    c->id = counters->next_conn_id.fetch_add(1, std::memory_order_relaxed);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
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

enum class Sent : uint8_t { kAll, kBlocked, kPeerGone };

// Writes as much of the output buffer as the socket takes.
Sent send_pending(Conn* c) {
  while (!c->out.empty()) {
    const ssize_t n = ::send(c->fd, c->out.begin(), c->out.size(), MSG_NOSIGNAL);
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
    const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
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
  flush(c);
}

void Worker::on_readable(Conn* c) {
  if (c->lingering) {
    drain(c);
    return;
  }
  for (;;) {
    char* dst = c->in.reserve(kReadChunk);
    const ssize_t n = ::recv(c->fd, dst, kReadChunk, 0);
    if (n > 0) {
      c->in.commit(static_cast<size_t>(n));
      if (static_cast<size_t>(n) == kReadChunk && c->in.size() < kMaxPipelined + kReadChunk) continue;
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
  while (!c->dead && !c->busy && !c->close_after_write && !c->in.empty()) {
    const size_t n = http_parser_execute(&c->parser, &settings, c->in.begin(), c->in.size());
    c->in.consume(n);
    const http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (c->too_large) {
      c->in.clear();
      respond_error(c, 413, "request body larger than " + std::to_string(max_body) + " bytes");
      return;
    }
    if (err == HPE_PAUSED) {
      http_parser_pause(&c->parser, 0);
      if (c->message_done) {
        c->message_done = false;
        dispatch(c);
      }
      continue;
    }
    if (err != HPE_OK) {
      c->in.clear();
      respond_error(c, err == HPE_HEADER_OVERFLOW ? 431 : 400,
                    std::string("malformed HTTP request: ") + http_errno_description(err));
      return;
    }
    break;  // everything consumed, the request is incomplete: wait for more
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
  Request& r = c->req;
  r.received_at = clock->now();
  std::string_view target = r.target.empty() ? std::string_view("/") : std::string_view(r.target);
  // Absolute-form targets ("http://host/path") are reduced to the path.
  if (target.substr(0, 4) == "http") {
    const size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      const size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (q == std::string_view::npos) r.query.clear();
  else r.query.assign(target.substr(q + 1));
  r.path.clear();
  if (path.find('%') != std::string_view::npos) {
    if (char* d = evhttp_decode_uri(std::string(path).c_str())) {
      r.path = d;
      std::free(d);
    }
  }
  if (r.path.empty()) r.path.assign(path);
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

// ---- exchange operations (loop thread) ------------------------------------------------

bool Worker::do_respond(Exchange& e, uint64_t s, int status, Headers&& headers, std::string&& body) {
  if (!e.is_open(s) || e.started) return false;
  Conn* c = e.conn;
  e.started = true;
  e.chunked = false;
  write_head(c, status, headers, body.size());
  if (!c->head_method) c->out.append(body);
  end_exchange(c);
  return true;
}

bool Worker::do_start(Exchange& e, uint64_t s, int status, Headers&& headers, std::optional<size_t> length) {
  if (!e.is_open(s) || e.started) return false;
  Conn* c = e.conn;
  e.started = true;
  e.declared = length;
  e.sent = 0;
  if (length) {
    e.chunked = false;
  } else {
    e.chunked = !c->http10;
    if (c->http10) c->keep_alive = false;  // HTTP/1.0: the body ends with the connection
  }
  write_head(c, status, headers, length);
  if (!c->in_dispatch && !c->batch) flush(c);
  return true;
}

bool Worker::do_write(Exchange& e, uint64_t s, std::string_view bytes) {
  if (!e.is_open(s) || !e.started) return false;
  Conn* c = e.conn;
  if (bytes.empty() || c->head_method) return true;
  if (e.declared) {
    const size_t room = *e.declared - std::min(*e.declared, e.sent);
    bytes = bytes.substr(0, room);
    if (bytes.empty()) return true;
  }
  if (e.chunked) {
    append_hex(c->out, bytes.size());
    c->out.append("\r\n");
    c->out.append(bytes);
    c->out.append("\r\n");
  } else {
    c->out.append(bytes);
  }
  e.sent += bytes.size();
  if (!c->in_dispatch && !c->batch) flush(c);
  return true;
}

bool Worker::do_finish(Exchange& e, uint64_t s) {
  if (!e.is_open(s) || !e.started) return false;
  Conn* c = e.conn;
  if (!c->head_method && e.declared && *e.declared != e.sent) {
    // Fewer bytes than declared: the client sees a short body and a closed connection.
    close_exchange(c);
    begin_ending(c, false);
    return true;
  }
  if (e.chunked && !c->head_method) c->out.append("0\r\n\r\n");
  end_exchange(c);
  return true;
}

bool Worker::do_end(Exchange& e, uint64_t s, bool reset) {
  if (!e.is_open(s)) return false;
  Conn* c = e.conn;
  close_exchange(c);
  begin_ending(c, reset);
  return true;
}

bool Worker::do_set_timer(Exchange& e, uint64_t s, TimePoint due, std::function<void()>&& fn) {
  if (!e.is_open(s)) return false;
  e.timer_fn = std::move(fn);
  e.timer_due = due;
  arm_timer(e.conn);
  return true;
}

bool Worker::do_cancel_timer(Exchange& e, uint64_t s) {
  if (!e.is_open(s)) return false;
  e.timer_fn = nullptr;
  event_del(&e.conn->timer);
  return true;
}

void Worker::arm_timer(Conn* c) {
  const Duration left = c->ex->timer_due - clock->now();
  const timeval tv = to_timeval(std::min(left, kSlice));
  event_add(&c->timer, &tv);
}

// The exchange is over without a normal end (socket-level ending follows).
void Worker::close_exchange(Conn* c) {
  Exchange& e = *c->ex;
  e.open_seq.store(0, std::memory_order_relaxed);
  counters->in_flight.fetch_sub(1, std::memory_order_relaxed);
  e.cancel_fn = nullptr;
  e.timer_fn = nullptr;
  event_del(&c->timer);
}

// The response is complete: back to idle, then the next pipelined request.
void Worker::end_exchange(Conn* c) {
  close_exchange(c);
  c->busy = false;
  if (!c->keep_alive) c->close_after_write = true;
  if (c->in_dispatch) return;  // the dispatcher carries on (flush, next request)
  c->read_paused = false;
  event_add(&c->rd, idle_timeout);  // back to the idle timeout; re-enables paused reading
  flush(c);
  if (c->dead) return;
  process_input(c);
  if (!c->dead && !c->out.empty()) flush(c);
}

void Worker::begin_ending(Conn* c, bool reset) {
  c->busy = true;  // nothing more is parsed
  c->ending_pending = true;
  c->ending_reset = reset;
  c->end_tries = 0;
  if (c->write_armed) {
    event_del(&c->wr);
    c->write_armed = false;
  }
  if (!try_end(c)) {
    const timeval tv{0, 1000};
    event_add(&c->retry, &tv);
  }
}

// Flushes what is queued, then resets or closes the connection. false when the output
// could not be flushed yet (try again later).
bool Worker::try_end(Conn* c) {
  // A client that never reads: give up and close after ~5 s of 1 ms retries. A peer that
  // is gone: just close.
  if (send_pending(c) == Sent::kBlocked && ++c->end_tries < 5000) return false;
  if (c->ending_reset && c->out.empty()) {
    // An abort purges the kernel's send queue: bytes not sent yet would be lost, so wait
    // until they have left (bounded).
    int unsent = 0;
    if (ioctl(c->fd, SIOCOUTQNSD, &unsent) == 0 && unsent > 0 && c->end_tries < 200) {
      ++c->end_tries;
      return false;
    }
    abort_connection(c->fd);
  }
  close_conn(c, false);  // FIN unless aborted above
  return true;
}

extern "C" void conn_read_cb(evutil_socket_t, short what, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  Guard g(c);
  Worker* w = c->worker;
  if ((what & EV_TIMEOUT) != 0 && (what & EV_READ) == 0) {
    if (!c->busy) w->close_conn(c);  // idle too long
    return;
  }
  try {
    w->on_readable(c);
  } catch (...) {
    w->close_conn(c);  // out of memory: give the connection up
  }
}

extern "C" void conn_write_cb(evutil_socket_t, short what, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  Guard g(c);
  c->worker->on_writable(c, (what & EV_TIMEOUT) != 0);
}

extern "C" void conn_timer_cb(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  Guard g(c);
  Exchange& e = *c->ex;
  if (!e.timer_fn || c->dead) return;
  if (c->worker->clock->now() < e.timer_due) {
    c->worker->arm_timer(c);
    return;
  }
  auto fn = std::move(e.timer_fn);
  e.timer_fn = nullptr;
  c->batch = true;  // steps taken in this callback leave in one send()
  try {
    fn();
  } catch (...) {
    c->worker->close_conn(c);
  }
  c->batch = false;
  if (!c->dead && !c->out.empty()) c->worker->flush(c);
}

extern "C" void conn_retry_cb(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  Guard g(c);
  if (c->dead) return;
  if (!c->worker->try_end(c)) {
    const timeval tv{0, 1000};
    event_add(&c->retry, &tv);
  }
}

extern "C" void accept_cb(evutil_socket_t, short, void* arg) { static_cast<Worker*>(arg)->accept_all(); }

extern "C" void wake_cb(evutil_socket_t fd, short, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  uint64_t v;
  (void)!::read(static_cast<int>(fd), &v, sizeof v);
  std::vector<std::function<void()>> work;
  bool stopping = false;
  {
    std::lock_guard<std::mutex> l(w->shared->mu);
    work.swap(w->shared->queue);
    stopping = w->shared->stopping;
  }
  if (stopping) {
    event_base_loopbreak(w->base);
    return;
  }
  for (auto& fn : work) {
    try {
      fn();
    } catch (...) {
    }
  }
}

void Worker::stop_listening() {
  if (listen_added) event_del(&listen_ev);
  listen_added = false;
  if (listen_fd >= 0) ::close(listen_fd);
  listen_fd = -1;
}

void Worker::destroy() {
  {
    std::lock_guard<std::mutex> l(shared->mu);
    shared->alive = false;
    shared->wake_fd = -1;
  }
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> l(shared->mu);
    dropped.swap(shared->queue);
  }
  dropped.clear();
  EventLoop* const prev_loop = detail::set_current_loop(loop.get());  // cancel callbacks and locals see their loop
  while (conns != nullptr) close_conn(conns);  // runs pending cancel callbacks
  if (loop_impl) loop_impl->close();           // deferred work, then the loop's locals (newest first)
  detail::set_current_loop(prev_loop);
  stop_listening();
  if (wake_added) event_del(&wake);
  wake_added = false;
  if (wake_fd >= 0) ::close(wake_fd);
  wake_fd = -1;
  if (loop_impl) loop_impl->release_events();
  if (base != nullptr) event_base_free(base);
  base = nullptr;
}

// A listening socket on `ai`, port `port` (0 = ephemeral). -1 with errno on failure.
int open_listener(const addrinfo* ai, int port, bool reuseport) {
  const int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);  // inherited by accepted sockets
  sockaddr_storage addr{};
  std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
  if (addr.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(addr).sin_port = htons(static_cast<uint16_t>(port));
  else reinterpret_cast<sockaddr_in6&>(addr).sin6_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

Worker* worker_of(const detail::Exchange& e) { return e.worker; }

}  // namespace srv

// ---- Responder ---------------------------------------------------------------------------

bool Responder::on_loop_thread() const {
  return ex_ && ex_->shared->tid.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

bool Responder::open() const { return ex_ && ex_->open_seq.load(std::memory_order_relaxed) == seq_; }

Clock& Responder::clock() const { return *ex_->clock; }

size_t Responder::queued_bytes() const {
  if (!ex_) return 0;
  if (on_loop_thread()) return ex_->conn == nullptr ? 0 : ex_->conn->out.size();
  return ex_->posted_bytes.load(std::memory_order_relaxed) + ex_->out_bytes.load(std::memory_order_relaxed);
}

namespace srv {

// Runs op(worker, exchange) on the exchange's loop: at once on the loop thread (with a
// guard on the connection), else queued.
template <class Op>
bool run_on_loop(const std::shared_ptr<Exchange>& ex, uint64_t seq, Op&& op) {
  if (!ex) return false;
  if (ex->shared->tid.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
    if (!ex->is_open(seq)) return false;
    Guard g(ex->conn);
    return op(*worker_of(*ex), *ex);
  }
  if (ex->open_seq.load(std::memory_order_relaxed) != seq) return false;
  return ex->shared->post([ex, seq, op = std::forward<Op>(op)]() mutable {
    if (!ex->is_open(seq)) return;
    Guard g(ex->conn);
    op(*worker_of(*ex), *ex);
  });
}

}  // namespace srv

bool Responder::respond(int status, Headers headers, std::string body) {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s, status, h = std::move(headers), b = std::move(body)](Worker& w, Exchange& e) mutable {
    return w.do_respond(e, s, status, std::move(h), std::move(b));
  });
}

bool Responder::respond(int status, std::string_view content_type, std::string_view body) {
  Headers h;
  h.add("content-type", std::string(content_type));
  return respond(status, std::move(h), std::string(body));
}

bool Responder::start(int status, Headers headers, std::optional<size_t> content_length) {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s, status, h = std::move(headers), content_length](Worker& w, Exchange& e) mutable {
    return w.do_start(e, s, status, std::move(h), content_length);
  });
}

bool Responder::write(std::string bytes) {
  const uint64_t s = seq_;
  if (ex_ && !on_loop_thread()) {
    // Counted until the loop applies it (queued_bytes() from other threads).
    const size_t n = bytes.size();
    ex_->posted_bytes.fetch_add(n, std::memory_order_relaxed);
    std::shared_ptr<Exchange> ex = ex_;
    struct Uncount {
      std::shared_ptr<Exchange> ex;
      size_t n;
      ~Uncount() {
        if (ex) ex->posted_bytes.fetch_sub(n, std::memory_order_relaxed);
      }
      Uncount(std::shared_ptr<Exchange> e, size_t k) : ex(std::move(e)), n(k) {}
      Uncount(Uncount&& o) noexcept : ex(std::move(o.ex)), n(o.n) {}
      Uncount(const Uncount&) = delete;
    };
    auto guard = std::make_shared<Uncount>(ex, n);  // uncounts when the queued work runs or is dropped
    return run_on_loop(ex_, s, [s, b = std::move(bytes), guard](Worker& w, Exchange& e) { return w.do_write(e, s, b); });
  }
  return run_on_loop(ex_, s, [s, b = std::move(bytes)](Worker& w, Exchange& e) { return w.do_write(e, s, b); });
}

bool Responder::finish() {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s](Worker& w, Exchange& e) { return w.do_finish(e, s); });
}

bool Responder::reset() {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s](Worker& w, Exchange& e) { return w.do_end(e, s, true); });
}

bool Responder::close() {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s](Worker& w, Exchange& e) { return w.do_end(e, s, false); });
}

bool Responder::on_cancel(std::function<void()> fn) {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s, f = std::move(fn)](Worker&, Exchange& e) mutable {
    if (!e.is_open(s)) return false;
    e.cancel_fn = std::move(f);
    return true;
  });
}

bool Responder::set_timer(TimePoint due, std::function<void()> fn) {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s, due, f = std::move(fn)](Worker& w, Exchange& e) mutable {
    return w.do_set_timer(e, s, due, std::move(f));
  });
}

bool Responder::cancel_timer() {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [s](Worker& w, Exchange& e) { return w.do_cancel_timer(e, s); });
}

bool Responder::post(std::function<void()> fn) {
  const uint64_t s = seq_;
  return run_on_loop(ex_, s, [f = std::move(fn)](Worker&, Exchange&) mutable {
    f();
    return true;
  });
}

// ---- EventLoop ---------------------------------------------------------------------------

namespace detail {
namespace {
thread_local EventLoop* t_current_loop = nullptr;
}
EventLoop* set_current_loop(EventLoop* loop) {
  EventLoop* prev = t_current_loop;
  t_current_loop = loop;
  return prev;
}
event_base* base_of(EventLoop& loop) { return loop.impl()->base; }
std::function<bool(std::function<void()>)> poster(EventLoop& loop) {
  return [shared = loop.impl()->shared](std::function<void()> fn) { return shared->post(std::move(fn)); };
}
}  // namespace detail

extern "C" void loop_defer_cb(evutil_socket_t, short, void* arg) { static_cast<EventLoop::Impl*>(arg)->run_deferred(); }

EventLoop::Impl::Impl(event_base* b, std::shared_ptr<srv::LoopShared> s, Clock& c, size_t i)
    : base(b), shared(std::move(s)), clock(c), index(i) {}

EventLoop::Impl::~Impl() = default;

void EventLoop::Impl::attach() {
  event_assign(&defer_ev, base, -1, 0, loop_defer_cb, this);
  attached = true;
}

void EventLoop::Impl::run_deferred() {
  while (!deferred.empty()) {
    std::vector<std::function<void()>> work;
    work.swap(deferred);
    for (auto& fn : work) {
      try {
        fn();
      } catch (...) {
      }
    }
    if (!closing) break;  // a running loop picks up what these deferred again (event re-activated)
  }
}

void EventLoop::Impl::close() {
  closing = true;
  run_deferred();
  while (!locals.empty()) {
    std::shared_ptr<void> v = std::move(locals.back().second);
    locals.pop_back();
    v.reset();  // its destructor may defer work: run it before the next one goes
    run_deferred();
  }
}

void EventLoop::Impl::release_events() {
  if (attached) event_del(&defer_ev);
  attached = false;
}

EventLoop* EventLoop::current() { return detail::t_current_loop; }

bool EventLoop::post(std::function<void()> fn) { return impl_->shared->post(std::move(fn)); }

std::function<bool(std::function<void()>)> EventLoop::poster() const { return detail::poster(*const_cast<EventLoop*>(this)); }

void EventLoop::defer(std::function<void()> fn) {
  const bool first = impl_->deferred.empty();
  impl_->deferred.push_back(std::move(fn));
  if (first && impl_->attached && !impl_->closing) event_active(&impl_->defer_ev, EV_TIMEOUT, 0);
}

bool EventLoop::on_loop_thread() const {
  return impl_->shared->tid.load(std::memory_order_relaxed) == std::this_thread::get_id() ||
         detail::t_current_loop == this;
}

bool EventLoop::closing() const { return impl_->closing; }

Clock& EventLoop::clock() const { return impl_->clock; }

size_t EventLoop::index() const { return impl_->index; }

void* EventLoop::get_local(const void* key) const {
  for (const auto& kv : impl_->locals)
    if (kv.first == key) return kv.second.get();
  return nullptr;
}

void EventLoop::set_local(const void* key, std::shared_ptr<void> value) {
  for (auto& kv : impl_->locals) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  impl_->locals.emplace_back(key, std::move(value));
}

// ---- HttpServer ------------------------------------------------------------------------

struct HttpServer::Impl {
  Impl(Clock& c, ServerOptions o, Handler h) : clock(c), opts(std::move(o)), handler(std::move(h)) {}
  ~Impl() { stop_all(); }

  Clock& clock;
  const ServerOptions opts;
  const Handler handler;
  Counters counters;
  int port = 0;
  std::vector<std::unique_ptr<Worker>> workers;
  std::mutex stop_mu;
  bool stopped = false;  // GUARDED_BY(stop_mu)

  void stop_all() {
    for (auto& w : workers) {
      std::lock_guard<std::mutex> l(w->shared->mu);
      w->shared->stopping = true;
      if (w->wake_fd >= 0 && w->thread.joinable()) {
        const uint64_t one = 1;
        (void)!::write(w->wake_fd, &one, sizeof one);
      }
    }
    for (auto& w : workers) {
      if (w->thread.joinable()) w->thread.join();
    }
    for (auto& w : workers) w->destroy();  // loops are stopped: safe from this thread
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Clock& clock, Handler handler) {
  const std::string& name = options.name;
  if (!handler) return InvalidRequestError(name + " options: a handler is required");
  if (options.threads == 0) return InvalidRequestError("server options: threads must be > 0");
  if (options.threads > 1024) return InvalidRequestError("server options: threads must be <= 1024");
  if (options.port < 0 || options.port > 65535) return InvalidRequestError("server options: port must be in [0,65535]");
  if (options.max_body_bytes == 0) return InvalidRequestError("server options: max_body_bytes must be > 0");
  ::signal(SIGPIPE, SIG_IGN);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* ai = nullptr;
  if (int rc = getaddrinfo(options.host.empty() ? nullptr : options.host.c_str(), "0", &hints, &ai); rc != 0 || !ai) {
    return InternalError(name + ": cannot resolve " + options.host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> ai_guard(ai, freeaddrinfo);
  auto bind_error = [&](int port) {
    return InternalError(name + ": cannot bind " + options.host + ":" + std::to_string(port) + ": " +
                         std::strerror(errno));
  };

  const size_t n = options.threads;
  const bool reuseport = n > 1;
  int port = options.port;
  std::vector<int> fds;
  auto close_fds = [&] {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  };
  if (reuseport && port != 0) {
    // SO_REUSEPORT sockets share a port with any other SO_REUSEPORT socket of this user;
    // a plain bind first makes a busy port an error, as it should be.
    const int probe = open_listener(ai, port, false);
    if (probe < 0) return bind_error(port);
    ::close(probe);
  }
  for (size_t i = 0; i < n; ++i) {
    const int fd = open_listener(ai, port, reuseport);
    if (fd < 0) {
      auto st = bind_error(port);
      close_fds();
      return st;
    }
    fds.push_back(fd);
    if (port == 0) port = bound_port(fd);
  }

  auto impl = std::make_unique<Impl>(clock, options, std::move(handler));
  impl->port = port;
  const auto idle = std::max(options.keep_alive_timeout, options.read_timeout);
  const auto write = options.write_timeout;
  event_config* cfg = event_config_new();
  if (cfg == nullptr) {
    close_fds();
    return InternalError(name + ": event_config_new failed");
  }
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  Status failure;
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->clock = &clock;
    w->handler = &impl->handler;
    w->counters = &impl->counters;
    w->index = i;
    w->max_body = options.max_body_bytes;
    w->idle_tv = timeval{static_cast<time_t>(std::max<int64_t>(1, idle.count())), 0};
    w->write_tv = timeval{static_cast<time_t>(std::max<int64_t>(1, write.count())), 0};
    w->listen_fd = fds[i];
    fds[i] = -1;
    w->base = event_base_new_with_config(cfg);
    w->loop_impl = std::make_unique<EventLoop::Impl>(w->base, w->shared, clock, i);
    w->loop = std::make_unique<EventLoop>(w->loop_impl.get());
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->shared->wake_fd = w->wake_fd;
    Worker* wp = w.get();
    impl->workers.push_back(std::move(w));
    if (wp->base == nullptr || wp->wake_fd < 0) {
      failure = InternalError(name + ": cannot create event loop");
      break;
    }
    wp->idle_timeout = event_base_init_common_timeout(wp->base, &wp->idle_tv);
    wp->write_timeout = event_base_init_common_timeout(wp->base, &wp->write_tv);
    wp->loop_impl->attach();
    event_assign(&wp->wake, wp->base, wp->wake_fd, EV_READ | EV_PERSIST, wake_cb, wp);
    event_add(&wp->wake, nullptr);
    wp->wake_added = true;
    event_assign(&wp->listen_ev, wp->base, wp->listen_fd, EV_READ | EV_PERSIST, accept_cb, wp);
    event_add(&wp->listen_ev, nullptr);
    wp->listen_added = true;
  }
  event_config_free(cfg);
  close_fds();
  if (!failure.ok()) return failure;  // ~Impl frees what was made
  try {
    for (auto& w : impl->workers) {
      Worker* wp = w.get();
      wp->thread = std::thread([wp] {
        wp->shared->tid.store(std::this_thread::get_id(), std::memory_order_relaxed);
        detail::set_current_loop(wp->loop.get());
        event_base_dispatch(wp->base);
        detail::set_current_loop(nullptr);
      });
    }
  } catch (const std::exception& e) {
    return InternalError(name + ": cannot start a thread: " + e.what());  // ~Impl stops the others
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const {
  const std::string& h = impl_->opts.host;
  const bool v6 = h.find(':') != std::string::npos;
  const std::string host = h == "0.0.0.0" ? "127.0.0.1" : (h == "::" ? "[::1]" : (v6 ? "[" + h + "]" : h));
  return "http://" + host + ":" + std::to_string(impl_->port);
}

size_t HttpServer::in_flight() const { return impl_->counters.in_flight.load(std::memory_order_relaxed); }

uint64_t HttpServer::requests() const { return impl_->counters.requests.load(std::memory_order_relaxed); }

void HttpServer::stop_accepting() {
  for (auto& w : impl_->workers) {
    Worker* wp = w.get();
    wp->shared->post([wp] { wp->stop_listening(); });
  }
}

void HttpServer::stop() {
  if (!impl_) return;
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stop_all();
}

}  // namespace ploke::net
