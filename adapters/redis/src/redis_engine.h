// Private to ploke::redis: RedisStore's loop side — the command and subscriber
// connections, the script's SHA, the breaker subscribers. Loop thread only, except the
// counters and ready flags (atomics) and the subscriber list (under `mu`).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "ploke/core/thread_annotations.h"
#include "redis_conn.h"

namespace ploke::redis {

namespace detail {
extern const char* const kScript;
}

struct RedisStore::Engine {
  explicit Engine(const RedisOptions& o) : opts(o) {}
  void start(event_base* base);
  void close();
  /// Runs the script: EVALSHA (EVAL when the SHA is not known yet or Redis answers
  /// NOSCRIPT, after a restart or SCRIPT FLUSH).
  void script(std::vector<std::string> keys, std::vector<std::string> args, detail::ReplyFn fn);
  void on_message(const redisReply* r);
  std::string key(std::string_view name) const { return opts.prefix + std::string(name); }
  std::string channel() const { return opts.prefix + "breakers"; }

  const RedisOptions opts;
  detail::Counters counters;  // any thread
  std::atomic<bool> cmd_ready{false}, sub_ready{false}, subscribed{false};
  std::unique_ptr<detail::Conn> cmd, sub;  // loop thread
  std::string sha;                         // loop thread; "" = not loaded
  Mutex mu;
  std::vector<std::function<void(const resilience::BreakerShare&)>> subscribers PLOKE_GUARDED_BY(mu);
};

}  // namespace ploke::redis
