// The scenario library (scenarios/*.json): every scenario parses, every expectation holds,
// and a second run gives the same digest. Each scenario with faults also checks that its
// faults fired (so a fault that silently stopped firing cannot make a scenario pass).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ploke/scenarios/runner.h"
#include "ploke/scenarios/scenario.h"

namespace ploke::scenarios {
namespace {

std::string library_dir() { return std::string(PLOKE_SOURCE_DIR) + "/scenarios"; }

std::vector<std::string> library_files() {
  auto files = scenario_files(library_dir());
  EXPECT_TRUE(files.ok()) << files.status().message();
  return files.ok() ? *files : std::vector<std::string>{};
}

class LibraryScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(LibraryScenario, PassesAndIsDeterministic) {
  auto s = load_scenario_file(GetParam());
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_FALSE(s->expectations.empty()) << s->name << ": a library scenario must expect something";
  bool has_faults = false;
  for (const auto& p : s->providers) has_faults = has_faults || !p.faults.faults.empty();
  if (has_faults) {
    bool checks_fired = false;
    for (const auto& x : s->expectations) checks_fired = checks_fired || x.kind == ExpectationKind::kAllFaultsFired;
    EXPECT_TRUE(checks_fired) << s->name << ": has faults but no all_faults_fired expectation";
  }
  auto first = run_scenario(*s);
  ASSERT_TRUE(first.ok()) << first.status().message();
  for (const auto& e : first->expectations) {
    EXPECT_TRUE(e.passed) << s->name << " " << e.path << ": " << e.description << " (observed " << e.observed
                          << ", threshold " << e.threshold << ") " << e.detail;
  }
  EXPECT_GT(first->requests, 0u);
  auto second = run_scenario(*s);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(first->digest, second->digest) << s->name << " is not deterministic";
  EXPECT_EQ(canonical_text(*first), canonical_text(*second));
}

INSTANTIATE_TEST_SUITE_P(Library, LibraryScenario, ::testing::ValuesIn(library_files()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param.substr(param_info.param.find_last_of('/') + 1);
                           name = name.substr(0, name.rfind(".json"));
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// The issue's list: each behaviour has a scenario in the library (by name).
TEST(Library, CoversTheIssuesList) {
  std::set<std::string> names;
  for (const auto& f : library_files()) {
    auto s = load_scenario_file(f);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_TRUE(names.insert(s->name).second) << "duplicate scenario name " << s->name;
  }
  for (const char* want : {"429-storm", "outage-recovery", "slow-provider", "streams-cut", "flapping-provider",
                           "rate-limit-headers", "openrouter-tool-404", "spend-budget-exhausted", "thundering-herd",
                           "schema-drift", "client-budget-exhausted", "responses-api", "embeddings",
                           "anthropic-thinking-cache", "openrouter-reasoning"}) {
    EXPECT_TRUE(names.count(want)) << "missing library scenario " << want;
  }
}

}  // namespace
}  // namespace ploke::scenarios
