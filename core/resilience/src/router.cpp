#include "ploke/resilience/router.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace ploke::resilience {

std::string_view filter_name(Filter f) {
  switch (f) {
    case Filter::kNone: return "";
    case Filter::kPinned: return "pinned";
    case Filter::kCapability: return "capability";
    case Filter::kContext: return "context";
    case Filter::kBreakerOpen: return "breaker";
    case Filter::kRateLimited: return "rate_limit";
    case Filter::kOverBudget: return "budget";
    case Filter::kExcluded: return "excluded";
    case Filter::kBudgetStop: return "budget_stop";
    case Filter::kModel: return "model";
    case Filter::kProvider: return "provider";
  }
  return "unknown";
}

bool pin_matches(const EndpointCandidate& c, std::string_view pin) {
  if (pin == c.id || pin == c.provider) return true;
  return pin.size() == c.provider.size() + 1 + c.model.size() && pin.substr(0, c.provider.size()) == c.provider &&
         pin[c.provider.size()] == '/' && pin.substr(c.provider.size() + 1) == c.model;
}

namespace {

class CostPolicy final : public RoutingPolicy {
 public:
  std::string_view name() const override { return "cost"; }
  double score(const EndpointCandidate&, const CandidateSignals& s, const RouteRequest&, uint32_t, double cost,
               Random&) const override {
    // A budget nearly spent makes its endpoints look dearer (remaining 1e300 = no budget:
    // the factor is 1). Ties: the more reliable.
    const double remaining = std::max(s.remaining_budget_usd, 1e-9);
    return -cost * (1.0 + cost / remaining) + s.smoothed_success * 1e-12;
  }
};

class LatencyPolicy final : public RoutingPolicy {
 public:
  std::string_view name() const override { return "latency"; }
  double score(const EndpointCandidate&, const CandidateSignals& s, const RouteRequest&, uint32_t, double,
               Random&) const override {
    const double p95 = s.p95_ms > 0 ? s.p95_ms : 1000.0;
    return -p95 / std::max(s.smoothed_success, 0.01);
  }
};

// Output tokens per second (median of recent successes), discounted by flakiness; an
// endpoint not measured yet counts as 50 tokens/s, so it gets tried.
class ThroughputPolicy final : public RoutingPolicy {
 public:
  std::string_view name() const override { return "throughput"; }
  double score(const EndpointCandidate&, const CandidateSignals& s, const RouteRequest&, uint32_t, double,
               Random&) const override {
    const double tps = s.tokens_per_s > 0 ? s.tokens_per_s : 50.0;
    return tps * std::max(s.smoothed_success, 0.01);
  }
};

class ReliabilityPolicy final : public RoutingPolicy {
 public:
  std::string_view name() const override { return "reliability"; }
  double score(const EndpointCandidate&, const CandidateSignals& s, const RouteRequest&, uint32_t, double,
               Random&) const override {
    const double p95 = s.p95_ms > 0 ? s.p95_ms : 1000.0;
    return s.smoothed_success - p95 * 1e-9;
  }
};

class WeightedPolicy final : public RoutingPolicy {
 public:
  std::string_view name() const override { return "weighted"; }
  double score(const EndpointCandidate& c, const CandidateSignals&, const RouteRequest&, uint32_t, double,
               Random& random) const override {
    // Efraimidis–Spirakis key u^(1/w), compared through its logarithm log(u)/w (same
    // order, one log instead of a pow). Weight ≤ 0 sorts last.
    if (c.weight <= 0) return -HUGE_VAL;
    const double u = random.uniform01();
    return u > 0 ? std::log(u) / c.weight : -HUGE_VAL / 2;
  }
};

class PinnedPolicy final : public RoutingPolicy {
 public:
  std::string_view name() const override { return "pinned"; }
  double score(const EndpointCandidate&, const CandidateSignals&, const RouteRequest&, uint32_t index, double,
               Random&) const override {
    return 0.0 - static_cast<double>(index);  // (not -index: no "-0" in traces)
  }
};

Filter capability_filter(const Capabilities& need, const EndpointCandidate& c) {
  if ((need.tools && !c.caps.tools) || (need.json_mode && !c.caps.json_mode) ||
      (need.json_schema && !c.caps.json_schema) || (need.vision && !c.caps.vision) ||
      (need.streaming && !c.caps.streaming) || (need.logprobs && !c.caps.logprobs) ||
      (need.embeddings && !c.caps.embeddings)) {
    return Filter::kCapability;
  }
  if (need.min_context_tokens > c.context_tokens) return Filter::kContext;
  return Filter::kNone;
}

}  // namespace

