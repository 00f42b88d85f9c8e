// Host names resolved off the event loops, for LoopHttpClient (see ploke/net/loop_client.h).
//
//   * Resolver: worker threads per client, made as host names that are not IP literals
//     need them (one more whenever none is idle, at most kMaxResolverThreads, so a hanging
//     lookup holds the others up only when that many hang); each runs getaddrinfo (or
//     Options::resolver) and posts the answer to the loop that asked. Workers are detached
//     and end after their current lookup once the Resolver is gone (a lookup can take the
//     system resolver's own timeout).
//   * DnsCache: one loop's answers (loop thread only). An IP literal is answered inline; a
//     name is answered from the cache when it has an answer (a stale one, older than
//     `ttl`, starts a refresh and is used meanwhile), else once the worker answers. A
//     failed refresh keeps the stale answer; a failed first lookup fails its waiters and
//     is not cached.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client_common.h"
#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke::net::detail {

/// Resolves a host name to IP literals (Options::resolver); empty: getaddrinfo.
using ResolveFn = std::function<Result<std::vector<std::string>>(const std::string& host)>;
using Post = std::function<bool(std::function<void()>)>;
using Addresses = std::vector<sockaddr_storage>;
inline constexpr int kMaxResolverThreads = 4;

class Resolver {
 public:
  explicit Resolver(ResolveFn fn);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// Looks `t` up on the worker; `done` runs through `post` (dropped if the loop is gone).
  void submit(const Target& t, Post post, std::function<void(Result<Addresses>)> done);
  /// Lookups run so far (tests).
  size_t lookups() const;

 private:
  struct State;
  std::shared_ptr<State> st_;
};

/// `t`'s addresses when its host is an IP literal (no lookup), else nullopt.
std::optional<Addresses> literal_addresses(const Target& t);

class DnsCache : public std::enable_shared_from_this<DnsCache> {
 public:
  using Ready = std::function<void(Result<const Addresses*>)>;
  DnsCache(Resolver& resolver, Clock& clock, Duration ttl, Post post)
      : resolver_(resolver), clock_(clock), ttl_(ttl), post_(std::move(post)) {}

  /// `ready` gets the addresses now (a literal, or a cached answer) or once the worker
  /// answers, on this loop. The pointer is valid only inside `ready`.
  void lookup(const Target& t, Ready ready);
  /// Drops every waiter (the loop is closing).
  void abandon();

 private:
  struct Entry {
    Addresses addrs;
    TimePoint at{};     // when the answer in `addrs` was asked for (its TTL runs from then)
    TimePoint asked{};  // when the pending lookup was asked for
    bool have = false, literal = false, pending = false;
    std::vector<Ready> waiters;
  };
  void refresh(const Target& t, Entry& e);
  void answered(const std::string& key, Result<Addresses> r);

  Resolver& resolver_;
  Clock& clock_;
  const Duration ttl_;
  Post post_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace ploke::net::detail
