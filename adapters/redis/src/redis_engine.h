// Private to ploke::redis: RedisStore's side on one loop — its command connection (and, on
// the first loop, the subscriber connection), the script's SHA. Loop thread only, except
// the counters and ready flags (atomics) and the subscriber list (shared, under its lock).
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

/// What a store's engines share (held by the store and by each engine: an engine may
/// outlive its store until its loop closes it): options, counters, breaker listeners.
struct StoreShared {
  explicit StoreShared(RedisOptions o) : opts(std::move(o)) {}
  const RedisOptions opts;
  detail::Counters counters;  // any thread
  Mutex mu;
  std::vector<std::function<void(const resilience::BreakerShare&)>> subscribers PLOKE_GUARDED_BY(mu);
};

struct RedisStore::Engine {
  explicit Engine(std::shared_ptr<StoreShared> s) : shared(std::move(s)), opts(shared->opts), counters(shared->counters) {}
  /// `subscribe`: this engine also holds the subscriber connection.
  void start(event_base* base, bool subscribe);
  void close();
  /// Runs the script: EVALSHA (EVAL when the SHA is not known yet or Redis answers
  /// NOSCRIPT, after a restart or SCRIPT FLUSH).
  void script(std::vector<std::string> keys, std::vector<std::string> args, detail::ReplyFn fn);
  void on_message(const redisReply* r);
  /// Reconciles are sent in batches: one script call for up to kReconcileBatch of them, at
  /// the latest kReconcileDelay after the first (a loop timer). Off the request path.
  void queue_reconcile(resilience::Reservation r, uint64_t actual, std::function<void(Status)> done);
  void flush_reconciles();
  static constexpr size_t kReconcileBatch = 64;
  static constexpr std::chrono::milliseconds kReconcileDelay{2};
  std::string key(std::string_view name) const { return opts.prefix + std::string(name); }
  std::string channel() const { return opts.prefix + "breakers"; }

  std::shared_ptr<StoreShared> shared;
  const RedisOptions& opts;     // shared->opts
  detail::Counters& counters;  // shared->counters
  std::atomic<bool> cmd_ready{false}, sub_ready{false}, subscribed{false};
  std::unique_ptr<detail::Conn> cmd, sub;  // loop thread
  std::string sha;                         // loop thread; "" = not loaded
  struct PendingReconcile {
    resilience::Reservation r;
    uint64_t actual = 0;
    std::function<void(Status)> done;
  };
  std::vector<PendingReconcile> reconciles;  // loop thread
  event* flush_ev = nullptr;                 // loop thread
  ~Engine();
};

}  // namespace ploke::redis
