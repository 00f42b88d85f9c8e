// HttpClient: plain HTTP/1.1 over our own sockets, responses parsed by http-parser 2.9.
// See ploke/net/http_client.h for the contract.
//
// Design notes:
//  - One exchange runs on one thread (the caller's, or start_async()'s): connect
//    (non-blocking + poll), one sendmsg() for head + body, then poll/recv/parse until the
//    message is complete. Waits are ppoll() slices of at most 50 ms; after each the Clock is
//    read again, the deadlines (total, connect, first byte, idle) re-checked and the cancel
//    flag looked at. cancel() also shuts the socket down so a blocked poll wakes at once.
//  - The pool holds idle fds per origin ("host:port"). Reuse first peeks at the socket
//    (recv MSG_PEEK|MSG_DONTWAIT): EOF or stray bytes mean the server is done with it.
#include "ploke/net/http_client.h"
#include "ploke/core/thread_annotations.h"

#include <http_parser.h>

#include "client_common.h"
#include "io_constants.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ploke::net {
namespace {

using detail::kReadChunk;
using detail::kSlice;

/// Shared by the exchange and Call::cancel().
struct CallState {
  std::atomic<bool> cancelled{false};
  std::atomic<bool> completed{false};
  Mutex mu;
  int fd PLOKE_GUARDED_BY(mu) = -1;  // the socket in use, for cancel()

  void cancel() {
    cancelled.store(true);
    MutexLock l(mu);
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }
  void set_fd(int f) {
    MutexLock l(mu);
    fd = f;
  }
};

class ClientCall final : public Call {
 public:
  explicit ClientCall(std::shared_ptr<CallState> s) : state_(std::move(s)) {}
  ~ClientCall() override {
    if (thread_.joinable()) thread_.join();
  }
  void cancel() override { state_->cancel(); }
  bool done() const override { return state_->completed.load(); }
  void set_thread(std::thread t) { thread_ = std::move(t); }

 private:
  std::shared_ptr<CallState> state_;
  std::thread thread_;
};

enum class Wait : uint8_t { kReady, kTimeout, kCancelled };

}  // namespace

struct HttpClient::Impl {
  explicit Impl(Clock& c, Options o) : clock(c), options(std::move(o)) {}
  ~Impl() {
    for (auto& kv : idle)
      for (int fd : kv.second) ::close(fd);
  }

  Clock& clock;
  const Options options;
  mutable Mutex mu;
  std::map<std::string, std::vector<int>, std::less<>> idle PLOKE_GUARDED_BY(mu);
  std::atomic<size_t> opened{0};

  // A pooled connection that still looks alive, or -1.
  int acquire(const std::string& key) {
    for (;;) {
      int fd = -1;
      {
        MutexLock l(mu);
        auto it = idle.find(key);
        if (it == idle.end() || it->second.empty()) return -1;
        fd = it->second.back();
        it->second.pop_back();
      }
      char b;
      const ssize_t n = ::recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return fd;
      ::close(fd);  // EOF, stray bytes or an error: the server is done with it
    }
  }
  void release(const std::string& key, int fd) {
    {
      MutexLock l(mu);
      auto& v = idle[key];
      if (v.size() < options.max_idle_per_origin) {
        v.push_back(fd);
        return;
      }
    }
    ::close(fd);
  }

  Status run(const HttpRequest& request, const CallOptions& o, ResponseHandler& handler, CallState& state);
};

namespace {

struct ClientExchange {
  Clock& clock;
  const CallOptions& o;
  CallState& state;
  TimePoint start;

  // Earliest of the total deadline and `phase_deadline`; the phase that expires first.
  std::pair<std::optional<TimePoint>, TimeoutPhase> deadline(std::optional<TimePoint> phase_deadline,
                                                             TimeoutPhase phase) const {
    std::optional<TimePoint> best;
    TimeoutPhase which = TimeoutPhase::kNone;
    if (o.total_timeout) {
      best = start + *o.total_timeout;
      which = TimeoutPhase::kTotal;
    }
    if (phase_deadline && (!best || *phase_deadline < *best)) {
      best = phase_deadline;
      which = phase;
    }
    return {best, which};
  }

