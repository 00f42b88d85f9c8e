// run_scenario() with RunOptions::real_time: the same scenario over loopback HTTP on the
// real clock. Each provider's SimEngine is served by a SimServer on 127.0.0.1, port 0
// (what `ploke-sim serve` runs). The workload runs on one event loop, a one-loop
// net::HttpServer with no routes (the driver): every call is a fiber of it
// (net::LoopFibers) started at its real arrival time by a RealClock timer, and the façade
// reaches the servers through HttpTransport on that loop (LoopHttpClient), as the
// gateway's requests do. Fault windows are moved onto the servers' clock so that "from
// 30s" means 30 s after the workload starts. The same expectations are evaluated; there
// is no digest (the real clock is not deterministic), and the result says so (clock
// "real").
//
// Attempts are logged at the client end of the wire (a Transport decorator around
// HttpTransport, keyed to the running fiber's request), then joined with the servers'
// journals by the response's request id (x-request-id / request-id) — or, for attempts
// that never got a response head (reset, empty reply, hang), by arrival order — so the
// attempt log carries the server's status, ending and fault id as in virtual time.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "budget_ledger.h"
#include "ploke/adapters/anthropic/server.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/net/event_loop.h"
#include "ploke/net/http_server.h"
#include "ploke/net/loop_fibers.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/scenarios/runner.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/http_server.h"
#include "runner_internal.h"

namespace ploke::scenarios::detail {

namespace {

// One attempt as the client saw it, before the join with the server's journal.
struct WireAttempt {
  AttemptRecord rec;
  bool head = false;
  std::string request_id;  ///< the response's x-request-id / request-id
};

struct WireLog {
  Mutex mu;
  std::vector<WireAttempt> attempts PLOKE_GUARDED_BY(mu);
};

// Forwards to the inner (HTTP) transport and logs each attempt of a workload call: the
// call whose fiber is running (its user pointer is the RequestCtx).
class WireTap final : public Transport {
 public:
  WireTap(Transport& inner, Clock& clock, TimePoint t0, std::string provider, WireLog& log,
          net::LoopFibers* const& fibers)
      : inner_(inner), clock_(clock), t0_(t0), provider_(std::move(provider)), log_(log), fibers_(fibers) {}

  CallPtr start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) override {
    auto tap = std::make_unique<Tap>();
    tap->owner = this;
    tap->target = &handler;
    RequestCtx* ctx = fibers_ != nullptr ? static_cast<RequestCtx*>(fibers_->current_user()) : nullptr;
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
      auto rid = headers.get(adapters::openai::kRequestIdHeader);
      if (!rid) rid = headers.get(adapters::anthropic::kRequestIdHeader);
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
        MutexLock g(owner->log_.mu);
        owner->log_.attempts.push_back(a);
      }
      target->on_complete(std::move(st));
    }
    WireTap* owner = nullptr;
    ResponseHandler* target = nullptr;
    bool logged = false;
    WireAttempt a;
  };
  // Keeps the tap alive as long as the call (the façade ends a call only after its
  // on_complete, or after cancelling it).
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
  net::LoopFibers* const& fibers_;  // set on the loop before the first call
};

