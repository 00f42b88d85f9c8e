// run_scenario(): the world (clock, fibers, engines, transports, façade), the workload,
// the logs, then the result's aggregates and expectation verdicts. The pieces shared with
// the real-time runner (real_time.cpp) live in namespace detail (runner_internal.h).
#include "ploke/scenarios/runner.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <set>

#include "budget_ledger.h"
#include "ploke/adapters/anthropic_adapter.h"
#include "ploke/adapters/openai_adapter.h"
#include "ploke/adapters/openrouter_adapter.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/core/random.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/fibers/virtual_time.h"
#include "ploke/simulator/engine.h"
#include "runner_internal.h"

namespace ploke::scenarios {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using detail::RequestCtx;

struct ProviderWorld {
  const ProviderSpec* spec = nullptr;
  std::unique_ptr<sim::SimEngine> engine;
  std::unique_ptr<ProviderAdapter> adapter;
  std::unique_ptr<InProcessTransport> transport;
  std::string base_url;
};

std::string ending_name_of(const ScriptedResponse& r) { return std::string(ending_name(r.ending)); }

Priority pick_priority(const WorkloadSpec& w, Random& rnd) {
  if (w.priorities.empty()) return Priority::kNormal;
  double total = 0;
  for (const auto& [p, wt] : w.priorities) total += wt;
  if (total <= 0) return Priority::kNormal;
  double x = rnd.uniform01() * total;
  for (const auto& [p, wt] : w.priorities) {
    if (x < wt) return p;
    x -= wt;
  }
  return w.priorities.rbegin()->first;
}

std::string prompt_text(size_t chars, uint64_t id) {
  static const std::string kWords =
      "the quick brown fox jumps over the lazy dog while a careful engineer measures tail latency and retries ";
  std::string s = "Request " + std::to_string(id) + ": ";
  s.reserve(chars + 16);
  while (s.size() < chars) s.append(kWords, 0, std::min(kWords.size(), chars - s.size()));
  return s;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

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

}  // namespace

namespace detail {

std::optional<Duration> retry_after_of(const Headers& h) {
  if (auto v = h.get("retry-after-ms")) {
    try {
      return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(std::stod(std::string(*v))));
    } catch (...) {
    }
  }
  if (auto v = h.get("retry-after")) {
    try {
      return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::stod(std::string(*v))));
    } catch (...) {
    }
  }
  return std::nullopt;
}

std::string provider_of(const std::string& endpoint_id) { return endpoint_id.substr(0, endpoint_id.find('/')); }

std::vector<Duration> arrival_times(const Scenario& s, Random& rnd) {
  std::vector<Duration> out;
  const WorkloadSpec& w = s.workload;
  const double dur_s = std::chrono::duration<double>(s.duration).count();
  const auto to_d = [](double secs) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(secs)); };
  if (w.rate_per_s > 0) {
    if (w.arrival == ArrivalProcess::kConstant) {
      const double gap = 1.0 / w.rate_per_s;
      for (double t = 0; t < dur_s; t += gap) out.push_back(to_d(t));
    } else {  // poisson (also the base load under bursts)
      double t = 0;
      for (;;) {
        double u = rnd.uniform01();
        if (u <= 0) u = 1e-12;
        t += -std::log(u) / w.rate_per_s;
        if (t >= dur_s) break;
        out.push_back(to_d(t));
      }
    }
  }
  for (const Burst& b : s.workload.bursts) {
    for (uint64_t i = 0; i < b.count; ++i) {
      Duration at = b.at;
      if (b.over.count() > 0) at += b.over * static_cast<int64_t>(i) / static_cast<int64_t>(b.count);
      if (at < s.duration) out.push_back(at);
    }
  }
  std::stable_sort(out.begin(), out.end());
  if (w.max_requests && out.size() > *w.max_requests) out.resize(*w.max_requests);
  return out;
}

