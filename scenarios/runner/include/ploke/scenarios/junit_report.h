// File: ploke/scenarios/junit_report.h
//
// render_junit_report(): scenario results as JUnit XML, the format CI systems (Jenkins,
// GitLab, GitHub Actions reporters) show as tests, valid against the Ant JUnit schema
// (the envelope: ploke/core/junit.h): <testsuites> with one <testsuite> per scenario
// (name = the scenario's name, package "ploke-sim.scenario", id 0, 1, …, the run's
// timestamp and host from `run`; properties: file, seed, clock, digest; time = its wall
// seconds) and one <testcase> per expectation (classname "scenario.NAME", name
// "expect[i] DESCRIPTION"); a failed expectation carries <failure type="expectation"
// message="observed … vs threshold …"> with its detail as text. A scenario with no
// expectation is one passing testcase "run". Per-suite counts (tests, failures; errors and
// skipped are 0). All text is secret-redacted, then XML-escaped.
#pragma once

#include <string>
#include <vector>

#include "ploke/core/junit.h"
#include "ploke/scenarios/result.h"

namespace ploke::scenarios {

std::string render_junit_report(const std::vector<ScenarioResult>& results, const JunitRun& run = {});

}  // namespace ploke::scenarios
