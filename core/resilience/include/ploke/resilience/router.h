// File: ploke/resilience/router.h
//
// Router: picks the endpoints a request goes to, in order (the pick, then its fallback
// chain), and says why.
//
//   candidates ─▶ filters ─▶ policy scores ─▶ sticky ─▶ top `max_chain` by score
//
// Filters, in this order (the first that matches removes a candidate and is recorded):
//   pinned      a pin is set and this is not it (pins match endpoint id, "provider",
//               or "provider/model"; a pinned request is never silently rerouted: if the
//               pin is filtered out the decision is empty and says why)
//   model       preferences name tiers of acceptable endpoints (a model name's
//               deployments, then each fallback model's) and this is in none
//   provider    preferences: not in provider_only, in provider_ignore, or (fallbacks not
//               allowed) not in provider_order
//   capability  tools / json mode / json schema / vision / streaming not supported
//   context     min_context_tokens > the candidate's context length
//   breaker     its circuit breaker refuses calls (open)
//   rate_limit  its provider or key limiter refuses the estimated tokens right now
//   budget      estimated cost > the request's max_cost_usd
//   budget_stop a "stop" spending budget (BudgetOracle: per day/month, provider/profile)
//               would be exceeded by the estimated cost
//   excluded    the caller excluded it (e.g. already failed in this request)
//
// Policies score the survivors (higher is better) and are registered by name:
//   cost        −estimated cost × (1 + estimated cost ÷ remaining budget): the cheapest,
//               and among similar prices the endpoint whose provider/profile budget has
//               the most left (exhausted "stop" budgets are filtered out before)
//   latency     −(p95 total ms, 1000 ms when unknown) ÷ smoothed success rate
//   reliability smoothed success rate, ties broken by p95 (default policy)
//   weighted    weighted random order (Efraimidis–Spirakis: u^(1/weight), seeded Random)
//   pinned      the configured candidate order (use with a pin)
// RoutingPolicy is an interface: register_policy() adds more.
//
// Preferences (RoutePreferences: a model name resolved to its deployments, fallback
// models, OpenRouter-style provider order / only / ignore) are filters plus an order: the
// chain visits tier 0's survivors first, then tier 1's, …, and within a tier the
// provider_order providers first, in that order; the policy's score orders the rest. With
// preferences the chain holds every survivor (not cut to max_chain), so each tier and each
// preferred provider gets its turn within the one call.
//
// Sticky routing: with a sticky key (e.g. conversation id) the endpoint that last served
// the key goes first if it survived the filters (prompt caches stay warm).
//
// Performance: route() allocates nothing once the decision's vectors have grown; health
// signals are passed in precomputed (CandidateSignals), so a decision over 50 candidates
// is a linear pass plus a partial sort.
//
// Thread-safety: route() is const except for the weighted policy's Random and the sticky
// table; the façade serialises access.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ploke/core/chat.h"
#include "ploke/core/random.h"
#include "ploke/core/status.h"