Result<sim::SimOptions> sim_options_for(const Scenario& scenario, size_t i, uint64_t seed) {
  const ProviderSpec& p = scenario.providers[i];
  sim::SimOptions so;
  so.seed = seed * 1000003 + i + 1;
  so.models.clear();
  std::set<std::string> seen;
  auto add_model = [&](const std::string& m) {
    if (seen.insert(m).second) so.models.push_back(sim::ModelInfo{m});
  };
  for (const auto& m : p.models) add_model(m);
  add_model(scenario.workload.model);  // the façade sends the request's model as is
  so.latency.time_to_first_token = p.ttft;
  so.latency.tokens_per_second = p.tokens_per_second;
  so.length.min_tokens = p.min_tokens;
  so.length.max_tokens = p.max_tokens;
  so.tool_call_probability = p.tool_call_probability;
  so.rate_limits.limit_requests = p.limit_requests;
  so.rate_limits.limit_tokens = p.limit_tokens;
  so.faults = p.faults;
  so.openrouter.drift = p.drift;
  so.journal_capacity = 16;
  if (!p.cassettes.empty()) {
    auto cs = codec::load_cassettes(p.cassettes);
    if (!cs.ok()) return InvalidRequestError("provider '" + p.name + "': cassettes: " + cs.status().message());
    so.replay.cassettes = std::move(cs).value();
  }
  return so;
}

std::unique_ptr<ProviderAdapter> adapter_for(const ProviderSpec& p) {
  if (p.protocol == "anthropic") return std::make_unique<AnthropicAdapter>();
  if (p.protocol == "openrouter") return std::make_unique<OpenRouterAdapter>();
  return std::make_unique<OpenAiAdapter>();
}

std::string api_prefix(const ProviderSpec& p) { return p.protocol == "openrouter" ? "/api/v1" : "/v1"; }

Status add_endpoints(resilience::LlmClient& client, const Scenario& scenario, const std::vector<ProviderWiring>& wiring) {
  for (const ProviderWiring& w : wiring) {
    const ProviderSpec& p = *w.spec;
    for (const auto& m : p.models) {
      resilience::EndpointConfig c;
      c.candidate.id = p.name + "/" + m;
      c.candidate.provider = p.name;
      c.candidate.model = m;
      c.candidate.key_id = p.name + "-key";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.candidate.input_usd_per_mtok = p.input_usd_per_mtok;
      c.candidate.output_usd_per_mtok = p.output_usd_per_mtok;
      c.candidate.weight = p.weight;
      c.adapter = w.adapter;
      c.endpoint.provider = p.name;
      c.endpoint.base_url = w.base_url;
      c.endpoint.api_key = Secret("sk-FAKE-scenario-0000000000000000");
      c.transport = w.transport;
      CallOptions t = scenario.timeouts;
      if (p.timeouts.connect_timeout) t.connect_timeout = p.timeouts.connect_timeout;
      if (p.timeouts.first_byte_timeout) t.first_byte_timeout = p.timeouts.first_byte_timeout;
      if (p.timeouts.idle_timeout) t.idle_timeout = p.timeouts.idle_timeout;
      if (p.timeouts.total_timeout) t.total_timeout = p.timeouts.total_timeout;
      c.call_options = t;
      c.key_limits = p.client_limits;
      if (Status st = client.add_endpoint(std::move(c)); !st.ok()) {
        return InvalidRequestError("provider '" + p.name + "': " + st.message());
      }
    }
  }
  return Status::Ok();
}