// Joins the client-side attempts of one provider with its server's journal.
void join_with_journal(const std::vector<simulator::JournalEntry>& journal, std::vector<WireAttempt*>& attempts) {
  std::vector<bool> used(journal.size(), false);
  std::multimap<std::string, size_t> by_rid;
  for (size_t k = 0; k < journal.size(); ++k) {
    if (!journal[k].request_id.empty()) by_rid.emplace(journal[k].request_id, k);
  }
  auto apply = [](WireAttempt& w, const simulator::JournalEntry& e) {
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

struct RealProvider {
  const ProviderSpec* spec = nullptr;
  std::unique_ptr<simulator::SimEngine> engine;
  std::unique_ptr<simulator::SimServer> server;
  std::unique_ptr<ProviderAdapter> adapter;
  std::unique_ptr<WireTap> tap;
  std::string base_url;
};

// The real-time world: the real clock, one engine served on loopback per provider, the
// HTTP transport (on the driver's loop), the driver and its fibers, and the client-side
// attempt log.
struct RealWorld {
  RealClock clock;
  std::deque<RealProvider> providers;
  adapters::HttpTransport http{clock, [] {
                       adapters::HttpTransport::Options o;
                       o.max_idle_per_origin = 64;
                       o.on_event_loop = true;
                       return o;
                     }()};
  WireLog wire;
  std::unique_ptr<net::HttpServer> driver;  // its one loop runs the workload
  net::LoopFibers* fibers = nullptr;        // the driver loop's fibers (a loop local)

  Status start_driver() {
    net::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    o.name = "scenario driver";
    auto server = net::HttpServer::Start(o, clock, [](net::Request&, net::Responder r) {
      r.respond(404, "text/plain", "the scenario driver serves nothing\n");
    });
    if (!server.ok()) return InternalError("cannot start the driver's event loop: " + server.status().message());
    driver = std::move(server).value();
    return Status::Ok();
  }

  Status start_providers(const Scenario& scenario, uint64_t seed) {
    for (size_t i = 0; i < scenario.providers.size(); ++i) {
      const ProviderSpec& p = scenario.providers[i];
      RealProvider& rp = providers.emplace_back();
      rp.spec = &p;
      auto so = sim_options_for(scenario, i, seed);
      if (!so.ok()) return so.status();
      so->faults = simulator::FaultPlan{};        // installed by arm(), with windows on the server's clock
      so->journal_capacity = 1u << 20;  // the join with the client's attempts needs every entry
      auto engine = simulator::SimEngine::Create(*so, clock);
      if (!engine.ok()) return InvalidRequestError("provider '" + p.name + "': " + engine.status().message());
      rp.engine = std::move(engine).value();
      simulator::ServerOptions sopts;
      sopts.host = "127.0.0.1";
      sopts.port = 0;
      sopts.threads = 1;
      sopts.max_hang = scenario.duration + scenario.drain;
      auto server = simulator::SimServer::Start(*rp.engine, clock, sopts);
      if (!server.ok()) return InternalError("provider '" + p.name + "': cannot start the HTTP server: " + server.status().message());
      rp.server = std::move(server).value();
      rp.adapter = adapter_for(p);
      rp.base_url = rp.server->url() + api_prefix(p);
    }
    return Status::Ok();
  }

  // Fault windows are measured from each engine's start: shift them to the workload's t0;
  // then the taps that log each attempt.
  Status arm(TimePoint t0) {
    for (RealProvider& rp : providers) {
      simulator::FaultPlan plan = rp.spec->faults;
      const Duration offset = t0 - rp.engine->start_time();
      for (simulator::Fault& f : plan.faults) {
        if (f.trigger.from) *f.trigger.from += offset;
        if (f.trigger.until) *f.trigger.until += offset;
      }
      if (Status st = rp.engine->set_faults(std::move(plan)); !st.ok()) {
        return InvalidRequestError("provider '" + rp.spec->name + "': " + st.message());
      }
      rp.tap = std::make_unique<WireTap>(http, clock, t0, rp.spec->name, wire, fibers);
    }
    return Status::Ok();
  }

  std::vector<ProviderWiring> wiring() {
    std::vector<ProviderWiring> out;
    for (RealProvider& rp : providers) out.push_back({rp.spec, rp.adapter.get(), rp.tap.get(), rp.base_url});
    return out;
  }
  std::vector<const simulator::SimEngine*> engines() const {
    std::vector<const simulator::SimEngine*> out;
    for (const RealProvider& rp : providers) out.push_back(rp.engine.get());
    return out;
  }

  // The client-side attempts joined with each server's journal, in time order.
  void attempts_into(ScenarioResult& res) {
    MutexLock g(wire.mu);  // every request has ended; the lock keeps the analysis honest
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
};

// What the main thread waits for, raised from the loop (every call ended; the stop step
// ran) and from the horizon timer. Shared with that timer, which may outlive the run.
class RunSignal {
 public:
  enum : unsigned { kCallsDone = 1, kHorizon = 2, kStopped = 4 };
  void raise(unsigned bit) {
    MutexLock g(mu_);
    flags_ |= bit;
    cv_.notify_all();
  }
  void wait_any(unsigned mask) {
    MutexLock g(mu_);
    while ((flags_ & mask) == 0) g.wait(cv_);
  }

 private:
  Mutex mu_;
  std::condition_variable cv_;
  unsigned flags_ PLOKE_GUARDED_BY(mu_) = 0;
};

// The real-time driver: every workload call runs on a fiber (net::LoopFibers) of the
// driver server's one event loop, started by a RealClock timer at its arrival time (the
// timer posts to the loop); queue samples are a timer chain too. Everything but start(),
// wait() and stop() runs on the loop thread, so the run's state needs no lock.
class LoopRun {
 public:
  LoopRun(RealWorld& world, TimePoint t0, TimePoint horizon, resilience::LlmClient& client, const Scenario& s,
          std::deque<RequestCtx>& requests, const std::vector<std::shared_ptr<ChatRequest>>& chat,
          const std::vector<Duration>& arrivals)
      : world_(world), clock_(world.clock), t0_(t0), horizon_(horizon), client_(client), scenario_(s),
        requests_(requests), chat_(chat), arrivals_(arrivals), tokens_(requests.size()), next_sample_(t0) {}

  /// Main thread: the horizon timer, then (on the loop) the fibers, the first arrival and
  /// the first queue sample.
  void start(ScenarioResult& res, std::mutex& log_mu, const RunOptions& options) {
    net::EventLoop& loop = world_.driver->loop(0);
    post_ = loop.poster();
    horizon_timer_ = clock_.schedule_at(horizon_, [sig = signal_] { sig->raise(RunSignal::kHorizon); });
    post_([this, &loop, &res, &log_mu, &options] {
      world_.fibers = &net::LoopFibers::of(loop, clock_, this);
      if (arrivals_.empty()) signal_->raise(RunSignal::kCallsDone);
      arm_arrival(0);
      sample(res, log_mu, options);
    });
  }

  /// Main thread: until every call returned or the horizon passed.
  void wait() { signal_->wait_any(RunSignal::kCallsDone | RunSignal::kHorizon); }

  /// Main thread, after wait(): on the loop, no more arrivals or samples and the calls
  /// still running are cancelled; then the providers' servers stop (closing the calls'
  /// connections), then the driver's loop, which gives up on any fiber still suspended
  /// (they end as lost). Returns how many calls started.
  size_t stop() {
    clock_.cancel(horizon_timer_);
    const bool posted = post_([this] {
      stopped_ = true;
      clock_.cancel(arrival_timer_);
      clock_.cancel(sample_timer_);
      for (size_t i = 0; i < started_; ++i) tokens_[i].cancel();
      signal_->raise(RunSignal::kStopped);
    });
    if (posted) signal_->wait_any(RunSignal::kStopped);
    for (RealProvider& rp : world_.providers) rp.server->stop();
    world_.driver->stop();  // joins the loop thread: what it wrote is visible here
    world_.fibers = nullptr;
    return started_;
  }

 private:
  void arm_arrival(size_t i) {
    if (stopped_ || i >= arrivals_.size()) return;
    arrival_timer_ = clock_.schedule_at(t0_ + arrivals_[i], [post = post_, this, i] { post([this, i] { arrive(i); }); });
  }
  void arrive(size_t i) {
    if (stopped_ || clock_.now() >= horizon_) return;  // never started: lost
    arm_arrival(i + 1);
    RequestCtx& ctx = requests_[i];
    ctx.start = clock_.now();
    ctx.rec.start = ctx.start - t0_;
    started_ = i + 1;
    ++live_;
    world_.fibers->spawn([this, i] { call(i); }, &ctx);  // runs until its first wait
  }
  void call(size_t i) {
    run_call(client_, *chat_[i], scenario_.workload, tokens_[i], clock_, t0_, requests_[i]);
    if (--live_ == 0 && started_ == arrivals_.size()) signal_->raise(RunSignal::kCallsDone);
  }
  // Samples on the sample_interval grid from t0 while calls are due or running.
  void sample(ScenarioResult& res, std::mutex& log_mu, const RunOptions& options) {
    if (stopped_) return;
    const TimePoint now = clock_.now();
    // Read the client (its lock) before taking the log's: the breaker callback takes them in
    // the other order (client, then log).
    auto q = queue_sample(client_, now - t0_, live_);
    {
      std::lock_guard<std::mutex> g(log_mu);
      res.queue_samples.push_back(std::move(q));
    }
    if (options.progress) options.progress(now - t0_, scenario_.duration);
    next_sample_ += scenario_.sample_interval;
    if (next_sample_ > horizon_ || (started_ == arrivals_.size() && live_ == 0)) return;
    sample_timer_ = clock_.schedule_at(next_sample_, [post = post_, this, &res, &log_mu, &options] {
      post([this, &res, &log_mu, &options] { sample(res, log_mu, options); });
    });
  }

  RealWorld& world_;
  RealClock& clock_;
  const TimePoint t0_, horizon_;
  resilience::LlmClient& client_;
  const Scenario& scenario_;
  std::deque<RequestCtx>& requests_;
  const std::vector<std::shared_ptr<ChatRequest>>& chat_;
  const std::vector<Duration>& arrivals_;
  std::deque<resilience::CancelToken> tokens_;
  std::shared_ptr<RunSignal> signal_ = std::make_shared<RunSignal>();
  std::function<bool(std::function<void()>)> post_;  // to the driver's loop; safe once it is gone
  TimerId horizon_timer_ = 0;  // main thread
  // Loop thread only:
  TimePoint next_sample_;
  TimerId arrival_timer_ = 0, sample_timer_ = 0;
  size_t started_ = 0, live_ = 0;
  bool stopped_ = false;
};

}  // namespace

Result<ScenarioResult> run_real_time(const Scenario& scenario, const RunOptions& options) {
  if (scenario.instances > 1) return InvalidRequestError("client.instances: several instances run in virtual time only");
  const uint64_t seed = options.seed.value_or(scenario.seed);
  RealWorld world;
  ScenarioResult res = result_header(scenario, seed);
  res.clock = "real";
  if (Status st = world.start_providers(scenario, seed); !st.ok()) return st;
  if (Status st = world.start_driver(); !st.ok()) return st;

  // The workload, decided before the clock starts.
  Random rnd(seed ^ 0x5ce7a210ULL);
  const std::vector<Duration> arrivals = arrival_times(scenario, rnd);
  std::deque<RequestCtx> requests(arrivals.size());
  std::vector<std::shared_ptr<ChatRequest>> chat(arrivals.size());
  for (size_t i = 0; i < arrivals.size(); ++i) {
    requests[i].rec.id = i + 1;
    chat[i] = build_request(scenario, i, rnd, requests[i].rec);
  }

  const TimePoint t0 = world.clock.now();
  if (Status st = world.arm(t0); !st.ok()) return st;
  std::mutex log_mu;  // breaker log (RealClock timers may log too) and queue samples
  auto facade = make_facade(scenario, seed, world.clock, t0, res, &log_mu, world.wiring());
  if (!facade.ok()) return facade.status();
  const TimePoint horizon = t0 + scenario.duration + scenario.drain;
  LoopRun run(world, t0, horizon, *facade->client, scenario, requests, chat, arrivals);
  run.start(res, log_mu, options);
  run.wait();
  res.simulated = world.clock.now() - t0;
  const size_t started = run.stop();

  world.attempts_into(res);
  std::sort(res.breaker_log.begin(), res.breaker_log.end(),
            [](const BreakerTransition& a, const BreakerTransition& b) { return a.at < b.at; });
  for (size_t i = started; i < requests.size(); ++i) requests[i].rec.start = arrivals[i];
  finish_result(scenario, requests, horizon - t0, world.engines(), *facade, res);
  for (size_t i = 0; i < res.providers.size() && i < world.providers.size(); ++i) {
    res.providers[i].url = world.providers[i].server->url();
  }
  res.digest.clear();  // not deterministic: no digest
  return res;
}

}  // namespace ploke::scenarios::detail
