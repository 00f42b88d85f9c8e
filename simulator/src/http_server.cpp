// SimServer: plays SimEngine's ScriptedResponses on real sockets.
//
// Libraries: libevent 2.1 for the event loops (raw fd events and timers only), http-parser
// 2.9 (Debian libhttp-parser-dev, the parser Node.js used before llhttp) for requests.
// Response framing (status line, headers, Content-Length or chunked) is written here:
// it is ~40 lines, and owning it is what makes the hot path one write per response.
//
// Design notes:
//  - Threads: ServerOptions::threads workers, each with its own event_base and its own
//    listening socket bound to the same port with SO_REUSEPORT (the kernel spreads new
//    connections over them). With port 0 the first socket picks the port and the others
//    join it. SO_REUSEPORT would let a second server silently share a busy port, so an
//    explicit port is first probed with a plain bind. Nothing is shared between the loops
//    but the (thread-safe) engine; stop() wakes each loop through an eventfd.
//  - A connection (Conn) owns its fd, an input buffer, an http_parser, an output buffer
//    and at most one exchange (the response being played). Reads are level-triggered with
//    a persistent read event, so a keep-alive request costs epoll_wait + read + write:
//    a complete non-stream response (the hot path) is framed straight into the output
//    buffer and written with one send(). A write that would block parks the rest in the
//    buffer and arms a write event.
//  - Pipelining: the parser pauses at the end of each request; the next one is parsed only
//    when the current exchange is over, so responses leave in request order.
//  - Timing: the request's start t0 = clock.now() (the injected Clock). Every later step
//    (head, the chunks due at one instant, the ending) runs from an event timer whose
//    relative delay is (t0 + offset) - clock.now(), capped at kSlice so a Clock that jumps
//    is noticed; a timer that fires early (by the Clock) just re-arms. No thread waits.
//  - Socket-level endings: pending output is flushed first; reset = connect(fd, AF_UNSPEC),
//    which makes Linux abort the connection with RST (after the kernel's send queue has
//    drained, bounded); empty reply = close (FIN, no byte); hang = silence until the client
//    leaves, stop(), or ServerOptions::max_hang.
//  - Client gone: the read event stays armed during an exchange; EOF or an error there
//    drops the exchange and the connection. Idle connections close after the larger of
//    keep_alive_timeout/read_timeout (a persistent read event's timeout restarts whenever
//    it fires); blocked writes give up after write_timeout.
#include "ploke/simulator/http_server.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <http_parser.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "ploke/simulator/fault_plan_json.h"

