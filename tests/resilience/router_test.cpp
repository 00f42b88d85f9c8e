// Router: filters, policies, pins, stickiness, fallback chains and error reasons.
#include "ploke/resilience/router.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace ploke::resilience {
namespace {

EndpointCandidate cand(std::string id, std::string provider, std::string model, double in_price, double out_price) {
  EndpointCandidate c;
  c.id = std::move(id);
  c.provider = std::move(provider);
  c.model = std::move(model);
  c.caps.tools = true;
  c.caps.streaming = true;
  c.caps.json_mode = true;
  c.input_usd_per_mtok = in_price;
  c.output_usd_per_mtok = out_price;
  return c;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cands_ = {cand("a", "openai", "gpt-4o", 2.5, 10), cand("b", "anthropic", "claude", 3, 15),
              cand("c", "openrouter", "llama", 0.2, 0.2), cand("d", "openai", "gpt-4o-mini", 0.15, 0.6)};
    cands_[2].caps.tools = false;
    cands_[2].context_tokens = 8000;
    sig_.assign(cands_.size(), CandidateSignals{});
    req_.est_prompt_tokens = 1000;
    req_.est_output_tokens = 500;
  }
  std::vector<std::string> chain_ids() {
    std::vector<std::string> out;
    for (uint32_t i : d_.chain) out.push_back(cands_[i].id);
    return out;
  }
  std::vector<EndpointCandidate> cands_;
  std::vector<CandidateSignals> sig_;
  RouteRequest req_;
  RouteDecision d_;
  Router router_{RouterConfig{}, 42};
};

TEST_F(RouterTest, CostPolicyOrdersByEstimatedCost) {
  req_.policy = "cost";
  router_.route(cands_, sig_, req_, d_);
  ASSERT_OK(d_.error);
  EXPECT_EQ(d_.policy, "cost");
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"c", "d", "a"}));  // max_chain 3
  EXPECT_NEAR(d_.verdicts[0].est_cost_usd, (2.5 * 1000 + 10 * 500) / 1e6, 1e-12);
}

TEST_F(RouterTest, CapabilityAndContextFilters) {
  req_.policy = "cost";
  req_.required.tools = true;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.verdicts[2].removed_by, Filter::kCapability);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "a", "b"}));
  req_.required.tools = false;
  req_.required.min_context_tokens = 32000;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.verdicts[2].removed_by, Filter::kContext);
}

TEST_F(RouterTest, BreakerRateLimitBudgetExcludedFilters) {
  req_.policy = "cost";
  sig_[2].breaker_allows = false;
  sig_[3].rate_limited = true;
  sig_[0].excluded = true;
  req_.max_cost_usd = 0.01;  // b costs 0.0105
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.verdicts[2].removed_by, Filter::kBreakerOpen);
  EXPECT_EQ(d_.verdicts[3].removed_by, Filter::kRateLimited);
  EXPECT_EQ(d_.verdicts[1].removed_by, Filter::kOverBudget);
  EXPECT_EQ(d_.verdicts[0].removed_by, Filter::kExcluded);
  EXPECT_TRUE(d_.chain.empty());
  EXPECT_EQ(d_.error.code(), StatusCode::kRateLimited);  // transient reason wins
  EXPECT_NE(d_.error.message().find("1 breaker"), std::string::npos) << d_.error.message();
}

TEST_F(RouterTest, CostPolicyReadsRemainingBudget) {
  req_.policy = "cost";
  // d (openai/gpt-4o-mini, $0.00045) is cheapest of the tool-capable ones; c (llama) is
  // cheaper still. With c's provider budget almost spent, c looks dearer than d.
  router_.route(cands_, sig_, req_, d_);
  ASSERT_EQ(chain_ids().front(), "c");
  sig_[2].remaining_budget_usd = 0.0001;  // c costs 0.0003: would eat 3× what is left
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "c", "a"}));
  // Plenty left: the price alone decides again.
  sig_[2].remaining_budget_usd = 1000;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids().front(), "c");
}

