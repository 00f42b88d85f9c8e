// run_scenario() with RunOptions::real_time: the same scenario over loopback HTTP on the
// real clock. Each provider's SimEngine is served by a SimServer on 127.0.0.1, port 0
// (what `ploke-sim serve` runs); the façade reaches it through HttpTransport; every
// workload call runs on its own thread at its real arrival time. Fault windows are moved
// onto the servers' clock so that "from 30s" means 30 s after the workload starts. The
// same expectations are evaluated; there is no digest (the real clock is not
// deterministic), and the result says so (clock "real").
//
// Attempts are logged at the client end of the wire (a Transport decorator around
// HttpTransport, keyed to the calling thread's request), then joined with the servers'
// journals by the response's request id (x-request-id / request-id) — or, for attempts
// that never got a response head (reset, empty reply, hang), by arrival order — so the
// attempt log carries the server's status, ending and fault id as in virtual time.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "budget_ledger.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/scenarios/runner.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/http_server.h"
#include "runner_internal.h"

namespace ploke::scenarios::detail {

namespace {

using std::chrono::milliseconds;

// More concurrent calls than this wait for a free thread (their arrival is late).
constexpr size_t kMaxThreads = 1024;

// The workload call running on this thread (attempts are attributed to it).
thread_local RequestCtx* tls_ctx = nullptr;

// One attempt as the client saw it, before the join with the server's journal.
struct WireAttempt {
  AttemptRecord rec;
  bool head = false;
  std::string request_id;  ///< the response's x-request-id / request-id
};

struct WireLog {
  std::mutex mu;
  std::vector<WireAttempt> attempts;  // GUARDED_BY(mu)
};

// Forwards to the inner (HTTP) transport and logs each attempt of a workload call.
class WireTap final : public Transport {
 public:
  WireTap(Transport& inner, Clock& clock, TimePoint t0, std::string provider, WireLog& log)
      : inner_(inner), clock_(clock), t0_(t0), provider_(std::move(provider)), log_(log) {}

  CallPtr start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) override {
    auto tap = std::make_unique<Tap>();
    tap->owner = this;
    tap->target = &handler;
    RequestCtx* ctx = tls_ctx;
    tap->logged = ctx != nullptr;
    if (ctx != nullptr) {
      tap->a.rec.request = ctx->rec.id;
      tap->a.rec.number = ++ctx->rec.attempts;
      tap->a.rec.after_partial_output = ctx->content_delivered;
    }
    tap->a.rec.provider = provider_;
    tap->a.rec.at = clock_.now() - t0_;
    CallPtr call = inner_.start(request, options, *tap);
    return std::make_unique<TapCall>(std::move(call), std::move(tap));
  }

 private:
  struct Tap final : ResponseHandler {
    void on_head(int status, const Headers& headers) override {
      a.head = true;
      a.rec.http_status = status;
      a.rec.head_at = owner->clock_.now() - owner->t0_;
      a.rec.retry_after = retry_after_of(headers);
      auto rid = headers.get("x-request-id");
      if (!rid) rid = headers.get("request-id");  // Anthropic
      if (rid) a.request_id = std::string(*rid);
      target->on_head(status, headers);
    }
    bool on_body(std::string_view bytes) override { return target->on_body(bytes); }
    void on_complete(Status st) override {
      if (!a.head) {
        a.rec.head_at = owner->clock_.now() - owner->t0_;
        // The client's guess; the server's journal corrects it when the attempt reached it.
        a.rec.ending = st.code() == StatusCode::kTimeout ? "hang" : "reset";
      } else {
        a.rec.ending = st.ok() ? "complete" : "reset";
      }
      if (logged) {
        std::lock_guard<std::mutex> g(owner->log_.mu);
        owner->log_.attempts.push_back(a);
      }
      target->on_complete(std::move(st));
    }
    WireTap* owner = nullptr;
    ResponseHandler* target = nullptr;
    bool logged = false;
    WireAttempt a;
  };
  // Keeps the tap alive as long as the call (a blocking transport is done already).
  struct TapCall final : Call {
    TapCall(CallPtr inner, std::unique_ptr<Tap> tap) : inner_(std::move(inner)), tap_(std::move(tap)) {}
    ~TapCall() override { inner_.reset(); }
    void cancel() override {
      if (inner_) inner_->cancel();
    }
    bool done() const override { return !inner_ || inner_->done(); }
    CallPtr inner_;
    std::unique_ptr<Tap> tap_;
  };

