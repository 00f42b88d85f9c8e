// File: ploke/gateway/gateway.h
//
// Gateway: the core behind an OpenAI-compatible (and Anthropic Messages) local endpoint.
// Every chat request is parsed by the inbound codecs (ploke/adapters/inbound.h), runs
// through the resilience façade (LlmClient: routing, admission, breakers, retries,
// fallbacks, cost) and is rendered back in the protocol the client spoke — errors too,
// with the status and body shape the client's SDK classifies like a real provider's.
//
// Routes
//   POST /v1/chat/completions   (also /chat/completions, /api/v1/chat/completions)
//   POST /v1/messages           Anthropic Messages
//   POST /v1/embeddings         OpenAI embeddings (also /embeddings): LlmClient::embed
//   GET  /v1/models             OpenAI shape; Anthropic shape when `anthropic-version` is sent
//   GET  /metrics               Prometheus text: the façade's metrics + ploke_gateway_*
//   GET  /__admin/health        LlmClient::health() as JSON
//   GET  /__admin/queue         LlmClient::queue_status() + the gateway's worker queue
//   GET  /__admin/traces?limit=N          recent requests (newest first), routing traces
//   GET  /__admin/traces/{id}             one trace (render_trace_json)
//   POST /__admin/breakers/reset          close every breaker (operator override)
//   POST /__admin/breakers/{id}?state=open|closed|half_open
// Client keys (GatewayOptions::auth, ploke/gateway/client_keys.h): when on, a request
// without a valid key is refused in its protocol's shape before anything else runs.
// Per-request overrides: headers x-ploke-provider (pin), x-ploke-policy,
// x-ploke-deadline-ms, x-ploke-priority (low|normal|high|critical), or the body's
// "ploke": {…} object (headers win). The trace id comes back in `x-ploke-trace-id` (and as
// x-request-id / request-id, which the SDKs expose as `requestID`).
//
// Model names and routing: every request is ONE façade call (one trace). Its model name
// resolves to endpoints (GatewayOptions::model_names: a configured name or alias → its
// deployments; else the endpoints whose model, id or provider/model it is; else
// default_model; else a 404 in the client's protocol), and OpenRouter's `models` fallback
// list and `provider` preferences (order / only / ignore / allow_fallbacks) become the
// Router's filters and order (resilience::RoutePreferences; src/model_names.h). The trace
// says how the name resolved and which filter removed each endpoint.
//
// Execution: façade calls are synchronous. With workers = 0 (the default) handle() runs the
// call inline on the calling thread; GatewayServer calls it on a fiber of the event loop
// that parsed the request (ploke/net/loop_fibers.h): the façade's waits suspend the
// fiber, the upstream transport (HttpTransport with on_event_loop → ploke::net::
// LoopHttpClient) runs on the same loop and resumes it, RealClock timers (backoff,
// admission deadlines) wake it through the loop's queue. A request never changes threads;
// at most max_queue requests are in flight per loop, beyond → 429 (OpenAI shape) / 529
// (Anthropic) at once. With workers = N > 0 the calls block on a pool of N threads fed by
// a bounded queue (full → the same 429/529). Streams are forwarded as the events arrive:
// the response head is held until the first event, so an error before any content still
// gets its proper HTTP status; after that a failure becomes the protocol's in-stream
// error event.
// Client disconnect → Inflight::cancel() → the façade call's CancelToken.
//
// Thread-safety: handle() may be called from any thread concurrently; Responder methods
// are called from one thread at a time per request.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ploke/adapters/inbound.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/core/clock.h"
#include "ploke/core/transport.h"
#include "ploke/logging/logger.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::gateway {

class OtlpExporter;
class ClientAuth;  // ploke/gateway/client_keys.h
struct KeyGrant;

/// One parsed HTTP request (what the server hands over).
struct Request {
  std::string method;
  std::string path;   ///< without the query
  std::string query;  ///< after '?', "" if none
  Headers headers;
  std::string body;
};

/// How the gateway answers one request; implemented over the HTTP server's writer.
/// Either reply() once, or begin() then chunk()* then finish().
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void reply(int status, const Headers& headers, std::string body) = 0;
  virtual void begin(int status, const Headers& headers) = 0;  ///< streamed body follows
  virtual void chunk(std::string data) = 0;
  virtual void finish() = 0;
};
using ResponderPtr = std::shared_ptr<Responder>;

