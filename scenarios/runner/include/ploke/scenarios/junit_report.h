// File: ploke/scenarios/junit_report.h
//
// render_junit_report(): scenario results as JUnit XML, the format CI systems (Jenkins,
// GitLab, GitHub Actions reporters) show as tests: <testsuites> with one <testsuite> per
// scenario (name = the scenario's name; properties: file, seed, clock, digest; time = its
// wall seconds) and one <testcase> per expectation (classname "scenario.NAME", name
// "expect[i] DESCRIPTION"); a failed expectation carries <failure type="expectation"
// message="observed … vs threshold …"> with its detail as text. A scenario with no
// expectation is one passing testcase "run". Counts (tests, failures; errors and skipped
// are 0) on both levels. All text is secret-redacted, then XML-escaped.
#pragma once

#include <string>
#include <vector>

#include "ploke/scenarios/result.h"

namespace ploke::scenarios {

std::string render_junit_report(const std::vector<ScenarioResult>& results);

}  // namespace ploke::scenarios
