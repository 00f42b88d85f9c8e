// LoopHttpClient: HTTP/1.1 exchanges driven by an HttpServer's event loop. See
// ploke/net/loop_client.h for the contract.
//
// Design notes:
//  - Per loop, a LoopState (an EventLoop local keyed by the client's Shared) holds the idle
//    pool and the calls in flight. Everything in it is touched on that loop thread only.
//  - One AsyncCall per exchange: a write event while connecting or sending, and one timer
//    that re-checks the Clock's deadlines in slices of at most 50 ms (only when a timeout
//    is set). Reading goes through the connection's ConnWatch: one EV_READ event added once
//    and kept for the connection's life, shared by the call reading its response and the
//    idle pool, so reusing a pooled connection costs no epoll_ctl and no probe.
//  - complete() is the only way out: it drops the events, pools or closes the socket,
//    unlinks the call and calls on_complete() last (the handler may free itself there).
//    Completions that are not caused by a socket event (errors found in start(), cancel)
//    are deferred so that on_complete never runs inside start() or cancel().
#include "ploke/net/loop_client.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <http_parser.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "client_common.h"
#include "io_constants.h"
#include "loop_internal.h"
#include "loop_resolver.h"
#include "ploke/net/event_loop.h"
#include "tls.h"

namespace ploke::net {

struct LoopHttpClient::Shared {
  Shared(Clock& c, Options o) : clock(c), options(std::move(o)), resolver(options.resolver) {}
  Clock& clock;
  const Options options;
  detail::Resolver resolver;  // host names, off the loops
  std::atomic<size_t> opened{0};
  std::atomic<size_t> loop_calls{0};
  std::atomic<size_t> fallback_calls{0};
  std::atomic<size_t> tls_handshakes{0};

  // The TLS context, made on the first https:// call (loading CA paths costs).
  Result<ssl_ctx_st*> tls_context() {
    std::call_once(tls_once, [this] {
      auto ctx = detail::make_tls_context(options.verify_tls, options.ca_file);
      if (ctx.ok()) tls_ctx = std::move(ctx).value();
      else tls_error = ctx.status();
    });
    if (!tls_ctx) return tls_error;
    return tls_ctx.get();
  }

 private:
  std::once_flag tls_once;
  detail::TlsContext tls_ctx;
  Status tls_error;
};

namespace {

using detail::kReadChunk;
using detail::kSlice;

struct LoopState;

/// What Call handles share with the exchange (may outlive both the exchange and the loop).
struct CallFlag {
  std::atomic<bool> done{false};
  std::atomic<bool> cancel_requested{false};
};

enum class Phase : uint8_t { kConnecting, kHandshaking, kSending, kReceiving, kDone };

struct AsyncCall;

/// A connection's read event, added once and kept while the connection lives. `owner`:
/// the call reading on it; null while the connection is pooled, when readiness means the
/// server closed it or sent bytes nobody asked for (the pool drops it at once).
struct ConnWatch {
  ConnWatch() = default;
  ConnWatch(const ConnWatch&) = delete;
  ConnWatch& operator=(const ConnWatch&) = delete;
  ~ConnWatch() { off(); }
  void on() {
    if (!added) event_add(&ev, nullptr);
    added = true;
  }
  void off() {
    if (added) event_del(&ev);
    added = false;
  }
  LoopState* loop = nullptr;
  AsyncCall* owner = nullptr;
  std::string key;  // the pool it sits in while idle
  event ev{};
  bool added = false;
};

/// A connection: the socket, for https:// its TLS session, and its read watch.
struct Conn {
  int fd = -1;
  ssl_st* ssl = nullptr;
  std::unique_ptr<ConnWatch> watch;
  TimePoint idle_since{};
  void close() {
    watch.reset();
    if (ssl != nullptr) detail::tls_free(ssl);
    if (fd >= 0) ::close(fd);
    ssl = nullptr;
    fd = -1;
  }
};

/// A pooled connection idle at least this long is probed (MSG_PEEK) before reuse: its
/// server may have closed it in the same loop turn, before the watch could tell.
inline constexpr Duration kProbeIdle = std::chrono::seconds(1);

extern "C" void call_io_cb(evutil_socket_t, short what, void* arg);
extern "C" void call_timer_cb(evutil_socket_t, short, void* arg);
extern "C" void conn_watch_cb(evutil_socket_t, short what, void* arg);

struct AsyncCall : std::enable_shared_from_this<AsyncCall> {
  LoopState* loop = nullptr;
  ResponseHandler* handler = nullptr;
  std::shared_ptr<CallFlag> flag = std::make_shared<CallFlag>();
  detail::Target target;
  std::string head;
  std::string body;
  CallOptions opts;
  bool replayable = false;
  bool head_request = false;

