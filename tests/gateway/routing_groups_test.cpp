// The gateway's routing groups and chat-call steps alone (private headers of
// gateway/src): how a request's pin, provider preferences and fallback models become
// the sequence of façade calls, which errors end it, the x-ploke-* header overrides, the
// policy check, and merging the groups' traces into one.
#include <gtest/gtest.h>

#include "chat_call.h"
#include "routing_groups.h"

namespace ploke::gateway::internal {
namespace {

using Groups = std::vector<RoutingGroup>;

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

TEST(RoutingGroups, APinIsOneGroupWithTheModelItServes) {
  auto in = asking("gpt-4o-mini");
  in.hints.pin = "an";
  EXPECT_EQ(plan_routing_groups(endpoints(), in), (Groups{{"an", "claude"}}));
  // A pin that serves the client's model, or serves several models, keeps the client's.
  in.hints.pin = "oa";
  EXPECT_EQ(plan_routing_groups(endpoints(), in), (Groups{{"oa", ""}}));
  EXPECT_EQ(model_for_pin(endpoints(), "oa", "other"), "");
  EXPECT_EQ(model_for_pin(endpoints(), "oa/gpt-4o", "other"), "gpt-4o");
  EXPECT_EQ(model_for_pin(endpoints(), "nobody", "other"), "");
}

TEST(RoutingGroups, ProviderOrderThenAnything) {
  auto in = asking("gpt-4o-mini");
  in.hints.provider_order = {"an", "unknown", "an"};
  EXPECT_EQ(plan_routing_groups(endpoints(), in), (Groups{{"an", "claude"}, {"", ""}}));
  in.hints.allow_fallbacks = false;
  EXPECT_EQ(plan_routing_groups(endpoints(), in), (Groups{{"an", "claude"}}));
}

TEST(RoutingGroups, OnlyAndIgnoreFilterProviders) {
  auto in = asking("gpt-4o-mini");
  in.hints.provider_only = {"oa"};
  EXPECT_EQ(plan_routing_groups(endpoints(), in), (Groups{{"oa", ""}}));
  in = asking("gpt-4o-mini");
  in.hints.provider_ignore = {"oa"};
  EXPECT_EQ(plan_routing_groups(endpoints(), in), (Groups{{"an", "claude"}}));
  in.hints.provider_ignore = {"oa", "an"};
  EXPECT_EQ(plan_routing_groups(endpoints(), in),
            (Groups{{"(no endpoint matches the provider preferences)", ""}}));
}

TEST(RoutingGroups, FallbackModelsInOrderOnceEach) {
  auto in = asking("gpt-4o");
  in.hints.fallback_models = {"claude", "oa/gpt-4o", "gpt-4o-mini"};
  EXPECT_EQ(plan_routing_groups(endpoints(), in),
            (Groups{{"oa/gpt-4o", "gpt-4o"}, {"an/claude", "claude"}, {"oa/gpt-4o-mini", "gpt-4o-mini"}}));
  // No endpoint serves any of them: as if none were named.
  in = asking("nobody");
  in.hints.fallback_models = {"nothing"};
  EXPECT_EQ(fallback_model_groups(endpoints(), in), Groups{});
  EXPECT_EQ(plan_routing_groups(endpoints(), in), client_model_groups(endpoints(), "nobody"));
}

TEST(RoutingGroups, TheClientsModelAlone) {
  // Some endpoints serve it: those, pinned.
  EXPECT_EQ(client_model_groups(endpoints(), "claude"), (Groups{{"an/claude", "claude"}}));
  // All serve it, or there are no endpoints: one unpinned group.
  std::vector<EndpointInfo> same = {{"a/m", "a", "m"}, {"b/m", "b", "m"}};
  EXPECT_EQ(client_model_groups(same, "m"), (Groups{{"", ""}}));
  EXPECT_EQ(client_model_groups({}, "m"), (Groups{{"", ""}}));
  // Nobody serves it: the one shared model, else each endpoint with its own.
  EXPECT_EQ(client_model_groups(same, "x"), (Groups{{"", "m"}}));
  EXPECT_EQ(client_model_groups(endpoints(), "x"),
            (Groups{{"oa/gpt-4o-mini", "gpt-4o-mini"}, {"oa/gpt-4o", "gpt-4o"}, {"an/claude", "claude"}}));
}

TEST(RoutingGroups, OnlyUnfixableErrorsEndTheSequence) {
  EXPECT_TRUE(ends_groups(InvalidRequestError("bad")));
  EXPECT_TRUE(ends_groups(Status(StatusCode::kCancelled, "gone")));
  EXPECT_TRUE(ends_groups(Status(StatusCode::kContentFilter, "no")));
  EXPECT_FALSE(ends_groups(RateLimitedError("slow down")));
  EXPECT_FALSE(ends_groups(OverloadedError("busy")));
  EXPECT_TRUE(ends_groups(TimeoutError(TimeoutPhase::kTotal, "deadline")));
  EXPECT_FALSE(ends_groups(TimeoutError(TimeoutPhase::kFirstByte, "slow")));
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

TEST(ChatCallSteps, GroupTracesMergeIntoOne) {
  resilience::RequestTrace merged, first, second;
  first.pin = "oa";
  first.attempts.resize(2);
  first.attempts[0].number = 1;
  first.attempts[1].number = 2;
  first.candidates.push_back(candidate("oa/gpt-4o"));
  first.total_cost_usd = 0.25;
  first.final_code = StatusCode::kServerError;
  merge_group_trace(merged, first, 0);
  second.pin = "an";
  second.attempts.resize(1);
  second.attempts[0].number = 1;
  second.candidates = {candidate("oa/gpt-4o"), candidate("an/claude")};
  second.notes = {"n"};
  second.served_by = "an/claude";
  second.total_cost_usd = 0.5;
  merge_group_trace(merged, second, 1);
  ASSERT_EQ(merged.attempts.size(), 3u);
  EXPECT_EQ(merged.attempts[2].number, 3u);
  ASSERT_EQ(merged.candidates.size(), 2u);
  EXPECT_EQ(merged.candidates[1].endpoint_id, "an/claude");
  EXPECT_EQ(merged.notes, (std::vector<std::string>{"gateway: group 2 pin 'an'", "n"}));
  EXPECT_EQ(merged.final_code, StatusCode::kOk);
  EXPECT_EQ(merged.served_by, "an/claude");
  EXPECT_EQ(merged.pin, "an");
  EXPECT_EQ(merged.total_cost_usd, 0.75);
  EXPECT_EQ(routing_groups_note({{"oa", ""}}), "");
  EXPECT_EQ(routing_groups_note({{"oa", ""}, {"", ""}}), "gateway: routing groups oa, (any)");
}

}  // namespace
}  // namespace ploke::gateway::internal
