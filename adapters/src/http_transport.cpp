// HttpTransport: http:// on ploke::net::HttpClient (own sockets + http-parser, see
// ploke/net/http_client.h); https:// on cpp-httplib with OpenSSL, described below. See
// ploke/adapters/http_transport.h.
//
// The httplib path (HTTPS):
// Watchdog design: each call has a CallState shared with at most one pending Clock timer,
// armed for the earliest live deadline (total; first byte once the body is written; idle
// once the head arrived). Body chunks only store a timestamp; when the timer fires it
// re-checks the deadlines and either aborts or re-arms, so a fast stream costs one clock
// read per chunk, not one timer. Aborting = setting a flag every httplib callback checks,
// plus httplib::Client::stop(), which shuts the socket down and makes the blocked read
// fail. stop() is only called once the request is in flight: before that httplib holds
// its socket mutex while connecting, and stop() would block the clock's timer thread.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include "ploke/adapters/http_transport.h"
#include "ploke/core/thread_annotations.h"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include "ploke/net/http_client.h"
#include "ploke/net/event_loop.h"
#include "ploke/net/loop_client.h"

namespace ploke::adapters {
namespace {

struct ParsedUrl {
  std::string origin;  // scheme://host[:port]
  std::string prefix;  // "" or "/v1"
};

Result<ParsedUrl> parse_base_url(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidRequestError("base_url has no scheme: " + std::string(url));
  const std::string_view scheme = url.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) {
    return InvalidRequestError("base_url scheme must be http or https: " + std::string(url));
  }
  const size_t host_start = scheme_end + 3;
  const size_t slash = url.find('/', host_start);
  ParsedUrl out;
  out.origin = std::string(url.substr(0, slash));
  if (out.origin.size() <= host_start) return InvalidRequestError("base_url has no host: " + std::string(url));
  if (slash != std::string_view::npos) out.prefix = std::string(url.substr(slash));
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  return out;
}

template <typename D>
void split_duration(D d, time_t& sec, time_t& usec) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  sec = static_cast<time_t>(us / 1'000'000);
  usec = static_cast<time_t>(us % 1'000'000);
}

/// Per-call state shared by the exchange thread, the watchdog timer and Call::cancel().
class CallState : public std::enable_shared_from_this<CallState> {
 public:
  CallState(Clock& clock, const CallOptions& o) : clock_(clock), options_(o), start_(clock.now()) {}

  void begin() {
    MutexLock lock(mu_);
    arm_locked();
  }
  void set_client(httplib::Client* c) {
    MutexLock lock(mu_);
    client_ = c;
  }
  void mark_sent() {
    MutexLock lock(mu_);
    if (sent_) return;
    sent_ = true;
    sent_at_ = clock_.now();
    if (abort_.load()) {
      stop_locked();
      return;
    }
    arm_locked();
  }
  void mark_head() {
    MutexLock lock(mu_);
    got_head_ = true;
    touch();
    arm_locked();
  }
  void touch() { last_activity_ns_.store(clock_.now().time_since_epoch().count(), std::memory_order_relaxed); }
  bool aborted() const { return abort_.load(std::memory_order_relaxed); }

  void cancel() {
    MutexLock lock(mu_);
    if (finished_) return;
    cancelled_ = true;
    abort_.store(true);
    stop_locked();
  }
  /// Ends the call: no timer will touch the client afterwards.
  void finish(TimeoutPhase& phase, bool& cancelled) {
    MutexLock lock(mu_);
    finished_ = true;
    if (timer_) clock_.cancel(*timer_);
    timer_.reset();
    client_ = nullptr;
    phase = timed_out_;
    cancelled = cancelled_;
  }
  /// True once on_complete() has returned.
  bool completed() const { return completed_.load(); }
  void mark_completed() { completed_.store(true); }

