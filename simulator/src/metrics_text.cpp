// The simulator's request/fault counters and their Prometheus text (ploke/simulator/metrics_text.h).
#include "ploke/simulator/metrics_text.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace ploke::simulator {
namespace {

constexpr std::array<std::string_view, 12> kExactRoutes = {
    "/v1/chat/completions", "/v1/models",     "/v1/messages",     "/v1/messages/count_tokens",
    "/api/v1/chat/completions", "/api/v1/models", "/api/v1/models/user", "/api/v1/generation",
    "/api/v1/key",          "/api/v1/auth/key", "/api/v1/credits", "/chat/completions",
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string method_label(std::string_view m) {
  static constexpr std::array<std::string_view, 7> kMethods = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"};
  for (auto k : kMethods) {
    if (k == m) return std::string(k);
  }
  return "other";
}

// Label values: at most 128 bytes (cut on a UTF-8 boundary), so a hostile model name
// cannot blow up the exposition.
std::string bounded(std::string_view v) {
  if (v.size() <= 128) return std::string(v);
  size_t n = 128;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return std::string(v.substr(0, n));
}

void escape_label(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

struct Exposition {
  std::string out;
  void header(std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;  // our own constant text: no backslash or newline
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  }
  void sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              uint64_t v) {
    out += name;
    if (labels.size() > 0) {
      out += '{';
      bool first = true;
      for (const auto& kv : labels) {
        if (!first) out += ',';
        first = false;
        out += kv.first;
        out += "=\"";
        escape_label(out, kv.second);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    append_uint(out, v);
    out += '\n';
  }
};

}  // namespace

std::string route_label(std::string_view path) {
  for (auto r : kExactRoutes) {
    if (path == r) return std::string(r);
  }
  if (starts_with(path, "/api/v1/models/") && ends_with(path, "/endpoints")) return "/api/v1/models/{id}/endpoints";
  if (starts_with(path, "/v1/models/") && path.size() > 11) return "/v1/models/{id}";
  return "other";
}

std::string status_label(const JournalEntry& e) {
  if (e.status > 0) return std::to_string(e.status);
  return e.ending.empty() ? std::string("none") : e.ending;
}

bool is_error_entry(const JournalEntry& e) { return e.status == 0 || e.status >= 400; }

SimRequestCounter::SimRequestCounter(const SimEngine& engine, size_t max_series, size_t recent_keep)
    : engine_(engine), max_series_(max_series), recent_keep_(recent_keep) {
  for (FaultKind k : kAllFaultKinds) counts_.fired_by_kind[std::string(fault_kind_name(k))] = 0;
}

SimRequestCounts SimRequestCounter::update() {
  MutexLock lock(mu_);
  const uint64_t total = engine_.request_count();
  const uint64_t cap = engine_.options().journal_capacity;
  // Every unread entry was appended after the last read, and each has its own arrival
  // number above done_: the newest (total - done_) entries hold them all (+ slack for
  // appends that finish out of arrival order).
  const uint64_t want = std::min<uint64_t>(total > done_ ? total - done_ + 64 : 0, cap);
  std::vector<JournalEntry> entries;
  if (want > 0) entries = engine_.journal(static_cast<size_t>(want));
  for (auto& e : entries) {
    if (e.seq <= done_ || above_.count(e.seq) != 0) continue;
    above_.insert(e.seq);
    std::string method = method_label(e.method);
    std::string route = route_label(e.path);
    std::string model = bounded(e.model);
    std::string status = status_label(e);
    auto key = std::make_tuple(std::move(method), std::move(route), std::move(model), std::move(status));
    auto it = counts_.requests.find(key);
    if (it == counts_.requests.end() && counts_.requests.size() >= max_series_) {
      std::get<2>(key) = "other";
      it = counts_.requests.find(key);
      if (it == counts_.requests.end() && counts_.requests.size() >= max_series_ + 64) {
        std::get<1>(key) = "other";
        std::get<0>(key) = "other";
      }
    }
    ++counts_.requests[key];
    ++counts_.counted;
    if (is_error_entry(e)) ++counts_.errors;
    counts_.recent.push_back(std::move(e));
  }
  if (counts_.recent.size() > recent_keep_) {
    counts_.recent.erase(counts_.recent.begin(),
                         counts_.recent.end() - static_cast<std::ptrdiff_t>(recent_keep_));
  }
  while (!above_.empty() && *above_.begin() == done_ + 1) {
    above_.erase(above_.begin());
    ++done_;
  }
  // An arrival number handed out more than a ring's worth of requests ago and never seen
  // left the journal unread (overflow or a cleared journal): count it as dropped.
  const uint64_t horizon = total > cap + 1024 ? total - cap - 1024 : 0;
  while (done_ < horizon) {
    if (!above_.empty() && *above_.begin() == done_ + 1) {
      above_.erase(above_.begin());
    } else {
      ++counts_.dropped;
    }
    ++done_;
  }
  counts_.received = total;

  // Fault counters: cumulative across plan replacements (the engine restarts a replaced
  // fault's counters at 0; a smaller value than last seen, or a changed kind, is a restart).
  std::map<std::string, std::pair<std::string, uint64_t>> seen;
  for (const auto& s : engine_.fault_stats()) {
    const std::string kind(fault_kind_name(s.kind));
    uint64_t delta = s.fired;
    auto prev = fault_seen_.find(s.id);
    if (prev != fault_seen_.end() && prev->second.first == kind && s.fired >= prev->second.second) {
      delta = s.fired - prev->second.second;
    }
    counts_.fired_by_kind[kind] += delta;
    seen[s.id] = {kind, s.fired};
  }
  fault_seen_ = std::move(seen);
  return counts_;
}

bool fault_exhausted(const FaultStats& stats, const Fault& fault) {
  const FaultTrigger& t = fault.trigger;
  if (t.times && stats.fired >= *t.times) return true;
  if (t.nth && !(t.every && *t.every > 0) && stats.matched >= *t.nth) return true;
  return false;
}

bool fault_active(const FaultStats& stats, const Fault& fault, std::optional<Duration> since_start) {
  if (fault_exhausted(stats, fault)) return false;
  if (since_start) {
    const FaultTrigger& t = fault.trigger;
    if (t.from && *since_start < *t.from) return false;
    if (t.until && *since_start >= *t.until) return false;
  }
  return true;
}

std::string sim_metrics_text(const SimEngine& engine, const SimRequestCounts& counts,
                             std::optional<Duration> since_start) {
  Exposition x;
  x.out.reserve(2048 + 160 * counts.requests.size());

  x.header("ploke_sim_requests_total", "counter",
           "Requests answered, by method, route, model and status (HTTP status, or the ending when no status "
           "line was sent: reset, close_no_reply, hang).");
  for (const auto& [key, n] : counts.requests) {
    x.sample("ploke_sim_requests_total",
             {{"method", std::get<0>(key)}, {"route", std::get<1>(key)}, {"model", std::get<2>(key)},
              {"status", std::get<3>(key)}},
             n);
  }
  x.header("ploke_sim_requests_received_total", "counter", "Requests received (arrival numbers handed out).");
  x.sample("ploke_sim_requests_received_total", {}, counts.received);
  x.header("ploke_sim_requests_dropped_total", "counter",
           "Requests that left the journal ring before they were counted by route.");
  x.sample("ploke_sim_requests_dropped_total", {}, counts.dropped);

  x.header("ploke_sim_faults_fired_total", "counter",
           "Faults applied, by kind (cumulative across fault plan changes).");
  for (const auto& [kind, n] : counts.fired_by_kind) x.sample("ploke_sim_faults_fired_total", {{"kind", kind}}, n);

  // The current plan, fault by fault.
  const FaultPlan plan = engine.faults();
  const std::vector<FaultStats> stats = engine.fault_stats();
  auto fault_of = [&](const std::string& id) -> const Fault* {
    for (const auto& f : plan.faults) {
      if (f.id == id) return &f;
    }
    return nullptr;
  };
  uint64_t active = 0;
  std::vector<bool> is_active(stats.size(), false);
  for (size_t i = 0; i < stats.size(); ++i) {
    const Fault* f = fault_of(stats[i].id);
    is_active[i] = f != nullptr && fault_active(stats[i], *f, since_start);
    if (is_active[i]) ++active;
  }
  x.header("ploke_sim_faults_active", "gauge", "Faults of the current plan that can still fire.");
  x.sample("ploke_sim_faults_active", {}, active);
  x.header("ploke_sim_fault_active", "gauge",
           "Whether each fault of the current plan can still fire (1) or not (0: times used up, or outside its "
           "window).");
  for (size_t i = 0; i < stats.size(); ++i) {
    x.sample("ploke_sim_fault_active", {{"fault", stats[i].id}, {"kind", fault_kind_name(stats[i].kind)}},
             is_active[i] ? 1 : 0);
  }
  x.header("ploke_sim_fault_matched_total", "counter",
           "Requests that matched each fault's filters (reset when the plan is replaced).");
  for (const auto& s : stats) {
    x.sample("ploke_sim_fault_matched_total", {{"fault", s.id}, {"kind", fault_kind_name(s.kind)}}, s.matched);
  }
  x.header("ploke_sim_fault_fired_total", "counter",
           "Times each fault of the current plan fired (reset when the plan is replaced).");
  for (const auto& s : stats) {
    x.sample("ploke_sim_fault_fired_total", {{"fault", s.id}, {"kind", fault_kind_name(s.kind)}}, s.fired);
  }
  return std::move(x.out);
}

std::string sim_metrics_text(const SimEngine& engine, std::optional<Duration> since_start) {
  SimRequestCounter counter(engine);
  return sim_metrics_text(engine, counter.update(), since_start);
}

SimObservability::SimObservability(const SimEngine& engine, Clock& clock)
    : engine_(engine), clock_(clock), counter_(engine) {}

std::optional<Duration> SimObservability::since_start() const { return clock_.now() - engine_.start_time(); }

std::string SimObservability::metrics_text() { return sim_metrics_text(engine_, counter_.update(), since_start()); }

}  // namespace ploke::simulator