std::shared_ptr<ChatRequest> build_request(const Scenario& scenario, size_t i, const Random& rnd, RequestRecord& rec) {
  static const ToolDefinition kTool = [] {
    ToolDefinition tool;
    tool.name = "lookup";
    tool.description = "Look something up";
    tool.parameters_json = R"({"type":"object","properties":{"query":{"type":"string"}},"required":["query"]})";
    return tool;
  }();
  const WorkloadSpec& wl = scenario.workload;
  Random r = rnd.fork(i + 1);
  const auto chars = static_cast<size_t>(r.between(wl.prompt_chars_min, wl.prompt_chars_max));
  rec.stream = r.chance(wl.stream_share);
  rec.tools = r.chance(wl.tool_share);
  rec.priority = pick_priority(wl, r);
  auto req = std::make_shared<ChatRequest>();
  req->model = wl.model;
  req->messages.push_back(Message::System("You are a terse assistant."));
  req->messages.push_back(Message::User(prompt_text(chars, rec.id)));
  req->max_output_tokens = wl.max_output_tokens;
  req->stream = rec.stream;
  if (rec.tools) req->tools.push_back(kTool);
  req->meta.priority = rec.priority;
  req->meta.deadline = wl.deadline;
  req->meta.request_id = "r" + std::to_string(rec.id);
  return req;
}

