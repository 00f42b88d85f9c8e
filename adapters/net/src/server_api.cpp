// HttpServer's public side: Responder (any thread; work for the loop goes through its
// queue), EventLoop, HttpServer::Start / stop. See server_internal.h and http_server.cpp.
#include <arpa/inet.h>
#include "ploke/core/thread_annotations.h"
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server_internal.h"
#include "ploke/net/native_loop.h"

namespace ploke::net {

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

event_base* native_event_base(EventLoop& loop) { return detail::base_of(loop); }
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
  detail::TlsContext tls;  // ServerOptions::tls_*; outlives the workers (declared first)
  Counters counters;
  int port = 0;
  std::vector<std::unique_ptr<Worker>> workers;
  Mutex stop_mu;
  bool stopped PLOKE_GUARDED_BY(stop_mu) = false;

  void stop_all() {
    for (auto& w : workers) {
      MutexLock l(w->shared->mu);
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

namespace {

Status check_options(const ServerOptions& o, const Handler& handler) {
  if (!handler) return InvalidRequestError(o.name + " options: a handler is required");
  if (o.threads == 0) return InvalidRequestError("server options: threads must be > 0");
  if (o.threads > 1024) return InvalidRequestError("server options: threads must be <= 1024");
  if (o.port < 0 || o.port > 65535) return InvalidRequestError("server options: port must be in [0,65535]");
  if (o.max_body_bytes == 0) return InvalidRequestError("server options: max_body_bytes must be > 0");
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return InvalidRequestError(o.name + " options: TLS needs both a certificate and a private key");
  }
  return Status::Ok();
}

// One listening socket per loop (SO_REUSEPORT when there are several); `port` becomes the
// bound port when 0 was asked.
Result<std::vector<int>> open_listeners(const ServerOptions& o, int& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* ai = nullptr;
  if (int rc = getaddrinfo(o.host.empty() ? nullptr : o.host.c_str(), "0", &hints, &ai); rc != 0 || !ai) {
    return InternalError(o.name + ": cannot resolve " + o.host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> ai_guard(ai, freeaddrinfo);
  auto bind_error = [&](int p) {
    return InternalError(o.name + ": cannot bind " + o.host + ":" + std::to_string(p) + ": " + std::strerror(errno));
  };
  const bool reuseport = o.threads > 1;
  if (reuseport && port != 0) {
    // SO_REUSEPORT sockets share a port with any other SO_REUSEPORT socket of this user;
    // a plain bind first makes a busy port an error, as it should be.
    const int probe = open_listener(ai, port, false);
    if (probe < 0) return bind_error(port);
    ::close(probe);
  }
  std::vector<int> fds;
  for (size_t i = 0; i < o.threads; ++i) {
    const int fd = open_listener(ai, port, reuseport);
    if (fd < 0) {
      Status st = bind_error(port);
      for (int f : fds) ::close(f);
      return st;
    }
    fds.push_back(fd);
    if (port == 0) port = bound_port(fd);
  }
  return fds;
}

// Loop i: its event base, EventLoop face, wake-up eventfd and listening event.
Status init_worker(Worker& w, event_config* cfg, int listen_fd, size_t i, Clock& clock, const ServerOptions& o) {
  const auto idle = std::max(o.keep_alive_timeout, o.read_timeout);
  w.clock = &clock;
  w.index = i;
  w.max_body = o.max_body_bytes;
  w.idle_tv = timeval{static_cast<time_t>(std::max<int64_t>(1, idle.count())), 0};
  w.write_tv = timeval{static_cast<time_t>(std::max<int64_t>(1, o.write_timeout.count())), 0};
  w.listen_fd = listen_fd;
  w.base = event_base_new_with_config(cfg);
  w.loop_impl = std::make_unique<EventLoop::Impl>(w.base, w.shared, clock, i);
  w.loop = std::make_unique<EventLoop>(w.loop_impl.get());
  w.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  {
    MutexLock l(w.shared->mu);
    w.shared->wake_fd = w.wake_fd;
  }
  if (w.base == nullptr || w.wake_fd < 0) return InternalError(o.name + ": cannot create event loop");
  w.idle_timeout = event_base_init_common_timeout(w.base, &w.idle_tv);
  w.write_timeout = event_base_init_common_timeout(w.base, &w.write_tv);
  w.loop_impl->attach();
  event_assign(&w.wake, w.base, w.wake_fd, EV_READ | EV_PERSIST, wake_cb, &w);
  event_add(&w.wake, nullptr);
  w.wake_added = true;
  event_assign(&w.listen_ev, w.base, w.listen_fd, EV_READ | EV_PERSIST, accept_cb, &w);
  event_add(&w.listen_ev, nullptr);
  w.listen_added = true;
  return Status::Ok();
}

// event_base_dispatch() with busy polling (ServerOptions::busy_poll): after each blocking
// wake, up to `polls` non-blocking passes, each followed by sched_yield(). The loop ends as
// dispatch does: a loopbreak from a callback (wake_cb at stop; seen after the pass that ran
// it), an error, or no events left.
void run_loop(event_base* base, unsigned polls) {
  for (;;) {
    for (unsigned i = 0; i < polls; ++i) {
      if (event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK) < 0 || event_base_got_break(base)) return;
      ::sched_yield();
    }
    if (event_base_loop(base, EVLOOP_ONCE) != 0 || event_base_got_break(base)) return;
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Clock& clock, Handler handler) {
  const std::string& name = options.name;
  if (Status st = check_options(options, handler); !st.ok()) return st;
  ::signal(SIGPIPE, SIG_IGN);
  detail::TlsContext tls;
  if (!options.tls_cert_file.empty()) {
    auto ctx = detail::make_tls_server_context(options.tls_cert_file, options.tls_key_file);
    if (!ctx.ok()) return InvalidRequestError(name + ": " + ctx.status().message());
    tls = std::move(ctx).value();
  }
  int port = options.port;
  auto fds = open_listeners(options, port);
  if (!fds.ok()) return fds.status();

  auto impl = std::make_unique<Impl>(clock, options, std::move(handler));
  impl->tls = std::move(tls);
  impl->port = port;
  event_config* cfg = event_config_new();
  if (cfg == nullptr) {
    for (int fd : *fds) ::close(fd);
    return InternalError(name + ": event_config_new failed");
  }
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  Status failure;
  size_t taken = 0;
  for (size_t i = 0; i < fds->size() && failure.ok(); ++i) {
    auto w = std::make_unique<Worker>();
    w->handler = &impl->handler;
    w->counters = &impl->counters;
    w->tls_ctx = impl->tls.get();
    Worker& ref = *w;
    impl->workers.push_back(std::move(w));  // owns the listening socket from here
    failure = init_worker(ref, cfg, (*fds)[i], i, clock, options);
    taken = i + 1;
  }
  event_config_free(cfg);
  for (size_t i = taken; i < fds->size(); ++i) ::close((*fds)[i]);
  if (!failure.ok()) return failure;  // ~Impl frees what was made
  try {
    for (auto& w : impl->workers) {
      Worker* wp = w.get();
      const std::string thread_name = "net-loop-" + std::to_string(wp->index);
      wp->thread = std::thread([wp, busy_poll = options.busy_poll, thread_name] {
        ::pthread_setname_np(::pthread_self(), thread_name.substr(0, 15).c_str());  // ps, top, perf
        wp->shared->tid.store(std::this_thread::get_id(), std::memory_order_relaxed);
        detail::set_current_loop(wp->loop.get());
        run_loop(wp->base, busy_poll);
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
  return std::string(impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}

size_t HttpServer::in_flight() const { return impl_->counters.in_flight.load(std::memory_order_relaxed); }

uint64_t HttpServer::requests() const { return impl_->counters.requests.load(std::memory_order_relaxed); }

EventLoop& HttpServer::loop(size_t index) const { return *impl_->workers.at(index)->loop; }

void HttpServer::stop_accepting() {
  for (auto& w : impl_->workers) {
    Worker* wp = w.get();
    wp->shared->post([wp] { wp->stop_listening(); });
  }
}

void HttpServer::stop() {
  if (!impl_) return;
  MutexLock lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stop_all();
}

}  // namespace ploke::net