TEST_F(RouterTest, BudgetStopFiltersAndIsInsufficientCredits) {
  req_.policy = "cost";
  sig_[2].budget_stop = true;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.verdicts[2].removed_by, Filter::kBudgetStop);
  EXPECT_EQ(filter_name(Filter::kBudgetStop), "budget_stop");
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "a", "b"}));
  for (auto& s : sig_) s.budget_stop = true;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_TRUE(d_.chain.empty());
  EXPECT_EQ(d_.error.code(), StatusCode::kInsufficientCredits) << d_.error.to_string();
  EXPECT_NE(d_.error.message().find("4 budget_stop"), std::string::npos) << d_.error.message();
}

TEST_F(RouterTest, LatencyPolicyIsP95Aware) {
  req_.policy = "latency";
  sig_[0].p95_ms = 900;
  sig_[1].p95_ms = 300;
  sig_[2].p95_ms = 200;
  sig_[2].smoothed_success = 0.5;  // fast but flaky: 400 effective
  sig_[3].p95_ms = 0;              // unknown: 1000
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b", "c", "a"}));
}

TEST_F(RouterTest, ThroughputPolicyPrefersFastOutput) {
  req_.policy = "throughput";
  req_.required.tools = true;
  sig_[0].tokens_per_s = 40;
  sig_[1].tokens_per_s = 120;
  sig_[3].tokens_per_s = 0;  // unknown: 50, tried before a measured 40
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b", "d", "a"}));
  sig_[1].smoothed_success = 0.2;  // fast but flaky: 24 effective
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "a", "b"}));
}

TEST_F(RouterTest, ReliabilityPolicyPrefersHealthy) {
  sig_[0].smoothed_success = 0.5;
  sig_[1].smoothed_success = 0.99;
  sig_[2].smoothed_success = 0.95;
  sig_[3].smoothed_success = 0.7;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.policy, "reliability");
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b", "c", "d"}));
}

TEST_F(RouterTest, WeightedPolicyFollowsWeights) {
  req_.policy = "weighted";
  cands_[0].weight = 8;
  cands_[1].weight = 1;
  cands_[2].weight = 1;
  cands_[3].weight = 0;  // never first
  std::map<std::string, int> firsts;
  for (int i = 0; i < 2000; ++i) {
    router_.route(cands_, sig_, req_, d_);
    firsts[cands_[d_.chain[0]].id]++;
  }
  EXPECT_EQ(firsts["d"], 0);
  EXPECT_NEAR(firsts["a"] / 2000.0, 0.8, 0.05);
  EXPECT_NEAR(firsts["b"] / 2000.0, 0.1, 0.04);
}

TEST_F(RouterTest, PinnedIsNeverRerouted) {
  req_.pin = "anthropic";
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(d_.verdicts[0].removed_by, Filter::kPinned);
  sig_[1].breaker_allows = false;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_TRUE(d_.chain.empty());
  EXPECT_EQ(d_.error.code(), StatusCode::kOverloaded);
  EXPECT_NE(d_.error.message().find("pinned endpoint 'anthropic' unavailable (not rerouted)"), std::string::npos)
      << d_.error.message();
  req_.pin = "openai/gpt-4o-mini";
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d"}));
  req_.pin = "nobody";
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.error.code(), StatusCode::kNotFound);
}

TEST_F(RouterTest, PinnedPolicyKeepsListOrder) {
  req_.policy = "pinned";
  req_.pin = "openai";
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"a", "d"}));
}

TEST_F(RouterTest, StickyKeyGoesFirstWhenHealthy) {
  req_.policy = "cost";
  req_.sticky_key = "conv-1";
  router_.remember_sticky("conv-1", "b");
  router_.route(cands_, sig_, req_, d_);
  EXPECT_TRUE(d_.sticky_hit);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b", "c", "d"}));
  sig_[1].breaker_allows = false;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_FALSE(d_.sticky_hit);
  EXPECT_EQ(chain_ids().front(), "c");
}