void summarize(const Scenario& scenario, const std::vector<const sim::SimEngine*>& engines, ScenarioResult& res) {
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

  // Providers
  for (size_t i = 0; i < scenario.providers.size() && i < engines.size(); ++i) {
    ProviderSummary ps;
    ps.name = scenario.providers[i].name;
    ps.protocol = scenario.providers[i].protocol;
    ps.engine_requests = engines[i]->request_count();
    const sim::OpenRouterDrift& d = engines[i]->options().openrouter.drift;
    for (const auto& [on, name] : {std::pair<bool, const char*>{d.unknown_enums, "unknown_enums"},
                                   {d.numeric_prices, "numeric_prices"},
                                   {d.extra_fields, "extra_fields"}}) {
      if (on) ps.drift += (ps.drift.empty() ? "" : ",") + std::string(name);
    }
    for (const auto& fs : engines[i]->fault_stats()) {
      ps.faults.push_back({fs.id, std::string(fault_kind_name(fs.kind)), fs.matched, fs.fired});
    }
    res.providers.push_back(std::move(ps));
  }
  auto find_provider = [&](const std::string& name) -> ProviderSummary* {
    for (auto& p : res.providers) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };
  for (const auto& a : res.attempt_log) {
    if (ProviderSummary* p = find_provider(a.provider)) {
      ++p->attempts;
      if (a.http_status == 200 && a.fault_id.empty()) ++p->ok;
      p->outcomes[a.http_status != 0 ? std::to_string(a.http_status) : a.ending]++;
    }
  }
  for (const auto& b : res.breaker_log) {
    if (b.to != "open") continue;
    if (ProviderSummary* p = find_provider(b.provider)) ++p->breaker_openings;
  }
  for (const auto& r : res.request_log) {
    if (ProviderSummary* p = find_provider(r.served_by)) p->cost_usd += r.cost_usd;
  }

  // Buckets
  const Duration step = scenario.sample_interval;
  const size_t nb = static_cast<size_t>((res.simulated + step - Duration(1)) / step) + 1;
  res.buckets.resize(std::min<size_t>(nb, 100000));
  for (size_t i = 0; i < res.buckets.size(); ++i) {
    res.buckets[i].start = step * static_cast<int64_t>(i);
    for (const auto& p : res.providers) res.buckets[i].providers[p.name];
  }
  auto bucket_of = [&](Duration at) -> TimeBucket& {
    size_t i = static_cast<size_t>(std::max<int64_t>(0, at / step));
    return res.buckets[std::min(i, res.buckets.size() - 1)];
  };
  std::vector<std::vector<double>> lat(res.buckets.size());
  for (const auto& r : res.request_log) {
    bucket_of(r.start).arrivals++;
    if (!r.finished) continue;
    TimeBucket& b = bucket_of(r.end);
    b.finished++;
    b.cost_usd += r.cost_usd;
    if (r.outcome == "ok") {
      b.ok++;
      lat[static_cast<size_t>(&b - res.buckets.data())].push_back(to_ms(r.latency()));
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
    TimeBucket& b = bucket_of(a.at);
    b.attempts++;
    if (a.number > 1) b.retries++;
    ProviderBucket& pb = b.providers[a.provider];
    pb.attempts++;
    if (a.http_status == 200 && a.fault_id.empty()) pb.ok++;
    else pb.errors++;
  }
  // Breaker state at each bucket's end: the provider's first endpoint.
  for (const auto& p : res.providers) {
    std::string first_ep;
    for (const auto& sp : scenario.providers) {
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

}  // namespace detail

ScenarioResult detail::result_header(const Scenario& s, uint64_t seed) {
  ScenarioResult res;
  res.file = s.file;
  res.name = s.name;
  res.description = s.description;
  res.tags = s.tags;
  res.seed = seed;
  res.duration = s.duration;
  res.sample_interval = s.sample_interval;
  return res;
}

namespace {

// One attempt as the in-process transport serves it, logged for the call on this fiber.
AttemptRecord attempt_of(const ScriptedResponse& resp, const sim::SimEngine& engine, RequestCtx& ctx,
                         const std::string& provider, Duration at) {
  AttemptRecord a;
  a.request = ctx.rec.id;
  a.number = ++ctx.rec.attempts;
  a.provider = provider;
  a.at = at;
  Duration head = resp.head_at;
  if (!resp.send_head && !resp.chunks.empty()) head = resp.chunks.front().at;
  a.head_at = a.at + head;
  a.http_status = resp.send_head ? resp.status : 0;
  a.ending = ending_name_of(resp);
  auto j = engine.journal(1);
  if (!j.empty()) a.fault_id = j.back().fault_id;
  if (resp.send_head) a.retry_after = detail::retry_after_of(resp.headers);
  a.after_partial_output = ctx.content_delivered;
  return a;
}

// The virtual-time world: a simulated clock, one engine + in-process transport per provider.
struct VirtualWorld {
  SimulatedClock clock;
  TimePoint t0 = clock.now();
  fibers::VirtualTimeFibers fibers{clock};
  std::vector<std::unique_ptr<ProviderWorld>> providers;

  Status add_providers(const Scenario& scenario, uint64_t seed, ScenarioResult& res) {
    for (size_t i = 0; i < scenario.providers.size(); ++i) {
      const ProviderSpec& p = scenario.providers[i];
      auto w = std::make_unique<ProviderWorld>();
      w->spec = &p;
      auto so = detail::sim_options_for(scenario, i, seed);
      if (!so.ok()) return so.status();
      auto engine = sim::SimEngine::Create(*so, clock);
      if (!engine.ok()) return InvalidRequestError("provider '" + p.name + "': " + engine.status().message());
      w->engine = std::move(engine).value();
      w->adapter = detail::adapter_for(p);
      w->base_url = "http://" + p.name + ".sim" + detail::api_prefix(p);
      sim::SimEngine* engine_ptr = w->engine.get();
      w->transport = std::make_unique<InProcessTransport>(clock, [this, engine_ptr, name = p.name, &res](const HttpRequest& r) {
        ScriptedResponse resp = engine_ptr->handle(r);
        if (auto* ctx = static_cast<RequestCtx*>(fibers.current_user())) {
          res.attempt_log.push_back(attempt_of(resp, *engine_ptr, *ctx, name, clock.now() - t0));
        }
        return resp;
      });
      providers.push_back(std::move(w));
    }
    return Status::Ok();
  }

  std::vector<detail::ProviderWiring> wiring() const {
    std::vector<detail::ProviderWiring> out;
    for (const auto& w : providers) out.push_back({w->spec, w->adapter.get(), w->transport.get(), w->base_url});
    return out;
  }
  std::vector<const sim::SimEngine*> engines() const {
    std::vector<const sim::SimEngine*> out;
    for (const auto& w : providers) out.push_back(w->engine.get());
    return out;
  }
};

}  // namespace

Result<ScenarioResult> run_scenario(const Scenario& scenario, const RunOptions& options) {
  if (options.real_time) return detail::run_real_time(scenario, options);
  const uint64_t seed = options.seed.value_or(scenario.seed);
  VirtualWorld world;
  SimulatedClock& clock = world.clock;
  const TimePoint t0 = world.t0;
  ScenarioResult res = detail::result_header(scenario, seed);
  std::deque<RequestCtx> requests;  // stable addresses for the whole run
  if (Status st = world.add_providers(scenario, seed, res); !st.ok()) return st;
  auto facade = detail::make_facade(scenario, seed, clock, t0, res, nullptr, world.wiring());
  if (!facade.ok()) return facade.status();
  resilience::LlmClient& client = *facade->client;

  // The workload: arrivals as one chained timer, each call on its own fiber.
  Random rnd(seed ^ 0x5ce7a210ULL);
  const std::vector<Duration> arrivals = detail::arrival_times(scenario, rnd);
  std::function<void(size_t)> arm = [&](size_t i) {
    if (i >= arrivals.size()) return;
    clock.schedule_at(t0 + arrivals[i], [&, i] {
      RequestCtx& ctx = requests.emplace_back();
      ctx.rec.id = i + 1;
      ctx.start = clock.now();
      ctx.rec.start = ctx.start - t0;
      std::shared_ptr<ChatRequest> req = detail::build_request(scenario, i, rnd, ctx.rec);
      world.fibers.spawn([&ctx, req, &client, &clock, &scenario, t0] {
        resilience::CancelToken token;
        detail::run_call(client, *req, scenario.workload, token, clock, t0, ctx);
      }, &ctx);
      arm(i + 1);
    });
  };
  arm(0);

  // Queue depth samples (and progress) every sample_interval until the horizon.
  const TimePoint horizon = t0 + scenario.duration + scenario.drain;
  std::function<void()> sample = [&] {
    res.queue_samples.push_back(detail::queue_sample(client, clock.now() - t0, world.fibers.live()));
    if (options.progress) options.progress(clock.now() - t0, scenario.duration);
    const TimePoint next = clock.now() + scenario.sample_interval;
    const bool arrivals_left = requests.size() < arrivals.size();
    if (next <= horizon && (arrivals_left || world.fibers.live() > 0)) clock.schedule_at(next, sample);
  };
  clock.schedule_at(t0, sample);

  res.timers_fired = world.fibers.run(horizon);
  res.simulated = clock.now() - t0;
  // Whatever is still in flight past the horizon is lost; let it unwind (no new arrivals).
  res.timers_fired += world.fibers.run();
  res.abandoned_waits = world.fibers.abandoned_waits();
  detail::finish_result(scenario, requests, horizon - t0, world.engines(), *facade, res);
  res.digest = sha256_hex(canonical_text(res));
  return res;
}

void evaluate_expectations(const Scenario& scenario, ScenarioResult& res) {
  res.expectations.clear();
  for (const Expectation& x : scenario.expectations) {
    ExpectationResult er;
    er.kind = std::string(expectation_kind_name(x.kind));
    er.path = x.path;
    switch (x.kind) {
      case ExpectationKind::kSuccessRate: {
        er.observed = res.requests == 0 ? 1.0 : static_cast<double>(res.ok) / static_cast<double>(res.requests);
        er.threshold = x.min;
        er.unit = "ratio";
        er.passed = er.observed >= x.min;
        er.description = "success rate >= " + pct(x.min);
        if (!er.passed) er.detail = "observed " + pct(er.observed) + ", short by " + pct(x.min - er.observed);
        break;
      }
      case ExpectationKind::kLatency: {
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
        break;
      }
      case ExpectationKind::kAttempts: {
        uint64_t n = 0;
        for (const auto& a : res.attempt_log) {
          if (!x.provider.empty() && a.provider != x.provider) continue;
          if (x.from && a.at < *x.from) continue;
          if (x.until && a.at >= *x.until) continue;
          ++n;
        }
        er.observed = static_cast<double>(n);
        const bool has_max = x.max >= 0;
        er.threshold = has_max ? x.max : x.min;
        er.unit = "attempts";
        er.passed = (!has_max || er.observed <= x.max) && er.observed >= x.min;
        er.description = "attempts to " + (x.provider.empty() ? std::string("any provider") : x.provider);
        if (x.from || x.until) {
          er.description += " in [" + ms_text(x.from ? to_ms(*x.from) : 0) + ", " +
                            (x.until ? ms_text(to_ms(*x.until)) : std::string("end")) + ")";
        }
        if (x.min > 0) er.description += " >= " + std::to_string(static_cast<uint64_t>(x.min));
        if (has_max) er.description += std::string(x.min > 0 ? " and" : "") + " <= " + std::to_string(static_cast<uint64_t>(x.max));
        if (!er.passed) {
          er.detail = has_max && er.observed > x.max
                          ? "observed " + std::to_string(n) + ", over by " + std::to_string(n - static_cast<uint64_t>(x.max))
                          : "observed " + std::to_string(n) + ", short by " + std::to_string(static_cast<uint64_t>(x.min) - n);
        }
        break;
      }
      case ExpectationKind::kNoTrafficToOpenBreaker: {
        // Per endpoint: walk its attempts and transitions in time order. An attempt while
        // open (a transition to open at the same instant does not count: same-instant
        // order is not observable) or beyond the half-open trials is a violation.
        const uint32_t trials = scenario.client.breaker.half_open_trials;
        std::map<std::string, std::vector<const BreakerTransition*>> by_ep;
        for (const auto& b : res.breaker_log) by_ep[b.endpoint_id].push_back(&b);
        uint64_t violations = 0;
        std::string first;
        // Attempts are logged by provider; map to endpoints by provider + model order is
        // not known at the wire, so check every endpoint of the provider: an attempt to a
        // provider all of whose endpoints are open is a violation.
        std::map<std::string, std::vector<std::string>> eps_of;
        for (const auto& p : scenario.providers) {
          for (const auto& m : p.models) eps_of[p.name].push_back(p.name + "/" + m);
        }
        // Real time: the façade takes the breaker's permit a moment before the attempt is
        // logged at the wire, and other threads' failures may open the breaker in between;
        // an opening less than this long before an attempt is not held against it.
        const Duration grace = res.real_time() ? std::chrono::milliseconds(100) : Duration(0);
        std::map<std::string, size_t> cursor;
        std::map<std::string, std::string> state;
        std::map<std::string, uint32_t> half_open_used;
        for (const auto& a : res.attempt_log) {
          if (!x.provider.empty() && a.provider != x.provider) continue;
          bool any_allows = false;
          std::string why;
          for (const auto& ep : eps_of[a.provider]) {
            auto& log = by_ep[ep];
            size_t& k = cursor[ep];
            std::string& st = state[ep];
            if (st.empty()) st = "closed";
            while (k < log.size() && (log[k]->at + (log[k]->to == "open" ? grace : Duration(0)) < a.at ||
                                      (log[k]->at == a.at && log[k]->to != "open"))) {
              st = log[k]->to;
              if (st == "half_open") half_open_used[ep] = 0;
              ++k;
            }
            if (st == "closed") {
              any_allows = true;
            } else if (st == "half_open" && half_open_used[ep] < trials) {
              any_allows = true;
              half_open_used[ep]++;
            } else {
              why = ep + " " + st;
            }
            if (any_allows) break;
          }
          if (!any_allows) {
            ++violations;
            if (first.empty()) {
              first = "request " + std::to_string(a.request) + " attempt " + std::to_string(a.number) + " at " +
                      ms_text(to_ms(a.at)) + " while " + why;
            }
          }
        }
        er.observed = static_cast<double>(violations);
        er.threshold = 0;
        er.unit = "violations";
        er.passed = violations == 0;
        er.description = "no traffic to an open breaker beyond " + std::to_string(trials) + " half-open trials" +
                         (x.provider.empty() ? "" : " (" + x.provider + ")");
        if (!er.passed) er.detail = std::to_string(violations) + " attempt(s); first: " + first;
        break;
      }
      case ExpectationKind::kHonoursRetryAfter: {
        uint64_t violations = 0, checked = 0;
        std::string first;
        // attempt_log is in time order; group by request.
        std::map<uint64_t, std::vector<const AttemptRecord*>> by_req;
        for (const auto& a : res.attempt_log) {
          if (a.retry_after) by_req[a.request];
        }
        for (const auto& a : res.attempt_log) {
          auto it = by_req.find(a.request);
          if (it != by_req.end()) it->second.push_back(&a);
        }
        for (const auto& [id, list] : by_req) {
          for (size_t i = 0; i < list.size(); ++i) {
            const AttemptRecord& a = *list[i];
            if (!a.retry_after) continue;
            for (size_t j = i + 1; j < list.size(); ++j) {
              if (list[j]->provider != a.provider) continue;
              ++checked;
              const Duration waited = list[j]->at - a.head_at;
              if (waited < *a.retry_after) {
                ++violations;
                if (first.empty()) {
                  first = "request " + std::to_string(id) + ": retried " + a.provider + " after " +
                          ms_text(to_ms(waited)) + ", Retry-After was " + ms_text(to_ms(*a.retry_after));
                }
              }
              break;
            }
          }
        }
        er.observed = static_cast<double>(violations);
        er.unit = "violations";
        er.passed = violations == 0;
        er.description = "the client waited >= Retry-After before retrying the same provider (" +
                         std::to_string(checked) + " retries checked)";
        if (!er.passed) er.detail = std::to_string(violations) + " early retr(ies); first: " + first;
        break;
      }
      case ExpectationKind::kNoRetryAfterPartialOutput: {
        uint64_t violations = 0;
        std::string first;
        const bool continuation = scenario.client.stream_continuation;
        for (const auto& a : res.attempt_log) {
          if (!a.after_partial_output || continuation) continue;
          ++violations;
          if (first.empty()) first = "request " + std::to_string(a.request) + " attempt " + std::to_string(a.number);
        }
        er.observed = static_cast<double>(violations);
        er.unit = "violations";
        er.passed = violations == 0;
        er.description = continuation ? "no retry after partial output (continuation on: not applicable)"
                                      : "no retry after partial output";
        if (!er.passed) er.detail = std::to_string(violations) + " attempt(s) after content reached the caller; first: " + first;
        break;
      }
      case ExpectationKind::kCost: {
        // Total, or the cost of the requests one provider served.
        double cost = res.cost_usd;
        if (!x.provider.empty()) {
          cost = 0;
          for (const auto& p : res.providers) {
            if (p.name == x.provider) cost = p.cost_usd;
          }
        }
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
        break;
      }
      case ExpectationKind::kNoLostRequests: {
        uint64_t bad = res.lost;
        std::string first;
        for (const auto& r : res.request_log) {
          if (r.outcome == "internal") ++bad;
          if (first.empty() && (!r.finished || r.outcome == "internal")) {
            first = "request " + std::to_string(r.id) + " (" + r.outcome + ")";
          }
        }
        er.observed = static_cast<double>(bad);
        er.unit = "requests";
        er.passed = bad == 0;
        er.description = "no lost requests (every call ends in success or a classified error)";
        if (!er.passed) er.detail = std::to_string(bad) + " lost or unclassified; first: " + first;
        break;
      }
      case ExpectationKind::kAllFaultsFired: {
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
        er.observed = static_cast<double>(unfired);
        er.unit = "faults";
        er.passed = unfired == 0;
        er.description = "every configured fault fired (" + std::to_string(total) + " faults)";
        if (!er.passed) er.detail = "never fired: " + names;
        break;
      }
    }
    res.expectations.push_back(std::move(er));
  }
}

bool ScenarioResult::passed() const {
  return std::all_of(expectations.begin(), expectations.end(), [](const auto& e) { return e.passed; });
}

}  // namespace ploke::scenarios
