// Client checks: judging what the simulator saw (ploke/scenarios/client_check.h).
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include "ploke/core/ascii.h"
#include "ploke/scenarios/client_check.h"

namespace ploke::scenarios {
namespace {

using Exchange = ObservedExchange;
using Chain = std::vector<const Exchange*>;
constexpr size_t kMaxEvidence = 5;

std::string secs(Duration d) {
  char buf[32];
  const double s = std::chrono::duration<double>(d).count();
  if (s < 1) {
    std::snprintf(buf, sizeof buf, "%.0f ms", s * 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  }
  return buf;
}

Duration end_of(const Exchange& x) { return x.entry.at + x.latency; }
Duration gap(const Exchange& a, const Exchange& b) { return b.entry.at - end_of(a); }

// "#3 POST /v1/chat/completions (gpt-4o)"
std::string name_of(const Exchange& x) {
  std::string s = "#" + std::to_string(x.entry.seq) + " " + x.entry.method + " " + x.entry.path;
  if (!x.entry.model.empty()) s += " (" + x.entry.model + ")";
  return s;
}

// "429", "a reset", "no answer (hung)"
std::string outcome_of(const Exchange& x) {
  const auto& e = x.entry;
  if (e.status == 0) {
    if (e.ending == "hang") return x.entry.client_left ? "no answer (the client gave up)" : "no answer (hung)";
    if (e.ending == "close_no_reply") return "an empty reply (connection closed)";
    return "a connection reset";
  }
  std::string s = std::to_string(e.status);
  if (e.broke_after_output) s += " stream that broke after delivering events";
  return s;
}

// Failures a client is expected to retry: 408, 409, 429, 5xx (529 included), no answer at
// all (reset, empty reply, hang or timeout), unless the answer said x-should-retry: false;
// x-should-retry: true makes any status retryable.
bool transient(const Exchange& x) {
  const auto& e = x.entry;
  if (e.should_retry) return *e.should_retry;
  if (e.status == 0) return true;
  return e.status == 408 || e.status == 409 || e.status == 429 || e.status >= 500;
}

bool told_not_to_retry(const Exchange& x, const ClientCheck& c) {
  const auto& e = x.entry;
  if (e.should_retry && !*e.should_retry) return true;
  return std::find(c.statuses.begin(), c.statuses.end(), e.status) != c.statuses.end() && !e.should_retry;
}

bool answered(const Exchange& x) {
  const auto& e = x.entry;
  return e.status >= 200 && e.status < 300 && e.ending == "complete" && !e.broke_after_output && !e.client_left;
}

// POST requests grouped by path and body (one logical call each), in arrival order. A
// request that says it is a first attempt (X-Stainless-Retry-Count: 0, as the OpenAI and
// Anthropic SDKs send) starts a new call even when its body was seen before: the app asked
// the same thing twice, which is not a retry.
std::vector<Chain> chains_of(const std::vector<Exchange>& xs) {
  std::vector<const Exchange*> sorted;
  for (const auto& x : xs) {
    if (iequals(x.entry.method, "POST")) sorted.push_back(&x);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->entry.seq < b->entry.seq; });
  std::map<std::pair<std::string, uint64_t>, size_t> index;
  std::vector<Chain> out;
  for (const Exchange* x : sorted) {
    auto [it, fresh] = index.try_emplace({x->entry.path, x->entry.body_hash}, out.size());
    if (!fresh && x->entry.retry_count == 0) {  // the SDK says: a new call
      it->second = out.size();
      fresh = true;
    }
    if (fresh) out.emplace_back();
    out[it->second].push_back(x);
  }
  return out;
}

struct Tally {
  ClientVerdict v;
  size_t judged = 0;
  size_t bad = 0;
  void violation(std::string line) {
    ++bad;
    if (v.evidence.size() < kMaxEvidence) v.evidence.push_back(std::move(line));
  }
  ClientVerdict done(const std::string& pass, const std::string& fail, const std::string& unjudged) {
    v.judged = judged > 0;
    v.passed = bad == 0;
    v.summary = !v.judged ? unjudged : v.passed ? pass : fail;
    if (bad > kMaxEvidence) v.evidence.push_back("… and " + std::to_string(bad - kMaxEvidence) + " more");
    return std::move(v);
  }
};

ClientVerdict waits_for_retry_after(const ClientCheck& c, const std::vector<Chain>& chains) {
  Tally t;
  for (const Chain& ch : chains) {
    for (size_t i = 0; i + 1 < ch.size(); ++i) {
      const Exchange& a = *ch[i];
      const Exchange& b = *ch[i + 1];
      if (!a.entry.retry_after || !transient(a)) continue;
      const Duration wait = *a.entry.retry_after;
      if (c.honored_up_to && wait > *c.honored_up_to) continue;
      ++t.judged;
      const Duration g = gap(a, b);
      const auto longest = std::chrono::duration_cast<Duration>(wait * c.max_factor) + c.max_slack;
      if (g + c.early_tolerance < wait) {
        t.violation(name_of(a) + " got " + outcome_of(a) + " asking to wait " + secs(wait) + "; the retry came after " +
                    secs(g));
      } else if (g > longest) {
        t.violation(name_of(a) + " got " + outcome_of(a) + " asking to wait " + secs(wait) + "; the retry came after " +
                    secs(g) + " (more than " + secs(longest) + ")");
      }
    }
  }
  return t.done(std::to_string(t.judged) + (t.judged == 1 ? " retry" : " retries") +
                    " after an advertised wait: each waited it, and not much longer",
                std::to_string(t.bad) + " of " + std::to_string(t.judged) +
                    " retries did not wait what Retry-After / retry-after-ms asked",
                "not exercised: no answer that advertised a wait was retried");
}

ClientVerdict retries_transient_errors(const ClientCheck& c, const std::vector<Chain>& chains) {
  Tally t;
  for (const Chain& ch : chains) {
    for (const Exchange* x : ch) t.judged += transient(*x);
    const Exchange& last = *ch.back();
    if (!transient(last)) continue;
    const size_t retries = ch.size() - 1;
    if (retries < c.min_retries) {
      t.violation(name_of(last) + " got " + outcome_of(last) + " and the call was given up after " +
                  std::to_string(retries) + " retries (at least " + std::to_string(c.min_retries) + " expected)");
    }
  }
  return t.done("every call that failed transiently was retried (at least " + std::to_string(c.min_retries) + " times)",
                std::to_string(t.bad) + " calls gave up on a retryable failure (429, 5xx, 529, reset, timeout) too soon",
                "not exercised: no request failed with a retryable error");
}

ClientVerdict retries_at_most(const ClientCheck& c, const std::vector<Chain>& chains) {
  Tally t;
  for (const Chain& ch : chains) {
    if (ch.size() < 2 && !transient(*ch.front())) continue;
    ++t.judged;
    if (ch.size() - 1 > c.max_retries) {
      t.violation(name_of(*ch.front()) + " was sent " + std::to_string(ch.size()) + " times (" +
                  std::to_string(ch.size() - 1) + " retries; at most " + std::to_string(c.max_retries) + ")");
    }
  }
  return t.done("no call was retried more than " + std::to_string(c.max_retries) + " times",
                std::to_string(t.bad) + " calls were retried more than " + std::to_string(c.max_retries) + " times",
                "not exercised: no call failed or was retried");
}

// The gaps after transient failures that did not advertise a wait, by retry index.
using Gaps = std::vector<std::pair<size_t, Duration>>;
Gaps backoff_gaps(const Chain& ch) {
  Gaps g;
  for (size_t i = 0; i + 1 < ch.size(); ++i) {
    if (transient(*ch[i]) && !ch[i]->entry.retry_after) g.push_back({i, gap(*ch[i], *ch[i + 1])});
  }
  return g;
}

void judge_jitter(const std::map<size_t, std::vector<Duration>>& by_index, Tally& t, std::string& note) {
  bool any = false, all_identical = true;
  Duration typical{};
  size_t calls = 0;
  for (const auto& [k, v] : by_index) {
    if (v.size() < 3) continue;
    any = true;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (*hi - *lo > std::chrono::milliseconds(2)) all_identical = false;
    typical = *lo;
    calls = std::max(calls, v.size());
  }
  if (!any) {
    note = " (jitter not judged: fewer than 3 calls were retried)";
  } else if (all_identical) {
    t.violation("the retries of " + std::to_string(calls) + " calls all waited " + secs(typical) +
                " (within 2 ms): no jitter, so clients retry in lockstep");
  }
}

ClientVerdict backs_off_with_jitter(const ClientCheck& c, const std::vector<Chain>& chains) {
  Tally t;
  std::map<size_t, std::vector<Duration>> by_index;
  for (const Chain& ch : chains) {
    const Gaps gaps = backoff_gaps(ch);
    for (size_t j = 0; j < gaps.size(); ++j) {
      const auto [i, g] = gaps[j];
      ++t.judged;
      by_index[i].push_back(g);
      if (g < c.min_gap) {
        t.violation(name_of(*ch[i]) + " got " + outcome_of(*ch[i]) + " and was retried after " + secs(g) +
                    " (at least " + secs(c.min_gap) + " expected)");
      } else if (j > 0 && gaps[j - 1].first + 1 == i && g < std::chrono::duration_cast<Duration>(gaps[j - 1].second * c.min_growth)) {
        t.violation(name_of(*ch[i]) + ": the wait did not grow (" + secs(gaps[j - 1].second) + ", then " + secs(g) + ")");
      }
    }
  }
  std::string note;
  if (c.require_jitter) judge_jitter(by_index, t, note);
  return t.done("retries waited at least " + secs(c.min_gap) + ", longer each time" + note,
                std::to_string(t.bad) + " retries came too soon, did not back off, or were not jittered",
                "not exercised: no retry followed a failure without an advertised wait");
}

// Attempts for which `applies` holds are judged; each one followed by another attempt of
// the same call is a violation, described by `say(attempt, next)`.
template <class Applies, class Say>
void judge_resends(const std::vector<Chain>& chains, Tally& t, Applies applies, Say say) {
  for (const Chain& ch : chains) {
    for (size_t i = 0; i < ch.size(); ++i) {
      if (!applies(*ch[i])) continue;
      ++t.judged;
      if (i + 1 < ch.size()) t.violation(say(*ch[i], *ch[i + 1]));
    }
  }
}

ClientVerdict no_retry_of_client_errors(const ClientCheck& c, const std::vector<Chain>& chains) {
  Tally t;
  judge_resends(chains, t, [&](const Exchange& x) { return told_not_to_retry(x, c); },
                [](const Exchange& a, const Exchange& b) {
                  return name_of(a) + " got " + outcome_of(a) +
                         (a.entry.should_retry.has_value() ? " with x-should-retry: false" : "") +
                         " and the same request was sent again " + secs(gap(a, b)) + " later";
                });
  return t.done("no request was resent after a client error (or x-should-retry: false)",
                std::to_string(t.bad) + " requests were resent after an answer that retrying cannot change",
                "not exercised: no request got a client error");
}

ClientVerdict no_retry_after_partial_stream(const std::vector<Chain>& chains) {
  Tally t;
  judge_resends(chains, t, [](const Exchange& x) { return x.entry.broke_after_output; },
                [](const Exchange& a, const Exchange& b) {
                  return name_of(a) + ": its stream broke after delivering events and the same request was sent "
                                      "again (#" + std::to_string(b.entry.seq) + "): the user sees the answer start twice";
                });
  return t.done("no stream that had delivered events was requested again from the start",
                std::to_string(t.bad) + " broken streams were restarted from scratch after part was delivered",
                "not exercised: no stream broke after delivering events");
}

ClientVerdict no_repeat_of_answered_request(const std::vector<Chain>& chains) {
  Tally t;
  judge_resends(chains, t, answered, [](const Exchange& a, const Exchange& b) {
    return name_of(a) + " was answered in full, and the same request was sent again (#" + std::to_string(b.entry.seq) + ")";
  });
  return t.done("no request answered in full was sent again", std::to_string(t.bad) + " answered requests were sent again",
                "not exercised: no request was answered in full");
}

// A hung request counts as abandoned by the client when the client closed it in time, not
// when the command was stopped at the run's time limit (its end then falls within 0.5 s of
// the run's end: journal times start a little before the command does).
ClientVerdict times_out_hung_requests(const ClientCheck& c, const std::vector<Exchange>& xs, const CommandOutcome& o) {
  Tally t;
  for (const Exchange& x : xs) {
    if (x.entry.ending != "hang") continue;
    ++t.judged;
    const bool killed = o.timed_out && end_of(x) + std::chrono::milliseconds(500) >= o.run_time;
    if (!x.entry.client_left || killed || x.latency > c.within) {
      t.violation(name_of(x) + " hung and the client was still waiting after " + secs(x.latency) +
                  " (expected to give up within " + secs(c.within) + "): set a request timeout");
    }
  }
  return t.done("every hung request was abandoned within " + secs(c.within),
                std::to_string(t.bad) + " hung requests were waited on past " + secs(c.within) + ": no timeout?",
                "not exercised: no request hung");
}

ClientVerdict no_secrets_in_url_or_body(const std::vector<Exchange>& xs) {
  Tally t;
  for (const Exchange& x : xs) {
    ++t.judged;
    if (!x.entry.secret_in.empty()) {
      t.violation(name_of(x) + " carried its API key in the " + x.entry.secret_in +
                  (x.entry.secret_in == "url" ? " (URLs end up in logs and proxies)" : " (bodies end up in logs)"));
    }
  }
  return t.done("API keys travelled only in their headers",
                std::to_string(t.bad) + " requests carried a credential in the URL or body", "not exercised: no request");
}

ClientVerdict exits_zero(const CommandOutcome& o, Duration limit) {
  Tally t;
  t.judged = 1;
  if (o.timed_out) {
    t.violation("the command was stopped after " + secs(limit) + " (the check's timeout)");
  } else if (o.exit_code != 0) {
    t.violation("the command exited with status " + std::to_string(o.exit_code));
  }
  return t.done("the command exited 0", "the command failed", "");
}

ClientVerdict reaches_the_simulator(size_t requests) {
  Tally t;
  t.judged = 1;
  if (requests == 0) {
    t.violation("point the client at OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OPENROUTER_BASE_URL or PLOKE_SIM_URL "
                "(ploke-sim check sets them for the command)");
  }
  return t.done(std::to_string(requests) + (requests == 1 ? " request" : " requests") + " reached the simulator",
                "the command sent no request to the simulator, so nothing could be judged", "");
}

}  // namespace

bool ClientCheckReport::passed() const {
  return std::all_of(verdicts.begin(), verdicts.end(), [](const ClientVerdict& v) { return v.passed; });
}

ClientCheckReport judge_client(const ClientCheckSpec& spec, const std::vector<ObservedExchange>& exchanges,
                               const CommandOutcome& outcome, std::vector<simulator::FaultStats> faults) {
  ClientCheckReport r;
  r.name = spec.name;
  r.file = spec.file;
  r.profile = spec.profile;
  r.outcome = outcome;
  r.requests = exchanges.size();
  r.faults = std::move(faults);
  const std::vector<Chain> chains = chains_of(exchanges);
  std::vector<ClientCheck> checks = spec.checks;
  if (std::none_of(checks.begin(), checks.end(), [](auto& c) { return c.kind == ClientCheckKind::kReachesTheSimulator; })) {
    checks.insert(checks.begin(), ClientCheck{.kind = ClientCheckKind::kReachesTheSimulator});
  }
  for (const ClientCheck& c : checks) {
    ClientVerdict v;
    switch (c.kind) {
      case ClientCheckKind::kWaitsForRetryAfter: v = waits_for_retry_after(c, chains); break;
      case ClientCheckKind::kRetriesTransientErrors: v = retries_transient_errors(c, chains); break;
      case ClientCheckKind::kRetriesAtMost: v = retries_at_most(c, chains); break;
      case ClientCheckKind::kBacksOffWithJitter: v = backs_off_with_jitter(c, chains); break;
      case ClientCheckKind::kNoRetryOfClientErrors: v = no_retry_of_client_errors(c, chains); break;
      case ClientCheckKind::kNoRetryAfterPartialStream: v = no_retry_after_partial_stream(chains); break;
      case ClientCheckKind::kNoRepeatOfAnsweredRequest: v = no_repeat_of_answered_request(chains); break;
      case ClientCheckKind::kTimesOutHungRequests: v = times_out_hung_requests(c, exchanges, outcome); break;
      case ClientCheckKind::kNoSecretsInUrlOrBody: v = no_secrets_in_url_or_body(exchanges); break;
      case ClientCheckKind::kExitsZero: v = exits_zero(outcome, spec.timeout); break;
      case ClientCheckKind::kReachesTheSimulator: v = reaches_the_simulator(exchanges.size()); break;
    }
    v.kind = c.kind;
    r.verdicts.push_back(std::move(v));
  }
  return r;
}

}  // namespace ploke::scenarios
