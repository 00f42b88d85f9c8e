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
#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/digest.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/responses_adapter.h"
#include "ploke/adapters/openrouter/adapter.h"
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
  std::unique_ptr<simulator::SimEngine> engine;
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

// The embeddings workload's model: the simulator's default entry of that name (its size),
// else an embedding model of 1536 dimensions.
void add_embedding_model(simulator::SimOptions& so, std::set<std::string>& seen, const std::string& id) {
  if (!seen.insert(id).second) return;
  for (const simulator::ModelInfo& m : simulator::default_models()) {
    if (m.id == id) {
      so.models.push_back(m);
      return;
    }
  }
  simulator::ModelInfo m{id};
  m.kind = simulator::ModelKind::kEmbedding;
  m.embedding_dims = 1536;
  so.models.push_back(std::move(m));
}

Result<simulator::SimOptions> sim_options_for(const Scenario& scenario, size_t i, uint64_t seed) {
  const ProviderSpec& p = scenario.providers[i];
  simulator::SimOptions so;
  so.seed = seed * 1000003 + i + 1;
  so.models.clear();
  std::set<std::string> seen;
  auto add_model = [&](const std::string& m) {
    if (seen.insert(m).second) so.models.push_back(simulator::ModelInfo{m});
  };
  for (const auto& m : p.models) add_model(m);
  add_model(scenario.workload.model);  // the façade sends the request's model as is
  if (scenario.workload.embed_share > 0) add_embedding_model(so, seen, scenario.workload.embed_model);
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
  if (p.protocol == "anthropic") return std::make_unique<adapters::anthropic::AnthropicAdapter>();
  if (p.protocol == "openrouter") return std::make_unique<adapters::openrouter::OpenRouterAdapter>();
  if (p.protocol == "openai-responses") return std::make_unique<adapters::openai::OpenAiResponsesAdapter>();
  return std::make_unique<adapters::openai::OpenAiAdapter>();
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
  rec.embed = wl.embed_share > 0 && r.chance(wl.embed_share);  // drawn last: other workloads keep their draws
  if (rec.embed) rec.stream = rec.tools = false;
  auto req = std::make_shared<ChatRequest>();
  req->model = wl.model;
  if (wl.cached_system_chars > 0) {  // the same long prefix on every call, marked for the cache
    static const std::string kRules = "Rule: answer tersely, cite the file, keep the build green at every commit. ";
    std::string system;
    system.reserve(wl.cached_system_chars + kRules.size());
    while (system.size() < wl.cached_system_chars) system += kRules;
    system.resize(wl.cached_system_chars);
    req->messages.push_back(Message{Role::kSystem, {ContentPart::CachedText(std::move(system), wl.cache_ttl)}, {}, {}, {}, {}});
  } else {
    req->messages.push_back(Message::System("You are a terse assistant."));
  }
  req->messages.push_back(Message::User(prompt_text(chars, rec.id)));
  req->max_output_tokens = wl.max_output_tokens;
  req->stream = rec.stream;
  req->reasoning = wl.reasoning;
  if (rec.tools) req->tools.push_back(kTool);
  req->meta.priority = rec.priority;
  req->meta.deadline = wl.deadline;
  req->meta.request_id = "r" + std::to_string(rec.id);
  return req;
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
AttemptRecord attempt_of(const ScriptedResponse& resp, const simulator::SimEngine& engine, RequestCtx& ctx,
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
      auto engine = simulator::SimEngine::Create(*so, clock);
      if (!engine.ok()) return InvalidRequestError("provider '" + p.name + "': " + engine.status().message());
      w->engine = std::move(engine).value();
      w->adapter = detail::adapter_for(p);
      w->base_url = "http://" + p.name + ".sim" + detail::api_prefix(p);
      simulator::SimEngine* engine_ptr = w->engine.get();
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
  std::vector<const simulator::SimEngine*> engines() const {
    std::vector<const simulator::SimEngine*> out;
    for (const auto& w : providers) out.push_back(w->engine.get());
    return out;
  }
};

}  // namespace

namespace {

// client.instances façades (one, or several over one in-memory SharedStore).
struct Instances {
  std::unique_ptr<resilience::MemoryStore> store;  // outlives the façades (declared first)
  std::vector<detail::Facade> facades;
};

Result<Instances> make_instances(const Scenario& scenario, uint64_t seed, VirtualWorld& world, ScenarioResult& res) {
  Instances out;
  if (scenario.instances > 1) out.store = std::make_unique<resilience::MemoryStore>(world.clock);
  for (uint32_t k = 0; k < std::max<uint32_t>(1, scenario.instances); ++k) {
    auto f = detail::make_facade(scenario, seed, world.clock, world.t0, res, nullptr, world.wiring(), out.store.get(), k);
    if (!f.ok()) return f.status();
    out.facades.push_back(std::move(f).value());
  }
  return out;
}

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
  auto facades = make_instances(scenario, seed, world, res);
  if (!facades.ok()) return facades.status();
  const std::vector<detail::Facade>& instances = facades->facades;
  resilience::LlmClient& client = *instances[0].client;  // queue samples, budgets: instance 0

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
      resilience::LlmClient* to = instances[i % instances.size()].client.get();  // in turn
      world.fibers.spawn([&ctx, req, to, &clock, &scenario, t0] {
        resilience::CancelToken token;
        detail::run_call(*to, *req, scenario.workload, token, clock, t0, ctx);
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
  detail::finish_result(scenario, requests, horizon - t0, world.engines(), instances[0], res);
  res.digest = adapters::sha256_hex(canonical_text(res));
  return res;
}

bool ScenarioResult::passed() const {
  return std::all_of(expectations.begin(), expectations.end(), [](const auto& e) { return e.passed; });
}

}  // namespace ploke::scenarios