namespace ploke::sim {
namespace {

constexpr Duration kSlice = std::chrono::milliseconds(50);
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxPipelined = 1u << 20;  // unparsed input kept while an exchange plays

std::string admin_error(std::string_view message) {
  std::string out = "{\"error\":{\"message\":";
  nlohmann::json m = std::string(message);
  out += m.dump();
  out += ",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  return out;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
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

// Value of `name` in a raw query string ("a=1&b=2"), undecoded.
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

// A growable byte buffer with a read offset (no zero-fill on growth).
class ByteBuffer {
 public:
  ~ByteBuffer() { std::free(data_); }
  const char* begin() const { return data_ + off_; }
  size_t size() const { return len_ - off_; }
  bool empty() const { return off_ == len_; }
  void consume(size_t n) {
    off_ += n;
    if (off_ == len_) off_ = len_ = 0;
  }
  void clear() { off_ = len_ = 0; }
  void append(std::string_view s) {
    std::memcpy(reserve(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  // Space for `n` more bytes at tail(); commit() what was written.
  char* reserve(size_t n) {
    if (cap_ - len_ < n) {
      if (off_ > 0) {  // compact first
        std::memmove(data_, data_ + off_, len_ - off_);
        len_ -= off_;
        off_ = 0;
      }
      if (cap_ - len_ < n) {
        const size_t cap = std::max(cap_ * 2, len_ + n);
        char* p = static_cast<char*>(std::realloc(data_, cap));
        if (p == nullptr) throw std::bad_alloc();
        data_ = p;
        cap_ = cap;
      }
    }
    return data_ + len_;
  }
  void commit(size_t n) { len_ += n; }
  // Frees the memory of a large, empty buffer (an idle connection keeps at most 64 KB).
  void shrink() {
    if (empty() && cap_ > 64 * 1024) {
      std::free(data_);
      data_ = nullptr;
      cap_ = 0;
    }
  }

 private:
  char* data_ = nullptr;
  size_t off_ = 0, len_ = 0, cap_ = 0;
};

void append_decimal(ByteBuffer& b, uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  b.append(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

void append_hex(ByteBuffer& b, uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v, 16);
  b.append(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

struct Worker;

enum class Stage : uint8_t { kHead, kBody, kEnding, kHang };

struct Conn {
  Worker* worker = nullptr;
  int fd = -1;
  event rd{};
  event wr{};
  event timer{};
  http_parser parser{};
  Conn* prev = nullptr;
  Conn* next = nullptr;

  // The request being parsed.
  std::string url;
  std::string field;
  std::string value;
  bool in_value = false;
  HttpRequest request;
  bool message_done = false;
  bool too_large = false;
  bool keep_alive = true;
  bool http10 = false;
  bool head_method = false;

  ByteBuffer in;
  ByteBuffer out;
  bool write_armed = false;
  bool close_after_write = false;
  bool read_paused = false;

  // The exchange being played (busy == true).
  bool busy = false;
  ScriptedResponse script;
  TimePoint t0{};
  TimePoint hang_deadline{};
  size_t next_chunk = 0;
  size_t sent = 0;
  std::optional<size_t> declared_length;
  bool chunked = false;
  Stage stage = Stage::kHead;
  uint32_t end_tries = 0;
};

}  // namespace

struct SimServer::Impl {
  Impl(SimEngine& e, Clock& c, ServerOptions o) : engine(e), clock(c), opts(std::move(o)) {}
  ~Impl();

  SimEngine& engine;
  Clock& clock;
  const ServerOptions opts;
  int port = 0;
  std::vector<std::unique_ptr<Worker>> workers;
  std::mutex stop_mu;
  bool stopped = false;  // GUARDED_BY(stop_mu)

  void stop_all();
};

namespace {

extern "C" void conn_read_cb(evutil_socket_t, short what, void* arg);
extern "C" void conn_write_cb(evutil_socket_t, short what, void* arg);
extern "C" void conn_timer_cb(evutil_socket_t, short, void* arg);
extern "C" void accept_cb(evutil_socket_t fd, short, void* arg);
extern "C" void wake_cb(evutil_socket_t fd, short, void* arg);

http_parser_settings make_parser_settings();

struct Worker {
  SimEngine* engine = nullptr;
  Clock* clock = nullptr;
  Duration max_hang{};
  size_t max_body = 0;
  timeval idle_tv{};
  timeval write_tv{};
  const timeval* idle_timeout = nullptr;   // common timeout (O(1) re-arm)
  const timeval* write_timeout = nullptr;
  event_base* base = nullptr;
  int listen_fd = -1;
  event listen_ev{};
  bool listen_added = false;
  int wake_fd = -1;
  event wake{};
  bool wake_added = false;
  std::thread thread;
  Conn* conns = nullptr;  // every open connection (intrusive list)
  http_parser_settings settings = make_parser_settings();
  int64_t date_second = -1;
  char date[40] = {};
  size_t date_len = 0;

  ~Worker() { destroy(); }

  void destroy();
  void accept_all();
  void close_conn(Conn* c);
  void on_readable(Conn* c);
  void on_writable(Conn* c, bool timed_out);
  bool process_input(Conn* c);  // false: the connection is gone
  bool dispatch(Conn* c);       // false: the connection is gone
  void serve(Conn* c, TimePoint t0);
  void admin(Conn* c, std::string_view method, std::string_view path, std::string_view query);
  void respond(Conn* c, int status, std::string_view content_type, std::string_view body);
  void write_head(Conn* c, int status, const Headers& headers, const std::string& content_type,
                  std::optional<size_t> content_length);
  void play(Conn* c, ScriptedResponse&& sr, TimePoint t0);
  void advance(Conn* c);
  bool end_with(Conn* c, Ending ending);  // false: retry later (output blocked)
  void end_exchange(Conn* c);             // the exchange completed normally
  void start_hang(Conn* c);
  void arm(Conn* c, TimePoint due);
  bool flush(Conn* c);  // false: the connection is gone
  std::string_view http_date();
};

// ---- request parsing (http-parser callbacks) -------------------------------------------

Conn* conn_of(http_parser* p) { return static_cast<Conn*>(p->data); }

void push_header(Conn* c) {
  if (!c->in_value) return;
  c->request.headers.add(std::move(c->field), std::move(c->value));
  c->field.clear();
  c->value.clear();
  c->in_value = false;
}

http_parser_settings make_parser_settings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = [](http_parser* p) {
    Conn* c = conn_of(p);
    c->url.clear();
    c->field.clear();
    c->value.clear();
    c->in_value = false;
    c->request = HttpRequest{};
    c->request.body.clear();
    return 0;
  };
  s.on_url = [](http_parser* p, const char* at, size_t n) {
    conn_of(p)->url.append(at, n);
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
    if (cl != ULLONG_MAX && cl > 0) c->request.body.reserve(static_cast<size_t>(cl));
    if (auto e = c->request.headers.get("expect"); e && iequals(*e, "100-continue") && p->http_minor >= 1) {
      c->out.append("HTTP/1.1 100 Continue\r\n\r\n");  // flushed by the read handler
    }
    return 0;
  };
  s.on_body = [](http_parser* p, const char* at, size_t n) {
    Conn* c = conn_of(p);
    if (c->request.body.size() + n > c->worker->max_body) {
      c->too_large = true;
      http_parser_pause(p, 1);
      return 0;
    }
    c->request.body.append(at, n);
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    Conn* c = conn_of(p);
    c->message_done = true;
    c->keep_alive = http_should_keep_alive(p) != 0;
    c->http10 = p->http_major == 1 && p->http_minor == 0;
    c->head_method = p->method == HTTP_HEAD;
    c->request.method = http_method_str(static_cast<http_method>(p->method));
    http_parser_pause(p, 1);
    return 0;
  };
  return s;
}

// ---- connections ---------------------------------------------------------------------

void Worker::accept_all() {
  for (int i = 0; i < 64; ++i) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error (EMFILE, ECONNABORTED): next wake-up
    auto* c = new (std::nothrow) Conn;
    if (c == nullptr) {
      ::close(fd);
      return;
    }
    c->worker = this;
    c->fd = fd;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    event_assign(&c->rd, base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
    event_assign(&c->wr, base, fd, EV_WRITE, conn_write_cb, c);
    event_assign(&c->timer, base, -1, 0, conn_timer_cb, c);
    event_add(&c->rd, idle_timeout);
    c->next = conns;
    if (conns != nullptr) conns->prev = c;
    conns = c;
  }
}

void Worker::close_conn(Conn* c) {
  event_del(&c->rd);
  event_del(&c->wr);
  event_del(&c->timer);
  ::close(c->fd);
  if (c->prev != nullptr) c->prev->next = c->next;
  else conns = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  delete c;
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

bool Worker::flush(Conn* c) {
  switch (send_pending(c)) {
    case Sent::kAll: break;
    case Sent::kBlocked:
      if (!c->write_armed) {
        event_add(&c->wr, write_timeout);
        c->write_armed = true;
      }
      return true;
    case Sent::kPeerGone:
      close_conn(c);
      return false;
  }
  if (c->write_armed) {
    event_del(&c->wr);
    c->write_armed = false;
  }
  c->out.shrink();
  if (c->close_after_write && !c->busy) {
    close_conn(c);
    return false;
  }
  return true;
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
    close_conn(c);  // EOF or error: the client left (mid-exchange too)
    return;
  }
  if (c->busy) {
    // Pipelined input while a response plays: keep it for later, within bounds.
    if (c->in.size() > kMaxPipelined) {
      event_del(&c->rd);
      c->read_paused = true;
    }
    return;
  }
  if (!process_input(c)) return;
  if (!c->out.empty()) flush(c);
}

// Parses buffered input and serves each complete request in turn, until the input runs
// out, an exchange becomes busy, or the connection is to close.
bool Worker::process_input(Conn* c) {
  while (!c->busy && !c->close_after_write && !c->in.empty()) {
    const size_t n = http_parser_execute(&c->parser, &settings, c->in.begin(), c->in.size());
    c->in.consume(n);
    const http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (c->too_large) {
      c->keep_alive = false;
      c->head_method = false;
      c->close_after_write = true;
      c->request.headers = Headers{};
      c->in.clear();
      respond(c, 413, "application/json",
              admin_error("request body larger than " + std::to_string(max_body) + " bytes"));
      return true;
    }
    if (err == HPE_PAUSED) {
      http_parser_pause(&c->parser, 0);
      if (c->message_done) {
        c->message_done = false;
        if (!dispatch(c)) return false;
      }
      continue;
    }
    if (err != HPE_OK) {
      c->close_after_write = true;
      c->in.clear();
      const int status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
      c->keep_alive = false;
      c->head_method = false;
      respond(c, status, "application/json",
              admin_error(std::string("malformed HTTP request: ") + http_errno_description(err)));
      return true;
    }
    break;  // everything consumed, the request is incomplete: wait for more
  }
  return true;
}

bool Worker::dispatch(Conn* c) {
  const TimePoint t0 = clock->now();
  std::string_view target = c->url.empty() ? std::string_view("/") : std::string_view(c->url);
  // Absolute-form targets ("http://host/path") are reduced to the path.
  if (target.substr(0, 4) == "http") {
    const size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      const size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (path.find('%') != std::string_view::npos) {
    if (char* d = evhttp_decode_uri(std::string(path).c_str())) {
      c->request.path = d;
      std::free(d);
    } else {
      c->request.path.assign(path);
    }
  } else {
    c->request.path.assign(path);
  }
  try {
    if (c->request.path.compare(0, 9, "/__admin/") == 0) {
      admin(c, c->request.method, c->request.path, query);
    } else {
      serve(c, t0);
    }
  } catch (const std::exception& e) {
    // Out of memory or a bug in a handler: answer 500 and drop the connection.
    c->busy = false;
    c->keep_alive = false;
    c->close_after_write = true;
    try {
      respond(c, 500, "application/json", admin_error(std::string("simulator: ") + e.what()));
    } catch (...) {
      close_conn(c);
      return false;
    }
  }
  if (!c->keep_alive && !c->busy) c->close_after_write = true;
  return true;
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

void Worker::write_head(Conn* c, int status, const Headers& headers, const std::string& content_type,
                        std::optional<size_t> content_length) {
  ByteBuffer& b = c->out;
  b.append(c->http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_decimal(b, static_cast<uint64_t>(status));
  b.append(" ");
  b.append(reason_phrase(status));
  b.append("\r\n");
  for (const auto& kv : headers.items()) {
    if (iequals(kv.first, "content-type") || iequals(kv.first, "content-length") ||
        iequals(kv.first, "transfer-encoding") || iequals(kv.first, "connection")) {
      continue;
    }
    b.append(kv.first);
    b.append(": ");
    b.append(kv.second);
    b.append("\r\n");
  }
  b.append("Content-Type: ");
  b.append(content_type);
  b.append("\r\nDate: ");
  b.append(http_date());
  if (content_length) {
    b.append("\r\nContent-Length: ");
    append_decimal(b, *content_length);
  } else if (c->chunked) {
    b.append("\r\nTransfer-Encoding: chunked");
  }
  if (!c->keep_alive) b.append("\r\nConnection: close");
  else if (c->http10) b.append("\r\nConnection: keep-alive");
  b.append("\r\n\r\n");
}

void Worker::respond(Conn* c, int status, std::string_view content_type, std::string_view body) {
  c->chunked = false;
  write_head(c, status, Headers{}, std::string(content_type), body.size());
  if (!c->head_method) c->out.append(body);
}

void Worker::serve(Conn* c, TimePoint t0) {
  ScriptedResponse sr = engine->handle(c->request);
  play(c, std::move(sr), t0);
}

void Worker::admin(Conn* c, std::string_view m, std::string_view path, std::string_view query) {
  SimEngine& engine = *this->engine;
  auto ok_json = [&](const std::string& body) { respond(c, 200, "application/json", body); };
  if (path == "/__admin/health" && m == "GET") {
    ok_json("{\"status\":\"ok\",\"requests\":" + std::to_string(engine.request_count()) + "}");
  } else if (path == "/__admin/faults" && m == "GET") {
    ok_json("{\"plan\":" + fault_plan_to_json(engine.faults()) + ",\"stats\":" +
            fault_stats_to_json(engine.fault_stats()) + "}");
  } else if (path == "/__admin/faults" && (m == "POST" || m == "PUT")) {
    const auto a = query_param(query, "append");
    const bool append = a && *a != "0" && *a != "false";
    auto plan = parse_fault_plan(c->request.body, "admin");
    Status st = plan.ok() ? engine.set_faults(*plan, append) : plan.status();
    if (!st.ok()) {
      respond(c, 400, "application/json", admin_error(st.message()));
      return;
    }
    ok_json("{\"ok\":true,\"faults\":" + std::to_string(engine.faults().faults.size()) + "}");
  } else if (path == "/__admin/faults" && m == "DELETE") {
    engine.clear_faults();
    ok_json("{\"ok\":true}");
  } else if (path == "/__admin/requests" && m == "GET") {
    size_t limit = SIZE_MAX;
    if (auto l = query_param(query, "limit")) limit = std::strtoull(std::string(*l).c_str(), nullptr, 10);
    ok_json(journal_to_json(engine.journal(limit)));
  } else if (path == "/__admin/requests" && m == "DELETE") {
    engine.clear_journal();
    ok_json("{\"ok\":true}");
  } else if (path == "/__admin/cassette/misses" && m == "GET") {
    ok_json(replay_misses_to_json(engine.replay_misses()));
  } else if (path == "/__admin/cassette/unused" && m == "GET") {
    ok_json(replay_unused_to_json(engine.replay_unused()));
  } else if (path == "/__admin/cassette/report" && m == "GET") {
    ok_json(strict_report_to_json(engine.strict_report()));
  } else if (path == "/__admin/cassette/reset" && m == "POST") {
    engine.reset_replay();
    ok_json("{\"ok\":true}");
  } else {
    respond(c, 404, "application/json",
            admin_error("unknown admin endpoint " + std::string(m) + " " + std::string(path)));
  }
}

// Content-Type and Content-Length named by the script's headers (framing is ours).
void framing_of(const Headers& headers, std::string* content_type, std::optional<size_t>* declared) {
  *content_type = "application/json";
  declared->reset();
  for (const auto& kv : headers.items()) {
    if (iequals(kv.first, "content-type")) *content_type = kv.second;
    else if (iequals(kv.first, "content-length")) *declared = std::strtoull(kv.second.c_str(), nullptr, 10);
  }
}

void Worker::play(Conn* c, ScriptedResponse&& sr, TimePoint t0) {
  const TimePoint now = clock->now();
  if (t0 + sr.head_at <= now && sr.send_head && sr.ending == Ending::kComplete) {
    bool all_due = true;
    size_t total = 0;
    for (const auto& ch : sr.chunks) {
      all_due = all_due && t0 + ch.at <= now;
      total += ch.bytes.size();
    }
    if (all_due) {
      std::string content_type;
      std::optional<size_t> declared;
      framing_of(sr.headers, &content_type, &declared);
      if (!sr.streaming && (!declared || *declared == total)) {
        // The hot path: head + body framed into the output buffer, one send().
        c->chunked = false;
        write_head(c, sr.status, sr.headers, content_type, total);
        if (!c->head_method) {
          for (const auto& ch : sr.chunks) c->out.append(ch.bytes);
        }
        return;
      }
      if (sr.streaming) {
        // A stream with every event already due (--fast): head, events and terminator in
        // one write. HTTP/1.0 has no chunked coding: the body ends with the connection.
        c->chunked = !c->http10;
        if (c->http10) c->keep_alive = false;
        write_head(c, sr.status, sr.headers, content_type, std::nullopt);
        if (!c->head_method) {
          if (c->chunked) {
            if (total > 0) {
              append_hex(c->out, total);
              c->out.append("\r\n");
              for (const auto& ch : sr.chunks) c->out.append(ch.bytes);
              c->out.append("\r\n");
            }
            c->out.append("0\r\n\r\n");
          } else {
            for (const auto& ch : sr.chunks) c->out.append(ch.bytes);
          }
        }
        return;
      }
    }
  }
  // Everything else is played step by step from the connection's timer.
  c->busy = true;
  c->script = std::move(sr);
  c->t0 = t0;
  c->next_chunk = 0;
  c->sent = 0;
  c->declared_length.reset();
  c->stage = Stage::kHead;
  c->end_tries = 0;
  event_add(&c->rd, nullptr);  // no idle timeout while a response plays (a hang is long)
  const timeval zero{0, 0};
  event_add(&c->timer, &zero);
}

void Worker::arm(Conn* c, TimePoint due) {
  const Duration left = due - clock->now();
  const timeval tv = to_timeval(std::min(left, kSlice));
  event_add(&c->timer, &tv);
}

void Worker::advance(Conn* c) {
  ScriptedResponse& sr = c->script;
  const TimePoint now = clock->now();
  switch (c->stage) {
    case Stage::kHead: {
      const TimePoint due = c->t0 + sr.head_at;
      if (now < due) return arm(c, due);
      if (!sr.send_head || sr.ending == Ending::kCloseNoReply) {
        const Ending e = sr.ending == Ending::kComplete ? Ending::kCloseNoReply : sr.ending;
        if (e == Ending::kHang) return start_hang(c);
        if (!end_with(c, e)) {
          const timeval tv{0, 1000};
          event_add(&c->timer, &tv);
        }
        return;
      }
      std::string content_type;
      framing_of(sr.headers, &content_type, &c->declared_length);
      std::optional<size_t> length;
      if (sr.streaming) {
        c->chunked = !c->http10;
        if (c->http10) c->keep_alive = false;
      } else {
        c->chunked = false;
        size_t total = 0;
        for (const auto& ch : sr.chunks) total += ch.bytes.size();
        length = c->declared_length.value_or(total);
      }
      write_head(c, sr.status, sr.headers, content_type, length);
      c->stage = Stage::kBody;
      [[fallthrough]];
    }
    case Stage::kBody: {
      const auto& chunks = sr.chunks;
      size_t batch = 0;
      size_t first = c->next_chunk;
      while (c->next_chunk < chunks.size() && c->t0 + chunks[c->next_chunk].at <= now) {
        batch += chunks[c->next_chunk].bytes.size();
        ++c->next_chunk;
      }
      if (batch > 0 && !c->head_method) {
        if (c->chunked) {
          append_hex(c->out, batch);
          c->out.append("\r\n");
        }
        for (size_t i = first; i < c->next_chunk; ++i) c->out.append(chunks[i].bytes);
        if (c->chunked) c->out.append("\r\n");
        c->sent += batch;
      }
      if (!c->out.empty() && !flush(c)) return;
      if (c->next_chunk < chunks.size()) return arm(c, c->t0 + chunks[c->next_chunk].at);
      c->stage = Stage::kEnding;
      [[fallthrough]];
    }
    case Stage::kEnding: {
      Ending e = sr.ending;
      if (e == Ending::kComplete && !sr.streaming && !c->head_method && c->declared_length &&
          *c->declared_length != c->sent) {
        e = Ending::kCloseNoReply;  // fewer bytes than declared: give up (the client sees a short body)
      }
      switch (e) {
        case Ending::kComplete: return end_exchange(c);
        case Ending::kHang: return start_hang(c);
        case Ending::kReset:
        case Ending::kCloseNoReply:
          if (!end_with(c, e)) {
            const timeval tv{0, 1000};  // output not flushed yet: retry shortly
            event_add(&c->timer, &tv);
          }
          return;
      }
      return;
    }
    case Stage::kHang: {
      if (now < c->hang_deadline) return arm(c, c->hang_deadline);
      if (!end_with(c, Ending::kCloseNoReply)) {
        const timeval tv{0, 1000};
        event_add(&c->timer, &tv);
      }
      return;
    }
  }
}

void Worker::start_hang(Conn* c) {
  c->stage = Stage::kHang;
  c->hang_deadline = clock->now() + max_hang;
  arm(c, c->hang_deadline);
}

void Worker::end_exchange(Conn* c) {
  if (c->chunked && !c->head_method) c->out.append("0\r\n\r\n");
  c->busy = false;
  c->script = ScriptedResponse{};
  if (!c->keep_alive) c->close_after_write = true;  // (an HTTP/1.0 stream ends with the connection)
  c->read_paused = false;
  event_add(&c->rd, idle_timeout);  // back to the idle timeout; re-enables paused reading
  if (!flush(c)) return;
  if (!process_input(c)) return;
  if (!c->out.empty()) flush(c);
}

// Flushes what is queued, then resets or closes the connection. false when the output
// could not be flushed yet (try again later).
bool Worker::end_with(Conn* c, Ending ending) {
  // A client that never reads: give up and close after ~5 s of 1 ms retries. A peer that
  // is gone: just close.
  if (send_pending(c) == Sent::kBlocked && ++c->end_tries < 5000) return false;
  if (ending == Ending::kReset && c->out.empty()) {
    // An abort purges the kernel's send queue: bytes not sent yet would be lost, so wait
    // until they have left (bounded: a client that stops reading gets its RST after
    // ~200 ms anyway).
    int unsent = 0;
    if (ioctl(c->fd, SIOCOUTQNSD, &unsent) == 0 && unsent > 0 && c->end_tries < 200) {
      ++c->end_tries;
      return false;
    }
    abort_connection(c->fd);
  }
  close_conn(c);  // FIN unless aborted above
  return true;
}

extern "C" void conn_read_cb(evutil_socket_t, short what, void* arg) {
  auto* c = static_cast<Conn*>(arg);
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
  c->worker->on_writable(c, (what & EV_TIMEOUT) != 0);
}

extern "C" void conn_timer_cb(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Conn*>(arg);
  try {
    c->worker->advance(c);
  } catch (...) {
    c->worker->close_conn(c);  // out of memory while building a chunk: give the connection up
  }
}

extern "C" void accept_cb(evutil_socket_t, short, void* arg) { static_cast<Worker*>(arg)->accept_all(); }

extern "C" void wake_cb(evutil_socket_t fd, short, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  uint64_t v;
  (void)!::read(static_cast<int>(fd), &v, sizeof v);
  event_base_loopbreak(w->base);
}

void Worker::destroy() {
  while (conns != nullptr) close_conn(conns);
  if (listen_added) event_del(&listen_ev);
  listen_added = false;
  if (listen_fd >= 0) ::close(listen_fd);
  listen_fd = -1;
  if (wake_added) event_del(&wake);
  wake_added = false;
  if (wake_fd >= 0) ::close(wake_fd);
  wake_fd = -1;
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

}  // namespace

SimServer::Impl::~Impl() { stop_all(); }

void SimServer::Impl::stop_all() {
  for (auto& w : workers) {
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

SimServer::SimServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SimServer::~SimServer() { stop(); }

Result<std::unique_ptr<SimServer>> SimServer::Start(SimEngine& engine, Clock& clock, const ServerOptions& options) {
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
    return InternalError("simulator server: cannot resolve " + options.host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> ai_guard(ai, freeaddrinfo);
  auto bind_error = [&](int port) {
    return InternalError("simulator server: cannot bind " + options.host + ":" + std::to_string(port) + ": " +
                         std::strerror(errno));
  };

  const size_t n = options.threads;
  const bool reuseport = n > 1;
  int port = options.port;
  std::vector<int> fds;
  auto close_fds = [&] { for (int fd : fds) if (fd >= 0) ::close(fd); };
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

  auto impl = std::make_unique<Impl>(engine, clock, options);
  impl->port = port;
  const auto idle = std::max(options.keep_alive_timeout, options.read_timeout);
  const auto write = options.write_timeout;
  event_config* cfg = event_config_new();
  if (cfg == nullptr) {
    close_fds();
    return InternalError("simulator server: event_config_new failed");
  }
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  Status failure;
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->engine = &engine;
    w->clock = &clock;
    w->max_hang = options.max_hang;
    w->max_body = options.max_body_bytes;
    w->idle_tv = timeval{static_cast<time_t>(std::max<int64_t>(1, idle.count())), 0};
    w->write_tv = timeval{static_cast<time_t>(std::max<int64_t>(1, write.count())), 0};
    w->listen_fd = fds[i];
    fds[i] = -1;
    w->base = event_base_new_with_config(cfg);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    Worker* wp = w.get();
    impl->workers.push_back(std::move(w));
    if (wp->base == nullptr || wp->wake_fd < 0) {
      failure = InternalError("simulator server: cannot create event loop");
      break;
    }
    wp->idle_timeout = event_base_init_common_timeout(wp->base, &wp->idle_tv);
    wp->write_timeout = event_base_init_common_timeout(wp->base, &wp->write_tv);
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
      wp->thread = std::thread([wp] { event_base_dispatch(wp->base); });
    }
  } catch (const std::exception& e) {
    return InternalError(std::string("simulator server: cannot start a thread: ") + e.what());  // ~Impl stops the others
  }
  return std::unique_ptr<SimServer>(new SimServer(std::move(impl)));
}

int SimServer::port() const { return impl_->port; }

std::string SimServer::url() const {
  const std::string& h = impl_->opts.host;
  const bool v6 = h.find(':') != std::string::npos;
  const std::string host = h == "0.0.0.0" ? "127.0.0.1" : (h == "::" ? "[::1]" : (v6 ? "[" + h + "]" : h));
  return "http://" + host + ":" + std::to_string(impl_->port);
}

void SimServer::stop() {
  if (!impl_) return;
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stop_all();
}

}  // namespace ploke::sim
