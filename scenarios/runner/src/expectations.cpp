// evaluate_expectations(): one check per expectation kind over a finished run's logs.
#include "expectations.h"

#include <cstdio>

#include "ploke/scenarios/runner.h"
#include "summary.h"

namespace ploke::scenarios {

namespace detail {

namespace {

std::string pct(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", x * 100);
  return buf;
}

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", ms);
  return buf;
}

// " in [FROM, UNTIL)" of an attempts window ("" without one).
std::string window_text(const Expectation& x) {
  if (!x.from && !x.until) return "";
  return " in [" + ms_text(x.from ? to_ms(*x.from) : 0) + ", " +
         (x.until ? ms_text(to_ms(*x.until)) : std::string("end")) + ")";
}

uint64_t attempts_in_window(const Expectation& x, const ScenarioResult& res) {
  uint64_t n = 0;
  for (const auto& a : res.attempt_log) {
    if (!x.provider.empty() && a.provider != x.provider) continue;
    if (x.from && a.at < *x.from) continue;
    if (x.until && a.at >= *x.until) continue;
    ++n;
  }
  return n;
}

}  // namespace

ExpectationResult check_success_rate(const Expectation& x, const ScenarioResult& res) {
  ExpectationResult er;
  er.observed = res.requests == 0 ? 1.0 : static_cast<double>(res.ok) / static_cast<double>(res.requests);
  er.threshold = x.min;
  er.unit = "ratio";
  er.passed = er.observed >= x.min;
  er.description = "success rate >= " + pct(x.min);
  if (!er.passed) er.detail = "observed " + pct(er.observed) + ", short by " + pct(x.min - er.observed);
  return er;
}

// Of the successful chat answers (embeddings calls aside), the share that carried reasoning
// (kReasoningShare) or read the prompt cache (kCacheReadShare).
ExpectationResult check_answer_share(const Expectation& x, const ScenarioResult& res) {
  const bool reasoning = x.kind == ExpectationKind::kReasoningShare;
  uint64_t ok = 0, with = 0;
  for (const auto& r : res.request_log) {
    if (r.outcome != "ok" || r.embed) continue;
    ++ok;
    with += (reasoning ? r.reasoning : r.cache_read_tokens > 0) ? 1 : 0;
  }
  ExpectationResult er;
  er.observed = ok == 0 ? 0.0 : static_cast<double>(with) / static_cast<double>(ok);
  er.threshold = x.min;
  er.unit = "ratio";
  er.passed = ok > 0 && er.observed >= x.min;
  er.description = std::string(reasoning ? "answers with reasoning" : "answers reading the prompt cache") + " >= " + pct(x.min);
  if (!er.passed) er.detail = "observed " + pct(er.observed) + " of " + std::to_string(ok) + " successful answers";
  return er;
}

ExpectationResult check_latency(const Expectation& x, const ScenarioResult& res) {
  ExpectationResult er;
  std::vector<double> v;
  for (const auto& r : res.request_log) {
    if (r.finished && (!x.ok_only || r.outcome == "ok")) v.push_back(to_ms(r.latency()));
  }
  er.observed = percentile(v, x.percentile);
  er.threshold = x.max;
  er.unit = "ms";
  er.passed = er.observed <= x.max;
  char buf[96];
  std::snprintf(buf, sizeof buf, "p%g latency (%s) <= %s", x.percentile, x.ok_only ? "ok" : "all",
                ms_text(x.max).c_str());
  er.description = buf;
  if (!er.passed) er.detail = "observed " + ms_text(er.observed) + ", over by " + ms_text(er.observed - x.max);
  return er;
}

ExpectationResult check_attempts(const Expectation& x, const ScenarioResult& res) {
  ExpectationResult er;
  const uint64_t n = attempts_in_window(x, res);
  er.observed = static_cast<double>(n);
  const bool has_max = x.max >= 0;
  er.threshold = has_max ? x.max : x.min;
  er.unit = "attempts";
  er.passed = (!has_max || er.observed <= x.max) && er.observed >= x.min;
  er.description = "attempts to " + (x.provider.empty() ? std::string("any provider") : x.provider) + window_text(x);
  if (x.min > 0) er.description += " >= " + std::to_string(static_cast<uint64_t>(x.min));
  if (has_max) er.description += std::string(x.min > 0 ? " and" : "") + " <= " + std::to_string(static_cast<uint64_t>(x.max));
  if (!er.passed) {
    er.detail = has_max && er.observed > x.max
                    ? "observed " + std::to_string(n) + ", over by " + std::to_string(n - static_cast<uint64_t>(x.max))
                    : "observed " + std::to_string(n) + ", short by " + std::to_string(static_cast<uint64_t>(x.min) - n);
  }
  return er;
}

// ---- no traffic to an open breaker

BreakerReplay::BreakerReplay(const std::vector<BreakerTransition>& log, uint32_t half_open_trials, Duration open_grace)
    : trials_(half_open_trials), grace_(open_grace) {
  for (const auto& b : log) endpoints_[b.endpoint_id].log.push_back(&b);
}

void BreakerReplay::advance(Endpoint& e, Duration at) const {
  while (e.next < e.log.size()) {
    const BreakerTransition& t = *e.log[e.next];
    const bool to_open = t.to == "open";
    const bool before = t.at + (to_open ? grace_ : Duration(0)) < at || (t.at == at && !to_open);
    if (!before) break;
    e.state = t.to;
    if (e.state == "half_open") e.trials_used = 0;
    ++e.next;
  }
}

bool BreakerReplay::admits(const std::string& ep, Duration at, std::string& why) {
  Endpoint& e = endpoints_[ep];
  advance(e, at);
  if (e.state == "closed") return true;
  if (e.state == "half_open" && e.trials_used < trials_) {
    e.trials_used++;
    return true;
  }
  why = ep + " " + e.state;
  return false;
}

std::map<std::string, std::vector<std::string>> endpoints_by_provider(const Scenario& s) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& p : s.providers) {
    for (const auto& m : p.models) out[p.name].push_back(p.name + "/" + m);
  }
  return out;
}