  Transport& inner_;
  Clock& clock_;
  const TimePoint t0_;
  const std::string provider_;
  WireLog& log_;
};

struct RealProvider {
  const ProviderSpec* spec = nullptr;
  std::unique_ptr<sim::SimEngine> engine;
  std::unique_ptr<sim::SimServer> server;
  std::unique_ptr<ProviderAdapter> adapter;
  std::unique_ptr<WireTap> tap;
  std::string base_url;
};

// Joins the client-side attempts of one provider with its server's journal.
void join_with_journal(const std::vector<sim::JournalEntry>& journal, std::vector<WireAttempt*>& attempts) {
  std::vector<bool> used(journal.size(), false);
  std::multimap<std::string, size_t> by_rid;
  for (size_t k = 0; k < journal.size(); ++k) {
    if (!journal[k].request_id.empty()) by_rid.emplace(journal[k].request_id, k);
  }
  auto apply = [](WireAttempt& w, const sim::JournalEntry& e) {
    w.rec.http_status = e.status;
    w.rec.ending = e.ending;
    w.rec.fault_id = e.fault_id;
  };
  std::vector<WireAttempt*> headed, unheaded;
  for (WireAttempt* w : attempts) {
    if (w->head && !w->request_id.empty()) {
      auto [lo, hi] = by_rid.equal_range(w->request_id);
      bool matched = false;
      for (auto it = lo; it != hi; ++it) {
        if (used[it->second]) continue;
        used[it->second] = true;
        apply(*w, journal[it->second]);
        matched = true;
        break;
      }
      if (matched) continue;
    }
    (w->head ? headed : unheaded).push_back(w);
  }
  // The rest by arrival order, within each class (a response head sent or not).
  size_t h = 0, u = 0;
  for (size_t k = 0; k < journal.size(); ++k) {
    if (used[k]) continue;
    const bool sent_head = journal[k].status != 0;
    if (sent_head && h < headed.size()) apply(*headed[h++], journal[k]);
    if (!sent_head && u < unheaded.size()) apply(*unheaded[u++], journal[k]);
  }
}

}  // namespace

