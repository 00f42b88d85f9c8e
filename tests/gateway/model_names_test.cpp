// The gateway's model names and chat-call steps alone (private headers of gateway/src):
// how a request's model name, fallback models, provider preferences and pin become one
// façade call's routing preferences, the 404 for an unknown name, the x-ploke-* header
// overrides, the policy check, and merging the n choices' traces into one.
#include <gtest/gtest.h>

#include "chat_call.h"
#include "model_names.h"
#include "ploke/gateway/inbound.h"
#include "support/test_support.h"

namespace ploke::gateway::internal {
namespace {

// Two providers: "oa" serves two models, "an" one.
std::vector<EndpointInfo> endpoints() {
  return {{"oa/gpt-4o-mini", "oa", "gpt-4o-mini"}, {"oa/gpt-4o", "oa", "gpt-4o"}, {"an/claude", "an", "claude"}};
}

resilience::TraceCandidate candidate(const std::string& endpoint_id) {
  resilience::TraceCandidate c;
  c.endpoint_id = endpoint_id;
  return c;
}

adapters::inbound::InboundRequest asking(const std::string& model) {
  adapters::inbound::InboundRequest in;
  in.request.model = model;
  return in;
}

using Tiers = std::vector<std::vector<std::string>>;

// The built-in protocol whose 404 wording a request gets.
const InboundProtocol& speaking(std::string_view name) { return *InboundProtocols::builtin()->find(name); }

ModelRoute plan(const adapters::inbound::InboundRequest& in, const std::vector<ModelName>& names = {},
                const std::string& default_model = "") {
  auto r = plan_model_route(names, endpoints(), default_model, in, speaking("openai"));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : ModelRoute{};
}

TEST(ModelNames, ConfiguredNamesAndAliasesResolveToTheirDeployments) {
  const std::vector<ModelName> names = {{"smart", {"oa/gpt-4o", "an/claude"}, {"best", "gpt4"}, true}};
  ModelRoute r = plan(asking("best"), names);
  EXPECT_EQ(r.prefs.tiers, (Tiers{{"oa/gpt-4o", "an/claude"}}));
  EXPECT_EQ(r.policy, "weighted");  // its deployments carry weights
  EXPECT_EQ(r.note, "gateway: model 'best' → oa/gpt-4o, an/claude");
  auto in = asking("smart");
  in.hints.policy = "cost";  // the client's policy wins
  EXPECT_EQ(plan(in, names).policy, "");
  // An endpoint's own model, id or provider/model is a name too.
  EXPECT_EQ(plan(asking("claude")).prefs.tiers, (Tiers{{"an/claude"}}));
  EXPECT_EQ(plan(asking("oa/gpt-4o")).prefs.tiers, (Tiers{{"oa/gpt-4o"}}));
  EXPECT_EQ(listed_model_names(names, endpoints()),
            (std::vector<std::string>{"smart", "best", "gpt4", "gpt-4o-mini", "gpt-4o", "claude"}));
}

// "PROVIDER/MODEL" names an endpoint whatever its id; a near miss names none.
TEST(ModelNames, ProviderSlashModelNamesTheEndpointExactly) {
  const std::vector<EndpointInfo> eps = {{"primary", "oa", "gpt-4o"}, {"backup", "oa", "gpt-4o-mini"}};
  auto tiers = [&](const std::string& model) {
    auto r = plan_model_route({}, eps, "", asking(model), speaking("openai"));
    return r.ok() ? r->prefs.tiers : Tiers{};
  };
  EXPECT_EQ(tiers("oa/gpt-4o"), (Tiers{{"primary"}}));
  EXPECT_EQ(tiers("oa/gpt-4o-mini"), (Tiers{{"backup"}}));
  EXPECT_EQ(tiers("oa/gpt-4"), Tiers{});
  EXPECT_EQ(tiers("oa-gpt-4o"), Tiers{});
  EXPECT_EQ(tiers("o/agpt-4o"), Tiers{});
  EXPECT_EQ(tiers("oa/gpt-4o/"), Tiers{});
}

TEST(ModelNames, UnknownNamesAre404sInTheClientsWordsUnlessADefaultIsSet) {
  auto r = plan_model_route({}, endpoints(), "", asking("gpt-9"), speaking("openai"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "The model `gpt-9` does not exist or you do not have access to it.");
  r = plan_model_route({}, endpoints(), "", asking("claude-9"), speaking("anthropic"));
  EXPECT_EQ(r.status().message(), "model: claude-9");
  ModelRoute d = plan(asking("gpt-9"), {}, "claude");
  EXPECT_EQ(d.prefs.tiers, (Tiers{{"an/claude"}}));
  EXPECT_EQ(d.note, "gateway: model 'gpt-9' is not configured: the default model 'claude'");
  // A default that names nothing either: still a 404.
  EXPECT_FALSE(plan_model_route({}, endpoints(), "nothing", asking("gpt-9"), speaking("openai")).ok());
}

TEST(ModelNames, FallbackModelsAreLaterTiersAndUnknownOnesAreSkipped) {
  auto in = asking("gpt-4o");
  in.hints.fallback_models = {"claude", "gpt-4o-mini"};
  EXPECT_EQ(plan(in).prefs.tiers, (Tiers{{"oa/gpt-4o"}, {"an/claude"}, {"oa/gpt-4o-mini"}}));
  in = asking("nope");
  in.hints.fallback_models = {"claude", "nothing"};
  ModelRoute r = plan(in);
  EXPECT_EQ(r.prefs.tiers, (Tiers{{"an/claude"}}));
  EXPECT_EQ(r.note, "gateway: skipped unknown model names 'nope', 'nothing'");
  // None resolves: the 404 names the request's model.
  in.hints.fallback_models = {"nothing"};
  auto none = plan_model_route({}, endpoints(), "", in, speaking("openai"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("`nope`"), std::string::npos) << none.status().message();
}

TEST(ModelNames, ProviderPreferencesPassThroughAndAPinDropsTheTiers) {
  auto in = asking("gpt-4o");
  in.hints.provider_order = {"an", "oa"};
  in.hints.provider_ignore = {"x"};
  in.hints.allow_fallbacks = false;
  ModelRoute r = plan(in);
  EXPECT_EQ(r.prefs.provider_order, (std::vector<std::string>{"an", "oa"}));
  EXPECT_EQ(r.prefs.provider_ignore, (std::vector<std::string>{"x"}));
  EXPECT_FALSE(r.prefs.allow_fallbacks);
  // allow_fallbacks = false without an order would leave nobody: ignored.
  in.hints.provider_order.clear();
  EXPECT_TRUE(plan(in).prefs.allow_fallbacks);
  in = asking("gpt-4o");
  in.hints.pin = "an";
  EXPECT_TRUE(plan(in).prefs.empty());
  // Every endpoint serves it: no tier (the façade's own chain).
  std::vector<EndpointInfo> same = {{"a/m", "a", "m"}, {"b/m", "b", "m"}};
  auto all = plan_model_route({}, same, "", asking("m"), speaking("openai"));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->prefs.empty());
}

// OpenRouter's provider.sort (and its :nitro / :floor model shortcuts) picks the façade's
// policy unless the client named one; the trace says so, and what it cannot honour.
TEST(ModelNames, ProviderSortPicksThePolicyAndTheTraceSaysSo) {
  auto in = asking("gpt-4o");
  in.hints.sort = "price";
  ModelRoute r = plan(in);
  EXPECT_EQ(r.policy, "cost");
  EXPECT_NE(r.note.find("provider sort 'price' → policy cost"), std::string::npos) << r.note;
  in.hints.sort = "latency";
  EXPECT_EQ(plan(in).policy, "latency");
  in.hints.sort = "throughput";
  EXPECT_EQ(plan(in).policy, "throughput");
  in.hints.sort = "exacto";
  r = plan(in);
  EXPECT_EQ(r.policy, "");
  EXPECT_NE(r.note.find("'exacto' is not supported"), std::string::npos) << r.note;
  in.hints.sort = "price";
  in.hints.policy = "reliability";  // the client's own policy wins
  EXPECT_EQ(plan(in).policy, "");
  r = plan(asking("gpt-4o:floor"));
  EXPECT_EQ(r.policy, "cost");
  EXPECT_EQ(r.prefs.tiers, (Tiers{{"oa/gpt-4o"}}));
  EXPECT_EQ(plan(asking("claude:nitro")).prefs.tiers, (Tiers{{"an/claude"}}));
  EXPECT_EQ(plan(asking("claude:nitro")).policy, "throughput");
}

TEST(ModelNames, LogprobsNeedAReachableCapableEndpoint) {
  std::vector<EndpointInfo> eps = endpoints();
  eps[1].logprobs = true;  // oa/gpt-4o
  resilience::RoutePreferences p;
  EXPECT_OK(check_logprobs_reachable(eps, p, ""));
  EXPECT_EQ(check_logprobs_reachable(eps, p, "an").code(), StatusCode::kInvalidRequest);
  p.tiers = {{"an/claude"}};
  EXPECT_NE(check_logprobs_reachable(eps, p, "").message().find("logprobs"), std::string::npos);
  p.tiers = {{"an/claude"}, {"oa/gpt-4o"}};  // a later tier can
  EXPECT_OK(check_logprobs_reachable(eps, p, ""));
}

TEST(ChatCallSteps, HeaderOverridesWinAndBadValuesNameTheHeader) {
  adapters::inbound::RoutingHints h;
  h.pin = "body-pin";
  Headers headers;
  headers.add("x-ploke-provider", "an");
  headers.add("x-ploke-deadline-ms", "1500");
  headers.add("x-ploke-priority", "high");
  ASSERT_TRUE(apply_header_overrides(headers, h).ok());
  EXPECT_EQ(h.pin, "an");
  EXPECT_EQ(h.deadline_ms, 1500);
  EXPECT_EQ(h.priority, Priority::kHigh);
  for (const char* bad : {"0", "-5", "12ms", " 3"}) {
    Headers b;
    b.add("x-ploke-deadline-ms", bad);
    Status st = apply_header_overrides(b, h);
    EXPECT_EQ(st.code(), StatusCode::kInvalidRequest) << bad;
    EXPECT_NE(st.message().find("x-ploke-deadline-ms"), std::string::npos);
  }
  Headers p;
  p.add("x-ploke-priority", "urgent");
  EXPECT_NE(apply_header_overrides(p, h).message().find("expected low, normal, high or critical (got 'urgent')"),
            std::string::npos);
}

TEST(ChatCallSteps, PolicyMustBeRegistered) {
  EXPECT_TRUE(check_policy("cost", {"latency", "cost"}).ok());
  Status st = check_policy("cheapest", {"latency", "cost"});
  EXPECT_EQ(st.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(st.message().find("unknown policy 'cheapest' (registered: latency, cost)"), std::string::npos);
}

TEST(ChatCallSteps, ChoiceTracesMergeIntoOne) {
  resilience::RequestTrace merged, second;
  merged.attempts.resize(2);
  merged.attempts[0].number = 1;
  merged.attempts[1].number = 2;
  merged.candidates.push_back(candidate("oa/gpt-4o"));
  merged.total_cost_usd = 0.25;
  merged.final_code = StatusCode::kServerError;
  second.pin = "an";
  second.attempts.resize(1);
  second.attempts[0].number = 1;
  second.candidates = {candidate("oa/gpt-4o"), candidate("an/claude")};
  second.notes = {"n"};
  second.served_by = "an/claude";
  second.total_cost_usd = 0.5;
  append_trace(merged, second, "gateway: choice 2 of 2");
  ASSERT_EQ(merged.attempts.size(), 3u);
  EXPECT_EQ(merged.attempts[2].number, 3u);
  ASSERT_EQ(merged.candidates.size(), 2u);
  EXPECT_EQ(merged.candidates[1].endpoint_id, "an/claude");
  EXPECT_EQ(merged.notes, (std::vector<std::string>{"gateway: choice 2 of 2", "n"}));
  EXPECT_EQ(merged.final_code, StatusCode::kOk);
  EXPECT_EQ(merged.served_by, "an/claude");
  EXPECT_EQ(merged.pin, "an");
  EXPECT_EQ(merged.total_cost_usd, 0.75);
}

}  // namespace
}  // namespace ploke::gateway::internal