/// What the gateway knows about each façade endpoint (for /v1/models and routing groups).
struct EndpointInfo {
  std::string id, provider, model;
  /// Its protocol returns token log probabilities (OpenAI-shaped upstreams; not
  /// Anthropic). Keep equal to the façade candidate's caps.logprobs.
  bool logprobs = false;
  /// The upstream's host (OpenTelemetry `server.address` on its attempt spans); "" = none.
  std::string server_address{};
};

/// A model name clients may ask for (`[models.NAME]`): the endpoints behind it (a model
/// group across providers, routed as one) and its aliases.
struct ModelName {
  std::string name;
  std::vector<std::string> endpoints;  ///< EndpointInfo ids
  std::vector<std::string> aliases;
  /// Its deployments carry weights (EndpointCandidate::weight): routed with the weighted
  /// policy unless the client asks for another.
  bool weighted = false;
};

/// Whether `model` names something a request can be routed to: a configured name or
/// alias, or an endpoint's model, id or provider/model (e.g. to check a default model).
bool model_name_resolves(const std::vector<ModelName>& names, const std::vector<EndpointInfo>& endpoints,
                         const std::string& model);

struct GatewayOptions {
  /// 0 (default) = façade calls run inline on the calling thread; GatewayServer then runs
  /// each request on a fiber of the event loop that received it (no thread hand-off).
  /// N > 0 = a pool of N worker threads (blocking calls), fed by a queue.
  size_t workers = 0;
  /// Worker mode: requests waiting for a worker; fiber mode: requests in flight per event
  /// loop. Beyond → 429 (OpenAI shape) / 529 (Anthropic) at once.
  size_t max_queue = 1024;
  size_t trace_capacity = 1024;  ///< recent traces kept for the admin API
  /// Configured model names (besides each endpoint's own model, id and provider/model).
  std::vector<ModelName> model_names;
  /// Where a model name that resolves to nothing is routed ("" = nowhere: a 404 in the
  /// client's protocol). A model name or an endpoint's model.
  std::string default_model;
  /// Responses API answers kept in memory (`store`, the default) for `previous_response_id`,
  /// `GET` and `DELETE /v1/responses/{id}`; beyond, the oldest are forgotten. 0 = none kept.
  size_t responses_capacity = 10000;
  /// Optional (not owned; must outlive the gateway): one access-log line per request
  /// handled (chat, Responses, admin and model routes), at info (status ≥ 500: warn).
  logging::Logger* logger = nullptr;
  /// Optional: whether the cost ledger is writable (GET /readyz; e.g.
  /// LedgerUsage::last_error()). Unset: no ledger to check.
  std::function<Status()> ledger_ready;
  /// Optional (not owned; must outlive the gateway): every finished chat / embeddings
  /// request is recorded there — spans and GenAI metrics, exported off the request path
  /// (ploke/gateway/otlp.h) — and its counters join /metrics.
  OtlpExporter* otlp = nullptr;
  /// Optional (not owned; must outlive the gateway): client authentication
  /// (ploke/gateway/client_keys.h). Null = off: any key or none is accepted. Set: every
  /// route but /healthz and /readyz needs a key — client routes the master key or a
  /// client key (its rpm, budget and models apply), operator routes (/__admin/*,
  /// /metrics) the master key; a refusal is answered in the client's protocol.
  ClientAuth* auth = nullptr;
  /// Optional (not owned; must outlive the gateway): the state shared with other gateway
  /// instances (the same object as the façade's LlmClientOptions::shared). Its counters
  /// join /metrics (ploke_shared_*: fallback decisions, store health, live instances).
  resilience::SharedState* shared = nullptr;
};

/// What one finished chat request looked like (for the ledger and tests).
struct Completed {
  resilience::RequestTrace trace;
  StatusCode outcome = StatusCode::kOk;
  std::optional<Usage> usage;
  std::string key_id;  ///< the client key that made it ("" = none, or the master key)
};

namespace internal {
class AccessLogResponder;
class ChatCall;
class EmbeddingsCall;
class ResponseStore;
}

/// A request in flight; the server calls cancel() when the client goes away.
class Inflight {
 public:
  void cancel() { token_.cancel(); }
  bool cancelled() const { return token_.cancelled(); }

 private:
  friend class Gateway;
  friend class internal::ChatCall;
  friend class internal::EmbeddingsCall;
  friend class internal::AccessLogResponder;
  resilience::CancelToken token_;
  logging::AccessRecord access_;  // filled as the request runs; logged at its last byte
  std::shared_ptr<const KeyGrant> grant_;  // the admitted client key (auth on), else null
};

