// Private to ploke::redis: one hiredis async connection on a libevent base, with command
// timeouts (loop timers), a connect timeout and reconnect with backoff. Loop thread only.
//
// A command ends exactly once: its reply (which may be a Redis error reply), kTimeout
// when its timer fires first (the late reply is then dropped), or kConnectionReset when
// the connection is down or goes down. While not connected, command() ends at once.
#pragma once

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/redis/redis_store.h"

struct event;
struct event_base;

namespace ploke::redis::detail {

/// What the connections count (any thread may read).
struct Counters {
  std::atomic<uint64_t> commands{0}, timeouts{0}, errors{0}, connects{0}, disconnects{0}, noscript{0};
};

/// One command's outcome: `reply` is valid during the call only, nullptr when `status` fails.
using ReplyFn = std::function<void(const redisReply* reply, Status status)>;

class Conn {
 public:
  Conn(event_base* base, const RedisOptions& opts, std::string name, Counters& stats, std::atomic<bool>& ready_flag);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void start();
  /// Fails every command in flight, closes, and stops reconnecting.
  void close();
  bool ready() const { return ready_; }
  void command(const std::vector<std::string>& argv, ReplyFn fn);
  /// Runs after every (re)connect, once AUTH / SELECT are queued.
  std::function<void(Conn&)> on_ready;
  /// A subscribed connection's messages (the array reply), until close().
  std::function<void(const redisReply*)> on_message;
  /// SUBSCRIBE `channel`; its messages go to on_message.
  void subscribe(const std::string& channel);

 private:
  struct Pending;
  static void reply_cb(redisAsyncContext* ac, void* reply, void* priv);
  static void message_cb(redisAsyncContext* ac, void* reply, void* priv);
  static void connect_cb(const redisAsyncContext* ac, int status);
  static void disconnect_cb(const redisAsyncContext* ac, int status);
  static void timer_cb(int, short, void* arg);
  void connect();
  void lost(const char* why);
  void schedule_reconnect();
  void arm(event* ev, Duration d);
  void set_ready(bool r) {
    ready_ = r;
    ready_flag_.store(r);
  }

  event_base* base_;
  const RedisOptions& opts_;
  std::string name_;
  Counters& stats_;
  std::atomic<bool>& ready_flag_;
  redisAsyncContext* ac_ = nullptr;
  bool ready_ = false;
  bool closed_ = false;
  Duration backoff_{0};
  event* reconnect_ev_ = nullptr;
  event* connect_ev_ = nullptr;
  std::map<Pending*, std::unique_ptr<Pending>> pending_;
};

}  // namespace ploke::redis::detail
