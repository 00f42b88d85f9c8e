// File: adapters/net/src/server_internal.h (private to ploke::net)
//
// The HttpServer's loop-side types, shared by its source files: a loop (Worker), its
// connections (Conn), the exchange a Responder points at (detail::Exchange), the queue
// other threads post to (LoopShared), and the helpers they use. Design notes:
// http_server.cpp. Thread-safety: loop thread only, except LoopShared and the atomics.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <netdb.h>
#include <sys/time.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "byte_buffer.h"
#include "io_constants.h"
#include "loop_internal.h"
#include "request_parser.h"
#include "tls.h"
#include "ploke/net/event_loop.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/net/http_server.h"

namespace ploke::net {

using detail::append_decimal;
using detail::append_hex;
using detail::ByteBuffer;

namespace srv {

using detail::kReadChunk;
using detail::kSlice;
constexpr size_t kMaxPipelined = 1u << 20;  // unparsed input kept while an exchange is open
// After an error response that left request bytes unread (413, 400, 431), the server
// half-closes and reads and discards what the client still sends, so closing does not
// reset the connection before the client has read the answer. Bounded in bytes and time.
constexpr size_t kMaxLingerBytes = 64u << 20;
constexpr timeval kLingerIdle{2, 0};
constexpr std::chrono::seconds kMaxLinger{10};


std::string json_error(std::string_view message);
std::string_view reason_phrase(int status);
timeval to_timeval(Duration d);
void abort_connection(int fd);
int open_listener(const addrinfo* ai, int port, bool reuseport);
int bound_port(int fd);

struct Worker;

// The part of a loop that other threads (and late Responders) may touch.
struct LoopShared {
  Mutex mu;
  std::vector<std::function<void()>> queue PLOKE_GUARDED_BY(mu);
  bool alive PLOKE_GUARDED_BY(mu) = true;
  bool stopping PLOKE_GUARDED_BY(mu) = false;
  int wake_fd PLOKE_GUARDED_BY(mu) = -1;                          // once the loop runs
  std::atomic<std::thread::id> tid{};

  // false when the loop is gone.
  bool post(std::function<void()> fn) {
    MutexLock l(mu);
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
  ssl_st* ssl = nullptr;         // ServerOptions::tls_*: the connection's TLS session
  bool tls_handshaking = false;  // no request bytes until the handshake is done
  event rd{};
  event wr{};
  event timer{};   // the exchange's timer (Responder::set_timer)
  event retry{};   // socket-level endings waiting for output to drain
  RequestParser parser;  // the request being parsed (request_parser.h)
  Conn* prev = nullptr;
  Conn* next = nullptr;
  uint64_t id = 0;
  int guard = 0;
  bool dead = false;

  // The exchange's request, as parsed (copied from `parser` before dispatch; the
  // responses may clear keep_alive).
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
  ssl_ctx_st* tls_ctx = nullptr;  // the server's (HttpServer::Impl owns it); null: plain HTTP
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
  bool tls_step(Conn* c);  // the handshake's next step; true once done
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


enum class Sent : uint8_t { kAll, kBlocked, kPeerGone };
/// Writes as much of the output buffer as the socket takes.
Sent send_pending(Conn* c);

inline Worker* worker_of(const detail::Exchange& e) { return e.worker; }

}  // namespace srv
}  // namespace ploke::net