  // Waits for `events` on fd until ready, a deadline, or cancel().
  Wait wait(int fd, short events, std::optional<TimePoint> phase_deadline, TimeoutPhase phase,
            TimeoutPhase* expired) const {
    const auto [due, which] = deadline(phase_deadline, phase);
    for (;;) {
      if (state.cancelled.load(std::memory_order_relaxed)) return Wait::kCancelled;
      Duration slice = kSlice;
      if (due) {
        const Duration left = *due - clock.now();
        if (left <= Duration{0}) {
          *expired = which;
          return Wait::kTimeout;
        }
        slice = std::min(slice, left);
      }
      pollfd p{fd, events, 0};
      const auto ns = slice.count();
      timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
      const int r = ::ppoll(&p, 1, &ts, nullptr);
      if (r > 0) {
        if (state.cancelled.load(std::memory_order_relaxed)) return Wait::kCancelled;
        return Wait::kReady;
      }
      if (r < 0 && errno != EINTR) return Wait::kReady;  // let the read/write report it
    }
  }
};

using detail::timeout_status;

// A connected non-blocking socket, or an error status.
Result<int> connect_to(const detail::Target& t, const ClientExchange& ex, std::atomic<size_t>& opened) {
  auto addrs = detail::resolve(t);
  if (!addrs.ok()) return addrs.status();
  const TimePoint begin = ex.clock.now();
  std::optional<TimePoint> connect_due;
  if (ex.o.connect_timeout) connect_due = begin + *ex.o.connect_timeout;
  Status last = ConnectionResetError("cannot connect to " + t.key + " (refused or unreachable)");
  for (const sockaddr_storage& a : *addrs) {
    const int fd = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    opened.fetch_add(1, std::memory_order_relaxed);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), detail::addr_len(a)) == 0) return fd;
    if (errno != EINPROGRESS) {
      ::close(fd);
      continue;
    }
    ex.state.set_fd(fd);
    TimeoutPhase expired = TimeoutPhase::kNone;
    const Wait w = ex.wait(fd, POLLOUT, connect_due, TimeoutPhase::kConnect, &expired);
    ex.state.set_fd(-1);
    if (w == Wait::kCancelled) {
      ::close(fd);
      return CancelledError("call cancelled");
    }
    if (w == Wait::kTimeout) {
      ::close(fd);
      return TimeoutError(expired, std::string(expired == TimeoutPhase::kTotal ? "total" : "connect") +
                                       " timeout: connecting to " + t.key + " timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return fd;
    ::close(fd);
  }
  return last;
}

// Sends the head and the body in as few sendmsg() calls as the socket allows. Returns
// true when all was sent, false when the caller may resend on a fresh connection (a reused
// one failed on its first write, or the request is replayable), else the error.
Result<bool> send_request(int fd, const std::string& head, const std::string& body, ClientExchange& ex,
                          const detail::Target& t, CallState& state, bool may_resend, bool replayable) {
  size_t off = 0;
  const size_t total = head.size() + body.size();
  bool first_write = true;
  while (off < total) {
    iovec iov[2];
    int n_iov = 0;
    if (off < head.size()) {
      iov[n_iov++] = iovec{const_cast<char*>(head.data()) + off, head.size() - off};
      if (!body.empty()) iov[n_iov++] = iovec{const_cast<char*>(body.data()), body.size()};
    } else {
      const size_t b = off - head.size();
      iov[n_iov++] = iovec{const_cast<char*>(body.data()) + b, body.size() - b};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n_iov);
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      first_write = false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      TimeoutPhase expired = TimeoutPhase::kNone;
      const Wait w = ex.wait(fd, POLLOUT, std::nullopt, TimeoutPhase::kTotal, &expired);
      if (w == Wait::kCancelled) return CancelledError("call cancelled");
      if (w == Wait::kTimeout) return timeout_status(expired, t.key);
      continue;
    }
    if (state.cancelled.load()) return CancelledError("call cancelled");
    if (may_resend && (first_write || replayable)) return false;
    break;
  }
  if (off < total) {
    return ConnectionResetError("connection to " + t.key + " closed or reset while sending the request");
  }
  return true;
}

struct Received {
  bool resend = false;    // the server closed an idle reused connection as we sent: resend
  bool reusable = false;  // complete, keep-alive, no EOF: back to the pool
};

