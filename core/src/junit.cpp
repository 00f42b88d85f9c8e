// See ploke/core/junit.h.
#include "ploke/core/junit.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "ploke/core/markup.h"

namespace ploke {
namespace {

std::string attr(const char* key, std::string_view value) {
  return std::string(" ") + key + "=\"" + markup_escape(value) + "\"";
}

}  // namespace

std::string junit_timestamp(SystemTime t) {
  std::string s = iso8601_utc(t);
  s.pop_back();  // the schema's pattern has no zone: drop the 'Z'
  return s;
}

std::string junit_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

std::string junit_document_open() { return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"; }

std::string junit_document_close() { return "</testsuites>\n"; }

std::string junit_suite_open(const JunitSuite& s, const JunitRun& run) {
  std::string o = "  <testsuite" + attr("name", s.name.empty() ? "unnamed" : s.name) +
                  attr("package", s.package.empty() ? "ploke-sim" : s.package) + attr("id", std::to_string(s.id)) +
                  attr("timestamp", run.timestamp) + attr("hostname", run.hostname.empty() ? "localhost" : run.hostname) +
                  attr("tests", std::to_string(s.tests)) + attr("failures", std::to_string(s.failures)) +
                  attr("errors", "0") + attr("skipped", std::to_string(s.skipped)) + attr("time", junit_seconds(s.seconds)) + ">\n";
  if (s.properties.empty()) return o + "    <properties/>\n";
  o += "    <properties>\n";
  for (const auto& [k, v] : s.properties) o += "      <property" + attr("name", k) + attr("value", v) + "/>\n";
  return o + "    </properties>\n";
}

std::string junit_suite_close() { return "    <system-out/>\n    <system-err/>\n  </testsuite>\n"; }

std::string junit_testcase(const JunitCase& c) {
  std::string o = "    <testcase" + attr("classname", c.classname) + attr("name", c.name.empty() ? "unnamed" : c.name) +
                  attr("time", junit_seconds(c.seconds));
  if (c.failure_type.empty() && c.skipped) {
    return o + ">\n      <skipped" + attr("message", c.skipped_message) + "/>\n    </testcase>\n";
  }
  if (c.failure_type.empty()) return o + "/>\n";
  return o + ">\n      <failure" + attr("type", c.failure_type) + attr("message", c.failure_message) + ">" +
         markup_escape(c.failure_text) + "</failure>\n    </testcase>\n";
}

}  // namespace ploke