 private:
  void on_timer(TimerId id) {
    MutexLock lock(mu_);
    if (finished_ || !timer_ || *timer_ != id) return;
    timer_.reset();
    const TimeoutPhase phase = expired_locked(clock_.now());
    if (phase == TimeoutPhase::kNone) {
      arm_locked();
      return;
    }
    timed_out_ = phase;
    abort_.store(true);
    stop_locked();
  }
  void stop_locked() PLOKE_REQUIRES(mu_) {
    // Before the request is in flight stop() would wait for the connect to finish (see
    // the file comment); the content provider checks abort_ instead.
    if (sent_ && client_ != nullptr) client_->stop();
  }
  TimePoint last_activity() const {
    return TimePoint(Duration(last_activity_ns_.load(std::memory_order_relaxed)));
  }
  template <typename F>
  void for_each_deadline(F&& f) const PLOKE_REQUIRES(mu_) {
    if (options_.total_timeout) f(start_ + *options_.total_timeout, TimeoutPhase::kTotal);
    if (sent_ && !got_head_ && options_.first_byte_timeout) {
      f(sent_at_ + *options_.first_byte_timeout, TimeoutPhase::kFirstByte);
    }
    if (got_head_ && options_.idle_timeout) f(last_activity() + *options_.idle_timeout, TimeoutPhase::kIdle);
  }
  TimeoutPhase expired_locked(TimePoint now) const PLOKE_REQUIRES(mu_) {
    std::optional<TimePoint> best;
    TimeoutPhase phase = TimeoutPhase::kNone;
    for_each_deadline([&](TimePoint t, TimeoutPhase p) {
      if (now >= t && (!best || t < *best)) { best = t; phase = p; }
    });
    return phase;
  }
  void arm_locked() PLOKE_REQUIRES(mu_) {
    if (finished_ || abort_.load()) return;
    std::optional<TimePoint> next;
    for_each_deadline([&](TimePoint t, TimeoutPhase) {
      if (!next || t < *next) next = t;
    });
    if (timer_) clock_.cancel(*timer_);
    timer_.reset();
    if (!next) return;
    std::weak_ptr<CallState> weak = weak_from_this();
    auto id_box = std::make_shared<std::atomic<TimerId>>(0);
    // The id is stored before the lock is released, and on_timer takes the lock, so the
    // callback always sees the id it was scheduled under.
    const TimerId id = clock_.schedule_at(*next, [weak, id_box] {
      if (auto self = weak.lock()) self->on_timer(id_box->load());
    });
    id_box->store(id);
    timer_ = id;
  }

  Clock& clock_;
  const CallOptions options_;
  const TimePoint start_;
  mutable Mutex mu_;
  httplib::Client* client_ PLOKE_GUARDED_BY(mu_) = nullptr;  // ; valid until finish()
  bool sent_ PLOKE_GUARDED_BY(mu_) = false;
  bool got_head_ PLOKE_GUARDED_BY(mu_) = false;
  TimePoint sent_at_ PLOKE_GUARDED_BY(mu_);
  bool finished_ PLOKE_GUARDED_BY(mu_) = false;
  bool cancelled_ PLOKE_GUARDED_BY(mu_) = false;
  TimeoutPhase timed_out_ PLOKE_GUARDED_BY(mu_) = TimeoutPhase::kNone;
  std::optional<TimerId> timer_ PLOKE_GUARDED_BY(mu_);
  std::atomic<bool> abort_{false};
  std::atomic<bool> completed_{false};
  std::atomic<int64_t> last_activity_ns_{0};
};

class HttpCall final : public Call {
 public:
  explicit HttpCall(std::shared_ptr<CallState> state) : state_(std::move(state)) {}
  ~HttpCall() override {
    if (thread_.joinable()) thread_.join();
  }
  void cancel() override { state_->cancel(); }
  bool done() const override { return state_->completed(); }
  void set_thread(std::thread t) { thread_ = std::move(t); }

 private:
  std::shared_ptr<CallState> state_;
  std::thread thread_;
};

Status map_httplib_error(httplib::Error err, const CallOptions& o, const std::string& origin) {
  switch (err) {
    case httplib::Error::Connection:
      return ConnectionResetError("cannot connect to " + origin + " (refused or unreachable)");
    case httplib::Error::ConnectionTimeout: {
      const bool total_first =
          o.total_timeout && (!o.connect_timeout || *o.total_timeout < *o.connect_timeout);
      return TimeoutError(total_first ? TimeoutPhase::kTotal : TimeoutPhase::kConnect,
                          "connecting to " + origin + " timed out");
    }
    case httplib::Error::Read:
      return ConnectionResetError("connection to " + origin + " closed or reset while reading the response");
    case httplib::Error::Write:
      return ConnectionResetError("connection to " + origin + " closed or reset while sending the request");
    case httplib::Error::Canceled: return CancelledError("request cancelled");
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return ConnectionResetError("TLS failure with " + origin + ": " + httplib::to_string(err));
    case httplib::Error::Compression:
      return MalformedResponseError("cannot decompress the response from " + origin);
    default:
      return ConnectionResetError("HTTP exchange with " + origin + " failed: " + httplib::to_string(err));
  }
}

}  // namespace