  int fd = -1;
  ssl_st* ssl = nullptr;  // https:// once the TCP connection is up
  std::unique_ptr<ConnWatch> watch;  // made on the first read; moves to the pool with the socket
  bool reused = false;
  int attempt = 0;
  Phase phase = Phase::kConnecting;
  event io{};
  bool io_assigned = false;
  short io_events = 0;
  event timer{};
  bool timer_assigned = false;
  bool timer_armed = false;

  TimePoint start_at{};
  TimePoint connect_at{};
  TimePoint sent_at{};
  TimePoint last_activity{};
  size_t sent = 0;
  bool got_byte = false;
  bool paused = false;  // set_paused(): the response socket is not read

  detail::Parse ps;
  http_parser parser{};

  void begin();
  void connect_next();
  void on_resolved(Result<const detail::Addresses*> addrs);
  void connected();
  void do_handshake();
  void send_tls();
  void recv_plain();
  void recv_tls();
  bool on_bytes(const char* buf, size_t n);
  void on_eof(bool reset);
  void close_conn();
  void on_io(short what);
  void on_timer();
  void do_send();
  void sent_all();
  void arm(short events);
  void arm_timer();
  void retry_or_fail(Status failure);
  void complete(Status st, bool keep = false);
  void cancel_now();
  void set_paused(bool p);
  void disarm_io();
  void drop_write();
  void watch_read(bool on);
  Conn take_conn();
};

struct LoopState {
  LoopState(EventLoop& l, std::shared_ptr<LoopHttpClient::Shared> s)
      : loop(l),
        shared(std::move(s)),
        dns(std::make_shared<detail::DnsCache>(shared->resolver, shared->clock, shared->options.dns_ttl,
                                               detail::poster(l))) {}
  ~LoopState() {
    dns->abandon();
    // The server is stopping: every call still here ends now (kCancelled), then the pool.
    while (!calls.empty()) {
      std::shared_ptr<AsyncCall> c = calls.begin()->second;
      c->complete(CancelledError("server stopping"));
    }
    for (auto& kv : idle)
      for (Conn& c : kv.second) c.close();
  }

  EventLoop& loop;
  std::shared_ptr<LoopHttpClient::Shared> shared;
  std::shared_ptr<detail::DnsCache> dns;  // host names → addresses (answers come back to this loop)
  std::map<std::string, std::vector<Conn>, std::less<>> idle;
  std::map<AsyncCall*, std::shared_ptr<AsyncCall>> calls;  // in flight

