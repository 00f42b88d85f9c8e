// render_junit_report(): the Ant schema envelope (package, id, timestamp, hostname, per-suite
// counts, system-out/err), one testcase per expectation, <failure> with
// observed vs threshold and the detail, a scenario without expectations as one "run" case,
// properties, XML escaping and planted secrets redacted.
#include "ploke/scenarios/junit_report.h"

#include <gtest/gtest.h>

#include <string>

namespace ploke::scenarios {
namespace {

constexpr const char* kPlanted = "sk-FAKE-junit-0123456789abcdef";  // fake key

ExpectationResult expectation(std::string path, std::string description, bool passed, std::string detail = "") {
  ExpectationResult e;
  e.path = std::move(path);
  e.description = std::move(description);
  e.passed = passed;
  e.observed = 0.972;
  e.threshold = 0.99;
  e.unit = "%";
  e.detail = std::move(detail);
  return e;
}

TEST(JunitReport, ATestcasePerExpectationWithFailuresEscapedAndRedacted) {
  ScenarioResult a;
  a.name = "outage <recovery>";
  a.file = "scenarios/a.json";
  a.seed = 7;
  a.digest = "abc";
  a.wall_ms = 1500;
  a.expectations = {expectation("expect[0]", "success rate >= 99%", false, std::string("short by 1.8 % & key ") + kPlanted),
                    expectation("expect[1]", "no lost requests", true)};
  ScenarioResult b;
  b.name = "quiet";
  const std::string x = render_junit_report({a, b}, JunitRun{"2026-01-02T03:04:05", "ci-host"});
  EXPECT_EQ(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", 0), 0u) << x;
  EXPECT_NE(x.find("<testsuite name=\"outage &lt;recovery&gt;\" package=\"ploke-sim.scenario\" id=\"0\" "
                   "timestamp=\"2026-01-02T03:04:05\" hostname=\"ci-host\" tests=\"2\" failures=\"1\" errors=\"0\" "
                   "skipped=\"0\" time=\"1.500\">"),
            std::string::npos) << x;
  EXPECT_NE(x.find("<property name=\"seed\" value=\"7\"/>"), std::string::npos);
  EXPECT_NE(x.find("<property name=\"digest\" value=\"abc\"/>"), std::string::npos);
  EXPECT_NE(x.find("<testcase classname=\"scenario.outage &lt;recovery&gt;\" name=\"expect[0] success rate &gt;= 99%\" time=\"0\">\n"
                   "      <failure type=\"expectation\" message=\"observed 0.972 % vs threshold 0.99 %\">short by 1.8 % &amp; key "),
            std::string::npos) << x;
  EXPECT_NE(x.find("name=\"expect[1] no lost requests\" time=\"0\"/>\n    <system-out/>\n    <system-err/>\n  </testsuite>"),
            std::string::npos) << x;
  EXPECT_NE(x.find("<testsuite name=\"quiet\" package=\"ploke-sim.scenario\" id=\"1\""), std::string::npos);
  EXPECT_NE(x.find("<testcase classname=\"scenario.quiet\" name=\"run\" time=\"0\"/>"), std::string::npos);
  EXPECT_EQ(x.find(kPlanted), std::string::npos) << "a planted key reached the report";
  EXPECT_EQ(x.rfind("</testsuites>\n"), x.size() - 14);
}

}  // namespace
}  // namespace ploke::scenarios