TEST_F(RouterTest, PolicyRegistry) {
  EXPECT_OK(router_.set_default_policy("cost"));
  EXPECT_EQ(router_.default_policy(), "cost");
  Status st = router_.set_default_policy("fastest");
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("known: cost, latency, pinned, reliability, throughput, weighted"), std::string::npos)
      << st.message();
  req_.policy = "nope";
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.error.code(), StatusCode::kInvalidRequest);
  class Last : public RoutingPolicy {
   public:
    std::string_view name() const override { return "last"; }
    double score(const EndpointCandidate&, const CandidateSignals&, const RouteRequest&, uint32_t i, double,
                 Random&) const override {
      return i;
    }
  };
  ASSERT_OK(router_.register_policy(std::make_unique<Last>()));
  req_.policy = "last";
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "c", "b"}));
}

TEST_F(RouterTest, NoCandidates) {
  router_.route({}, {}, req_, d_);
  EXPECT_EQ(d_.error.code(), StatusCode::kNotFound);
}

// Preferences: candidates: a openai/gpt-4o, b anthropic/claude, c openrouter/llama,
// d openai/gpt-4o-mini; cost order c, d, a, b.
TEST_F(RouterTest, ModelTiersFilterAndOrderTheWholeChain) {
  req_.policy = "cost";
  req_.prefs.tiers = {{"anthropic/claude"}, {"a", "openai/gpt-4o-mini"}};
  router_.route(cands_, sig_, req_, d_);
  ASSERT_OK(d_.error);
  // Tier 0 first whatever its price, then tier 1 by cost; c is in no tier.
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b", "d", "a"}));
  EXPECT_EQ(d_.verdicts[2].removed_by, Filter::kModel);
  EXPECT_EQ(filter_name(Filter::kModel), "model");
  // A tier whose endpoint is down: the next tier serves, still in the one decision.
  sig_[1].breaker_allows = false;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "a"}));
  // Nothing in any tier: a 404 naming the routing preferences.
  req_.prefs.tiers = {{"mistral"}};
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.error.code(), StatusCode::kNotFound);
  EXPECT_NE(d_.error.message().find("4 model (routing preferences)"), std::string::npos) << d_.error.message();
}

TEST_F(RouterTest, ProviderOrderOnlyIgnoreAndNoFallbacks) {
  req_.policy = "cost";
  req_.prefs.provider_order = {"anthropic", "openai"};
  router_.route(cands_, sig_, req_, d_);
  // Preferred providers first, in order (openai's two by cost), then the rest; the chain is
  // not cut to max_chain when preferences are set.
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b", "d", "a", "c"}));
  req_.prefs.allow_fallbacks = false;
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"b", "d", "a"}));
  EXPECT_EQ(d_.verdicts[2].removed_by, Filter::kProvider);
  req_.prefs = {};
  req_.prefs.provider_only = {"openai", "openrouter"};
  req_.prefs.provider_ignore = {"openrouter"};
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "a"}));
  EXPECT_EQ(d_.verdicts[1].removed_by, Filter::kProvider);
  EXPECT_EQ(d_.verdicts[2].removed_by, Filter::kProvider);
  req_.prefs.provider_only = {"mistral"};
  router_.route(cands_, sig_, req_, d_);
  EXPECT_EQ(d_.error.code(), StatusCode::kNotFound) << d_.error.to_string();
}

TEST_F(RouterTest, StickyStaysWithinTheBestTier) {
  req_.policy = "cost";
  req_.sticky_key = "conv-2";
  router_.remember_sticky("conv-2", "a");
  req_.prefs.tiers = {{"openai/gpt-4o-mini"}, {"openai/gpt-4o"}};
  router_.route(cands_, sig_, req_, d_);
  EXPECT_FALSE(d_.sticky_hit);  // a is a fallback model: the asked-for model goes first
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"d", "a"}));
  req_.prefs.tiers = {{"openai"}};
  router_.route(cands_, sig_, req_, d_);
  EXPECT_TRUE(d_.sticky_hit);
  EXPECT_EQ(chain_ids(), (std::vector<std::string>{"a", "d"}));
}

}  // namespace
}  // namespace ploke::resilience
