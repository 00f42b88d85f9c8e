// File: simulator/src/anthropic_cache.h (internal)
//
// The simulated Anthropic prompt cache: one per SimEngine, for the process life. Entries are
// keyed by the prompt prefix up to a cache breakpoint (the package's CacheBreakpoint::key:
// model + tools + system + messages up to the marked block) and expire after their TTL (5
// minutes or 1 hour) on the engine's Clock; a read refreshes the entry's TTL. Prefixes
// shorter than the model's minimum cacheable length are never cached.
//
// Thread-safety: thread-safe (one Mutex over the entries).
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ploke/adapters/anthropic/served_request.h"
#include "ploke/core/clock.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::simulator::detail::anthropic {

/// A request's prompt split by the cache (tokens): read from it, written to it (the 1h part
/// of the write separately), and the rest after the last breakpoint.
struct CacheUsage {
  uint64_t read = 0;
  uint64_t write = 0;
  uint64_t write_1h = 0;
  uint64_t uncached = 0;
};

/// The minimum cacheable prompt length of a model, in tokens (Anthropic's prompt-caching
/// table: 4096 for Opus 4.5 / 4.6 and Haiku 4.5, 2048 for Sonnet 4.6 and the Haiku 3.x
/// models, 1024 for the others).
uint64_t min_cacheable_tokens(std::string_view model);

class PromptCache {
 public:
  /// One prompt-cache breakpoint in tokens.
  struct Breakpoint {
    uint64_t key = 0;
    uint64_t tokens = 0;  ///< the prefix up to and including the marked block
    bool ttl_1h = false;
  };

  /// Looks the breakpoints (prompt order) up at `now`: the longest cached prefix is read
  /// (its TTL restarts), every later breakpoint of at least `min_tokens` is written; the
  /// prompt's `total_tokens` are split into read / write / uncached.
  CacheUsage apply(const std::vector<Breakpoint>& breakpoints, uint64_t total_tokens, uint64_t min_tokens,
                   TimePoint now);
  /// Live entries at `now` (tests).
  size_t size(TimePoint now) const;

 private:
  struct Entry {
    TimePoint expires;
    Duration ttl;
  };
  mutable Mutex mu_;
  std::unordered_map<uint64_t, Entry> entries_ PLOKE_GUARDED_BY(mu_);
};

}  // namespace ploke::simulator::detail::anthropic