  Conn acquire(const std::string& key) {
    auto it = idle.find(key);
    while (it != idle.end() && !it->second.empty()) {
      Conn c = std::move(it->second.back());
      it->second.pop_back();
      if (shared->clock.now() - c.idle_since < kProbeIdle) return c;
      char b;
      const ssize_t n = ::recv(c.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return c;
      // TLS: records without data (session tickets) are not the server closing.
      if (n > 0 && c.ssl != nullptr && detail::tls_idle_alive(c.ssl)) return c;
      c.close();  // EOF, stray bytes or an error: the server is done with it
    }
    return Conn{};
  }
  // Pools `c` with its read event still added (the watch now speaks for the pool).
  void release(const std::string& key, Conn c) {
    auto& v = idle[key];
    if (v.size() >= shared->options.max_idle_per_origin || loop.closing() || c.watch == nullptr) {
      c.close();
      return;
    }
    c.watch->owner = nullptr;
    c.watch->key = key;
    c.watch->on();
    c.idle_since = shared->clock.now();
    v.push_back(std::move(c));
  }
  // An idle connection's socket is readable: EOF, an error or stray bytes (the server is
  // done with it), or for TLS perhaps records without data (session tickets: kept).
  void idle_readable(ConnWatch* w) {
    auto it = idle.find(w->key);
    if (it == idle.end()) return;
    auto& v = it->second;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i].watch.get() != w) continue;
      if (v[i].ssl != nullptr && detail::tls_idle_alive(v[i].ssl)) return;
      Conn c = std::move(v[i]);
      v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
      c.close();
      return;
    }
  }
};

using detail::addr_len;
using detail::timeout_status;

void AsyncCall::arm(short events) {
  if (events == EV_READ) {
    drop_write();
    watch_read(true);
    return;
  }
  watch_read(false);
  if (io_assigned && io_events == events) return;
  if (io_assigned) event_del(&io);
  event_assign(&io, detail::base_of(loop->loop), fd, static_cast<short>(events | EV_PERSIST), call_io_cb, this);
  event_add(&io, nullptr);
  io_assigned = true;
  io_events = events;
}

// The earliest deadline that applies in the current phase (nullopt: none).
void AsyncCall::arm_timer() {
  if (!opts.connect_timeout && !opts.first_byte_timeout && !opts.idle_timeout && !opts.total_timeout) return;
  if (!timer_assigned) {
    evtimer_assign(&timer, detail::base_of(loop->loop), call_timer_cb, this);
    timer_assigned = true;
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(kSlice).count();
  const timeval tv{0, static_cast<suseconds_t>(us)};
  evtimer_add(&timer, &tv);
  timer_armed = true;
}

void AsyncCall::on_timer() {
  timer_armed = false;
  const TimePoint now = loop->shared->clock.now();
  std::optional<TimePoint> due;
  TimeoutPhase which = TimeoutPhase::kNone;
  auto consider = [&](std::optional<Duration> d, TimePoint from, TimeoutPhase p) {
    if (!d) return;
    const TimePoint t = from + *d;
    if (!due || t < *due) {
      due = t;
      which = p;
    }
  };
  const bool connecting = phase == Phase::kConnecting || phase == Phase::kHandshaking;
  consider(opts.total_timeout, start_at, TimeoutPhase::kTotal);
  if (connecting) consider(opts.connect_timeout, connect_at, TimeoutPhase::kConnect);
  if (phase == Phase::kReceiving && !paused) {
    if (!got_byte) consider(opts.first_byte_timeout, sent_at, TimeoutPhase::kFirstByte);
    else consider(opts.idle_timeout, last_activity, TimeoutPhase::kIdle);
  }
  if (due && now >= *due) {
    if (connecting) {
      complete(TimeoutError(which, std::string(which == TimeoutPhase::kTotal ? "total" : "connect") +
                                       " timeout: connecting to " + target.key + " timed out" +
                                       (phase == Phase::kHandshaking ? " (TLS handshake)" : "")));
    } else {
      complete(timeout_status(which, target.key));
    }
    return;
  }
  arm_timer();
}

void AsyncCall::begin() {
  start_at = loop->shared->clock.now();
  arm_timer();
  connect_next();
}

// A pooled connection (first attempt only) or a new non-blocking connect.
void AsyncCall::connect_next() {
  if (flag->cancel_requested.load(std::memory_order_relaxed)) return complete(CancelledError("call cancelled"));
  Conn pooled = attempt == 0 ? loop->acquire(target.key) : Conn{};
  fd = pooled.fd;
  ssl = pooled.ssl;
  watch = std::move(pooled.watch);
  if (watch != nullptr) watch->owner = this;
  reused = fd >= 0;
  sent = 0;
  got_byte = false;
  if (reused) {
    phase = Phase::kSending;
    do_send();
    return;
  }
  connect_at = loop->shared->clock.now();  // the lookup counts in the connect timeout
  phase = Phase::kConnecting;
  loop->dns->lookup(target, [self = shared_from_this()](Result<const detail::Addresses*> a) { self->on_resolved(a); });
}

// The origin's addresses (now, or from the resolver thread): a non-blocking connect to the
// first that takes it.
void AsyncCall::on_resolved(Result<const detail::Addresses*> addrs) {
  if (phase == Phase::kDone) return;
  if (flag->cancel_requested.load(std::memory_order_relaxed)) return complete(CancelledError("call cancelled"));
  if (!addrs.ok()) return complete(addrs.status());
  for (const sockaddr_storage& a : **addrs) {
    const int s = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) continue;
    int yes = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    loop->shared->opened.fetch_add(1, std::memory_order_relaxed);
    if (::connect(s, reinterpret_cast<const sockaddr*>(&a), addr_len(a)) == 0) {
      fd = s;
      connected();
      return;
    }
    if (errno == EINPROGRESS) {
      fd = s;
      phase = Phase::kConnecting;
      arm(EV_WRITE);
      return;
    }
    ::close(s);
  }
  complete(ConnectionResetError("cannot connect to " + target.key + " (refused or unreachable)"));
}

