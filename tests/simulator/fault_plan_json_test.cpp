// Fault plan JSON: parsing every field, collecting every error with its path, round trip.
#include "ploke/simulator/fault_plan_json.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFullPlan = R"({
  "description": "every field",
  "faults": [
    {"id": "rl", "kind": "http_error", "status": 429, "retry_after_ms": 10, "retry_after_s": 2,
     "should_retry": true, "error_type": "tokens", "error_code": "rate_limit_exceeded", "message": "slow down",
     "match": {"path": "/v1/chat/completions", "model": "gpt-4o", "stream": false},
     "trigger": {"nth": 2, "every": 3, "from_ms": 100, "until_ms": 5000.5, "probability": 0.25, "times": 4}},
    {"kind": "hang", "after_events": 2},
    {"kind": "delay", "delay_ms": 250},
    {"kind": "reset"},
    {"kind": "empty_reply", "delay_ms": 5},
    {"kind": "malformed_json", "after_events": 1},
    {"kind": "stream_cut", "after_events": 4},
    {"kind": "mid_stream_error", "after_events": 3, "status": 500, "message": "boom"},
    {"kind": "slow_stream", "factor": 3.5}
  ]})";

TEST(FaultPlanJsonTest, ParsesEveryField) {
  auto plan = parse_fault_plan(kFullPlan, "full");
  ASSERT_OK(plan);
  ASSERT_EQ(plan->faults.size(), 9u);
  const Fault& rl = plan->faults[0];
  EXPECT_EQ(rl.id, "rl");
  EXPECT_EQ(rl.kind, FaultKind::kHttpError);
  EXPECT_EQ(rl.status, 429);
  EXPECT_EQ(rl.retry_after_ms, Duration(10ms));
  EXPECT_EQ(rl.retry_after, Duration(2s));
  EXPECT_EQ(rl.should_retry, true);
  EXPECT_EQ(rl.error_type, "tokens");
  EXPECT_EQ(rl.error_code, "rate_limit_exceeded");
  EXPECT_EQ(rl.message, "slow down");
  EXPECT_EQ(rl.match.path, "/v1/chat/completions");
  EXPECT_EQ(rl.match.model, "gpt-4o");
  EXPECT_EQ(rl.match.stream, false);
  EXPECT_EQ(rl.trigger.nth, 2u);
  EXPECT_EQ(rl.trigger.every, 3u);
  EXPECT_EQ(rl.trigger.from, Duration(100ms));
  EXPECT_EQ(rl.trigger.until, Duration(5000500us));
  EXPECT_EQ(rl.trigger.probability, 0.25);
  EXPECT_EQ(rl.trigger.times, 4u);
  EXPECT_EQ(plan->faults[1].kind, FaultKind::kHang);
  EXPECT_EQ(plan->faults[1].after_events, 2u);
  EXPECT_EQ(plan->faults[2].delay, Duration(250ms));
  EXPECT_EQ(plan->faults[4].kind, FaultKind::kEmptyReply);
  EXPECT_EQ(plan->faults[7].message, "boom");
  EXPECT_EQ(plan->faults[8].factor, 3.5);
  EXPECT_TRUE(plan->faults[3].id.empty());  // ids for unnamed faults are assigned by the engine
}

TEST(FaultPlanJsonTest, RoundTrips) {
  auto plan = parse_fault_plan(kFullPlan, "full");
  ASSERT_OK(plan);
  std::string text = fault_plan_to_json(*plan);
  auto again = parse_fault_plan(text, "roundtrip");
  ASSERT_OK(again);
  EXPECT_EQ(fault_plan_to_json(*again), text);
}

TEST(FaultPlanJsonTest, CollectsEveryErrorWithFieldPaths) {
  auto plan = parse_fault_plan(R"({
    "faults": [
      {"id": "a", "kind": "http_error", "status": 200, "trigger": {"probability": 1.5, "nth": 0}},
      {"kind": "explode"},
      {"kind": "hang", "status": 500, "bogus": 1},
      {"id": "a", "kind": "reset", "match": {"path": "v1/x", "colour": "red"}},
      {"kind": "delay"},
      {"kind": "slow_stream", "trigger": {"every": 2, "from_ms": 10, "until_ms": 5, "times": -1}},
      {"trigger": {}},
      "not an object"
    ],
    "extra": true
  })", "plan.json");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidRequest);
  const std::string& msg = plan.status().message();
  for (const char* want : {
           "fault plan 'plan.json'",
           "faults[0].status: must be an HTTP error status in [400,599]",
           "faults[0].trigger.probability: must be in [0,1]",
           "faults[0].trigger.nth: must be >= 1",
           "faults[1].kind: unknown kind 'explode'",
           "faults[2].status: not valid for kind 'hang'",
           "faults[2].bogus: unknown key for kind 'hang'",
           "faults[3].id: duplicate id 'a' (also faults[0])",
           "faults[3].match.path: must start with '/'",
           "faults[3].match.colour: unknown key",
           "faults[4].delay_ms: required (> 0) for kind 'delay'",
           "faults[5].trigger.every: requires nth",
           "faults[5].trigger.until_ms: must be greater than from_ms",
           "faults[5].trigger.times: must be >= 1",
           "faults[5].factor: required for kind 'slow_stream'",
           "faults[6].kind: required",
           "faults[7]: must be an object",
           "extra: unknown key",
       }) {
    EXPECT_NE(msg.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << msg;
  }
  EXPECT_NE(msg.find("17 errors"), std::string::npos) << msg;
}

TEST(FaultPlanJsonTest, ReportsInvalidJsonWithByteOffset) {
  auto plan = parse_fault_plan(R"({"faults": [ {"kind": "reset"}, ]})", "broken.json");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("fault plan 'broken.json': invalid JSON at byte"), std::string::npos)
      << plan.status().message();
  auto not_object = parse_fault_plan("[]", "arr");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.status().message(), "fault plan 'arr': the top level must be an object with a 'faults' array");
  auto missing = parse_fault_plan("{}", "empty");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "fault plan 'empty': faults: required");
  EXPECT_OK(parse_fault_plan(R"({"faults":[]})", "none"));
}

TEST(FaultPlanJsonTest, LoadsFiles) {
  const std::string path = std::string(PLOKE_BINARY_DIR) + "/fault_plan_json_test_plan.json";
  {
    std::ofstream out(path);
    out << kFullPlan;
  }
  auto plan = load_fault_plan_file(path);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->faults.size(), 9u);
  auto missing = load_fault_plan_file(path + ".missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::remove(path.c_str());
}

TEST(FaultPlanJsonTest, KindNamesMatchCore) {
  for (auto k : {FaultKind::kHttpError, FaultKind::kHang, FaultKind::kDelay, FaultKind::kReset, FaultKind::kEmptyReply,
                 FaultKind::kMalformedJson, FaultKind::kStreamCut, FaultKind::kMidStreamError, FaultKind::kSlowStream}) {
    EXPECT_EQ(fault_kind_from_name(fault_kind_name(k)), k);
  }
  EXPECT_FALSE(fault_kind_from_name("nope"));
}

}  // namespace
}  // namespace ploke::simulator
