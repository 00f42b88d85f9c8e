// JUnit XML for scenario results. See ploke/scenarios/junit_report.h.
#include "ploke/scenarios/junit_report.h"

#include <cstdio>

#include "ploke/core/markup.h"

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

void junit_testcase(std::string& o, const ScenarioResult& r, const ExpectationResult& e) {
  o += "    <testcase classname=\"scenario." + markup_escape(r.name) + "\" name=\"" +
       markup_escape(e.path + " " + e.description) + "\" time=\"0\"";
  if (e.passed) {
    o += "/>\n";
    return;
  }
  o += ">\n      <failure type=\"expectation\" message=\"" +
       markup_escape("observed " + xml_num(e.observed) + " " + e.unit + " vs threshold " + xml_num(e.threshold) + " " + e.unit) +
       "\">" + markup_escape(e.detail) + "</failure>\n    </testcase>\n";
}

void junit_testsuite(std::string& o, const ScenarioResult& r) {
  o += "  <testsuite name=\"" + markup_escape(r.name) + "\" tests=\"" + std::to_string(test_count(r)) + "\" failures=\"" +
       std::to_string(failed_count(r)) + "\" errors=\"0\" skipped=\"0\" time=\"" + xml_num(r.wall_ms / 1000.0) + "\">\n";
  o += "    <properties>\n";
  const std::pair<const char*, std::string> props[] = {
      {"file", r.file}, {"seed", std::to_string(r.seed)}, {"clock", r.clock}, {"digest", r.digest}};
  for (const auto& [k, v] : props) o += "      <property name=\"" + std::string(k) + "\" value=\"" + markup_escape(v) + "\"/>\n";
  o += "    </properties>\n";
  if (r.expectations.empty()) {
    o += "    <testcase classname=\"scenario." + markup_escape(r.name) + "\" name=\"run\" time=\"0\"/>\n";
  }
  for (const auto& e : r.expectations) junit_testcase(o, r, e);
  o += "  </testsuite>\n";
}

}  // namespace

std::string render_junit_report(const std::vector<ScenarioResult>& results) {
  size_t all = 0, failed = 0;
  double wall_ms = 0;
  for (const auto& r : results) {
    all += test_count(r);
    failed += failed_count(r);
    wall_ms += r.wall_ms;
  }
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += "<testsuites name=\"ploke-sim scenario run\" tests=\"" + std::to_string(all) + "\" failures=\"" +
       std::to_string(failed) + "\" errors=\"0\" time=\"" + xml_num(wall_ms / 1000.0) + "\">\n";
  for (const auto& r : results) junit_testsuite(o, r);
  o += "</testsuites>\n";
  return o;
}

}  // namespace ploke::scenarios
