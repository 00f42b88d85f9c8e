// File: ploke/scenarios/runner.h
//
// run_scenario(): the whole core (LlmClient façade → ChatClient → adapters) against one
// SimEngine per simulated provider through InProcessTransport, on one SimulatedClock.
// Every workload request runs on its own fiber (ploke::fibers::VirtualTimeFibers), so thousands are in
// flight at once in virtual time; arrivals, faults and timeouts are clock timers. The
// same scenario and seed give a byte-identical ScenarioResult and digest.
// With RunOptions::real_time the same scenario runs over loopback HTTP on the real clock
// (see RunOptions::real_time): same expectations, no digest.
//
// Thread-safety: one run per thread; runs share nothing.
#pragma once

#include <functional>

#include "ploke/core/status.h"
#include "ploke/scenarios/result.h"
#include "ploke/scenarios/scenario.h"

namespace ploke::scenarios {

struct RunOptions {
  std::optional<uint64_t> seed;   ///< overrides Scenario::seed
  /// Called now and then with (virtual time done, scenario duration) — a progress bar.
  /// Real time: called on the runner's event-loop thread (where the calls run).
  std::function<void(Duration, Duration)> progress;
  /// Run over loopback HTTP on the real clock instead of in process in virtual time: one
  /// SimServer (`ploke-sim serve`'s server) per provider on 127.0.0.1 port 0; each call a
  /// fiber of one event loop, started at its real arrival time, the façade reaching the
  /// servers through HttpTransport on that loop. Takes
  /// duration (+ the drain, when calls are still in flight) in wall time. Same expectations;
  /// the result has clock "real" and no digest (not deterministic).
  bool real_time = false;
};

/// Runs `scenario` and evaluates its expectations. Non-OK only when the world cannot be
/// built (bad cassette, engine options the simulator refuses): kInvalidRequest; real
/// time: kInternal when a loopback server cannot be started.
Result<ScenarioResult> run_scenario(const Scenario& scenario, const RunOptions& options = {});

/// Evaluates `scenario`'s expectations over a run's logs (fills result.expectations).
void evaluate_expectations(const Scenario& scenario, ScenarioResult& result);

}  // namespace ploke::scenarios