Result<ScenarioResult> run_real_time(const Scenario& scenario, const RunOptions& options) {
  const uint64_t seed = options.seed.value_or(scenario.seed);
  RealClock clock;
  ScenarioResult res = result_header(scenario, seed);
  res.clock = "real";

  // ---- providers: engine + HTTP server on loopback each ----
  std::deque<RealProvider> providers;
  for (size_t i = 0; i < scenario.providers.size(); ++i) {
    const ProviderSpec& p = scenario.providers[i];
    RealProvider& rp = providers.emplace_back();
    rp.spec = &p;
    auto so = sim_options_for(scenario, i, seed);
    if (!so.ok()) return so.status();
    so->faults = FaultPlan{};        // installed at the start, with windows on the server's clock
    so->journal_capacity = 1u << 20;  // the join with the client's attempts needs every entry
    auto engine = sim::SimEngine::Create(*so, clock);
    if (!engine.ok()) return InvalidRequestError("provider '" + p.name + "': " + engine.status().message());
    rp.engine = std::move(engine).value();
    sim::ServerOptions sopts;
    sopts.host = "127.0.0.1";
    sopts.port = 0;
    sopts.threads = 1;
    sopts.max_hang = scenario.duration + scenario.drain;
    auto server = sim::SimServer::Start(*rp.engine, clock, sopts);
    if (!server.ok()) return InternalError("provider '" + p.name + "': cannot start the HTTP server: " + server.status().message());
    rp.server = std::move(server).value();
    rp.adapter = adapter_for(p);
    rp.base_url = rp.server->url() + api_prefix(p);
  }
  HttpTransport::Options hopts;
  hopts.max_idle_per_origin = 64;
  HttpTransport http(clock, hopts);
  WireLog wire;

  // ---- the façade (as in virtual time) ----
  std::mutex log_mu;  // breaker log
  TimePoint t0 = clock.now();  // set again just before the workload starts
  resilience::LlmClientOptions copts = scenario.client;
  copts.seed = seed;
  copts.on_breaker_event = [&res, &log_mu, &t0](const std::string& endpoint_id, const resilience::BreakerEvent& e) {
    BreakerTransition bt;
    bt.endpoint_id = endpoint_id;
    bt.provider = provider_of(endpoint_id);
    bt.from = std::string(resilience::breaker_state_name(e.from));
    bt.to = std::string(resilience::breaker_state_name(e.to));
    bt.reason = e.reason;
    std::lock_guard<std::mutex> g(log_mu);
    bt.at = e.at - t0;
    res.breaker_log.push_back(std::move(bt));
  };

  // The workload, decided before the clock starts.
  Random rnd(seed ^ 0x5ce7a210ULL);
  const std::vector<Duration> arrivals = arrival_times(scenario, rnd);
  const size_t n = arrivals.size();
  std::vector<RequestCtx> requests(n);
  std::vector<std::shared_ptr<ChatRequest>> chat(n);
  for (size_t i = 0; i < n; ++i) {
    requests[i].rec.id = i + 1;
    chat[i] = build_request(scenario, i, rnd, requests[i].rec);
  }
  std::unique_ptr<resilience::CancelToken[]> tokens(new resilience::CancelToken[n > 0 ? n : 1]);

  // Everything below uses t0: fix it now, then wire the taps and the client.
  t0 = clock.now();
  for (RealProvider& rp : providers) {
    // Fault windows are measured from the engine's start: shift them to the workload's.
    FaultPlan plan = rp.spec->faults;
    const Duration offset = t0 - rp.engine->start_time();
    for (Fault& f : plan.faults) {
      if (f.trigger.from) *f.trigger.from += offset;
      if (f.trigger.until) *f.trigger.until += offset;
    }
    if (Status st = rp.engine->set_faults(std::move(plan)); !st.ok()) {
      return InvalidRequestError("provider '" + rp.spec->name + "': " + st.message());
    }
    rp.tap = std::make_unique<WireTap>(http, clock, t0, rp.spec->name, wire);
  }
  std::unique_ptr<BudgetLedger> ledger;
  if (!scenario.budgets.empty()) {
    ledger = std::make_unique<BudgetLedger>(clock, t0, scenario.budgets);
    copts.usage_sink = ledger.get();
    copts.budget_oracle = ledger.get();
  }
  resilience::LlmClient client(clock, copts);
  if (!scenario.policy.empty()) {
    if (Status st = client.set_policy(scenario.policy); !st.ok()) {
      return InvalidRequestError("client.policy: " + st.message());
    }
  }
  {
    std::vector<ProviderWiring> wiring;
    for (RealProvider& rp : providers) wiring.push_back({rp.spec, rp.adapter.get(), rp.tap.get(), rp.base_url});
    if (Status st = add_endpoints(client, scenario, wiring); !st.ok()) return st;
  }

  // ---- run: one thread per call in flight, a sampler, the dispatcher on this thread ----
  const WorkloadSpec& wl = scenario.workload;
  std::mutex mu;
  std::condition_variable cv;
  size_t live = 0;                  // GUARDED_BY(mu)
  std::vector<size_t> done;         // GUARDED_BY(mu): finished threads to join
  std::vector<std::thread> threads(n);
  auto worker = [&](size_t i) {
    RequestCtx& ctx = requests[i];
    tls_ctx = &ctx;
    resilience::CallControl control;
    control.policy = wl.policy;
    control.cancel = &tokens[i];
    resilience::RequestTrace trace;
    Result<ChatResponse> out = InternalError("not run");
    if (ctx.rec.stream) {
      out = client.stream(
          *chat[i],
          [&ctx](const StreamEvent& e) {
            if (e.kind == StreamEvent::Kind::kTextDelta || e.kind == StreamEvent::Kind::kToolCallDelta) {
              ctx.content_delivered = true;
              ++ctx.rec.content_events;
            }
          },
          control, &trace);
    } else {
      out = client.complete(*chat[i], control, &trace);
    }
    ctx.rec.end = clock.now() - t0;
    ctx.rec.finished = true;
    ctx.rec.outcome = out.ok() ? "ok" : std::string(status_code_name(out.status().code()));
    ctx.rec.cost_usd = trace.total_cost_usd;
    ctx.rec.queue_wait = trace.queue_wait;
    if (out.ok()) ctx.rec.served_by = provider_of(trace.served_by);
    tls_ctx = nullptr;
    std::lock_guard<std::mutex> g(mu);
    --live;
    done.push_back(i);
    cv.notify_all();
  };
  auto join_done = [&] {
    std::vector<size_t> ids;
    {
      std::lock_guard<std::mutex> g(mu);
      ids.swap(done);
    }
    for (size_t i : ids) threads[i].join();
  };

  const TimePoint horizon = t0 + scenario.duration + scenario.drain;
  std::atomic<bool> stop_sampler{false};
  std::thread sampler([&] {
    TimePoint next = t0;
    while (!stop_sampler.load()) {
      const TimePoint now = clock.now();
      if (now >= next) {
        const resilience::QueueStatus qs = client.queue_status();
        QueueSample q;
        q.at = now - t0;
        q.in_flight = qs.in_flight;
        for (const auto& l : qs.lanes) q.queued += l.depth;
        {
          std::lock_guard<std::mutex> g(mu);
          q.outstanding = live;
        }
        {
          std::lock_guard<std::mutex> g(log_mu);
          res.queue_samples.push_back(q);
        }
        if (options.progress) options.progress(now - t0, scenario.duration);
        next += scenario.sample_interval;
        continue;
      }
      clock.sleep_until(std::min(next, now + milliseconds(50)));
    }
  });

  size_t started = 0;
  for (size_t i = 0; i < n; ++i) {
    clock.sleep_until(t0 + arrivals[i]);
    join_done();
    {
      std::unique_lock<std::mutex> lk(mu);
      while (live >= kMaxThreads && clock.now() < horizon) cv.wait_for(lk, milliseconds(20));
      if (clock.now() >= horizon) break;  // never started: lost
      ++live;
    }
    requests[i].start = clock.now();
    requests[i].rec.start = requests[i].start - t0;
    threads[i] = std::thread(worker, i);
    ++started;
  }
  // Drain: until every call returned or the horizon.
  {
    std::unique_lock<std::mutex> lk(mu);
    while (live > 0 && clock.now() < horizon) cv.wait_for(lk, milliseconds(20));
  }
  res.simulated = clock.now() - t0;
  // Past the horizon: cancel what is left and close the servers' connections so blocked
  // calls return (they count as lost), then join everything.
  {
    bool left;
    {
      std::lock_guard<std::mutex> g(mu);
      left = live > 0;
    }
    if (left) {
      for (size_t i = 0; i < started; ++i) tokens[i].cancel();
    }
  }
  for (RealProvider& rp : providers) rp.server->stop();
  {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return live == 0; });
  }
  stop_sampler = true;
  sampler.join();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }

  // ---- logs → result ----
  {
    std::map<std::string, std::vector<WireAttempt*>> by_provider;
    for (WireAttempt& w : wire.attempts) by_provider[w.rec.provider].push_back(&w);
    for (auto& [name, list] : by_provider) {
      std::sort(list.begin(), list.end(), [](const WireAttempt* a, const WireAttempt* b) { return a->rec.at < b->rec.at; });
      for (RealProvider& rp : providers) {
        if (rp.spec->name == name) join_with_journal(rp.engine->journal(), list);
      }
    }
    std::vector<WireAttempt*> all;
    for (WireAttempt& w : wire.attempts) all.push_back(&w);
    std::sort(all.begin(), all.end(), [](const WireAttempt* a, const WireAttempt* b) {
      if (a->rec.at != b->rec.at) return a->rec.at < b->rec.at;
      if (a->rec.request != b->rec.request) return a->rec.request < b->rec.request;
      return a->rec.number < b->rec.number;
    });
    for (WireAttempt* w : all) res.attempt_log.push_back(w->rec);
  }
  std::sort(res.breaker_log.begin(), res.breaker_log.end(),
            [](const BreakerTransition& a, const BreakerTransition& b) { return a.at < b.at; });
  const Duration horizon_off = horizon - t0;
  res.request_log.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    RequestCtx& ctx = requests[i];
    if (i >= started) ctx.rec.start = arrivals[i];
    if (ctx.rec.finished && ctx.rec.end > horizon_off) ctx.rec.finished = false;
    if (!ctx.rec.finished) ctx.rec.outcome = "lost";
    res.request_log.push_back(ctx.rec);
  }
  std::vector<const sim::SimEngine*> engines;
  for (RealProvider& rp : providers) engines.push_back(rp.engine.get());
  summarize(scenario, engines, res);
  for (size_t i = 0; i < res.providers.size() && i < providers.size(); ++i) {
    res.providers[i].url = providers[i].server->url();
  }
  if (ledger) res.budgets = ledger->summaries();
  evaluate_expectations(scenario, res);
  res.digest.clear();  // not deterministic: no digest
  return res;
}

}  // namespace ploke::scenarios::detail