// TCP is up: the request, or first the TLS handshake.
void AsyncCall::connected() {
  if (!target.tls) {
    phase = Phase::kSending;
    do_send();
    return;
  }
  Result<ssl_ctx_st*> ctx = loop->shared->tls_context();
  if (!ctx.ok()) return complete(ctx.status());
  Result<ssl_st*> s = detail::tls_new(*ctx, fd, target.host, loop->shared->options.verify_tls);
  if (!s.ok()) return complete(s.status());
  ssl = *s;
  phase = Phase::kHandshaking;
  loop->shared->tls_handshakes.fetch_add(1, std::memory_order_relaxed);
  do_handshake();
}

void AsyncCall::do_handshake() {
  switch (detail::tls_handshake(ssl)) {
    case detail::TlsWant::kDone:
      phase = Phase::kSending;
      do_send();
      return;
    case detail::TlsWant::kRead: arm(EV_READ); return;
    case detail::TlsWant::kWrite: arm(EV_WRITE); return;
    case detail::TlsWant::kEof:
    case detail::TlsWant::kFailed: complete(detail::handshake_failure(ssl, target.key)); return;
  }
}

void AsyncCall::do_send() {
  if (ssl != nullptr) return send_tls();
  const size_t total = head.size() + body.size();
  while (sent < total) {
    iovec iov[2];
    int n_iov = 0;
    if (sent < head.size()) {
      iov[n_iov++] = iovec{head.data() + sent, head.size() - sent};
      if (!body.empty()) iov[n_iov++] = iovec{body.data(), body.size()};
    } else {
      const size_t b = sent - head.size();
      iov[n_iov++] = iovec{body.data() + b, body.size() - b};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n_iov);
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      arm(EV_WRITE);
      return;
    }
    if (reused && attempt == 0 && (sent == 0 || replayable)) return retry_or_fail(Status::Ok());
    return complete(ConnectionResetError("connection to " + target.key + " closed or reset while sending the request"));
  }
  sent_all();
}

// https://: start() put the body into `head` (one buffer: the fewest records).
void AsyncCall::send_tls() {
  while (sent < head.size()) {
    const detail::TlsStep st = detail::tls_write(ssl, head.data() + sent, head.size() - sent);
    if (st.want == detail::TlsWant::kDone) {
      sent += st.n;
      continue;
    }
    if (st.want == detail::TlsWant::kWrite || st.want == detail::TlsWant::kRead) {
      arm(st.want == detail::TlsWant::kWrite ? EV_WRITE : EV_READ);
      return;
    }
    if (reused && attempt == 0 && (sent == 0 || replayable)) return retry_or_fail(Status::Ok());
    return complete(ConnectionResetError("connection to " + target.key + " closed or reset while sending the request"));
  }
  sent_all();
}