Router::Router(RouterConfig config, uint64_t seed) : cfg_(std::move(config)), random_(seed) {
  (void)register_policy(std::make_unique<CostPolicy>());
  (void)register_policy(std::make_unique<LatencyPolicy>());
  (void)register_policy(std::make_unique<ThroughputPolicy>());
  (void)register_policy(std::make_unique<ReliabilityPolicy>());
  (void)register_policy(std::make_unique<WeightedPolicy>());
  (void)register_policy(std::make_unique<PinnedPolicy>());
  if (!set_default_policy(cfg_.default_policy).ok()) default_ = policies_.at("reliability").get();
}

Status Router::register_policy(std::unique_ptr<RoutingPolicy> policy) {
  if (!policy || policy->name().empty()) return InvalidRequestError("routing policy without a name");
  std::string name(policy->name());
  const bool replacing_default = default_ && default_->name() == name;
  policies_[name] = std::move(policy);
  if (replacing_default) default_ = policies_[name].get();
  return Status();
}

std::vector<std::string> Router::policy_names() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : policies_) out.push_back(name);
  return out;
}

Status Router::unknown_policy_error(std::string_view name) const {
  std::string known;
  for (const auto& n : policy_names()) known += (known.empty() ? "" : ", ") + n;
  return InvalidRequestError("unknown routing policy '" + std::string(name) + "' (known: " + known + ")");
}

Status Router::set_default_policy(std::string_view name) {
  auto it = policies_.find(name);
  if (it == policies_.end()) return unknown_policy_error(name);
  default_ = it->second.get();
  return Status();
}

namespace {

constexpr uint32_t kNoRank = UINT32_MAX;

// Position of the first matcher naming `c` in `list`, or list.size().
size_t match_index(const EndpointCandidate& c, const std::vector<std::string>& list) {
  size_t i = 0;
  while (i < list.size() && !pin_matches(c, list[i])) ++i;
  return i;
}

// The candidate's preference rank (tier first, then provider order), or kNoRank when the
// preferences exclude it; `why` says which filter.
uint32_t preference_rank(const EndpointCandidate& c, const RoutePreferences& p, Filter& why) {
  size_t tier = 0;
  if (!p.tiers.empty()) {
    while (tier < p.tiers.size() && match_index(c, p.tiers[tier]) == p.tiers[tier].size()) ++tier;
    if (tier == p.tiers.size()) return why = Filter::kModel, kNoRank;
  }
  const size_t order = match_index(c, p.provider_order);
  const bool in_order = order < p.provider_order.size();
  if ((!p.provider_only.empty() && match_index(c, p.provider_only) == p.provider_only.size()) ||
      match_index(c, p.provider_ignore) < p.provider_ignore.size() || (!p.allow_fallbacks && !in_order)) {
    return why = Filter::kProvider, kNoRank;
  }
  return static_cast<uint32_t>(tier * (p.provider_order.size() + 1) + order);
}

// Which filter removes a candidate (kNone: it survives). `pin_seen` notes a pin match;
// `rank` gets the preference rank of a survivor.
Filter filter_candidate(const EndpointCandidate& c, const CandidateSignals& s, const RouteRequest& request,
                        double est_cost_usd, bool& pin_seen, uint32_t& rank) {
  const bool pinned = !request.pin.empty();
  if (pinned && !pin_matches(c, request.pin)) return Filter::kPinned;
  pin_seen = pin_seen || pinned;
  Filter why = Filter::kNone;
  rank = request.prefs.empty() ? 0 : preference_rank(c, request.prefs, why);
  if (why != Filter::kNone) return why;
  const Filter f = capability_filter(request.required, c);
  if (f != Filter::kNone) return f;
  if (!s.breaker_allows) return Filter::kBreakerOpen;
  if (s.rate_limited) return Filter::kRateLimited;
  if (request.max_cost_usd && est_cost_usd > *request.max_cost_usd) return Filter::kOverBudget;
  if (s.budget_stop) return Filter::kBudgetStop;
  if (s.excluded) return Filter::kExcluded;
  return Filter::kNone;
}

// Why nothing survived, as the Status whose code carries the retry meaning.
Status no_candidate_error(const std::array<uint32_t, kFilterCount>& removed, const RouteRequest& request, bool pin_seen,
                          bool no_candidates) {
  const bool pinned = !request.pin.empty();
  std::string why;
  for (size_t f = 1; f < removed.size(); ++f) {
    if (removed[f] == 0 || (static_cast<Filter>(f) == Filter::kPinned)) continue;
    why += (why.empty() ? "" : ", ") + std::to_string(removed[f]) + " " + std::string(filter_name(static_cast<Filter>(f)));
  }
  const std::string base = pinned ? "pinned endpoint '" + request.pin + "' unavailable (not rerouted)"
                                  : std::string("no candidate endpoint left");
  auto n = [&](Filter f) { return removed[static_cast<size_t>(f)]; };
  if (pinned && !pin_seen) return NotFoundError("no candidate matches pin '" + request.pin + "'");
  if (no_candidates) return NotFoundError("no candidate endpoints configured");
  if (n(Filter::kRateLimited)) return RateLimitedError(base + ": " + why);
  if (n(Filter::kBreakerOpen) || n(Filter::kExcluded)) return OverloadedError(base + ": " + why);
  if (n(Filter::kBudgetStop)) return InsufficientCreditsError(base + ": " + why + " (spending budget exhausted)");
  if (n(Filter::kOverBudget)) return InvalidRequestError(base + ": " + why + " (max cost)");
  if (n(Filter::kContext)) return ContextLengthExceededError(base + ": " + why);
  if (n(Filter::kModel) || n(Filter::kProvider)) return NotFoundError(base + ": " + why + " (routing preferences)");
  return InvalidRequestError(base + ": " + why);
}

}  // namespace

