// Conn: one hiredis async connection on the loop (see redis_conn.h).
#include "redis_conn.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>

#include <algorithm>

namespace ploke::redis::detail {

struct Conn::Pending {
  Conn* conn = nullptr;
  ReplyFn fn;
  event* timer = nullptr;
  bool done = false;
  ~Pending() {
    if (timer) event_free(timer);
  }
};

namespace {
timeval to_timeval(Duration d) {
  const auto us = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}
std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}
}  // namespace

Conn::Conn(event_base* base, const RedisOptions& opts, std::string name, Counters& stats,
           std::atomic<bool>& ready_flag)
    : base_(base), opts_(opts), name_(std::move(name)), stats_(stats), ready_flag_(ready_flag) {
  reconnect_ev_ = evtimer_new(base_, timer_cb, this);
  connect_ev_ = evtimer_new(base_, timer_cb, this);
}

Conn::~Conn() {
  close();
  event_free(reconnect_ev_);
  event_free(connect_ev_);
}

void Conn::arm(event* ev, Duration d) {
  const timeval tv = to_timeval(d);
  evtimer_add(ev, &tv);
}

void Conn::start() { connect(); }

void Conn::connect() {
  const RedisAddress& a = opts_.address;
  ac_ = a.unix_path.empty() ? redisAsyncConnect(a.host.c_str(), a.port) : redisAsyncConnectUnix(a.unix_path.c_str());
  if (ac_ == nullptr || ac_->err) {
    if (ac_) redisAsyncFree(ac_);
    ac_ = nullptr;
    schedule_reconnect();
    return;
  }
  ac_->data = this;
  redisLibeventAttach(ac_, base_);
  redisAsyncSetConnectCallback(ac_, connect_cb);
  redisAsyncSetDisconnectCallback(ac_, disconnect_cb);
  arm(connect_ev_, opts_.connect_timeout);
}

void Conn::connect_cb(const redisAsyncContext* ac, int status) {
  auto* c = static_cast<Conn*>(ac->data);
  evtimer_del(c->connect_ev_);
  if (status != REDIS_OK) {  // hiredis frees the context after this callback
    c->ac_ = nullptr;
    if (!c->closed_) c->schedule_reconnect();
    return;
  }
  c->set_ready(true);
  c->backoff_ = Duration{0};
  ++c->stats_.connects;
  const RedisAddress& a = c->opts_.address;
  if (!a.password.empty()) {
    const std::string& pw = a.password.reveal();
    if (a.user.empty()) {
      const char* argv[] = {"AUTH", pw.c_str()};
      const size_t len[] = {4, pw.size()};
      redisAsyncCommandArgv(c->ac_, nullptr, nullptr, 2, argv, len);
    } else {
      const char* argv[] = {"AUTH", a.user.c_str(), pw.c_str()};
      const size_t len[] = {4, a.user.size(), pw.size()};
      redisAsyncCommandArgv(c->ac_, nullptr, nullptr, 3, argv, len);
    }
  }
  if (a.db != 0) {
    const std::string db = std::to_string(a.db);
    const char* argv[] = {"SELECT", db.c_str()};
    const size_t len[] = {6, db.size()};
    redisAsyncCommandArgv(c->ac_, nullptr, nullptr, 2, argv, len);
  }
  if (c->on_ready) c->on_ready(*c);
}

void Conn::disconnect_cb(const redisAsyncContext* ac, int) {
  auto* c = static_cast<Conn*>(ac->data);
  c->ac_ = nullptr;
  c->set_ready(false);
  ++c->stats_.disconnects;
  if (!c->closed_) c->schedule_reconnect();
}

void Conn::schedule_reconnect() {
  set_ready(false);
  if (closed_ || evtimer_pending(reconnect_ev_, nullptr)) return;
  backoff_ = backoff_ == Duration{0} ? opts_.reconnect_min : std::min(opts_.reconnect_max, backoff_ * 2);
  arm(reconnect_ev_, backoff_);
}

void Conn::timer_cb(int, short, void* arg) {
  // Both connection timers land here: a connect that took too long, or the backoff ended.
  auto* c = static_cast<Conn*>(arg);
  if (c->closed_) return;
  if (c->ac_ != nullptr && !c->ready_) {  // connect timeout: give up on this attempt
    redisAsyncContext* ac = c->ac_;
    c->ac_ = nullptr;
    evtimer_del(c->connect_ev_);
    redisAsyncFree(ac);
    c->schedule_reconnect();
    return;
  }
  if (c->ac_ == nullptr) c->connect();
}

void Conn::command(const std::vector<std::string>& argv, ReplyFn fn) {
  if (!ready_ || ac_ == nullptr) {
    ++stats_.errors;
    fn(nullptr, ConnectionResetError("redis " + name_ + ": not connected"));
    return;
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto owned = std::make_unique<Pending>();
  Pending* p = owned.get();
  p->conn = this;
  p->fn = std::move(fn);
  if (redisAsyncCommandArgv(ac_, reply_cb, p, static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
    ++stats_.errors;
    p->fn(nullptr, ConnectionResetError("redis " + name_ + ": command not sent"));
    return;
  }
  ++stats_.commands;
  p->timer = evtimer_new(
      base_,
      [](int, short, void* arg) {
        auto* q = static_cast<Pending*>(arg);
        if (q->done) return;
        q->done = true;  // the late reply is dropped; the entry goes when hiredis calls back
        ++q->conn->stats_.timeouts;
        ReplyFn f = std::move(q->fn);
        f(nullptr, TimeoutError(TimeoutPhase::kTotal, "redis " + q->conn->name_ + ": no reply within " +
                                                          ms_text(q->conn->opts_.command_timeout)));
      },
      p);
  arm(p->timer, opts_.command_timeout);
  pending_.emplace(p, std::move(owned));
}

void Conn::reply_cb(redisAsyncContext*, void* reply, void* priv) {
  auto* p = static_cast<Pending*>(priv);
  Conn* c = p->conn;
  if (!p->done) {
    p->done = true;
    evtimer_del(p->timer);
    ReplyFn f = std::move(p->fn);
    if (reply == nullptr) {
      ++c->stats_.errors;
      f(nullptr, ConnectionResetError("redis " + c->name_ + ": connection lost"));
    } else {
      f(static_cast<redisReply*>(reply), Status());
    }
  }
  c->pending_.erase(p);
}

void Conn::subscribe(const std::string& channel) {
  if (!ready_ || ac_ == nullptr) return;
  const char* argv[] = {"SUBSCRIBE", channel.c_str()};
  const size_t len[] = {9, channel.size()};
  redisAsyncCommandArgv(ac_, message_cb, this, 2, argv, len);
}

void Conn::message_cb(redisAsyncContext*, void* reply, void* priv) {
  auto* c = static_cast<Conn*>(priv);
  if (reply == nullptr || c->closed_ || !c->on_message) return;
  c->on_message(static_cast<redisReply*>(reply));
}

void Conn::close() {
  if (closed_) return;
  closed_ = true;
  set_ready(false);
  evtimer_del(reconnect_ev_);
  evtimer_del(connect_ev_);
  if (ac_ != nullptr) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);  // every command in flight ends with kConnectionReset
  }
}

}  // namespace ploke::redis::detail
