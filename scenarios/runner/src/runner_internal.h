// File: runner_internal.h (private to ploke::scenarios)
//
// One runner, two drivers of the one fiber core: the virtual-time driver (runner.cpp:
// SimulatedClock, in-process transports, VirtualTimeFibers) and the real-time driver
// (real_time.cpp: RealClock, SimServers on loopback and HttpTransport on one event loop,
// net::LoopFibers), one fiber per call in both, share every step here:
// the simulator options of a provider, the façade (endpoints, budgets, breaker log), the
// workload (arrival times, request shapes), one call, queue samples, and the logs →
// result. Keeping one copy is what makes `--real-time` run "the same scenario".
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/adapter.h"
#include "ploke/core/chat.h"
#include "ploke/core/random.h"
#include "ploke/core/transport.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/scenarios/result.h"
#include "ploke/scenarios/runner.h"
#include "ploke/scenarios/scenario.h"
#include "ploke/simulator/engine.h"

namespace ploke::scenarios::detail {

/// One workload call in flight (stable address for the whole run).
struct RequestCtx {
  RequestRecord rec;
  TimePoint start{};
  bool content_delivered = false;
};

/// The engine options of provider `index` (seed derived from the scenario seed and the
/// position; models; latency; rate limits; faults; drift; cassettes loaded).
Result<simulator::SimOptions> sim_options_for(const Scenario& s, size_t index, uint64_t seed);

/// The adapter for the provider's protocol, and the API prefix its simulator routes use
/// ("/v1" for openai and anthropic, "/api/v1" for openrouter).
std::unique_ptr<ProviderAdapter> adapter_for(const ProviderSpec& p);
std::string api_prefix(const ProviderSpec& p);

/// How one provider is reached: its adapter, transport and base URL.
struct ProviderWiring {
  const ProviderSpec* spec = nullptr;
  const ProviderAdapter* adapter = nullptr;
  Transport* transport = nullptr;
  std::string base_url;
};
/// Adds one façade endpoint per provider model ("NAME/MODEL"). kInvalidRequest on refusal.
Status add_endpoints(resilience::LlmClient& client, const Scenario& s, const std::vector<ProviderWiring>& wiring);

/// Arrival offsets since the start, deterministic for `rnd`'s seed.
std::vector<Duration> arrival_times(const Scenario& s, Random& rnd);

/// The request of arrival `i` (0-based): fills rec.{stream, tools, priority} from
/// rnd.fork(i + 1) and returns the ChatRequest.
std::shared_ptr<ChatRequest> build_request(const Scenario& s, size_t i, const Random& rnd, RequestRecord& rec);

/// retry-after-ms / retry-after of a response head.
std::optional<Duration> retry_after_of(const Headers& h);

/// "NAME/MODEL" → "NAME".
std::string provider_of(const std::string& endpoint_id);

/// From res.request_log (lost requests already marked), res.attempt_log (time order) and
/// res.breaker_log: totals, latency percentiles, per-provider summaries (with the engines'
/// fault counters), time buckets with breaker states. `engines` are in provider order.
/// The result's identity fields (file, name, description, tags, seed, duration, sampling).
ScenarioResult result_header(const Scenario& s, uint64_t seed);
void summarize(const Scenario& s, const std::vector<const simulator::SimEngine*>& engines, ScenarioResult& res);

// ---- the run's steps, the same under both clocks (run_common.cpp) ----

class BudgetLedger;

/// The façade of a run and its client-side budgets (the in-memory ledger).
struct Facade {
  std::unique_ptr<BudgetLedger> ledger;
  std::unique_ptr<resilience::SharedState> shared;  // client.instances > 1; outlives the client
  std::unique_ptr<resilience::LlmClient> client;
  Facade();
  Facade(Facade&&) noexcept;
  ~Facade();
};

/// Builds the façade: the scenario's client options with `seed`, breaker transitions
/// logged into res.breaker_log (times since `t0`; under `log_mu` when given, as the
/// real-time run does), the scenario's budgets and policy, one endpoint per wired provider.
/// `store` (client.instances > 1): the instance's SharedState over it, named "instance-K".
Result<Facade> make_facade(const Scenario& s, uint64_t seed, Clock& clock, TimePoint t0, ScenarioResult& res,
                           std::mutex* log_mu, const std::vector<ProviderWiring>& wiring,
                           resilience::SharedStore* store = nullptr, uint32_t instance = 0);

/// One workload call: complete() or stream() through the façade with the workload's
/// policy and `token`, then its outcome, end time, cost and queue wait in ctx.rec.
void run_call(resilience::LlmClient& client, const ChatRequest& req, const WorkloadSpec& wl,
              resilience::CancelToken& token, Clock& clock, TimePoint t0, RequestCtx& ctx);

/// The queue-depth sample at `now` (`outstanding`: calls started and not finished).
QueueSample queue_sample(resilience::LlmClient& client, Duration since_t0, size_t outstanding);

/// Logs → result: requests past `horizon` are lost, then summarize(), the budgets,
/// expectation verdicts.
void finish_result(const Scenario& s, std::deque<RequestCtx>& requests, Duration horizon,
                   const std::vector<const simulator::SimEngine*>& engines, const Facade& facade, ScenarioResult& res);

/// The real-time run (RunOptions::real_time; real_time.cpp).
Result<ScenarioResult> run_real_time(const Scenario& s, const RunOptions& options);

}  // namespace ploke::scenarios::detail