// Reads and parses the response, streaming the body to the handler, with the first-byte
// and idle timeouts measured on the exchange's clock.
Result<Received> receive_response(int fd, ClientExchange& ex, const CallOptions& o, ResponseHandler& handler,
                                  bool head_request, const detail::Target& t, CallState& state, bool may_resend) {
  const TimePoint sent_at = ex.clock.now();
  detail::Parse ps;
  ps.handler = &handler;
  ps.head_request = head_request;
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &ps;
  bool got_byte = false, eof = false;
  TimePoint last_activity = sent_at;
  char buf[kReadChunk];
  for (;;) {
    std::optional<TimePoint> due;
    TimeoutPhase phase = got_byte ? TimeoutPhase::kIdle : TimeoutPhase::kFirstByte;
    if (!got_byte && o.first_byte_timeout) due = sent_at + *o.first_byte_timeout;
    if (got_byte && o.idle_timeout) due = last_activity + *o.idle_timeout;
    TimeoutPhase expired = TimeoutPhase::kNone;
    const Wait w = ex.wait(fd, POLLIN, due, phase, &expired);
    if (w == Wait::kCancelled) return CancelledError("call cancelled");
    if (w == Wait::kTimeout) return timeout_status(expired, t.key);
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (state.cancelled.load()) return CancelledError("call cancelled");
    if (n <= 0) {
      if (n == 0) {
        eof = true;
        http_parser_execute(&parser, &detail::response_settings(), nullptr, 0);  // ends a close-delimited body
        if (ps.complete) break;
      }
      if (!got_byte && may_resend) return Received{true, false};
      if (ps.handler_abort) return CancelledError("response handler aborted the call");
      return ConnectionResetError("connection to " + t.key + " " + (n == 0 ? "closed" : "reset") +
                                  (ps.head_seen ? " mid-body" : " before the response"));
    }
    got_byte = true;
    last_activity = ex.clock.now();
    const size_t used = http_parser_execute(&parser, &detail::response_settings(), buf, static_cast<size_t>(n));
    if (ps.handler_abort) return CancelledError("response handler aborted the call");
    if (ps.complete) {
      if (used < static_cast<size_t>(n)) ps.keep_alive = false;  // stray bytes: not reusable
      break;
    }
    if (const http_errno err = HTTP_PARSER_ERRNO(&parser); err != HPE_OK) {
      return MalformedResponseError("malformed HTTP response from " + t.key + ": " +
                                    http_errno_description(err));
    }
  }
  return Received{false, ps.complete && ps.keep_alive && !eof};
}

}  // namespace

Status HttpClient::Impl::run(const HttpRequest& request, const CallOptions& o, ResponseHandler& handler,
                             CallState& state) {
  Result<detail::Target> parsed = detail::parse_http_url(request.base_url);
  if (!parsed.ok()) return parsed.status();
  const detail::Target& t = *parsed;
  ClientExchange ex{clock, o, state, clock.now()};
  // The request head (one buffer) and the body (sent from the caller's string).
  bool replayable = false;
  const std::string head = detail::request_head(request, t, options.user_agent, &replayable);
  for (int attempt = 0;; ++attempt) {
    if (state.cancelled.load()) return CancelledError("call cancelled");
    int fd = attempt == 0 ? acquire(t.key) : -1;
    const bool reused = fd >= 0;
    if (!reused) {
      auto c = connect_to(t, ex, opened);
      if (!c.ok()) return c.status();
      fd = *c;
    }
    struct FdGuard {
      int fd;
      ~FdGuard() {
        if (fd >= 0) ::close(fd);
      }
    } guard{fd};
    state.set_fd(fd);
    struct Unset {
      CallState& s;
      ~Unset() { s.set_fd(-1); }
    } unset{state};
    const bool first_reuse = reused && attempt == 0;
    Result<bool> sent = send_request(fd, head, request.body, ex, t, state, first_reuse, replayable);
    if (!sent.ok()) return sent.status();
    if (!*sent) continue;
    Result<Received> got =
        receive_response(fd, ex, o, handler, request.method == "HEAD", t, state, first_reuse && replayable);
    if (!got.ok()) return got.status();
    if (got->resend) continue;
    if (got->reusable) {
      state.set_fd(-1);
      guard.fd = -1;
      release(t.key, fd);
    }
    return Status::Ok();
  }
}

HttpClient::HttpClient(Clock& clock) : HttpClient(clock, Options{}) {}
HttpClient::HttpClient(Clock& clock, Options options)
    : impl_(std::make_shared<Impl>(clock, std::move(options))) {}
HttpClient::~HttpClient() = default;

CallPtr HttpClient::start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) {
  auto state = std::make_shared<CallState>();
  auto call = std::make_unique<ClientCall>(state);
  Status st;
  try {
    st = impl_->run(request, options, handler, *state);
  } catch (const std::exception& e) {
    st = InternalError(std::string("http client: ") + e.what());
  }
  handler.on_complete(std::move(st));
  state->completed.store(true);
  return call;
}

CallPtr HttpClient::start_async(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) {
  auto state = std::make_shared<CallState>();
  auto call = std::make_unique<ClientCall>(state);
  call->set_thread(std::thread([impl = impl_, request, options, &handler, state] {
    Status st;
    try {
      st = impl->run(request, options, handler, *state);
    } catch (const std::exception& e) {
      st = InternalError(std::string("http client: ") + e.what());
    }
    handler.on_complete(std::move(st));
    state->completed.store(true);
  }));
  return call;
}

size_t HttpClient::idle_connections() const {
  MutexLock l(impl_->mu);
  size_t n = 0;
  for (const auto& kv : impl_->idle) n += kv.second.size();
  return n;
}

size_t HttpClient::connections_opened() const { return impl_->opened.load(); }

}  // namespace ploke::net