// Sent: now the response.
void AsyncCall::sent_all() {
  phase = Phase::kReceiving;
  sent_at = loop->shared->clock.now();
  last_activity = sent_at;
  ps = detail::Parse{};
  ps.handler = handler;
  ps.head_request = head_request;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &ps;
  if (paused) return disarm_io();  // set_paused() before the response: read once resumed
  if (ssl != nullptr) return recv_tls();  // a record may have come with the handshake
  arm(EV_READ);
}

void AsyncCall::disarm_io() {
  drop_write();
  watch_read(false);
}

void AsyncCall::drop_write() {
  if (io_assigned) event_del(&io);
  io_assigned = false;
  io_events = 0;
}

// The connection's read event on (made on first use) or off.
void AsyncCall::watch_read(bool on) {
  if (!on) {
    if (watch != nullptr) watch->off();
    return;
  }
  if (watch == nullptr) {
    watch = std::make_unique<ConnWatch>();
    watch->loop = loop;
    event_assign(&watch->ev, detail::base_of(loop->loop), fd, EV_READ | EV_PERSIST, conn_watch_cb, watch.get());
  }
  watch->owner = this;
  watch->on();
}

// The connection leaves the call (to the pool or to close()).
Conn AsyncCall::take_conn() {
  Conn c{fd, ssl, std::move(watch)};
  fd = -1;
  ssl = nullptr;
  return c;
}

void AsyncCall::set_paused(bool p) {
  if (phase == Phase::kDone || paused == p) return;
  paused = p;
  if (phase != Phase::kReceiving) return;  // connecting/sending: applied when the response starts
  if (p) {
    disarm_io();
    return;
  }
  const TimePoint now = loop->shared->clock.now();  // a pause is not upstream idleness
  last_activity = now;
  if (!got_byte) sent_at = now;
  arm(EV_READ);  // level-triggered: bytes already in the socket wake us at once
  if (ssl != nullptr && detail::tls_has_pending(ssl)) {
    // Decrypted bytes wait in the TLS session, not in the socket: nothing would wake us.
    loop->loop.defer([self = shared_from_this()] {
      if (self->phase == Phase::kReceiving && !self->paused) self->recv_tls();
    });
  }
}

void AsyncCall::close_conn() {
  disarm_io();
  take_conn().close();
}

// A reused connection failed before any response byte: resend on a new one.
void AsyncCall::retry_or_fail(Status failure) {
  if (!failure.ok()) return complete(std::move(failure));
  close_conn();
  ++attempt;
  connect_next();
}

void AsyncCall::recv_plain() {
  char buf[kReadChunk];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return on_eof(n < 0);
    if (!on_bytes(buf, static_cast<size_t>(n))) return;
    if (static_cast<size_t>(n) < sizeof buf) return;  // drained for now (level-triggered: more wakes us)
  }
}

// Until OpenSSL wants the socket: what it decrypted is not in the socket any more.
void AsyncCall::recv_tls() {
  char buf[kReadChunk];
  for (;;) {
    const detail::TlsStep st = detail::tls_read(ssl, buf, sizeof buf);
    switch (st.want) {
      case detail::TlsWant::kDone:
        if (!on_bytes(buf, st.n)) return;
        continue;
      case detail::TlsWant::kRead: arm(EV_READ); return;
      case detail::TlsWant::kWrite: arm(EV_WRITE); return;
      case detail::TlsWant::kEof: return on_eof(false);
      case detail::TlsWant::kFailed: return on_eof(true);
    }
  }
}

