// File: ploke/redis/redis_store.h
//
// RedisStore: the SharedStore (ploke/resilience/shared_store.h) on Redis, asynchronous on
// one ploke::net event loop through hiredis's libevent adapter.
//
//  - Connections: one for commands per loop it was started on, and one subscribed to the
//    breaker channel (on the first loop).
//    Loopback TCP (`redis://[:password@]host:port[/db]`) or a Unix socket
//    (`unix:/path/to.sock[?db=N]`, `unix:///path`).
//  - Every command has a timeout, a timer on the loop (hiredis 0.14 has none): it then
//    ends with kTimeout and its late reply is dropped. While a connection is down,
//    commands end at once with kConnectionReset (nothing waits for a reconnect); the
//    connection is retried with backoff (min → ×2 → max) and a connect timeout.
//  - Admission, reconcile, heartbeat and breaker publish are one Lua script (EVALSHA; the
//    script is loaded at connect and sent whole with EVAL when Redis answers NOSCRIPT),
//    timed by Redis's own clock (TIME), so instances with skewed clocks agree.
//  - Keys and the script carry a version: `ploke:v1:` (RedisOptions::prefix); a rolling
//    upgrade to another layout uses another prefix.
//  - Callbacks run on the loop thread. Operations may be called from any thread (posted to
//    the loop); after the loop stopped they end at once with kConnectionReset.
//  - The password is never logged: address_text() is the redacted URL.
//
// Lifetime: the loop-side state is a loop local of `loop` (destroyed on the loop thread
// when the server stops); the RedisStore may be destroyed before or after that.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ploke/core/secret.h"
#include "ploke/core/status.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/resilience/shared_store.h"

namespace ploke::net {
class EventLoop;
}

namespace ploke::redis {

struct RedisAddress {
  std::string host;       ///< TCP host ("" for a Unix socket)
  int port = 6379;
  std::string unix_path;  ///< Unix socket path ("" for TCP)
  std::string user;       ///< ACL user ("": AUTH with the password only)
  Secret password;        ///< empty: no AUTH
  int db = 0;
};

/// Parses `redis://[user:password@]host[:port][/db]` or `unix:PATH[?db=N]`
/// (`unix://PATH` too). kInvalidRequest naming what is wrong (never the password).
Result<RedisAddress> parse_redis_url(std::string_view url);
/// The URL with the password replaced by `***`.
std::string redacted_url(const RedisAddress& a);

struct RedisOptions {
  RedisAddress address;
  std::string prefix = "ploke:v1:";  ///< every key and the channel start with it
  Duration command_timeout = std::chrono::milliseconds(50);
  Duration connect_timeout = std::chrono::milliseconds(500);
  Duration reconnect_min = std::chrono::milliseconds(50);
  Duration reconnect_max = std::chrono::seconds(2);
};

struct RedisStats {
  uint64_t commands = 0, timeouts = 0, errors = 0, connects = 0, disconnects = 0, noscript = 0;
};

struct StoreShared;  // src/redis_engine.h

class RedisStore final : public resilience::SharedStore {
 public:
  /// Not started: every operation ends at once with kConnectionReset until start().
  explicit RedisStore(RedisOptions options);
  /// Starts connecting on `loop` (returns at once).
  RedisStore(net::EventLoop& loop, RedisOptions options);
  /// Starts connecting on `loop` (once; returns at once). For a store made before its loop
  /// exists (the gateway: the façade needs the store, the server's loops come later).
  /// With several loops, each gets its own command connection, and an operation called on
  /// one of them runs there without changing threads (from any other thread: on the
  /// first); the first loop also holds the subscriber connection.
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;
  void start(net::EventLoop& loop);
  void start(const std::vector<net::EventLoop*>& loops);

  void admit(resilience::AdmitRequest req, Callback<resilience::Admission> done) override;
  void lease(resilience::LeaseRequest req, Callback<resilience::Lease> done) override;
  void reconcile(resilience::Reservation r, uint64_t actual_tokens, Callback<bool> done) override;
  void add_spend(std::string scope, double usd, Callback<double> done) override;
  void get_spend(std::vector<std::string> scopes, Callback<std::vector<double>> done) override;
  void publish_breaker(resilience::BreakerShare b, Duration ttl, Callback<bool> done) override;
  void read_breakers(std::vector<std::string> endpoints,
                     Callback<std::vector<std::optional<resilience::BreakerShare>>> done) override;
  void subscribe_breakers(std::function<void(const resilience::BreakerShare&)> on_change) override;
  void claim_trial(std::string endpoint, std::string instance, Duration ttl, Callback<bool> done) override;
  void heartbeat(std::string instance, Duration ttl, Callback<uint32_t> done) override;

  /// Both connections up (and the breaker channel subscribed).
  bool connected() const;
  RedisStats stats() const;
  std::string address_text() const;  ///< redacted

  struct Engine;  // one loop's side (src/redis_engine.h)

 private:
  void run(std::function<void(Engine&)> fn, std::function<void(Status)> on_fail);

  std::shared_ptr<StoreShared> shared_;
  // Set once by start() before started_ (release); read-only after.
  std::atomic<bool> started_{false};
  std::vector<net::EventLoop*> loops_;
  std::vector<std::weak_ptr<Engine>> engines_;  // owned by their loops (loop locals)
  std::vector<std::function<bool(std::function<void()>)>> posts_;
  Mutex start_mu_;  // one start()
};

}  // namespace ploke::redis