void Router::route(const std::vector<EndpointCandidate>& candidates, const std::vector<CandidateSignals>& signals,
                   const RouteRequest& request, RouteDecision& out) {
  out.clear();
  const RoutingPolicy* policy = default_;
  if (!request.policy.empty()) {
    auto it = policies_.find(request.policy);
    if (it == policies_.end()) {
      out.policy = request.policy;
      out.error = unknown_policy_error(request.policy);
      return;
    }
    policy = it->second.get();
  }
  out.policy = policy->name();
  scratch_.clear();
  std::array<uint32_t, kFilterCount> removed{};
  bool pin_seen = false;
  for (uint32_t i = 0; i < candidates.size(); ++i) {
    const EndpointCandidate& c = candidates[i];
    CandidateVerdict v;
    v.index = i;
    v.est_cost_usd = estimate_cost_usd(c, request.est_prompt_tokens, request.est_output_tokens);
    uint32_t rank = 0;
    v.removed_by = filter_candidate(c, signals[i], request, v.est_cost_usd, pin_seen, rank);
    if (v.removed_by == Filter::kNone) {
      v.score = policy->score(c, signals[i], request, i, v.est_cost_usd, random_);
      scratch_.push_back(Ranked{rank, v.score, i});
    } else {
      ++removed[static_cast<size_t>(v.removed_by)];
    }
    out.verdicts.push_back(v);
  }
  if (scratch_.empty()) {
    out.error = no_candidate_error(removed, request, pin_seen, candidates.empty());
    return;
  }
  order_chain(candidates, request, out);
}

// Preference rank first, then best scores (ties: registration order), the sticky
// endpoint moved to the front (when it has the best rank), cut to max_chain (without
// preferences).
void Router::order_chain(const std::vector<EndpointCandidate>& candidates, const RouteRequest& request,
                         RouteDecision& out) {
  const size_t cap = !request.prefs.empty() ? scratch_.size() : cfg_.max_chain == 0 ? size_t{1} : cfg_.max_chain;
  const size_t k = std::min(cap, scratch_.size());
  auto better = [](const Ranked& a, const Ranked& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.score > b.score || (a.score == b.score && a.index < b.index);
  };
  std::partial_sort(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(k), scratch_.end(), better);
  if (!request.sticky_key.empty()) {
    auto it = sticky_.find(request.sticky_key);
    if (it != sticky_.end()) {
      for (size_t j = 0; j < scratch_.size(); ++j) {
        if (candidates[scratch_[j].index].id == it->second && scratch_[j].rank == scratch_[0].rank) {
          const auto hit = scratch_[j];
          scratch_.erase(scratch_.begin() + static_cast<std::ptrdiff_t>(j));
          scratch_.insert(scratch_.begin(), hit);
          out.sticky_hit = true;
          break;
        }
      }
    }
  }
  for (size_t j = 0; j < k; ++j) out.chain.push_back(scratch_[j].index);
}

void Router::remember_sticky(const std::string& sticky_key, const std::string& endpoint_id) {
  if (sticky_key.empty()) return;
  if (sticky_.size() >= cfg_.sticky_capacity && !sticky_.count(sticky_key)) {
    // Bounded memory: drop about half (unordered, so arbitrary keys) when full.
    size_t drop = sticky_.size() / 2 + 1;
    for (auto it = sticky_.begin(); it != sticky_.end() && drop > 0; --drop) it = sticky_.erase(it);
  }
  sticky_[sticky_key] = endpoint_id;
}

std::optional<std::string> Router::sticky_endpoint(const std::string& sticky_key) const {
  auto it = sticky_.find(sticky_key);
  if (it == sticky_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ploke::resilience