// Response bytes: parsed and handed on. True: keep reading.
bool AsyncCall::on_bytes(const char* buf, size_t n) {
  if (flag->cancel_requested.load(std::memory_order_relaxed)) {
    complete(CancelledError("call cancelled"));
    return false;
  }
  got_byte = true;
  last_activity = loop->shared->clock.now();
  auto self = shared_from_this();  // the handler may cancel (and the caller drop us) inside
  const size_t used = http_parser_execute(&parser, &detail::response_settings(), buf, n);
  if (phase == Phase::kDone) return false;
  if (ps.handler_abort) {
    complete(CancelledError("response handler aborted the call"));
    return false;
  }
  if (ps.complete) {
    // Stray bytes after the response: the connection is not reusable.
    const bool stray = used != n || (ssl != nullptr && detail::tls_has_pending(ssl));
    complete(Status::Ok(), ps.keep_alive && !stray);
    return false;
  }
  const http_errno err = HTTP_PARSER_ERRNO(&parser);
  if (err != HPE_OK) {
    complete(MalformedResponseError("malformed HTTP response from " + target.key + ": " + http_errno_description(err)));
    return false;
  }
  return !paused;  // set_paused() inside on_body: the rest waits (socket or TLS session)
}

void AsyncCall::on_eof(bool reset) {
  if (flag->cancel_requested.load(std::memory_order_relaxed)) return complete(CancelledError("call cancelled"));
  if (!reset) {
    http_parser_execute(&parser, &detail::response_settings(), nullptr, 0);  // ends a close-delimited body
    if (ps.complete) return complete(Status::Ok(), false);
  }
  if (!got_byte && reused && replayable && attempt == 0) return retry_or_fail(Status::Ok());
  if (ps.handler_abort) return complete(CancelledError("response handler aborted the call"));
  complete(ConnectionResetError("connection to " + target.key + " " + (reset ? "reset" : "closed") +
                                (ps.head_seen ? " mid-body" : " before the response")));
}

void AsyncCall::on_io(short what) {
  (void)what;
  if (phase == Phase::kDone) return;
  auto self = shared_from_this();
  if (flag->cancel_requested.load(std::memory_order_relaxed)) return complete(CancelledError("call cancelled"));
  switch (phase) {
    case Phase::kConnecting: {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return complete(ConnectionResetError("cannot connect to " + target.key + " (refused or unreachable)"));
      connected();
      return;
    }
    case Phase::kHandshaking: do_handshake(); return;
    case Phase::kSending: do_send(); return;
    case Phase::kReceiving:
      if (ssl != nullptr) recv_tls();
      else recv_plain();
      return;
    case Phase::kDone: return;
  }
}

void AsyncCall::complete(Status st, bool keep) {
  if (phase == Phase::kDone) return;
  phase = Phase::kDone;
  auto self = shared_from_this();
  const bool pool = keep && st.ok() && fd >= 0;
  if (pool) {
    drop_write();      // the read event stays added: the pool's watch
    watch_read(true);  // made now if the whole response was read before any wait (TLS:
                       // the read right after the send), else the pool would close it
  } else {
    disarm_io();
  }
  if (timer_assigned) evtimer_del(&timer);
  timer_assigned = false;
  if (pool) loop->release(target.key, take_conn());
  else take_conn().close();
  loop->calls.erase(this);
  ResponseHandler* h = handler;
  handler = nullptr;
  flag->done.store(true, std::memory_order_release);
  h->on_complete(std::move(st));
}

void AsyncCall::cancel_now() {
  if (phase == Phase::kDone) return;
  complete(CancelledError("call cancelled"));
}

extern "C" void call_io_cb(evutil_socket_t, short what, void* arg) { static_cast<AsyncCall*>(arg)->on_io(what); }
extern "C" void conn_watch_cb(evutil_socket_t, short what, void* arg) {
  auto* w = static_cast<ConnWatch*>(arg);
  if (w->owner != nullptr) w->owner->on_io(what);
  else w->loop->idle_readable(w);
}
extern "C" void call_timer_cb(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<AsyncCall*>(arg);
  auto self = c->shared_from_this();
  c->on_timer();
}

