// The run's steps shared by the virtual-time and the real-time driver (runner_internal.h).
#include <utility>

#include "budget_ledger.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/resilience/shared_state.h"
#include "ploke/scenarios/runner.h"
#include "runner_internal.h"

namespace ploke::scenarios::detail {

Facade::Facade() = default;
Facade::Facade(Facade&&) noexcept = default;
Facade::~Facade() = default;

Result<Facade> make_facade(const Scenario& s, uint64_t seed, Clock& clock, TimePoint t0, ScenarioResult& res,
                           std::mutex* log_mu, const std::vector<ProviderWiring>& wiring,
                           resilience::SharedStore* store, uint32_t instance) {
  Facade f;
  resilience::LlmClientOptions copts = s.client;
  copts.seed = seed + instance;
  if (store != nullptr) {
    f.shared = std::make_unique<resilience::SharedState>(
        clock, *store, resilience::SharedStateOptions{.instance_id = "instance-" + std::to_string(instance)});
    copts.shared = f.shared.get();
  }
  copts.on_breaker_event = [&res, log_mu, t0](const std::string& endpoint_id, const resilience::BreakerEvent& e) {
    BreakerTransition bt;
    bt.at = e.at - t0;
    bt.endpoint_id = endpoint_id;
    bt.provider = provider_of(endpoint_id);
    bt.from = std::string(resilience::breaker_state_name(e.from));
    bt.to = std::string(resilience::breaker_state_name(e.to));
    bt.reason = e.reason;
    std::unique_lock<std::mutex> g;
    if (log_mu != nullptr) g = std::unique_lock<std::mutex>(*log_mu);
    res.breaker_log.push_back(std::move(bt));
  };
  // Client-side budgets: the in-memory ledger as the façade's usage sink and budget oracle.
  if (!s.budgets.empty()) {
    f.ledger = std::make_unique<BudgetLedger>(clock, t0, s.budgets);
    copts.usage_sink = f.ledger.get();
    copts.budget_oracle = f.ledger.get();
  }
  f.client = std::make_unique<resilience::LlmClient>(clock, copts);
  if (!s.policy.empty()) {
    if (Status st = f.client->set_policy(s.policy); !st.ok()) return InvalidRequestError("client.policy: " + st.message());
  }
  if (Status st = add_endpoints(*f.client, s, wiring); !st.ok()) return st;
  return f;
}

void run_call(resilience::LlmClient& client, const ChatRequest& req, const WorkloadSpec& wl,
              resilience::CancelToken& token, Clock& clock, TimePoint t0, RequestCtx& ctx) {
  resilience::CallControl control;
  control.policy = wl.policy;
  control.cancel = &token;  // also keeps LlmClient's waits on Completions (never clock.sleep)
  resilience::RequestTrace trace;
  Result<ChatResponse> out = InternalError("not run");
  if (ctx.rec.embed) {
    EmbeddingRequest er;
    er.model = wl.embed_model;
    er.inputs.push_back(req.messages.back().text());
    er.meta = req.meta;
    Result<EmbeddingResponse> r = client.embed(er, control, &trace);
    out = r.ok() ? Result<ChatResponse>(ChatResponse{}) : Result<ChatResponse>(r.status());
  } else if (ctx.rec.stream) {
    auto on_event = [&ctx](const StreamEvent& e) {
      if (e.kind == StreamEvent::Kind::kTextDelta || e.kind == StreamEvent::Kind::kToolCallDelta) {
        ctx.content_delivered = true;
        ++ctx.rec.content_events;
      }
    };
    out = client.stream(req, on_event, control, &trace);
  } else {
    out = client.complete(req, control, &trace);
  }
  ctx.rec.end = clock.now() - t0;
  ctx.rec.finished = true;
  ctx.rec.outcome = out.ok() ? "ok" : std::string(status_code_name(out.status().code()));
  ctx.rec.cost_usd = trace.total_cost_usd;
  ctx.rec.queue_wait = trace.queue_wait;
  if (out.ok()) {
    ctx.rec.served_by = provider_of(trace.served_by);
    ctx.rec.reasoning = !out->reasoning.empty();
    ctx.rec.cache_read_tokens = out->usage ? out->usage->cached_prompt_tokens : 0;
  }
}

QueueSample queue_sample(resilience::LlmClient& client, Duration since_t0, size_t outstanding) {
  const resilience::QueueStatus qs = client.queue_status();
  QueueSample q;
  q.at = since_t0;
  q.in_flight = qs.in_flight;
  for (const auto& l : qs.lanes) q.queued += l.depth;
  q.outstanding = outstanding;
  return q;
}

void finish_result(const Scenario& s, std::deque<RequestCtx>& requests, Duration horizon,
                   const std::vector<const simulator::SimEngine*>& engines, const Facade& facade, ScenarioResult& res) {
  res.request_log.reserve(requests.size());
  for (RequestCtx& ctx : requests) {
    if (ctx.rec.finished && ctx.rec.end > horizon) ctx.rec.finished = false;
    if (!ctx.rec.finished) ctx.rec.outcome = "lost";
    res.request_log.push_back(ctx.rec);
  }
  summarize(s, engines, res);
  if (facade.ledger) res.budgets = facade.ledger->summaries();
  evaluate_expectations(s, res);
}

}  // namespace ploke::scenarios::detail