ExpectationResult check_no_traffic_to_open_breaker(const Expectation& x, const Scenario& s, const ScenarioResult& res) {
  const uint32_t trials = s.client.breaker.half_open_trials;
  // Real time: other threads' failures may open the breaker between the façade's permit
  // and the wire's log; an opening less than this long before an attempt does not count.
  const Duration grace = res.real_time() ? std::chrono::milliseconds(100) : Duration(0);
  BreakerReplay replay(res.breaker_log, trials, grace);
  // Attempts are logged by provider (the wire does not know the endpoint): an attempt is
  // a violation when none of the provider's endpoints admits it.
  auto eps_of = endpoints_by_provider(s);
  uint64_t violations = 0;
  std::string first;
  for (const auto& a : res.attempt_log) {
    if (!x.provider.empty() && a.provider != x.provider) continue;
    bool admitted = false;
    std::string why;
    for (const auto& ep : eps_of[a.provider]) {
      if ((admitted = replay.admits(ep, a.at, why))) break;
    }
    if (admitted) continue;
    ++violations;
    if (first.empty()) {
      first = "request " + std::to_string(a.request) + " attempt " + std::to_string(a.number) + " at " +
              ms_text(to_ms(a.at)) + " while " + why;
    }
  }
  ExpectationResult er;
  er.observed = static_cast<double>(violations);
  er.threshold = 0;
  er.unit = "violations";
  er.passed = violations == 0;
  er.description = "no traffic to an open breaker beyond " + std::to_string(trials) + " half-open trials" +
                   (x.provider.empty() ? "" : " (" + x.provider + ")");
  if (!er.passed) er.detail = std::to_string(violations) + " attempt(s); first: " + first;
  return er;
}

// ---- Retry-After honoured

namespace {

// The attempts of every request that got a Retry-After at least once, in time order.
std::map<uint64_t, std::vector<const AttemptRecord*>> requests_told_to_wait(const ScenarioResult& res) {
  std::map<uint64_t, std::vector<const AttemptRecord*>> by_req;
  for (const auto& a : res.attempt_log) {
    if (a.retry_after) by_req[a.request];
  }
  for (const auto& a : res.attempt_log) {
    auto it = by_req.find(a.request);
    if (it != by_req.end()) it->second.push_back(&a);
  }
  return by_req;
}

}  // namespace

ExpectationResult check_honours_retry_after(const ScenarioResult& res) {
  uint64_t violations = 0, checked = 0;
  std::string first;
  for (const auto& [id, list] : requests_told_to_wait(res)) {
    for (size_t i = 0; i < list.size(); ++i) {
      const AttemptRecord& a = *list[i];
      if (!a.retry_after) continue;
      // The next attempt to the same provider is the retry this Retry-After speaks of.
      for (size_t j = i + 1; j < list.size(); ++j) {
        if (list[j]->provider != a.provider) continue;
        ++checked;
        const Duration waited = list[j]->at - a.head_at;
        if (waited < *a.retry_after && violations++ == 0) {
          first = "request " + std::to_string(id) + ": retried " + a.provider + " after " + ms_text(to_ms(waited)) +
                  ", Retry-After was " + ms_text(to_ms(*a.retry_after));
        }
        break;
      }
    }
  }
  ExpectationResult er;
  er.observed = static_cast<double>(violations);
  er.unit = "violations";
  er.passed = violations == 0;
  er.description = "the client waited >= Retry-After before retrying the same provider (" +
                   std::to_string(checked) + " retries checked)";
  if (!er.passed) er.detail = std::to_string(violations) + " early retr(ies); first: " + first;
  return er;
}