class LoopCall final : public Call {
 public:
  LoopCall(std::shared_ptr<CallFlag> flag, std::weak_ptr<AsyncCall> call, EventLoop* loop,
           std::function<bool(std::function<void()>)> post)
      : flag_(std::move(flag)), call_(std::move(call)), loop_(loop), post_(std::move(post)) {}
  void cancel() override {
    if (flag_->done.load(std::memory_order_acquire)) return;
    flag_->cancel_requested.store(true, std::memory_order_relaxed);
    // The completion comes from the loop, never from inside cancel().
    auto fire = [w = call_] {
      if (auto c = w.lock()) c->cancel_now();
    };
    if (EventLoop::current() == loop_ && loop_ != nullptr && !loop_->closing()) loop_->defer(std::move(fire));
    else if (post_) post_(std::move(fire));
  }
  bool done() const override { return flag_->done.load(std::memory_order_acquire); }
  const std::weak_ptr<AsyncCall>& async() const { return call_; }
  EventLoop* loop() const { return loop_; }

 private:
  std::shared_ptr<CallFlag> flag_;
  std::weak_ptr<AsyncCall> call_;
  EventLoop* loop_;
  std::function<bool(std::function<void()>)> post_;
};

class DoneCall final : public Call {
 public:
  void cancel() override {}
  bool done() const override { return true; }
};

}  // namespace

LoopHttpClient::LoopHttpClient(Clock& clock) : LoopHttpClient(clock, Options{}) {}
LoopHttpClient::LoopHttpClient(Clock& clock, Options options)
    : shared_(std::make_shared<Shared>(clock, options)), fallback_(clock, options) {}
LoopHttpClient::~LoopHttpClient() = default;

CallPtr LoopHttpClient::start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) {
  EventLoop* loop = EventLoop::current();
  if (loop == nullptr) {
    shared_->fallback_calls.fetch_add(1, std::memory_order_relaxed);
    return fallback_.start(request, options, handler);
  }
  if (loop->closing()) {
    handler.on_complete(CancelledError("server stopping"));
    return std::make_unique<DoneCall>();
  }
  shared_->loop_calls.fetch_add(1, std::memory_order_relaxed);
  auto* state = static_cast<LoopState*>(loop->get_local(shared_.get()));
  if (state == nullptr) {
    auto s = std::make_shared<LoopState>(*loop, shared_);
    state = s.get();
    loop->set_local(shared_.get(), std::move(s));
  }
  auto call = std::make_shared<AsyncCall>();
  call->loop = state;
  call->handler = &handler;
  call->opts = options;
  call->head_request = request.method == "HEAD";
  Result<detail::Target> target = detail::parse_http_url(request.base_url, /*allow_https=*/true);
  auto handle = std::make_unique<LoopCall>(call->flag, call, loop, detail::poster(*loop));
  state->calls.emplace(call.get(), call);
  if (!target.ok()) {
    Status st = target.status();
    loop->defer([call, st] { call->complete(st); });
    return handle;
  }
  call->target = std::move(*target);
  call->head = detail::request_head(request, call->target, shared_->options.user_agent, &call->replayable);
  if (call->target.tls) call->head += request.body;  // one buffer for SSL_write
  else call->body = request.body;
  loop->defer([call] {
    if (call->phase == Phase::kConnecting && call->fd < 0) call->begin();
  });
  return handle;
}

bool LoopHttpClient::set_paused(Call& call, bool paused) {
  auto* lc = dynamic_cast<LoopCall*>(&call);
  if (lc == nullptr || lc->loop() == nullptr || EventLoop::current() != lc->loop()) return false;
  std::shared_ptr<AsyncCall> c = lc->async().lock();
  if (!c || c->phase == Phase::kDone) return false;
  c->set_paused(paused);
  return true;
}

size_t LoopHttpClient::connections_opened() const { return shared_->opened.load() + fallback_.connections_opened(); }
size_t LoopHttpClient::loop_calls() const { return shared_->loop_calls.load(); }
size_t LoopHttpClient::fallback_calls() const { return shared_->fallback_calls.load(); }
size_t LoopHttpClient::tls_handshakes() const { return shared_->tls_handshakes.load(); }

}  // namespace ploke::net
