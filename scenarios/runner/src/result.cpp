// ScenarioResult: canonical text + digest, JSON, terminal table.
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "ploke/scenarios/result.h"

namespace ploke::scenarios {

namespace {

using Json = nlohmann::ordered_json;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

long long ns(Duration d) { return static_cast<long long>(d.count()); }

double ms(Duration d) { return to_ms(d); }

std::string_view priority_name(Priority p) {
  switch (p) {
    case Priority::kLow: return "low";
    case Priority::kNormal: return "normal";
    case Priority::kHigh: return "high";
    case Priority::kCritical: return "critical";
  }
  return "?";
}

}  // namespace

namespace {

// Fast appenders for the canonical text (snprintf dominated the digest's cost).
struct Canon {
  std::string& out;
  Canon& u(uint64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
    out.push_back(' ');
    return *this;
  }
  Canon& i(int64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
    out.push_back(' ');
    return *this;
  }
  Canon& s(std::string_view v) {
    out.append(v);
    out.push_back(' ');
    return *this;
  }
  /// Money as integer nano-dollars (exact across platforms for the digest).
  Canon& usd(double v) { return i(static_cast<int64_t>(std::llround(v * 1e9))); }
  void end() { out.back() = '\n'; }
};

}  // namespace

std::string canonical_text(const ScenarioResult& r) {
  std::string out;
  out.reserve(r.request_log.size() * 64 + r.attempt_log.size() * 64 + 4096);
  Canon c{out};
  c.s("scenario").s(r.name).s("seed").u(r.seed).s("duration").i(ns(r.duration)).s("simulated").i(ns(r.simulated)).end();
  for (const auto& q : r.request_log) {
    c.s("R").u(q.id).i(ns(q.start)).i(ns(q.end)).u(q.finished).s(q.outcome).u(q.stream).u(q.tools)
        .u(static_cast<uint64_t>(q.priority)).u(q.attempts).s(q.served_by).usd(q.cost_usd).i(ns(q.queue_wait))
        .u(q.content_events);
    if (q.embed) c.s("embed");  // only then: the digests of runs without embeddings are unchanged
    if (q.reasoning) c.s("reasoning");  // likewise for reasoning and cache reads
    if (q.cache_read_tokens > 0) c.s("cache_read").u(q.cache_read_tokens);
    c.end();
  }
  for (const auto& a : r.attempt_log) {
    c.s("A").u(a.request).u(a.number).s(a.provider).i(ns(a.at)).i(ns(a.head_at)).i(a.http_status).s(a.ending)
        .s(a.fault_id).i(a.retry_after ? ns(*a.retry_after) : -1).u(a.after_partial_output).end();
  }
  for (const auto& b : r.breaker_log) c.s("B").i(ns(b.at)).s(b.endpoint_id).s(b.from).s(b.to).s(b.reason).end();
  for (const auto& q : r.queue_samples) c.s("Q").i(ns(q.at)).u(q.in_flight).u(q.queued).u(q.outstanding).end();
  for (const auto& p : r.providers) {
    for (const auto& f : p.faults) c.s("F").s(p.name).s(f.id).s(f.kind).u(f.matched).u(f.fired).end();
  }
  for (const auto& b : r.budgets) {
    c.s("G").s(b.path).usd(b.spent_usd).u(b.refusals).i(b.first_refusal ? ns(*b.first_refusal) : -1).end();
  }
  char buf[64];
  for (const auto& e : r.expectations) {
    std::snprintf(buf, sizeof buf, "%.9g %.9g", e.observed, e.threshold);
    c.s("E").s(e.path).u(e.passed).s(buf).end();
  }
  return out;
}

namespace {

// Identity, clock and times ("digest" null on the real clock: not deterministic).
void put_header(Json& j, const ScenarioResult& r) {
  j["file"] = r.file;
  j["name"] = r.name;
  j["description"] = r.description;
  j["tags"] = r.tags;
  j["seed"] = r.seed;
  j["passed"] = r.passed();
  j["clock"] = r.clock;
  if (r.real_time()) {
    j["digest"] = nullptr;
    j["deterministic"] = false;
  } else {
    j["digest"] = r.digest;
    j["deterministic"] = true;
  }
  j["duration_ms"] = ms(r.duration);
  j["simulated_ms"] = ms(r.simulated);
  j["wall_ms"] = r.wall_ms;
  j["sample_interval_ms"] = ms(r.sample_interval);
}

Json summary_json(const ScenarioResult& r) {
  Json s;
  s["requests"] = r.requests;
  s["ok"] = r.ok;
  s["failed"] = r.failed;
  s["lost"] = r.lost;
  s["success_rate"] = r.requests ? static_cast<double>(r.ok) / static_cast<double>(r.requests) : 1.0;
  s["attempts"] = r.attempts;
  s["retries"] = r.retries;
  s["outcomes"] = r.outcomes;
  s["latency_ms"] = {{"p50", r.p50_ms}, {"p95", r.p95_ms}, {"p99", r.p99_ms}, {"max", r.max_ms}};
  s["cost_usd"] = r.cost_usd;
  s["timers_fired"] = r.timers_fired;
  s["abandoned_waits"] = r.abandoned_waits;
  return s;
}

Json expectations_json(const ScenarioResult& r) {
  Json ex = Json::array();
  for (const auto& e : r.expectations) {
    ex.push_back({{"path", e.path}, {"kind", e.kind}, {"description", e.description}, {"passed", e.passed},
                  {"observed", e.observed}, {"threshold", e.threshold}, {"unit", e.unit}, {"detail", e.detail}});
  }
  return ex;
}

Json providers_json(const ScenarioResult& r) {
  Json ps = Json::array();
  for (const auto& p : r.providers) {
    Json pj = {{"name", p.name}, {"protocol", p.protocol}, {"attempts", p.attempts}, {"ok", p.ok},
               {"outcomes", p.outcomes}, {"breaker_openings", p.breaker_openings}, {"cost_usd", p.cost_usd},
               {"engine_requests", p.engine_requests}};
    if (!p.url.empty()) pj["url"] = p.url;
    if (!p.drift.empty()) pj["drift"] = p.drift;
    Json fs = Json::array();
    for (const auto& f : p.faults) fs.push_back({{"id", f.id}, {"kind", f.kind}, {"matched", f.matched}, {"fired", f.fired}});
    pj["faults"] = fs;
    ps.push_back(pj);
  }
  return ps;
}

Json budgets_json(const ScenarioResult& r) {
  Json bj = Json::array();
  for (const auto& b : r.budgets) {
    Json one = {{"path", b.path},           {"scope", b.scope},         {"name", b.name},
                {"period", b.period},       {"action", b.action},       {"limit_usd", b.limit_usd},
                {"spent_usd", b.spent_usd}, {"refusals", b.refusals}};
    one["first_refusal_ms"] = b.first_refusal ? Json(ms(*b.first_refusal)) : Json(nullptr);
    bj.push_back(std::move(one));
  }
  return bj;
}

Json breaker_log_json(const ScenarioResult& r) {
  Json bl = Json::array();
  for (const auto& b : r.breaker_log) {
    bl.push_back({{"at_ms", ms(b.at)}, {"endpoint", b.endpoint_id}, {"provider", b.provider}, {"from", b.from},
                  {"to", b.to}, {"reason", b.reason}});
  }
  return bl;
}

Json buckets_json(const ScenarioResult& r) {
  Json bs = Json::array();
  for (const auto& b : r.buckets) {
    Json bj = {{"start_ms", ms(b.start)}, {"arrivals", b.arrivals}, {"finished", b.finished}, {"ok", b.ok},
               {"failed", b.failed}, {"attempts", b.attempts}, {"retries", b.retries}, {"p50_ms", b.p50_ms},
               {"p95_ms", b.p95_ms}, {"p99_ms", b.p99_ms}, {"cost_usd", b.cost_usd}};
    Json pj = Json::object();
    for (const auto& [name, pb] : b.providers) {
      pj[name] = {{"attempts", pb.attempts}, {"ok", pb.ok}, {"errors", pb.errors}, {"breaker", pb.breaker}};
    }
    bj["providers"] = pj;
    bs.push_back(bj);
  }
  return bs;
}

Json queue_samples_json(const ScenarioResult& r) {
  Json qs = Json::array();
  for (const auto& q : r.queue_samples) {
    qs.push_back({{"at_ms", ms(q.at)}, {"in_flight", q.in_flight}, {"queued", q.queued}, {"outstanding", q.outstanding}});
  }
  return qs;
}

Json request_log_json(const ScenarioResult& r) {
  Json rl = Json::array();
  for (const auto& q : r.request_log) {
    rl.push_back({{"id", q.id}, {"start_ms", ms(q.start)}, {"end_ms", ms(q.end)}, {"finished", q.finished},
                  {"outcome", q.outcome}, {"stream", q.stream}, {"tools", q.tools},
                  {"priority", priority_name(q.priority)}, {"attempts", q.attempts}, {"served_by", q.served_by},
                  {"cost_usd", q.cost_usd}, {"queue_wait_ms", ms(q.queue_wait)}});
    if (q.embed) rl.back()["embed"] = true;
    if (q.reasoning) rl.back()["reasoning"] = true;
    if (q.cache_read_tokens > 0) rl.back()["cache_read_tokens"] = q.cache_read_tokens;
  }
  return rl;
}

Json attempt_log_json(const ScenarioResult& r) {
  Json al = Json::array();
  for (const auto& a : r.attempt_log) {
    Json aj = {{"request", a.request}, {"number", a.number}, {"provider", a.provider}, {"at_ms", ms(a.at)},
               {"head_at_ms", ms(a.head_at)}, {"http_status", a.http_status}, {"ending", a.ending},
               {"fault", a.fault_id}, {"after_partial_output", a.after_partial_output}};
    if (a.retry_after) aj["retry_after_ms"] = ms(*a.retry_after);
    al.push_back(aj);
  }
  return al;
}

}  // namespace

std::string result_to_json(const ScenarioResult& r, bool with_logs) {
  Json j;
  put_header(j, r);
  j["summary"] = summary_json(r);
  j["expectations"] = expectations_json(r);
  j["providers"] = providers_json(r);
  if (!r.budgets.empty()) j["budgets"] = budgets_json(r);
  j["breaker_log"] = breaker_log_json(r);
  j["buckets"] = buckets_json(r);
  j["queue_samples"] = queue_samples_json(r);
  if (with_logs) {
    j["requests"] = request_log_json(r);
    j["attempts"] = attempt_log_json(r);
  }
  return j.dump(2);
}

std::string result_to_text(const ScenarioResult& r) {
  std::string out;
  char buf[512];
  if (r.real_time()) {
    std::snprintf(buf, sizeof buf, "scenario %s (%s) — seed %llu, real time over loopback HTTP: %.1fs wall\n",
                  r.name.c_str(), r.file.c_str(), static_cast<unsigned long long>(r.seed),
                  std::chrono::duration<double>(r.simulated).count());
  } else {
    std::snprintf(buf, sizeof buf, "scenario %s (%s) — seed %llu, %.0fs simulated in %.0f ms wall\n", r.name.c_str(),
                  r.file.c_str(), static_cast<unsigned long long>(r.seed),
                  std::chrono::duration<double>(r.simulated).count(), r.wall_ms);
  }
  out += buf;
  std::snprintf(buf, sizeof buf,
                "  requests %llu: ok %llu, failed %llu, lost %llu (success %.2f%%); attempts %llu, retries %llu; "
                "latency p50 %.0fms p95 %.0fms p99 %.0fms; cost $%.4f\n",
                static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.ok),
                static_cast<unsigned long long>(r.failed), static_cast<unsigned long long>(r.lost),
                r.requests ? 100.0 * static_cast<double>(r.ok) / static_cast<double>(r.requests) : 100.0,
                static_cast<unsigned long long>(r.attempts), static_cast<unsigned long long>(r.retries), r.p50_ms,
                r.p95_ms, r.p99_ms, r.cost_usd);
  out += buf;
  if (r.outcomes.size() > 1 || (r.outcomes.size() == 1 && !r.outcomes.count("ok"))) {
    out += "  outcomes:";
    for (const auto& [k, v] : r.outcomes) out += " " + k + "=" + std::to_string(v);
    out += "\n";
  }
  std::snprintf(buf, sizeof buf, "  %-14s %-10s %9s %9s %8s  %s\n", "provider", "protocol", "attempts", "ok", "opened",
                "responses / faults fired");
  out += buf;
  for (const auto& p : r.providers) {
    std::string detail;
    for (const auto& [k, v] : p.outcomes) detail += (detail.empty() ? "" : " ") + k + "=" + std::to_string(v);
    for (const auto& f : p.faults) detail += " [" + f.id + " " + std::to_string(f.fired) + "x]";
    if (!p.drift.empty()) detail += " drift=" + p.drift;
    std::snprintf(buf, sizeof buf, "  %-14s %-10s %9llu %9llu %8llu  %s\n", p.name.c_str(), p.protocol.c_str(),
                  static_cast<unsigned long long>(p.attempts), static_cast<unsigned long long>(p.ok),
                  static_cast<unsigned long long>(p.breaker_openings), detail.c_str());
    out += buf;
  }
  for (const auto& b : r.budgets) {
    std::snprintf(buf, sizeof buf, "  budget %s %s%s%s %s: $%.4f of $%.4f spent, %llu refusal(s)", b.period.c_str(),
                  b.scope.c_str(), b.name.empty() ? "" : "=", b.name.c_str(), b.action.c_str(), b.spent_usd, b.limit_usd,
                  static_cast<unsigned long long>(b.refusals));
    out += buf;
    if (b.first_refusal) out += fmt(", first at %.1fs", std::chrono::duration<double>(*b.first_refusal).count());
    out += "\n";
  }
  for (const auto& e : r.expectations) {
    std::string obs;
    if (e.unit == "ratio") obs = fmt("%.4f", e.observed);
    else if (e.unit == "ms") obs = fmt("%.1fms", e.observed);
    else if (e.unit == "usd") obs = fmt("$%.4f", e.observed);
    else obs = fmt("%.0f", e.observed);
    std::snprintf(buf, sizeof buf, "  %s %-10s %s (observed %s)%s%s\n", e.passed ? "PASS" : "FAIL", e.path.c_str(),
                  e.description.c_str(), obs.c_str(), e.detail.empty() ? "" : ": ", e.detail.c_str());
    out += buf;
  }
  if (r.real_time()) {
    out += "  digest n/a (real clock: not deterministic)\n";
  } else {
    out += "  digest " + r.digest + "\n";
  }
  return out;
}

}  // namespace ploke::scenarios
