// SimServer: plays SimEngine's ScriptedResponses on real sockets with libevent 2.1 evhttp.
//
// Design notes:
//  - Threads: ServerOptions::threads workers, each with its own event_base + evhttp and
//    its own listening socket bound to the same port with SO_REUSEPORT (the kernel spreads
//    new connections over them). With port 0 the first socket picks the port and the
//    others join it. SO_REUSEPORT would let a second server silently share a busy port,
//    so an explicit port is first probed with a plain bind. Nothing is shared between the
//    loops but the (thread-safe) engine; no libevent locking is needed (NOLOCK bases), and
//    stop() wakes each loop through an eventfd.
//  - Hot path (a due, complete, non-stream response): one evhttp_send_reply with the body
//    already in the buffer, so head + body leave in one writev. Routing is string compares.
//    TCP_NODELAY is set on the listeners (accepted sockets inherit it on Linux).
//  - Timing: the request's start t0 = clock.now() (the injected Clock). Every later step
//    (head, the chunks due at one instant, the ending) runs from an event timer whose
//    relative delay is (t0 + offset) - clock.now(), capped at kSlice so a Clock that jumps
//    is noticed; a timer that fires early (by the Clock) just re-arms. No thread waits.
//  - Socket-level endings use the connection's fd (evhttp_connection_get_bufferevent +
//    bufferevent_getfd). Pending output is flushed first (evbuffer_write), then: reset =
//    connect(fd, AF_UNSPEC), which makes Linux abort the connection with RST while the fd
//    stays valid, then evhttp_connection_free closes it; empty reply = evhttp_connection_free
//    (FIN, no byte). Destructive steps never run inside evhttp's request callback: they are
//    deferred to a timer so evhttp's call stack is unwound first.
//  - Client gone: evhttp disables reading while a request is being answered, so a deferred
//    exchange (delay, pacing, hang) watches the fd itself (EV_READ + MSG_PEEK: EOF/error =
//    the client left) and evhttp's close callback covers write errors and server shutdown.
//    When evhttp fails a connection mid-reply it detaches the request (evcon = NULL) and
//    leaves it to us to free; otherwise evhttp frees it with the connection.
#include "ploke/simulator/http_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
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
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "ploke/simulator/fault_plan_json.h"