namespace ploke::resilience {

/// One endpoint the router may choose (the model catalog will feed these).
struct EndpointCandidate {
  std::string id;         ///< unique, e.g. "openai/gpt-4o#primary"
  std::string provider;   ///< "openai"
  std::string model;      ///< "gpt-4o"
  std::string key_id;     ///< which API key (a name, never the secret); rate limits per key
  Capabilities caps;      ///< what it supports; caps.min_context_tokens unused (see context_tokens)
  uint32_t context_tokens = 128000;
  double input_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
  double weight = 1.0;    ///< for the weighted policy
  double request_usd = 0; ///< per-request price (catalog pricing.request)
};

/// Health facts about a candidate at decision time (from breaker, limiter, stats).
struct CandidateSignals {
  bool breaker_allows = true;
  bool rate_limited = false;
  bool excluded = false;
  double p95_ms = 0;          ///< 0 = unknown
  double tokens_per_s = 0;    ///< median output tokens/s of recent successes; 0 = unknown
  double smoothed_success = 0.9;
  double score = 0.9;         ///< EndpointStats score
  double remaining_budget_usd = 1e300;  ///< BudgetOracle: smallest remaining budget of its provider/profile
  bool budget_stop = false;   ///< a "stop" budget refuses the estimated cost
};

/// Caller preferences applied inside one route (see the file comment). Every matcher
/// follows pin_matches(): endpoint id, provider, or provider/model.
struct RoutePreferences {
  /// Tiers of acceptable candidates, best first. Empty = every candidate is acceptable.
  std::vector<std::vector<std::string>> tiers;
  std::vector<std::string> provider_order;   ///< these first, in this order
  std::vector<std::string> provider_only;    ///< only these
  std::vector<std::string> provider_ignore;  ///< never these
  bool allow_fallbacks = true;               ///< false: only provider_order's
  bool empty() const {
    return tiers.empty() && provider_order.empty() && provider_only.empty() && provider_ignore.empty();
  }
};

/// What the request needs and how it wants to be routed.
struct RouteRequest {
  Capabilities required;
  uint64_t est_prompt_tokens = 0;
  uint64_t est_output_tokens = 0;
  std::optional<double> max_cost_usd;
  std::string pin;          ///< endpoint id, provider, or provider/model; empty = none
  std::string sticky_key;   ///< empty = no stickiness
  std::string policy;       ///< empty = the router's default
  RoutePreferences prefs;   ///< empty = none
};

enum class Filter : uint8_t {
  kNone, kPinned, kCapability, kContext, kBreakerOpen, kRateLimited, kOverBudget, kExcluded, kBudgetStop,
  kModel, kProvider
};
inline constexpr size_t kFilterCount = 11;
std::string_view filter_name(Filter f);

struct CandidateVerdict {
  uint32_t index = 0;     ///< into the candidate list
  Filter removed_by = Filter::kNone;
  double score = 0;       ///< policy score (survivors only)
  double est_cost_usd = 0;
};

struct RouteDecision {
  std::string_view policy;              ///< name of the policy used
  std::vector<CandidateVerdict> verdicts;  ///< one per candidate, in candidate order
  std::vector<uint32_t> chain;          ///< candidate indices: pick first, then fallbacks
  bool sticky_hit = false;
  /// Set by LlmClient: a half-open endpoint later in the chain was moved first so its
  /// breaker gets its trial call from live traffic (see llm_client.h).
  bool half_open_trial_first = false;
  Status error;                         ///< non-OK when nothing survived (why)
  void clear() {
    policy = {};
    verdicts.clear();
    chain.clear();
    sticky_hit = false;
    half_open_trial_first = false;
    error = Status();
  }
};

class RoutingPolicy {
 public:
  virtual ~RoutingPolicy() = default;
  virtual std::string_view name() const = 0;
  /// Higher is better. `index` is the candidate's position in the list.
  virtual double score(const EndpointCandidate& c, const CandidateSignals& s, const RouteRequest& r,
                       uint32_t index, double est_cost_usd, Random& random) const = 0;
};

/// Estimated cost in USD of a request on a candidate.
inline double estimate_cost_usd(const EndpointCandidate& c, uint64_t prompt_tokens, uint64_t output_tokens) {
  return (c.input_usd_per_mtok * static_cast<double>(prompt_tokens) +
          c.output_usd_per_mtok * static_cast<double>(output_tokens)) / 1e6 + c.request_usd;
}

/// True if `pin` names this candidate (id, provider, or provider/model).
bool pin_matches(const EndpointCandidate& c, std::string_view pin);

struct RouterConfig {
  std::string default_policy = "reliability";
  size_t max_chain = 3;           ///< the pick + up to 2 fallbacks
  size_t sticky_capacity = 10000; ///< sticky keys remembered (oldest half dropped when full)
};

class Router {
 public:
  Router(RouterConfig config, uint64_t seed);

  Status register_policy(std::unique_ptr<RoutingPolicy> policy);
  /// Switches the default policy; kInvalidRequest naming the known ones if unknown.
  Status set_default_policy(std::string_view name);
  std::string_view default_policy() const { return default_->name(); }
  std::vector<std::string> policy_names() const;

  /// Fills `out` (cleared first). `signals` is parallel to `candidates`.
  void route(const std::vector<EndpointCandidate>& candidates, const std::vector<CandidateSignals>& signals,
             const RouteRequest& request, RouteDecision& out);

  /// Remembers that `endpoint_id` served `sticky_key` (after a success).
  void remember_sticky(const std::string& sticky_key, const std::string& endpoint_id);
  std::optional<std::string> sticky_endpoint(const std::string& sticky_key) const;

 private:
  Status unknown_policy_error(std::string_view name) const;
  void order_chain(const std::vector<EndpointCandidate>& candidates, const RouteRequest& request, RouteDecision& out);

  RouterConfig cfg_;
  Random random_;
  std::map<std::string, std::unique_ptr<RoutingPolicy>, std::less<>> policies_;
  const RoutingPolicy* default_ = nullptr;
  std::unordered_map<std::string, std::string> sticky_;
  struct Ranked {
    uint32_t rank;  // preference rank (tier, then provider order); lower first
    double score;
    uint32_t index;
  };
  std::vector<Ranked> scratch_;
};

}  // namespace ploke::resilience
