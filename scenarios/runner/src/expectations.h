// File: expectations.h (private to ploke::scenarios)
//
// One verdict per expectation kind, each computed from a finished run's logs alone
// (request_log, attempt_log in time order, breaker_log, provider summaries). A check
// fills description, observed, threshold, unit, passed and (on failure) detail; the
// caller (evaluate_expectations) sets kind and path.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ploke/scenarios/result.h"
#include "ploke/scenarios/scenario.h"

namespace ploke::scenarios::detail {

ExpectationResult check_success_rate(const Expectation& x, const ScenarioResult& res);
/// Percentile of finished requests' latency (successful ones only with ok_only).
ExpectationResult check_latency(const Expectation& x, const ScenarioResult& res);
/// Attempts to x.provider ("" = any) in [x.from, x.until), within [x.min, x.max].
ExpectationResult check_attempts(const Expectation& x, const ScenarioResult& res);
ExpectationResult check_no_traffic_to_open_breaker(const Expectation& x, const Scenario& s, const ScenarioResult& res);
/// Every retry to the provider that answered with Retry-After came no earlier than it said.
ExpectationResult check_honours_retry_after(const ScenarioResult& res);
ExpectationResult check_no_retry_after_partial_output(const Scenario& s, const ScenarioResult& res);
/// Total cost, or the cost of the requests x.provider served, <= x.max.
ExpectationResult check_cost(const Expectation& x, const ScenarioResult& res);
/// No request lost (unfinished at the horizon) or ended "internal".
ExpectationResult check_no_lost_requests(const ScenarioResult& res);
ExpectationResult check_all_faults_fired(const ScenarioResult& res);

/// Replays each endpoint's breaker transitions up to the time of each attempt, to say
/// whether the breaker admitted it. Attempts must be asked about in time order.
/// A transition at the same instant as the attempt counts only if it is not to "open"
/// (same-instant order is not observable); a transition to "open" counts only from
/// `open_grace` after it (real time: the façade takes the permit a moment before the wire
/// logs the attempt). In half_open, the first `half_open_trials` attempts are admitted.
class BreakerReplay {
 public:
  BreakerReplay(const std::vector<BreakerTransition>& log, uint32_t half_open_trials, Duration open_grace);
  /// Whether endpoint `ep` admits an attempt at `at` (using up a half-open trial when it
  /// does so in half_open); when it does not, `why` is "EP STATE".
  bool admits(const std::string& ep, Duration at, std::string& why);

 private:
  struct Endpoint {
    std::vector<const BreakerTransition*> log;
    size_t next = 0;
    std::string state = "closed";
    uint32_t trials_used = 0;
  };
  void advance(Endpoint& e, Duration at) const;

  std::map<std::string, Endpoint> endpoints_;
  uint32_t trials_;
  Duration grace_;
};

/// "NAME" → ["NAME/MODEL", …] in the scenario's model order.
std::map<std::string, std::vector<std::string>> endpoints_by_provider(const Scenario& s);

}  // namespace ploke::scenarios::detail
