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
#include "ploke/adapters/anthropic/server.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/thread_annotations.h"
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
  Mutex mu;
  std::vector<WireAttempt> attempts PLOKE_GUARDED_BY(mu);
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
// HTTP transport, and the client-side attempt log.
struct RealWorld {
  RealClock clock;
  std::deque<RealProvider> providers;
  adapters::HttpTransport http{clock, [] {
                       adapters::HttpTransport::Options o;
                       o.max_idle_per_origin = 64;
                       return o;
                     }()};
  WireLog wire;

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
      rp.tap = std::make_unique<WireTap>(http, clock, t0, rp.spec->name, wire);
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

// The real-time driver's calls: one thread per call in flight (at most kMaxThreads), a
// sampler thread, arrivals dispatched from the caller's thread at their real times.
class ThreadRun {
 public:
  ThreadRun(RealWorld& world, TimePoint t0, TimePoint horizon, resilience::LlmClient& client, const Scenario& s,
            std::deque<RequestCtx>& requests, const std::vector<std::shared_ptr<ChatRequest>>& chat)
      : world_(world), clock_(world.clock), t0_(t0), horizon_(horizon), client_(client), scenario_(s),
        requests_(requests), chat_(chat), threads_(requests.size()), tokens_(requests.size()) {}

  void start_sampler(ScenarioResult& res, std::mutex& log_mu, const RunOptions& options) {
    sampler_ = std::thread([this, &res, &log_mu, &options] {
      TimePoint next = t0_;
      while (!stop_sampler_.load()) {
        const TimePoint now = clock_.now();
        if (now < next) {
          clock_.sleep_until(std::min(next, now + milliseconds(50)));
          continue;
        }
        QueueSample q = queue_sample(client_, now - t0_, live());
        {
          std::lock_guard<std::mutex> g(log_mu);
          res.queue_samples.push_back(q);
        }
        if (options.progress) options.progress(now - t0_, scenario_.duration);
        next += scenario_.sample_interval;
      }
    });
  }

  /// Starts each call at its arrival time; returns how many started (the rest are lost).
  size_t dispatch(const std::vector<Duration>& arrivals) {
    size_t started = 0;
    for (size_t i = 0; i < arrivals.size(); ++i) {
      clock_.sleep_until(t0_ + arrivals[i]);
      join_done();
      {
        MutexLock lk(mu_);
        while (live_ >= kMaxThreads && clock_.now() < horizon_) lk.wait_for(cv_, milliseconds(20));
        if (clock_.now() >= horizon_) break;  // never started: lost
        ++live_;
      }
      requests_[i].start = clock_.now();
      requests_[i].rec.start = requests_[i].start - t0_;
      threads_[i] = std::thread([this, i] { call(i); });
      ++started;
    }
    return started;
  }

  /// Waits until every call returned or the horizon passed.
  void drain() {
    MutexLock lk(mu_);
    while (live_ > 0 && clock_.now() < horizon_) lk.wait_for(cv_, milliseconds(20));
  }

  /// Past the horizon: cancels what is left and closes the servers' connections so
  /// blocked calls return (they count as lost), then joins every thread.
  void stop(size_t started) {
    if (live() > 0) {
      for (size_t i = 0; i < started; ++i) tokens_[i].cancel();
    }
    for (RealProvider& rp : world_.providers) rp.server->stop();
    {
      MutexLock lk(mu_);
      while (live_ != 0) lk.wait(cv_);
    }
    stop_sampler_ = true;
    if (sampler_.joinable()) sampler_.join();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void call(size_t i) {
    tls_ctx = &requests_[i];
    run_call(client_, *chat_[i], scenario_.workload, tokens_[i], clock_, t0_, requests_[i]);
    tls_ctx = nullptr;
    MutexLock g(mu_);
    --live_;
    done_.push_back(i);
    cv_.notify_all();
  }
  void join_done() {
    std::vector<size_t> ids;
    {
      MutexLock g(mu_);
      ids.swap(done_);
    }
    for (size_t i : ids) threads_[i].join();
  }
  size_t live() {
    MutexLock g(mu_);
    return live_;
  }

  RealWorld& world_;
  RealClock& clock_;
  const TimePoint t0_, horizon_;
  resilience::LlmClient& client_;
  const Scenario& scenario_;
  std::deque<RequestCtx>& requests_;
  const std::vector<std::shared_ptr<ChatRequest>>& chat_;
  Mutex mu_;
  std::condition_variable cv_;
  size_t live_ PLOKE_GUARDED_BY(mu_) = 0;
  std::vector<size_t> done_ PLOKE_GUARDED_BY(mu_);  // finished threads to join
  std::vector<std::thread> threads_;
  std::deque<resilience::CancelToken> tokens_;
  std::atomic<bool> stop_sampler_{false};
  std::thread sampler_;
};

}  // namespace

Result<ScenarioResult> run_real_time(const Scenario& scenario, const RunOptions& options) {
  const uint64_t seed = options.seed.value_or(scenario.seed);
  RealWorld world;
  ScenarioResult res = result_header(scenario, seed);
  res.clock = "real";
  if (Status st = world.start_providers(scenario, seed); !st.ok()) return st;

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
  std::mutex log_mu;  // breaker log and queue samples
  auto facade = make_facade(scenario, seed, world.clock, t0, res, &log_mu, world.wiring());
  if (!facade.ok()) return facade.status();
  const TimePoint horizon = t0 + scenario.duration + scenario.drain;
  ThreadRun run(world, t0, horizon, *facade->client, scenario, requests, chat);
  run.start_sampler(res, log_mu, options);
  const size_t started = run.dispatch(arrivals);
  run.drain();
  res.simulated = world.clock.now() - t0;
  run.stop(started);

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