ExpectationResult check_no_retry_after_partial_output(const Scenario& s, const ScenarioResult& res) {
  uint64_t violations = 0;
  std::string first;
  const bool continuation = s.client.stream_continuation;
  for (const auto& a : res.attempt_log) {
    if (!a.after_partial_output || continuation) continue;
    ++violations;
    if (first.empty()) first = "request " + std::to_string(a.request) + " attempt " + std::to_string(a.number);
  }
  ExpectationResult er;
  er.observed = static_cast<double>(violations);
  er.unit = "violations";
  er.passed = violations == 0;
  er.description = continuation ? "no retry after partial output (continuation on: not applicable)"
                                 : "no retry after partial output";
  if (!er.passed) er.detail = std::to_string(violations) + " attempt(s) after content reached the caller; first: " + first;
  return er;
}

ExpectationResult check_cost(const Expectation& x, const ScenarioResult& res) {
  double cost = res.cost_usd;
  if (!x.provider.empty()) {
    cost = 0;
    for (const auto& p : res.providers) {
      if (p.name == x.provider) cost = p.cost_usd;
    }
  }
  ExpectationResult er;
  er.observed = cost;
  er.threshold = x.max;
  er.unit = "usd";
  er.passed = cost <= x.max + 1e-12;
  char buf[96];
  std::snprintf(buf, sizeof buf, "cost <= $%.4f", x.max);
  er.description = buf;
  if (!x.provider.empty()) er.description = "cost of requests served by " + x.provider + " <= " + er.description.substr(8);
  if (!er.passed) {
    std::snprintf(buf, sizeof buf, "observed $%.4f, over by $%.4f", cost, cost - x.max);
    er.detail = buf;
  }
  return er;
}

ExpectationResult check_no_lost_requests(const ScenarioResult& res) {
  uint64_t bad = res.lost;
  std::string first;
  for (const auto& r : res.request_log) {
    if (r.outcome == "internal") ++bad;
    if (first.empty() && (!r.finished || r.outcome == "internal")) {
      first = "request " + std::to_string(r.id) + " (" + r.outcome + ")";
    }
  }
  ExpectationResult er;
  er.observed = static_cast<double>(bad);
  er.unit = "requests";
  er.passed = bad == 0;
  er.description = "no lost requests (every call ends in success or a classified error)";
  if (!er.passed) er.detail = std::to_string(bad) + " lost or unclassified; first: " + first;
  return er;
}

ExpectationResult check_all_faults_fired(const ScenarioResult& res) {
  uint64_t total = 0, unfired = 0;
  std::string names;
  for (const auto& p : res.providers) {
    for (const auto& f : p.faults) {
      ++total;
      if (f.fired == 0) {
        ++unfired;
        names += (names.empty() ? "" : ", ") + p.name + ":" + f.id;
      }
    }
  }
  ExpectationResult er;
  er.observed = static_cast<double>(unfired);
  er.unit = "faults";
  er.passed = unfired == 0;
  er.description = "every configured fault fired (" + std::to_string(total) + " faults)";
  if (!er.passed) er.detail = "never fired: " + names;
  return er;
}

namespace {

ExpectationResult check(const Expectation& x, const Scenario& s, const ScenarioResult& res) {
  switch (x.kind) {
    case ExpectationKind::kSuccessRate: return check_success_rate(x, res);
    case ExpectationKind::kLatency: return check_latency(x, res);
    case ExpectationKind::kAttempts: return check_attempts(x, res);
    case ExpectationKind::kNoTrafficToOpenBreaker: return check_no_traffic_to_open_breaker(x, s, res);
    case ExpectationKind::kHonoursRetryAfter: return check_honours_retry_after(res);
    case ExpectationKind::kNoRetryAfterPartialOutput: return check_no_retry_after_partial_output(s, res);
    case ExpectationKind::kCost: return check_cost(x, res);
    case ExpectationKind::kNoLostRequests: return check_no_lost_requests(res);
    case ExpectationKind::kAllFaultsFired: return check_all_faults_fired(res);
    case ExpectationKind::kReasoningShare:
    case ExpectationKind::kCacheReadShare: return check_answer_share(x, res);
  }
  return {};
}

}  // namespace

}  // namespace detail

void evaluate_expectations(const Scenario& scenario, ScenarioResult& res) {
  res.expectations.clear();
  for (const Expectation& x : scenario.expectations) {
    ExpectationResult er = detail::check(x, scenario, res);
    er.kind = std::string(expectation_kind_name(x.kind));
    er.path = x.path;
    res.expectations.push_back(std::move(er));
  }
}

}  // namespace ploke::scenarios