class Gateway {
 public:
  Gateway(resilience::LlmClient& client, Clock& clock, std::vector<EndpointInfo> endpoints, GatewayOptions options = {});
  ~Gateway();  ///< stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Handles one request (answers through `out`, possibly later from a worker thread).
  /// `inflight` (made here when null) is the handle the server cancels on disconnect.
  std::shared_ptr<Inflight> handle(Request request, ResponderPtr out, std::shared_ptr<Inflight> inflight = nullptr);

  /// Answers at once that the gateway is too busy (the queue-full error in the protocol
  /// the request speaks: 429 OpenAI shape / 529 Anthropic), counted as rejected.
  void reject_busy(const Request& request, Responder& out);

  Clock& clock() const { return clock_; }
  const GatewayOptions& options() const { return opts_; }

  /// Called after each chat request finishes (from the thread that ran it). Set before
  /// serving.
  void set_on_completed(std::function<void(const Completed&)> fn) { on_completed_ = std::move(fn); }

  /// New chat requests are refused (503 / 529 "shutting down"); in-flight ones go on.
  void begin_drain();
  /// Waits until no chat request is in flight or queued; false on timeout.
  bool wait_idle(Duration timeout);
  /// Cancels every in-flight call (after a drain timeout).
  void cancel_all();
  /// Stops the workers once the queue is empty (queued requests still run: drain first).
  /// Idempotent.
  void stop();

  size_t in_flight() const;
  std::string metrics_text() const;
  /// render_trace_json of a stored trace, or "" when unknown.
  std::string trace_json(std::string_view id) const;

 private:
  friend class internal::ChatCall;        // one chat request's steps (src/chat_call.h)
  friend class internal::EmbeddingsCall;  // one embeddings request (src/embeddings_call.h)
  /// kResponses: OpenAI's /v1/responses; kEmbeddings: /v1/embeddings (OpenAI shape).
  enum class Proto : uint8_t { kOpenAi, kAnthropic, kOpenRouter, kResponses, kEmbeddings };
  struct Task;

  static std::string_view proto_name(Proto proto);  ///< openai | anthropic | openrouter | responses | embeddings
  void dispatch_chat(Proto proto, Request request, ResponderPtr out, std::shared_ptr<Inflight> inflight);
  void run_chat(Proto proto, const Request& request, Responder& out, Inflight& inflight, const std::string& trace_id);
  void reply_error(Proto proto, Responder& out, const Status& st, const std::string& trace_id);
  void reply_json(Responder& out, int status, std::string body, const std::string& trace_id = {});
  /// Auth on: the key check of the request's route (src/gateway_auth.cpp); false when it
  /// was refused (answered). Sets inflight.grant_ for client routes.
  bool authorize(const Request& request, Responder& out, Inflight& inflight);
  static Proto proto_of(const Request& request);  ///< the protocol a request speaks, by path and headers
  void handle_admin(const Request& request, Responder& out);
  void handle_admin_writes(const Request& request, Responder& out);
  void reply_health(Responder& out);
  void reply_probe(const Request& request, Responder& out);
  void reply_models(const Request& request, Responder& out, const KeyGrant* grant);  ///< grant: models a client key may see
  void reply_count_tokens(const Request& request, Responder& out);
  void reply_stored_response(const Request& request, Responder& out);
  std::string new_trace_id();
  void store_trace(resilience::RequestTrace trace);
  void worker_loop();
  void count(Proto proto, int status);

  resilience::LlmClient& client_;
  Clock& clock_;
  std::vector<EndpointInfo> endpoints_;
  std::vector<std::string> model_ids_;
  GatewayOptions opts_;
  std::function<void(const Completed&)> on_completed_;

  // Worker pool.
  mutable Mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<std::function<void()>> queue_ PLOKE_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
  bool stopping_ PLOKE_GUARDED_BY(mu_) = false;
  size_t active_ PLOKE_GUARDED_BY(mu_) = 0;                        // chat requests queued or running
  std::vector<std::weak_ptr<Inflight>> live_ PLOKE_GUARDED_BY(mu_);  // (pruned lazily)
  std::atomic<bool> draining_{false};

  std::unique_ptr<internal::ResponseStore> responses_;

  // Traces.
  mutable Mutex trace_mu_;
  std::deque<resilience::RequestTrace> traces_ PLOKE_GUARDED_BY(trace_mu_);  // newest at back
  std::atomic<uint64_t> seq_{0};
  std::string id_prefix_;

  // Metrics: [proto][status class 2xx..5xx + 499].
  std::atomic<uint64_t> requests_[2][6] = {};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> stream_errors_{0};
};

}  // namespace ploke::gateway