namespace ploke::sim {
namespace {

constexpr Duration kSlice = std::chrono::milliseconds(50);

std::string admin_error(std::string_view message) {
  std::string out = "{\"error\":{\"message\":";
  nlohmann::json m = std::string(message);
  out += m.dump();
  out += ",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  return out;
}

std::string_view method_name(evhttp_cmd_type c) {
  switch (c) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
  }
  return "GET";
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

int connection_fd(evhttp_connection* evcon) {
  bufferevent* bev = evcon != nullptr ? evhttp_connection_get_bufferevent(evcon) : nullptr;
  return bev != nullptr ? static_cast<int>(bufferevent_getfd(bev)) : -1;
}

void abort_connection(int fd) {
  if (fd < 0) return;
  sockaddr sa{};
  sa.sa_family = AF_UNSPEC;
  if (::connect(fd, &sa, sizeof sa) != 0) {
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
}

struct Worker;

// One response being played over time (anything not answered inside the request callback).
struct Exchange {
  enum class Stage : uint8_t { kHead, kBody, kEnding, kHang };

  Worker* worker = nullptr;
  evhttp_request* req = nullptr;
  evhttp_connection* evcon = nullptr;
  ScriptedResponse script;
  TimePoint t0{};
  TimePoint hang_deadline{};
  size_t next = 0;       // next chunk to send
  size_t sent = 0;       // body bytes sent
  std::optional<size_t> declared_length;
  std::string content_type;
  Stage stage = Stage::kHead;
  bool watching = false;
  uint16_t end_tries = 0;  // reset waiting for queued bytes to leave the send queue
  event timer{};
  event watch{};
  Exchange* prev = nullptr;
  Exchange* next_ex = nullptr;
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

struct Worker {
  SimEngine* engine = nullptr;
  Clock* clock = nullptr;
  Duration max_hang{};
  event_base* base = nullptr;
  evhttp* http = nullptr;
  evbuffer* scratch = nullptr;  // reused for chunk batches
  int listen_fd = -1;           // owned by evhttp once accepted
  int wake_fd = -1;
  event wake{};
  bool wake_added = false;
  std::thread thread;
  Exchange* exchanges = nullptr;  // live deferred exchanges (intrusive list)

  ~Worker() { destroy(); }

  void destroy();
  void on_request(evhttp_request* req);
  void serve(evhttp_request* req, std::string_view method, std::string_view path, TimePoint t0);
  void admin(evhttp_request* req, std::string_view method, std::string_view path, std::string_view query);
  void play(evhttp_request* req, ScriptedResponse&& sr, TimePoint t0);
  void advance(Exchange* ex);
  void send_head(Exchange* ex);
  bool end_with(Exchange* ex, Ending ending);
  void start_hang(Exchange* ex);
  void arm(Exchange* ex, TimePoint due);
  void finish(Exchange* ex);  // unlinks and deletes; the request is left to evhttp
  void on_closed(Exchange* ex);
  void on_watch(Exchange* ex);
};

void add_headers(evkeyvalq* out, const Headers& headers, std::string* content_type,
                 std::optional<size_t>* declared_length) {
  for (const auto& [name, value] : headers.items()) {
    if (iequals(name, "content-type")) { *content_type = value; continue; }
    if (iequals(name, "content-length")) { *declared_length = std::strtoull(value.c_str(), nullptr, 10); continue; }
    evhttp_add_header(out, name.c_str(), value.c_str());
  }
}

void reply(evhttp_request* req, int status, std::string_view content_type, std::string_view body, evbuffer* scratch) {
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Content-Type", std::string(content_type).c_str());
  evbuffer_add(scratch, body.data(), body.size());
  evhttp_send_reply(req, status, nullptr, scratch);
  evbuffer_drain(scratch, evbuffer_get_length(scratch));
}

void Worker::on_request(evhttp_request* req) {
  const TimePoint t0 = clock->now();
  const char* uri = evhttp_request_get_uri(req);
  std::string_view target = uri != nullptr ? uri : "/";
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
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  std::string decoded;
  if (path.find('%') != std::string_view::npos) {
    if (char* d = evhttp_decode_uri(std::string(path).c_str())) {
      decoded = d;
      free(d);
      path = decoded;
    }
  }
  const std::string_view method = method_name(evhttp_request_get_command(req));
  if (path.substr(0, 9) == "/__admin/") admin(req, method, path, query);
  else serve(req, method, path, t0);
}

void Worker::serve(evhttp_request* req, std::string_view method, std::string_view path, TimePoint t0) {
  HttpRequest hr;
  hr.method.assign(method);
  hr.path.assign(path);
  evkeyvalq* in = evhttp_request_get_input_headers(req);
  for (evkeyval* kv = in->tqh_first; kv != nullptr; kv = kv->next.tqe_next) hr.headers.add(kv->key, kv->value);
  evbuffer* body = evhttp_request_get_input_buffer(req);
  if (const size_t n = evbuffer_get_length(body); n > 0) {
    hr.body.resize(n);
    evbuffer_copyout(body, hr.body.data(), n);
  }
  ScriptedResponse sr;
  try {
    sr = engine->handle(hr);
  } catch (const std::exception& e) {
    reply(req, 500, "application/json", admin_error(std::string("simulator: ") + e.what()), scratch);
    return;
  }
  play(req, std::move(sr), t0);
}

void Worker::admin(evhttp_request* req, std::string_view m, std::string_view path, std::string_view query) {
  SimEngine& engine = *this->engine;
  auto ok_json = [&](const std::string& body) { reply(req, 200, "application/json", body, scratch); };
  if (path == "/__admin/health" && m == "GET") {
    ok_json("{\"status\":\"ok\",\"requests\":" + std::to_string(engine.request_count()) + "}");
  } else if (path == "/__admin/faults" && m == "GET") {
    ok_json("{\"plan\":" + fault_plan_to_json(engine.faults()) + ",\"stats\":" +
            fault_stats_to_json(engine.fault_stats()) + "}");
  } else if (path == "/__admin/faults" && (m == "POST" || m == "PUT")) {
    const auto a = query_param(query, "append");
    const bool append = a && *a != "0" && *a != "false";
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::string text(evbuffer_get_length(in), '\0');
    evbuffer_copyout(in, text.data(), text.size());
    auto plan = parse_fault_plan(text, "admin");
    Status st = plan.ok() ? engine.set_faults(*plan, append) : plan.status();
    if (!st.ok()) {
      reply(req, 400, "application/json", admin_error(st.message()), scratch);
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
    reply(req, 404, "application/json",
          admin_error("unknown admin endpoint " + std::string(m) + " " + std::string(path)), scratch);
  }
}

extern "C" void exchange_timer_cb(evutil_socket_t, short, void* arg);
extern "C" void exchange_watch_cb(evutil_socket_t, short, void* arg);
extern "C" void exchange_close_cb(evhttp_connection*, void* arg);

void Worker::play(evhttp_request* req, ScriptedResponse&& sr, TimePoint t0) {
  const TimePoint now = clock->now();
  const bool head_due = t0 + sr.head_at <= now;
  if (head_due && sr.send_head && sr.ending == Ending::kComplete) {
    bool all_due = true;
    for (const auto& c : sr.chunks) all_due = all_due && t0 + c.at <= now;
    std::string content_type = "application/json";
    std::optional<size_t> declared;
    if (all_due && !sr.streaming) {
      evkeyvalq* out = evhttp_request_get_output_headers(req);
      add_headers(out, sr.headers, &content_type, &declared);
      size_t total = 0;
      for (const auto& c : sr.chunks) total += c.bytes.size();
      if (!declared || *declared == total) {
        // The hot path: head + body in one reply (one write).
        evhttp_add_header(out, "Content-Type", content_type.c_str());
        for (const auto& c : sr.chunks) evbuffer_add(scratch, c.bytes.data(), c.bytes.size());
        evhttp_send_reply(req, sr.status, nullptr, scratch);
        evbuffer_drain(scratch, evbuffer_get_length(scratch));
        return;
      }
      evhttp_clear_headers(out);
    } else if (all_due && sr.streaming) {
      // A stream with every event already due (--fast): head, all events and the
      // terminator are queued together and leave in one write.
      evkeyvalq* out = evhttp_request_get_output_headers(req);
      add_headers(out, sr.headers, &content_type, &declared);
      evhttp_add_header(out, "Content-Type", content_type.c_str());
      evhttp_send_reply_start(req, sr.status, nullptr);
      for (const auto& c : sr.chunks) evbuffer_add(scratch, c.bytes.data(), c.bytes.size());
      if (evbuffer_get_length(scratch) > 0) evhttp_send_reply_chunk(req, scratch);
      evhttp_send_reply_end(req);
      return;
    }
  }
  // Everything else is played step by step from a timer.
  auto* ex = new Exchange;
  ex->worker = this;
  ex->req = req;
  ex->evcon = evhttp_request_get_connection(req);
  ex->script = std::move(sr);
  ex->t0 = t0;
  event_assign(&ex->timer, base, -1, 0, exchange_timer_cb, ex);
  ex->next_ex = exchanges;
  if (exchanges != nullptr) exchanges->prev = ex;
  exchanges = ex;
  evhttp_connection_set_closecb(ex->evcon, exchange_close_cb, ex);
  const int fd = connection_fd(ex->evcon);
  if (fd >= 0) {
    event_assign(&ex->watch, base, fd, EV_READ, exchange_watch_cb, ex);
    event_add(&ex->watch, nullptr);
    ex->watching = true;
  }
  // Even when due now, run from the loop (never tear a connection down inside evhttp's
  // request callback).
  const timeval zero{0, 0};
  event_add(&ex->timer, &zero);
}

void Worker::arm(Exchange* ex, TimePoint due) {
  const Duration left = due - clock->now();
  const timeval tv = to_timeval(std::min(left, kSlice));
  event_add(&ex->timer, &tv);
}

void Worker::send_head(Exchange* ex) {
  ScriptedResponse& sr = ex->script;
  evkeyvalq* out = evhttp_request_get_output_headers(ex->req);
  ex->content_type = "application/json";
  add_headers(out, sr.headers, &ex->content_type, &ex->declared_length);
  evhttp_add_header(out, "Content-Type", ex->content_type.c_str());
  if (!sr.streaming) {
    size_t total = 0;
    for (const auto& c : sr.chunks) total += c.bytes.size();
    evhttp_add_header(out, "Content-Length", std::to_string(ex->declared_length.value_or(total)).c_str());
  }
  evhttp_send_reply_start(ex->req, sr.status, nullptr);
}

void Worker::advance(Exchange* ex) {
  ScriptedResponse& sr = ex->script;
  const TimePoint now = clock->now();
  switch (ex->stage) {
    case Exchange::Stage::kHead: {
      const TimePoint due = ex->t0 + sr.head_at;
      if (now < due) return arm(ex, due);
      if (!sr.send_head || sr.ending == Ending::kCloseNoReply) {
        const Ending e = sr.ending == Ending::kComplete ? Ending::kCloseNoReply : sr.ending;
        if (e == Ending::kHang) return start_hang(ex);
        end_with(ex, e);
        return;
      }
      send_head(ex);
      ex->stage = Exchange::Stage::kBody;
      [[fallthrough]];
    }
    case Exchange::Stage::kBody: {
      const auto& chunks = sr.chunks;
      while (ex->next < chunks.size() && ex->t0 + chunks[ex->next].at <= now) {
        const std::string& b = chunks[ex->next].bytes;
        evbuffer_add(scratch, b.data(), b.size());
        ex->sent += b.size();
        ++ex->next;
      }
      if (evbuffer_get_length(scratch) > 0) evhttp_send_reply_chunk(ex->req, scratch);
      evbuffer_drain(scratch, evbuffer_get_length(scratch));
      if (ex->next < chunks.size()) return arm(ex, ex->t0 + chunks[ex->next].at);
      ex->stage = Exchange::Stage::kEnding;
      [[fallthrough]];
    }
    case Exchange::Stage::kEnding: {
      Ending e = sr.ending;
      if (e == Ending::kComplete && !sr.streaming && ex->declared_length && *ex->declared_length != ex->sent) {
        e = Ending::kCloseNoReply;  // fewer bytes than declared: give up (the client sees a short body)
      }
      switch (e) {
        case Ending::kComplete: {
          evhttp_request* req = ex->req;
          finish(ex);
          evhttp_send_reply_end(req);
          return;
        }
        case Ending::kHang: return start_hang(ex);
        case Ending::kReset:
        case Ending::kCloseNoReply:
          if (!end_with(ex, e)) {
            const timeval tv{0, 1000};  // output not flushed yet: retry shortly
            event_add(&ex->timer, &tv);
          }
          return;
      }
      return;
    }
    case Exchange::Stage::kHang: {
      if (now < ex->hang_deadline) return arm(ex, ex->hang_deadline);
      if (!end_with(ex, Ending::kCloseNoReply)) {
        const timeval tv{0, 1000};
        event_add(&ex->timer, &tv);
      }
      return;
    }
  }
}

void Worker::start_hang(Exchange* ex) {
  ex->stage = Exchange::Stage::kHang;
  ex->hang_deadline = clock->now() + max_hang;
  arm(ex, ex->hang_deadline);
}

// Flushes what is queued, then resets or closes the connection. false when the output
// could not be flushed yet (try again later).
bool Worker::end_with(Exchange* ex, Ending ending) {
  evhttp_connection* evcon = ex->evcon;
  const int fd = connection_fd(evcon);
  if (fd >= 0) {
    // The bufferevent keeps its output's start frozen (only it drains it); thaw it for
    // the final write, as libevent itself does.
    evbuffer* output = bufferevent_get_output(evhttp_connection_get_bufferevent(evcon));
    evbuffer_unfreeze(output, 1);
    while (evbuffer_get_length(output) > 0) {
      errno = 0;
      if (evbuffer_write(output, fd) <= 0) break;
    }
    const bool blocked = evbuffer_get_length(output) > 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    evbuffer_freeze(output, 1);
    if (blocked) return false;  // the peer is gone otherwise: just close
    if (ending == Ending::kReset) {
      // An abort purges the kernel's send queue: bytes not sent yet would be lost, so
      // wait until they have left (bounded: a client that stops reading gets its RST
      // after ~200 ms anyway).
      int unsent = 0;
      if (ioctl(fd, SIOCOUTQNSD, &unsent) == 0 && unsent > 0 && ex->end_tries < 200) {
        ++ex->end_tries;
        return false;
      }
      abort_connection(fd);
    }
  }
  finish(ex);
  evhttp_connection_free(evcon);  // closes the fd (FIN unless aborted above)
  return true;
}

void Worker::finish(Exchange* ex) {
  event_del(&ex->timer);
  if (ex->watching) event_del(&ex->watch);
  if (ex->evcon != nullptr) evhttp_connection_set_closecb(ex->evcon, nullptr, nullptr);
  if (ex->prev != nullptr) ex->prev->next_ex = ex->next_ex;
  else exchanges = ex->next_ex;
  if (ex->next_ex != nullptr) ex->next_ex->prev = ex->prev;
  delete ex;
}

// evhttp is closing the connection (write error, timeout, or the server going down).
void Worker::on_closed(Exchange* ex) {
  evhttp_request* req = ex->req;
  const bool detached = evhttp_request_get_connection(req) == nullptr;
  ex->evcon = nullptr;  // being freed by evhttp
  finish(ex);
  if (detached) evhttp_request_free(req);  // evhttp left the unfinished request to us
}

void Worker::on_watch(Exchange* ex) {
  ex->watching = false;
  char c;
  const ssize_t n = ::recv(event_get_fd(&ex->watch), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return;  // the client sent more (pipelining): stop watching
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    event_add(&ex->watch, nullptr);
    ex->watching = true;
    return;
  }
  // The client left: drop the exchange and its connection.
  evhttp_connection* evcon = ex->evcon;
  finish(ex);
  evhttp_connection_free(evcon);
}

extern "C" void exchange_timer_cb(evutil_socket_t, short, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  try {
    ex->worker->advance(ex);
  } catch (...) {
    // Out of memory while building a chunk: give the connection up.
    evhttp_connection* evcon = ex->evcon;
    ex->worker->finish(ex);
    if (evcon != nullptr) evhttp_connection_free(evcon);
  }
}

extern "C" void exchange_watch_cb(evutil_socket_t, short, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  ex->worker->on_watch(ex);
}

extern "C" void exchange_close_cb(evhttp_connection*, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  ex->worker->on_closed(ex);
}

extern "C" void request_cb(evhttp_request* req, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  try {
    w->on_request(req);
  } catch (const std::exception& e) {
    try {
      evbuffer_drain(w->scratch, evbuffer_get_length(w->scratch));
      reply(req, 500, "application/json", admin_error(e.what()), w->scratch);
    } catch (...) {
      evhttp_send_error(req, 500, nullptr);
    }
  } catch (...) {
    evhttp_send_error(req, 500, nullptr);
  }
}

extern "C" void wake_cb(evutil_socket_t fd, short, void* arg) {
  auto* w = static_cast<Worker*>(arg);
  uint64_t v;
  (void)!::read(static_cast<int>(fd), &v, sizeof v);
  event_base_loopbreak(w->base);
}

void Worker::destroy() {
  while (exchanges != nullptr) finish(exchanges);  // requests are freed with their connections
  if (http != nullptr) evhttp_free(http);          // listener, connections, requests
  http = nullptr;
  if (listen_fd >= 0) ::close(listen_fd);          // only when never handed to evhttp
  listen_fd = -1;
  if (wake_added) event_del(&wake);
  wake_added = false;
  if (wake_fd >= 0) ::close(wake_fd);
  wake_fd = -1;
  if (scratch != nullptr) evbuffer_free(scratch);
  scratch = nullptr;
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
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
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
  auto close_fds = [&] { for (int fd : fds) ::close(fd); };
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
  const auto timeout = std::max({options.keep_alive_timeout, options.read_timeout, options.write_timeout});
  const timeval tv_timeout{static_cast<time_t>(std::max<int64_t>(1, timeout.count())), 0};
  event_config* cfg = event_config_new();
  if (cfg == nullptr) {
    close_fds();
    return InternalError("simulator server: event_config_new failed");
  }
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  Status failure;
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->engine = &engine;
    w->clock = &clock;
    w->max_hang = options.max_hang;
    w->listen_fd = fds[i];
    fds[i] = -1;
    w->base = event_base_new_with_config(cfg);
    w->http = w->base != nullptr ? evhttp_new(w->base) : nullptr;
    w->scratch = evbuffer_new();
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    Worker* wp = w.get();
    impl->workers.push_back(std::move(w));
    if (wp->base == nullptr || wp->http == nullptr || wp->scratch == nullptr || wp->wake_fd < 0) {
      failure = InternalError("simulator server: cannot create event loop");
      break;
    }
    event_assign(&wp->wake, wp->base, wp->wake_fd, EV_READ | EV_PERSIST, wake_cb, wp);
    event_add(&wp->wake, nullptr);
    wp->wake_added = true;
    evhttp_set_gencb(wp->http, request_cb, wp);
    evhttp_set_allowed_methods(wp->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                             EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(wp->http, static_cast<ev_ssize_t>(options.max_body_bytes));
    evhttp_set_max_headers_size(wp->http, 256 * 1024);
    evhttp_set_timeout_tv(wp->http, &tv_timeout);
    evhttp_set_default_content_type(wp->http, "application/json");
    if (evhttp_accept_socket(wp->http, wp->listen_fd) != 0) {
      failure = InternalError("simulator server: cannot accept on the listening socket");
      break;
    }
    wp->listen_fd = -1;  // evhttp owns it now
  }
  event_config_free(cfg);
  for (int fd : fds) if (fd >= 0) ::close(fd);
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
