// ploke/core/junit.h: the timestamp and decimal formats the Ant JUnit schema requires, the
// always-present <properties>/<system-out>/<system-err>, escaping and redaction.
#include "ploke/core/junit.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>

namespace ploke {
namespace {

TEST(Junit, TimestampIsUtcWithoutZoneAndSecondsAreDecimals) {
  EXPECT_EQ(junit_timestamp(SystemTime(std::chrono::seconds(1'735'689'600))), "2025-01-01T00:00:00");
  EXPECT_EQ(junit_timestamp(SystemTime(std::chrono::milliseconds(1'735'689'601'999))), "2025-01-01T00:00:01");
  EXPECT_EQ(junit_seconds(1.5), "1.500");
  EXPECT_EQ(junit_seconds(1e9), "1000000000.000");  // never an exponent (xs:decimal)
  EXPECT_EQ(junit_seconds(-1), "0");
  EXPECT_EQ(junit_seconds(std::numeric_limits<double>::quiet_NaN()), "0");
}

TEST(Junit, SuiteEnvelopeHasEveryRequiredPartEscapedAndRedacted) {
  const JunitRun run{"2026-01-02T03:04:05", ""};
  JunitSuite s{"a <b>", "", 3, 2, 1, 0.25, {{"key", "sk-FAKE-junit-core-0123456789abcdef"}}};
  const std::string open = junit_suite_open(s, run);
  EXPECT_EQ(open.rfind("  <testsuite name=\"a &lt;b&gt;\" package=\"ploke-sim\" id=\"3\" timestamp=\"2026-01-02T03:04:05\" "
                       "hostname=\"localhost\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"0.250\">\n",
                       0),
            0u)
      << open;
  EXPECT_EQ(open.find("sk-FAKE-junit-core"), std::string::npos) << open;
  EXPECT_NE(junit_suite_open(JunitSuite{}, run).find("name=\"unnamed\""), std::string::npos);
  EXPECT_NE(junit_suite_open(JunitSuite{}, run).find("<properties/>"), std::string::npos);
  EXPECT_EQ(junit_suite_close(), "    <system-out/>\n    <system-err/>\n  </testsuite>\n");
  EXPECT_EQ(junit_document_open(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
}

TEST(Junit, TestcasePassedOrFailed) {
  EXPECT_EQ(junit_testcase({"c", "n", 0, "", "", ""}), "    <testcase classname=\"c\" name=\"n\" time=\"0\"/>\n");
  EXPECT_EQ(junit_testcase({"c", "n & m", 0.001, "t", "m\"", "x<y"}),
            "    <testcase classname=\"c\" name=\"n &amp; m\" time=\"0.001\">\n"
            "      <failure type=\"t\" message=\"m&quot;\">x&lt;y</failure>\n    </testcase>\n");
}

}  // namespace
}  // namespace ploke
