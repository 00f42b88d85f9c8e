// HttpServer, loop side: Responder operations, exchange timers and endings, the libevent
// callbacks, stop and the listeners. See server_internal.h and http_server.cpp.
#include <linux/sockios.h>
#include "ploke/core/thread_annotations.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server_internal.h"

namespace ploke::net {
namespace srv {

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
    MutexLock l(w->shared->mu);
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
    MutexLock l(shared->mu);
    shared->alive = false;
    shared->wake_fd = -1;
  }
  std::vector<std::function<void()>> dropped;
  {
    MutexLock l(shared->mu);
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

}  // namespace srv
}  // namespace ploke::net
