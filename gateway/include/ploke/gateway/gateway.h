// File: ploke/gateway/gateway.h
//
// Gateway: the core behind an OpenAI-compatible (and Anthropic Messages) local endpoint.
// Every chat request is parsed by the inbound codecs (ploke/adapters/inbound.h), runs
// through the resilience façade (LlmClient: routing, admission, breakers, retries,
// fallbacks, cost) and is rendered back in the protocol the client spoke — errors too,
// with the status and body shape the client's SDK classifies like a real provider's.
//
// Routes (the built-in inbound protocols' and the gateway's own)
//   POST /v1/chat/completions   (also /chat/completions, /api/v1/chat/completions)
//   POST /v1/messages           Anthropic Messages (and /v1/messages/count_tokens)
//   POST /v1/responses          OpenAI Responses (GET / DELETE /v1/responses/{id})
//   POST /v1/embeddings         OpenAI embeddings (also /embeddings): LlmClient::embed
//   GET  /v1/models             OpenAI shape; Anthropic shape when `anthropic-version` is sent
//   GET  /metrics               Prometheus text: the façade's metrics + ploke_gateway_*
//   GET  /__admin/health        LlmClient::health() as JSON
//   GET  /__admin/queue         LlmClient::queue_status() + the gateway's in-flight count
//   GET  /__admin/traces?limit=N          recent requests (newest first), routing traces
//   GET  /__admin/traces/{id}             one trace (render_trace_json)
//   GET  /__admin/routing/policy          the default routing policy and the registered ones
//   POST /__admin/routing/policy?name=P   switch the running façade's default policy (or body {"policy":"P"})
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
// Execution: façade calls are synchronous and run inline on the calling thread;
// GatewayServer calls handle() on a fiber of the event loop that parsed the request
// (ploke/net/loop_fibers.h): the façade's waits suspend the fiber, the upstream transport
// (HttpTransport with on_event_loop → ploke::net::LoopHttpClient) runs on the same loop and
// resumes it, RealClock timers (backoff, admission deadlines) wake it through the loop's
// queue. A request never changes threads; at most max_queue requests are in flight per
// loop, beyond → the protocol's busy error at once (429 OpenAI shape / 529 Anthropic).
// Streams are forwarded as the events arrive: the response head is held until the first
// event, so an error before any content still gets its proper HTTP status; after that a
// failure becomes the protocol's in-stream error event.
// Inbound protocols (ploke/gateway/inbound.h) are registered by name: handle() finds the
// protocol whose route the request is on and calls its serve(); it knows none by name.
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
class InboundProtocol;   // ploke/gateway/inbound.h
class InboundProtocols;
struct InboundRoute;
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
  /// Requests in flight per event loop (GatewayServer). Beyond → the protocol's busy error
  /// at once (InboundProtocol::busy_error: 429 OpenAI shape / 529 Anthropic).
  size_t max_queue = 1024;
  /// The inbound protocols served (ploke/gateway/inbound.h). Null = the built-ins.
  std::shared_ptr<const InboundProtocols> inbound;
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
struct GatewayAccess;  // the built-in protocols' way in (src/gateway_access.h)
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
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Handles one request on the calling thread (answers through `out`).
  /// `inflight` (made here when null) is the handle the server cancels on disconnect.
  std::shared_ptr<Inflight> handle(Request request, ResponderPtr out, std::shared_ptr<Inflight> inflight = nullptr);

  /// Answers at once that the gateway is too busy (the busy error of the protocol the
  /// request speaks: 429 OpenAI shape / 529 Anthropic), counted as rejected.
  void reject_busy(const Request& request, Responder& out);
  /// Answers `st` in `protocol`'s error shape (x-ploke-trace-id and its request-id header
  /// when `trace_id` is set), counted under its metrics label.
  void reply_error(const InboundProtocol& protocol, Responder& out, const Status& st, const std::string& trace_id);

  Clock& clock() const { return clock_; }
  const GatewayOptions& options() const { return opts_; }

  /// Called after each chat request finishes (from the thread that ran it). Set before
  /// serving.
  void set_on_completed(std::function<void(const Completed&)> fn) { on_completed_ = std::move(fn); }

  /// New chat requests are refused (503 / 529 "shutting down"); in-flight ones go on.
  void begin_drain();
  /// Waits until no chat request is in flight; false on timeout.
  bool wait_idle(Duration timeout);
  /// Cancels every in-flight call (after a drain timeout).
  void cancel_all();

  size_t in_flight() const;
  std::string metrics_text() const;
  /// render_trace_json of a stored trace, or "" when unknown.
  std::string trace_json(std::string_view id) const;

 private:
  friend class internal::ChatCall;        // one chat request's steps (src/chat_call.h)
  friend class internal::EmbeddingsCall;  // one embeddings request (src/embeddings_call.h)
  friend struct internal::GatewayAccess;  // the built-in protocols (src/gateway_access.h)

  /// A request on a protocol's route: a call (drain refusal, in-flight count) or a local answer.
  void dispatch(const InboundProtocol& protocol, const InboundRoute& route, const Request& request, Responder& out,
                std::shared_ptr<Inflight> inflight);
  void reply_json(Responder& out, int status, std::string body, const std::string& trace_id = {});
  /// Auth on: the key check of the request's route (src/gateway_auth.cpp); false when it
  /// was refused (answered). Sets inflight.grant_ for client routes.
  bool authorize(const Request& request, Responder& out, Inflight& inflight);
  void handle_admin(const Request& request, Responder& out);
  void handle_admin_writes(const Request& request, Responder& out);
  void reply_health(Responder& out);
  void reply_policy(Responder& out);                                 ///< GET /__admin/routing/policy
  void switch_policy(const Request& request, Responder& out);        ///< POST /__admin/routing/policy
  void reply_probe(const Request& request, Responder& out);
  void reply_models(const Request& request, Responder& out, const KeyGrant* grant);  ///< grant: models a client key may see
  std::string new_trace_id();
  void store_trace(resilience::RequestTrace trace);
  void count(const InboundProtocol& protocol, int status);

  resilience::LlmClient& client_;
  Clock& clock_;
  std::vector<EndpointInfo> endpoints_;
  std::vector<std::string> model_ids_;
  GatewayOptions opts_;
  std::function<void(const Completed&)> on_completed_;

  std::shared_ptr<const InboundProtocols> inbound_;

  // Requests in flight.
  mutable Mutex mu_;
  std::condition_variable idle_cv_;
  size_t active_ PLOKE_GUARDED_BY(mu_) = 0;                          // calls running
  std::vector<std::weak_ptr<Inflight>> live_ PLOKE_GUARDED_BY(mu_);  // (pruned lazily)
  std::atomic<bool> draining_{false};

  std::unique_ptr<internal::ResponseStore> responses_;

  // Traces.
  mutable Mutex trace_mu_;
  std::deque<resilience::RequestTrace> traces_ PLOKE_GUARDED_BY(trace_mu_);  // newest at back
  std::atomic<uint64_t> seq_{0};
  std::string id_prefix_;

  // Metrics: [label × 6 + status class (2xx..5xx, 499)], labels: InboundProtocols::labels().
  std::unique_ptr<std::atomic<uint64_t>[]> requests_;
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> stream_errors_{0};
};

}  // namespace ploke::gateway
