// The simulated Anthropic prompt cache. See anthropic_cache.h.
#include "anthropic_cache.h"

#include <algorithm>
#include <chrono>

namespace ploke::simulator::detail::anthropic {

uint64_t min_cacheable_tokens(std::string_view model) {
  auto has = [&](std::string_view s) { return model.find(s) != std::string_view::npos; };
  if (has("opus-4-6") || has("opus-4-5") || has("haiku-4-5")) return 4096;
  if (has("sonnet-4-6") || has("haiku")) return 2048;
  return 1024;
}

CacheUsage PromptCache::apply(const std::vector<Breakpoint>& breakpoints, uint64_t total_tokens, uint64_t min_tokens,
                              TimePoint now) {
  using namespace std::chrono_literals;
  CacheUsage u;
  MutexLock lock(mu_);
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires <= now; });
  // The longest prefix already cached.
  size_t first_write = 0;
  for (size_t i = breakpoints.size(); i-- > 0;) {
    const Breakpoint& bp = breakpoints[i];
    if (bp.tokens < min_tokens) continue;
    auto it = entries_.find(bp.key);
    if (it == entries_.end()) continue;
    it->second.expires = now + it->second.ttl;
    u.read = bp.tokens;
    first_write = i + 1;
    break;
  }
  uint64_t covered = u.read;
  for (size_t i = first_write; i < breakpoints.size(); ++i) {
    const Breakpoint& bp = breakpoints[i];
    if (bp.tokens < min_tokens || bp.tokens <= covered) continue;
    const Duration ttl = bp.ttl_1h ? Duration(1h) : Duration(5min);
    entries_[bp.key] = Entry{now + ttl, ttl};
    u.write += bp.tokens - covered;
    if (bp.ttl_1h) u.write_1h += bp.tokens - covered;
    covered = bp.tokens;
  }
  u.uncached = total_tokens > covered ? total_tokens - covered : 0;
  return u;
}

size_t PromptCache::size(TimePoint now) const {
  MutexLock lock(mu_);
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [&](const auto& kv) { return kv.second.expires > now; }));
}

}  // namespace ploke::simulator::detail::anthropic
