// JUnit XML for scenario results. See ploke/scenarios/junit_report.h.
#include "ploke/scenarios/junit_report.h"

#include <cstdio>

namespace ploke::scenarios {
namespace {

std::string xml_num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

size_t failed_count(const ScenarioResult& r) {
  size_t n = 0;
  for (const auto& e : r.expectations) n += !e.passed;
  return n;
}

size_t test_count(const ScenarioResult& r) { return r.expectations.empty() ? 1 : r.expectations.size(); }

JunitCase expectation_case(const ScenarioResult& r, const ExpectationResult& e) {
  JunitCase c{"scenario." + r.name, e.path + " " + e.description, 0, "", "", ""};
  if (e.passed) return c;
  c.failure_type = "expectation";
  c.failure_message = "observed " + xml_num(e.observed) + " " + e.unit + " vs threshold " + xml_num(e.threshold) + " " + e.unit;
  c.failure_text = e.detail;
  return c;
}

}  // namespace

std::string render_junit_report(const std::vector<ScenarioResult>& results, const JunitRun& run) {
  std::string o = junit_document_open();
  for (size_t i = 0; i < results.size(); ++i) {
    const ScenarioResult& r = results[i];
    JunitSuite s{r.name, "ploke-sim.scenario", i, test_count(r), failed_count(r), r.wall_ms / 1000.0,
                 {{"file", r.file}, {"seed", std::to_string(r.seed)}, {"clock", r.clock}, {"digest", r.digest}}};
    o += junit_suite_open(s, run);
    if (r.expectations.empty()) o += junit_testcase({"scenario." + r.name, "run", 0, "", "", ""});
    for (const auto& e : r.expectations) o += junit_testcase(expectation_case(r, e));
    o += junit_suite_close();
  }
  return o + junit_document_close();
}

}  // namespace ploke::scenarios