struct HttpTransport::Impl {
  Impl(Clock& clock, Options o) : options(std::move(o)), plain(clock, net_options(options)) {
    if (options.on_event_loop) on_loop = std::make_unique<net::LoopHttpClient>(clock, net_options(options));
  }
  static net::HttpClient::Options net_options(const Options& o) {
    return net::HttpClient::Options{o.max_idle_per_origin, o.user_agent, o.verify_tls, o.ca_file};
  }

  std::unique_ptr<httplib::Client> acquire(const std::string& origin) {
    {
      MutexLock lock(mu);
      auto it = idle.find(origin);
      if (it != idle.end() && !it->second.empty()) {
        auto c = std::move(it->second.back());
        it->second.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<httplib::Client>(origin);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_follow_location(false);
    c->enable_server_certificate_verification(options.verify_tls);
    if (!options.ca_file.empty()) c->set_ca_cert_path(options.ca_file);
    return c;
  }
  void release(const std::string& origin, std::unique_ptr<httplib::Client> c) {
    MutexLock lock(mu);
    auto& v = idle[origin];
    if (v.size() < options.max_idle_per_origin) v.push_back(std::move(c));
  }

  Status run(const HttpRequest& request, const CallOptions& options_in, ResponseHandler& handler,
             const std::shared_ptr<CallState>& state);

  const Options options;
  net::HttpClient plain;  // http://
  std::unique_ptr<net::LoopHttpClient> on_loop;  // http:// on a server's event loop (Options::on_event_loop)
  mutable Mutex mu;
  std::map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle PLOKE_GUARDED_BY(mu);
};

namespace {

void configure_timeouts(httplib::Client& c, const CallOptions& o) {
  time_t sec = 0, usec = 0;
  std::optional<Duration> connect = o.connect_timeout;
  if (o.total_timeout && (!connect || *o.total_timeout < *connect)) connect = o.total_timeout;
  if (connect) {
    split_duration(*connect, sec, usec);
    if (sec == 0 && usec == 0) usec = 1;
  } else {
    sec = CPPHTTPLIB_CONNECTION_TIMEOUT_SECOND;
    usec = 0;
  }
  c.set_connection_timeout(sec, usec);
  // Reads and writes are bounded by the watchdog; httplib's own timeouts are only a
  // backstop (e.g. under a SimulatedClock nobody fires the watchdog).
  const Duration backstop = o.total_timeout ? *o.total_timeout + std::chrono::seconds(5)
                                            : Duration(std::chrono::hours(24));
  split_duration(backstop, sec, usec);
  c.set_read_timeout(sec, usec);
  c.set_write_timeout(sec, usec);
}

// The httplib request line and headers (Content-Length and Host are httplib's own).
httplib::Request request_head(const HttpRequest& request, const ParsedUrl& url, const HttpTransport::Options& options) {
  httplib::Request req;
  req.method = request.method;
  req.path = url.prefix + request.path;
  if (req.path.empty()) req.path.push_back('/');  // (not = "/": GCC 12 -Wrestrict false positive)
  for (const auto& [name, value] : request.headers.items()) {
    if (iequals(name, "Content-Length") || iequals(name, "Host")) continue;
    req.headers.emplace(name, value);
  }
  if (!request.headers.has("User-Agent")) req.headers.emplace("User-Agent", options.user_agent);
  return req;
}

}  // namespace

Status HttpTransport::Impl::run(const HttpRequest& request, const CallOptions& o,
                                ResponseHandler& handler, const std::shared_ptr<CallState>& state) {
  Result<ParsedUrl> url = parse_base_url(request.base_url);
  if (!url.ok()) return url.status();
  std::unique_ptr<httplib::Client> client = acquire(url->origin);
  if (!client->is_valid()) return InternalError("cannot create an HTTP client for " + url->origin);
  configure_timeouts(*client, o);

  httplib::Request req = request_head(request, *url, options);

  const std::string& body = request.body;
  if (!body.empty()) {
    req.content_length_ = body.size();
    req.content_provider_ = [&body, &state](size_t offset, size_t length, httplib::DataSink& sink) {
      if (state->aborted()) return false;
      if (!sink.write(body.data() + offset, length)) return false;
      state->mark_sent();  // the whole body is written in one call
      return true;
    };
  }
  bool handler_aborted = false;
  req.response_handler = [&](const httplib::Response& res) {
    if (state->aborted()) return false;
    state->mark_head();
    Headers headers;
    for (const auto& [name, value] : res.headers) headers.add(name, value);
    handler.on_head(res.status, headers);
    return !state->aborted();
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (state->aborted()) return false;
    state->touch();
    if (!handler.on_body(std::string_view(data, n))) {
      handler_aborted = true;
      return false;
    }
    return !state->aborted();
  };

  state->set_client(client.get());
  if (body.empty()) state->mark_sent();  // no provider callback: the clock starts now
  state->begin();
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool ok = false;
  try {
    ok = client->send(req, res, err);
  } catch (const std::exception&) {
    err = httplib::Error::Unknown;
  }
  TimeoutPhase phase = TimeoutPhase::kNone;
  bool cancelled = false;
  state->finish(phase, cancelled);
  if (ok && !handler_aborted) {
    release(url->origin, std::move(client));
    return Status::Ok();
  }
  if (phase != TimeoutPhase::kNone) {
    return TimeoutError(phase, std::string(timeout_phase_name(phase)) + " timeout talking to " + url->origin);
  }
  if (cancelled) return CancelledError("call cancelled");
  if (handler_aborted) return CancelledError("response handler aborted the call");
  return map_httplib_error(err, o, url->origin);
}

HttpTransport::HttpTransport(Clock& clock) : HttpTransport(clock, Options{}) {}
HttpTransport::HttpTransport(Clock& clock, Options options)
    : clock_(clock), impl_(std::make_shared<Impl>(clock, std::move(options))) {}
HttpTransport::~HttpTransport() = default;

namespace {
bool is_plain_http(std::string_view url) { return url.size() >= 7 && iequals(url.substr(0, 7), "http://"); }
}  // namespace

CallPtr HttpTransport::start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) {
  if (is_plain_http(request.base_url)) {
    if (impl_->on_loop) return impl_->on_loop->start(request, options, handler);  // blocking off a loop
    return impl_->plain.start(request, options, handler);
  }
  // HTTPS on an event loop: on the loop too (LoopHttpClient's non-blocking OpenSSL).
  if (impl_->on_loop && net::EventLoop::current() != nullptr) return impl_->on_loop->start(request, options, handler);
  auto state = std::make_shared<CallState>(clock_, options);
  auto call = std::make_unique<HttpCall>(state);
  Status st;
  try {
    st = impl_->run(request, options, handler, state);
  } catch (const std::exception& e) {
    st = InternalError(std::string("http transport: ") + e.what());
  }
  TimeoutPhase phase;
  bool cancelled;
  state->finish(phase, cancelled);  // idempotent; covers early returns
  handler.on_complete(std::move(st));
  state->mark_completed();
  return call;
}

CallPtr HttpTransport::start_async(const HttpRequest& request, const CallOptions& options,
                                   ResponseHandler& handler) {
  if (is_plain_http(request.base_url)) return impl_->plain.start_async(request, options, handler);
  auto state = std::make_shared<CallState>(clock_, options);
  auto call = std::make_unique<HttpCall>(state);
  call->set_thread(std::thread([impl = impl_, request, options, &handler, state] {
    Status st;
    try {
      st = impl->run(request, options, handler, state);
    } catch (const std::exception& e) {
      st = InternalError(std::string("http transport: ") + e.what());
    }
    TimeoutPhase phase;
    bool cancelled;
    state->finish(phase, cancelled);
    handler.on_complete(std::move(st));
    state->mark_completed();
  }));
  return call;
}

size_t HttpTransport::idle_connections() const {
  MutexLock lock(impl_->mu);
  size_t n = 0;
  for (const auto& [origin, v] : impl_->idle) n += v.size();
  return n + impl_->plain.idle_connections();
}

}  // namespace ploke::adapters
