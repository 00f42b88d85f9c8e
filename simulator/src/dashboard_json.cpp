// The simulator's dashboard JSON (ploke/simulator/dashboard_json.h, docs/dashboard.md).
#include "ploke/simulator/dashboard_json.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

namespace ploke::simulator {
namespace {

using OJson = nlohmann::ordered_json;

std::string ms_text(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0 && ms != 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace

std::string fault_summary(const Fault& f) {
  std::string s(fault_kind_name(f.kind));
  switch (f.kind) {
    case FaultKind::kHttpError:
      s += " " + std::to_string(f.status);
      if (f.retry_after_ms) s += ", retry-after-ms " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(*f.retry_after_ms).count());
      if (f.retry_after) s += ", retry-after " + ms_text(*f.retry_after);
      if (f.should_retry) s += std::string(", x-should-retry ") + (*f.should_retry ? "true" : "false");
      if (!f.error_code.empty()) s += ", code " + f.error_code;
      break;
    case FaultKind::kHang:
    case FaultKind::kStreamCut:
    case FaultKind::kMalformedJson:
      if (f.after_events > 0) s += " after " + std::to_string(f.after_events) + " events";
      break;
    case FaultKind::kMidStreamError:
      s += " " + std::to_string(f.status);
      if (f.after_events > 0) s += " after " + std::to_string(f.after_events) + " events";
      break;
    case FaultKind::kSlowStream: {
      std::string factor = std::to_string(f.factor);
      while (factor.size() > 1 && factor.back() == '0') factor.pop_back();
      if (!factor.empty() && factor.back() == '.') factor.pop_back();
      s += " ×" + factor;
      break;
    }
    default:
      break;
  }
  if (f.delay > Duration::zero()) s += ", delay " + ms_text(f.delay);
  return s;
}

std::string fault_match_summary(const Fault& f) {
  std::string s = f.match.path.empty() ? std::string("inference paths") : f.match.path;
  if (!f.match.model.empty()) s += " model=" + f.match.model;
  if (f.match.stream) s += *f.match.stream ? " stream" : " non-stream";
  return s;
}

std::string fault_trigger_summary(const Fault& f) {
  const FaultTrigger& t = f.trigger;
  std::string s;
  auto add = [&s](const std::string& part) {
    if (!s.empty()) s += ", ";
    s += part;
  };
  if (t.nth) add("nth " + std::to_string(*t.nth) + (t.every ? " every " + std::to_string(*t.every) : std::string()));
  if (t.from || t.until) {
    add("window " + (t.from ? ms_text(*t.from) : std::string("0")) + " – " +
        (t.until ? ms_text(*t.until) : std::string("∞")));
  }
  if (t.probability) {
    std::string p = std::to_string(*t.probability);
    while (p.size() > 1 && p.back() == '0') p.pop_back();
    if (!p.empty() && p.back() == '.') p.pop_back();
    add("p=" + p);
  }
  if (t.times) add("times " + std::to_string(*t.times));
  return s.empty() ? std::string("always") : s;
}

// Requests per (method, route), with their status codes.
static OJson routes_json(const SimRequestCounts& counts) {
  struct Route {
    uint64_t requests = 0, errors = 0;
    std::map<std::string, uint64_t> statuses;
  };
  std::map<std::pair<std::string, std::string>, Route> routes;
  for (const auto& [key, n] : counts.requests) {
    Route& r = routes[{std::get<0>(key), std::get<1>(key)}];
    r.requests += n;
    const std::string& st = std::get<3>(key);
    r.statuses[st] += n;
    const bool numeric = !st.empty() && st[0] >= '0' && st[0] <= '9';
    if (!numeric || std::stoi(st) >= 400) r.errors += n;
  }
  OJson jr = OJson::array();
  for (const auto& [key, r] : routes) {
    OJson st = OJson::object();
    for (const auto& [code, n] : r.statuses) st[code] = n;
    jr.push_back({{"method", key.first}, {"route", key.second}, {"requests", r.requests}, {"errors", r.errors},
                  {"statuses", std::move(st)}});
  }
  return jr;
}

// Requests per model label across routes.
static OJson models_json(const SimRequestCounts& counts) {
  std::map<std::string, uint64_t> models;
  for (const auto& [key, n] : counts.requests) {
    if (!std::get<2>(key).empty()) models[std::get<2>(key)] += n;
  }
  OJson jm = OJson::object();
  for (const auto& [m, n] : models) jm[m] = n;
  return jm;
}

// The fault plan with its counters.
static OJson faults_json(const SimEngine& engine, const SimDashboardInfo& info) {
  const FaultPlan plan = engine.faults();
  const std::vector<FaultStats> stats = engine.fault_stats();
  OJson jf = OJson::array();
  for (const auto& f : plan.faults) {
    FaultStats s;
    s.id = f.id;
    s.kind = f.kind;
    for (const auto& x : stats) {
      if (x.id == f.id) s = x;
    }
    jf.push_back({{"id", f.id},
                  {"kind", fault_kind_name(f.kind)},
                  {"summary", fault_summary(f)},
                  {"match", fault_match_summary(f)},
                  {"trigger", fault_trigger_summary(f)},
                  {"active", fault_active(s, f, info.since_start)},
                  {"exhausted", fault_exhausted(s, f)},
                  {"matched", s.matched},
                  {"fired", s.fired}});
  }
  return jf;
}

// Newest journal entries, newest first, in the "recent" shape the page renders.
static OJson recent_json(const SimRequestCounts& counts, const SimDashboardInfo& info) {
  OJson rec = OJson::array();
  const size_t n = std::min(counts.recent.size(), info.max_recent);
  for (size_t i = 0; i < n; ++i) {
    const JournalEntry& e = counts.recent[counts.recent.size() - 1 - i];
    const std::string status = status_label(e);
    OJson notes = OJson::array();
    if (!e.fault_id.empty()) notes.push_back("fault " + e.fault_id);
    if (!e.replay.empty()) notes.push_back("replay " + e.replay);
    rec.push_back({{"id", e.request_id.empty() ? "#" + std::to_string(e.seq) : e.request_id},
                   {"seq", e.seq},
                   {"outcome", is_error_entry(e) ? status : std::string("ok")},
                   {"status", status},
                   {"served_by", e.model},
                   {"method", e.method},
                   {"path", e.path},
                   {"stream", e.stream},
                   {"at_ms", std::chrono::duration<double, std::milli>(e.at).count()},
                   {"total_ms", nullptr},
                   {"fault_id", e.fault_id.empty() ? OJson(nullptr) : OJson(e.fault_id)},
                   {"attempts", OJson::array()},
                   {"notes", std::move(notes)}});
  }
  return rec;
}

std::string sim_dashboard_json(const SimEngine& engine, const SimRequestCounts& counts, const SimDashboardInfo& info) {
  OJson j;
  j["version"] = 1;
  j["kind"] = "simulator";
  j["name"] = info.name;
  if (info.since_start) {
    j["uptime_s"] = std::chrono::duration<double>(*info.since_start).count();
  } else {
    j["uptime_s"] = nullptr;
  }
  j["totals"] = {{"requests", counts.received},
                 {"errors", counts.errors},
                 {"in_flight", nullptr},
                 {"counted", counts.counted},
                 {"dropped", counts.dropped}};
  // No latency percentiles: the simulator scripts its latencies (LatencyModel) instead of
  // measuring them; "latency_ms" is absent, and the page hides those cards.
  j["routes"] = routes_json(counts);
  j["models"] = models_json(counts);
  j["faults"] = faults_json(engine, info);
  OJson jk = OJson::object();
  for (const auto& [kind, n] : counts.fired_by_kind) jk[kind] = n;
  j["faults_fired_by_kind"] = std::move(jk);
  j["recent"] = recent_json(counts, info);
  return j.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

std::string sim_dashboard_json(const SimEngine& engine, const SimDashboardInfo& info) {
  SimRequestCounter counter(engine, 1000, info.max_recent);
  return sim_dashboard_json(engine, counter.update(), info);
}

std::string SimObservability::dashboard_json() {
  SimDashboardInfo info;
  info.since_start = since_start();
  return sim_dashboard_json(engine_, counter_.update(), info);
}

}  // namespace ploke::simulator
