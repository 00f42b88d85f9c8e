// summarize(): the run's logs → totals, per-provider summaries, time buckets.
#include "summary.h"

#include <algorithm>
#include <cmath>

#include "runner_internal.h"

namespace ploke::scenarios::detail {

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

void summarize_requests(ScenarioResult& res) {
  std::vector<double> ok_lat;
  for (const auto& r : res.request_log) {
    ++res.requests;
    res.outcomes[r.outcome]++;
    res.cost_usd += r.cost_usd;
    if (!r.finished) {
      ++res.lost;
    } else if (r.outcome == "ok") {
      ++res.ok;
      ok_lat.push_back(to_ms(r.latency()));
    } else {
      ++res.failed;
    }
    res.attempts += r.attempts;
    if (r.attempts > 1) res.retries += r.attempts - 1;
    if (r.finished) res.simulated = std::max(res.simulated, r.end);
  }
  res.max_ms = ok_lat.empty() ? 0 : *std::max_element(ok_lat.begin(), ok_lat.end());
  res.p50_ms = percentile(ok_lat, 50);
  res.p95_ms = percentile(ok_lat, 95);
  res.p99_ms = percentile(ok_lat, 99);
}

namespace {

// The engine's side of a provider summary: requests handled, drift switches, faults.
ProviderSummary engine_summary(const ProviderSpec& spec, const simulator::SimEngine& engine) {
  ProviderSummary ps;
  ps.name = spec.name;
  ps.protocol = spec.protocol;
  ps.engine_requests = engine.request_count();
  const simulator::OpenRouterDrift& d = engine.options().openrouter.drift;
  for (const auto& [on, name] : {std::pair<bool, const char*>{d.unknown_enums, "unknown_enums"},
                                 {d.numeric_prices, "numeric_prices"},
                                 {d.extra_fields, "extra_fields"}}) {
    if (on) ps.drift += (ps.drift.empty() ? "" : ",") + std::string(name);
  }
  for (const auto& fs : engine.fault_stats()) {
    ps.faults.push_back({fs.id, std::string(fault_kind_name(fs.kind)), fs.matched, fs.fired});
  }
  return ps;
}

ProviderSummary* find_provider(ScenarioResult& res, const std::string& name) {
  for (auto& p : res.providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// An attempt the provider answered well: HTTP 200 with no fault injected.
bool attempt_ok(const AttemptRecord& a) { return a.http_status == 200 && a.fault_id.empty(); }

}  // namespace

void summarize_providers(const Scenario& s, const std::vector<const simulator::SimEngine*>& engines, ScenarioResult& res) {
  for (size_t i = 0; i < s.providers.size() && i < engines.size(); ++i) {
    res.providers.push_back(engine_summary(s.providers[i], *engines[i]));
  }
  for (const auto& a : res.attempt_log) {
    if (ProviderSummary* p = find_provider(res, a.provider)) {
      ++p->attempts;
      if (attempt_ok(a)) ++p->ok;
      p->outcomes[a.http_status != 0 ? std::to_string(a.http_status) : a.ending]++;
    }
  }
  for (const auto& b : res.breaker_log) {
    if (b.to != "open") continue;
    if (ProviderSummary* p = find_provider(res, b.provider)) ++p->breaker_openings;
  }
  for (const auto& r : res.request_log) {
    if (ProviderSummary* p = find_provider(res, r.served_by)) p->cost_usd += r.cost_usd;
  }
}

void make_buckets(const Scenario& s, ScenarioResult& res) {
  const Duration step = s.sample_interval;
  const size_t nb = static_cast<size_t>((res.simulated + step - Duration(1)) / step) + 1;
  res.buckets.resize(std::min<size_t>(nb, 100000));
  for (size_t i = 0; i < res.buckets.size(); ++i) {
    res.buckets[i].start = step * static_cast<int64_t>(i);
    for (const auto& p : res.providers) res.buckets[i].providers[p.name];
  }
}

void fill_buckets(const Scenario& s, ScenarioResult& res) {
  const Duration step = s.sample_interval;
  auto index_of = [&](Duration at) {
    size_t i = static_cast<size_t>(std::max<int64_t>(0, at / step));
    return std::min(i, res.buckets.size() - 1);
  };
  std::vector<std::vector<double>> lat(res.buckets.size());
  for (const auto& r : res.request_log) {
    res.buckets[index_of(r.start)].arrivals++;
    if (!r.finished) continue;
    const size_t i = index_of(r.end);
    TimeBucket& b = res.buckets[i];
    b.finished++;
    b.cost_usd += r.cost_usd;
    if (r.outcome == "ok") {
      b.ok++;
      lat[i].push_back(to_ms(r.latency()));
    } else {
      b.failed++;
    }
  }
  for (size_t i = 0; i < res.buckets.size(); ++i) {
    res.buckets[i].p50_ms = percentile(lat[i], 50);
    res.buckets[i].p95_ms = percentile(lat[i], 95);
    res.buckets[i].p99_ms = percentile(lat[i], 99);
  }
  for (const auto& a : res.attempt_log) {
    TimeBucket& b = res.buckets[index_of(a.at)];
    b.attempts++;
    if (a.number > 1) b.retries++;
    ProviderBucket& pb = b.providers[a.provider];
    pb.attempts++;
    if (attempt_ok(a)) pb.ok++;
    else pb.errors++;
  }
}

void bucket_breaker_states(const Scenario& s, ScenarioResult& res) {
  const Duration step = s.sample_interval;
  for (const auto& p : res.providers) {
    std::string first_ep;
    for (const auto& sp : s.providers) {
      if (sp.name == p.name && !sp.models.empty()) first_ep = sp.name + "/" + sp.models[0];
    }
    std::string state = "closed";
    size_t k = 0;
    for (auto& b : res.buckets) {
      const Duration end = b.start + step;
      while (k < res.breaker_log.size() && res.breaker_log[k].at < end) {
        if (res.breaker_log[k].endpoint_id == first_ep) state = res.breaker_log[k].to;
        ++k;
      }
      b.providers[p.name].breaker = state;
    }
  }
}

void summarize(const Scenario& s, const std::vector<const simulator::SimEngine*>& engines, ScenarioResult& res) {
  summarize_requests(res);
  summarize_providers(s, engines, res);
  make_buckets(s, res);
  fill_buckets(s, res);
  bucket_breaker_states(s, res);
}

}  // namespace ploke::scenarios::detail
