// Gateway: inbound protocol → LlmClient → protocol reply. See ploke/gateway/gateway.h.
#include "ploke/gateway/gateway.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "ploke/core/secret.h"
#include "ploke/json/limits.h"
#include "ploke/core/secret_registry.h"
#include "ploke/gateway/client_keys.h"
#include "ploke/gateway/inbound.h"
#include "access_log_responder.h"
#include "chat_call.h"
#include "ploke/gateway/otlp.h"
#include "embeddings_call.h"
#include "ploke/net/process_metrics.h"
#include "response_store.h"
#include "redacting_responder.h"
#include "ploke/dashboard/dashboard.h"
#include "ploke/resilience/admission.h"
#include "ploke/resilience/trace.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

std::string query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    const size_t eq = kv.find('=');
    if (kv.substr(0, eq) == key) return std::string(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

int status_slot(int status) {
  if (status == 499) return 5;
  if (status < 300) return 0;
  if (status < 400) return 1;
  if (status < 500) return 2;
  return 3;
}

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The gateway's own client-key refusals keep their wording (ploke/gateway/client_keys.h):
// the protocol's error object with its message replaced, members in their order.
std::string with_error_message(std::string body, const std::string& message) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return body;
  j["error"]["message"] = message;
  return j.dump();
}

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json percentiles_json(const resilience::Percentiles& p) {
  return {{"count", p.count}, {"p50", p.p50}, {"p95", p.p95}, {"p99", p.p99}, {"mean", p.mean}, {"max", p.max}};
}

}  // namespace

Gateway::Gateway(resilience::LlmClient& client, Clock& clock, std::vector<EndpointInfo> endpoints, GatewayOptions options)
    : client_(client), clock_(clock), endpoints_(std::move(endpoints)), opts_(options),
      responses_(std::make_unique<internal::ResponseStore>(opts_.responses_capacity)) {
  model_ids_ = internal::listed_model_names(opts_.model_names, endpoints_);
  // Trace ids: "gw-<start time, base 36>-<seq>" — unique across restarts, short.
  uint64_t t = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.system_now().time_since_epoch()).count());
  std::string b36;
  do {
    b36.insert(b36.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[t % 36]);
    t /= 36;
  } while (t != 0);
  id_prefix_ = "gw-" + b36 + "-";
  inbound_ = opts_.inbound ? opts_.inbound : InboundProtocols::builtin();
  const size_t slots = inbound_->labels().size() * 6;
  requests_ = std::make_unique<std::atomic<uint64_t>[]>(slots);
  for (size_t i = 0; i < slots; ++i) requests_[i].store(0, std::memory_order_relaxed);
}

Gateway::~Gateway() = default;

std::string Gateway::new_trace_id() { return id_prefix_ + std::to_string(seq_.fetch_add(1, std::memory_order_relaxed) + 1); }

std::shared_ptr<Inflight> Gateway::handle(Request request, ResponderPtr out, std::shared_ptr<Inflight> inflight) {
  if (!inflight) inflight = std::make_shared<Inflight>();
  register_client_credentials(request.headers);  // redacted by value from now on (secret_registry.h)
  out = internal::redacting_responder(std::move(out));  // no known secret reaches a client
  // Access lines are info (warn for a status >= 500): wrap whenever either is on; the
  // logger drops what its level filters.
  if (opts_.logger != nullptr && opts_.logger->enabled(logging::Level::kWarn)) {
    logging::AccessRecord& a = inflight->access_;
    a.method = request.method;
    a.path = request.path;
    if (request.path.rfind("/__admin", 0) == 0 || request.path == "/metrics" || request.path == "/healthz" ||
        request.path == "/readyz") {
      a.protocol = "admin";
    }
    out = std::make_shared<internal::AccessLogResponder>(std::move(out), inflight, *opts_.logger, clock_);
  }
  if (opts_.auth != nullptr && !authorize(request, *out, *inflight)) return inflight;
  if (auto m = inbound_->route(request)) {
    dispatch(*m->protocol, *m->route, request, *out, inflight);
    return inflight;
  }
  const std::string& p = request.path;
  if (request.method == "GET" && (p == "/healthz" || p == "/readyz")) {
    reply_probe(request, *out);
  } else if (request.method == "GET" && (p == "/v1/models" || p == "/models" || p == "/api/v1/models" || p.rfind("/v1/models/", 0) == 0)) {
    reply_models(request, *out, inflight->grant_.get());
  } else {
    handle_admin(request, *out);
  }
  return inflight;
}

// A call: refused while draining, else run here, counted in flight (wait_idle,
// cancel_all). A local route: answered at once.
void Gateway::dispatch(const InboundProtocol& protocol, const InboundRoute& route, const Request& request, Responder& out,
                       std::shared_ptr<Inflight> inflight) {
  InboundExchange x{*this, protocol, route, request, out, *inflight, new_trace_id()};
  if (!route.call) return protocol.serve(x);
  if (opts_.logger != nullptr) {
    inflight->access_.trace_id = x.trace_id;
    inflight->access_.protocol = protocol.name();
  }
  if (draining_.load(std::memory_order_acquire)) {
    return reply_error(protocol, out, OverloadedError("the gateway is shutting down"), x.trace_id);
  }
  {
    MutexLock lk(mu_);
    ++active_;
    if (live_.size() > 4 * opts_.max_queue) {
      live_.erase(std::remove_if(live_.begin(), live_.end(), [](const auto& w) { return w.expired(); }), live_.end());
    }
    live_.push_back(std::move(inflight));  // for cancel_all()
  }
  protocol.serve(x);
  MutexLock lk(mu_);
  if (--active_ == 0) idle_cv_.notify_all();
}

void Gateway::reject_busy(const Request& request, Responder& out) {
  const InboundProtocol& protocol = inbound_->speaks(request);
  rejected_.fetch_add(1, std::memory_order_relaxed);
  Status st = protocol.busy_error("gateway busy (" + std::to_string(opts_.max_queue) +
                                  " requests in flight on this event loop)");
  st.with_retry_after(std::chrono::milliseconds(1000));
  reply_error(protocol, out, st, new_trace_id());
}

void Gateway::reply_error(const InboundProtocol& protocol, Responder& out, const Status& st, const std::string& trace_id) {
  adapters::inbound::Reply r = protocol.render_error(st, trace_id);
  if (ClientAuth::is_refusal(st)) r.body = with_error_message(std::move(r.body), st.message());
  Headers h;
  h.add("content-type", "application/json");
  if (!trace_id.empty()) {
    h.add("x-ploke-trace-id", trace_id);
    h.add(std::string(protocol.request_id_header()), trace_id);
  }
  for (auto& [k, v] : r.headers) h.add(k, v);
  count(protocol, r.status);
  out.reply(r.status, h, std::move(r.body));
}

// GET /v1/models, /v1/models/{id} (404 in the protocol's shape when unknown) and
// /api/v1/models (OpenRouter's ModelsListResponse), in the shape of the protocol the
// request speaks (InboundProtocols::speaks). A client key with a model list sees
// only those models (as LiteLLM lists a key's models).
void Gateway::reply_models(const Request& request, Responder& out, const KeyGrant* grant) {
  const std::string& p = request.path;
  const bool limited = grant != nullptr && !grant->master && !grant->models.empty();
  std::vector<std::string> allowed;
  if (limited) {
    std::copy_if(model_ids_.begin(), model_ids_.end(), std::back_inserter(allowed), [grant](const std::string& m) {
      return std::find(grant->models.begin(), grant->models.end(), m) != grant->models.end();
    });
  }
  const std::vector<std::string>& ids = limited ? allowed : model_ids_;
  const InboundProtocol& protocol = inbound_->speaks(request);  // e.g. anthropic-version, /api/v1
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(clock_.system_now().time_since_epoch()).count();
  constexpr std::string_view kOne = "/v1/models/";
  if (p.size() > kOne.size() && p.rfind(kOne, 0) == 0) {
    const std::string id = p.substr(kOne.size());
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return reply_json(out, 200, protocol.render_model(id, created));
    adapters::inbound::Reply r = protocol.render_error(protocol.unknown_model(id), new_trace_id());
    return reply_json(out, r.status, std::move(r.body));
  }
  return reply_json(out, 200, protocol.render_models(ids, created));
}

void Gateway::reply_json(Responder& out, int status, std::string body, const std::string& trace_id) {
  Headers h;
  h.add("content-type", "application/json");
  if (!trace_id.empty()) h.add("x-ploke-trace-id", trace_id);
  out.reply(status, h, std::move(body));
}

void Gateway::count(const InboundProtocol& protocol, int status) {
  requests_[inbound_->label_index(protocol) * 6 + status_slot(status)].fetch_add(1, std::memory_order_relaxed);
}

void Gateway::store_trace(resilience::RequestTrace trace) {
  if (opts_.trace_capacity == 0) return;
  MutexLock lk(trace_mu_);
  if (traces_.size() >= opts_.trace_capacity) traces_.pop_front();
  traces_.push_back(std::move(trace));
}

std::string Gateway::trace_json(std::string_view id) const {
  MutexLock lk(trace_mu_);
  for (auto it = traces_.rbegin(); it != traces_.rend(); ++it) {
    if (it->request_id == id) return resilience::render_trace_json(*it);
  }
  return {};
}

// GET /healthz: alive (200 while the process answers, draining included). GET /readyz:
// 200 when it should get traffic — not draining, endpoints configured, the ledger (if any)
// writable and at least one breaker not open — else 503 naming each failed check.
void Gateway::reply_probe(const Request& request, Responder& out) {
  if (request.path == "/healthz") return reply_json(out, 200, R"({"status":"ok"})");
  json checks = json::object();
  bool ready = true;
  auto check = [&](const char* name, std::string problem) {
    ready = ready && problem.empty();
    checks[name] = problem.empty() ? "ok" : problem;
  };
  check("draining", draining_.load() ? "the gateway is shutting down" : "");
  const std::vector<resilience::EndpointHealth> eps = client_.health();
  check("providers", eps.empty() ? "no endpoint configured" : "");
  const bool any_closed = std::any_of(eps.begin(), eps.end(),
                                      [](const auto& e) { return e.breaker != resilience::BreakerState::kOpen; });
  check("breakers", eps.empty() || any_closed ? "" : "every endpoint's breaker is open");
  Status ledger = opts_.ledger_ready ? opts_.ledger_ready() : Status::Ok();
  check("ledger", ledger.ok() ? "" : "ledger write failed: " + ledger.to_string());
  reply_json(out, ready ? 200 : 503, json{{"status", ready ? "ready" : "not_ready"}, {"checks", std::move(checks)}}.dump());
}

// GET /__admin/health (handle_admin()).
void Gateway::reply_health(Responder& out) {
  json eps = json::array();
  for (const auto& e : client_.health()) {
    eps.push_back({{"endpoint_id", e.endpoint_id},
                   {"provider", e.provider},
                   {"model", e.model},
                   {"breaker", std::string(resilience::breaker_state_name(e.breaker))},
                   {"open_remaining_ms", ms(e.open_remaining)},
                   {"openings", e.openings},
                   {"breaker_failure_rate", e.breaker_failure_rate},
                   {"breaker_slow_rate", e.breaker_slow_rate},
                   {"calls", e.stats.calls},
                   {"successes", e.stats.successes},
                   {"success_rate", e.stats.success_rate},
                   {"error_rate", e.stats.error_rate},
                   {"ttft_ms", percentiles_json(e.stats.ttft_ms)},
                   {"total_ms", percentiles_json(e.stats.total_ms)},
                   {"score", e.stats.score},
                   {"requests_available", finite_or_null(e.requests_available)},
                   {"tokens_available", finite_or_null(e.tokens_available)}});
  }
  return reply_json(out, 200, json{{"status", draining_.load() ? "draining" : "ok"}, {"policy", client_.policy()}, {"endpoints", std::move(eps)}}.dump());
}

// GET /__admin/routing/policy: the façade's default policy and the registered ones.
void Gateway::reply_policy(Responder& out) {
  return reply_json(out, 200, json{{"policy", client_.policy()}, {"policies", client_.policies()}}.dump());
}

// POST /__admin/routing/policy?name=NAME (or the body {"policy":"NAME"}): the running
// façade's default policy becomes NAME (LlmClient::set_policy) for every later request
// without its own override. 400 naming the registered policies when NAME is unknown.
void Gateway::switch_policy(const Request& request, Responder& out) {
  std::string name = query_param(request.query, "name");
  if (name.empty() && !request.body.empty() && ploke::json::check_json_limits(request.body).ok()) {
    const json b = json::parse(request.body, nullptr, false);
    if (b.is_object() && b.contains("policy") && b["policy"].is_string()) name = b["policy"].get<std::string>();
  }
  const std::vector<std::string> names = client_.policies();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  auto bad = [&](const std::string& message) {
    reply_json(out, 400, json{{"error", {{"message", message}, {"type", "invalid_request_error"}}}}.dump());
  };
  if (name.empty()) return bad("policy: expected ?name=NAME or {\"policy\":\"NAME\"} (registered: " + known + ")");
  const std::string previous = client_.policy();
  if (!client_.set_policy(name).ok()) {
    return bad("unknown policy '" + redact_secrets(name) + "' (registered: " + known + ")");
  }
  reply_json(out, 200, json{{"policy", name}, {"previous", previous}}.dump());
}

// POST /__admin/breakers/… and the unknown-route 404 (handle_admin()).
void Gateway::handle_admin_writes(const Request& request, Responder& out) {
  const std::string& p = request.path;
  // Operator override of breakers: POST /__admin/breakers/reset (close all) or
  // POST /__admin/breakers/{endpoint_id}?state=open|closed|half_open.
  if (request.method == "POST" && p.rfind("/__admin/breakers/", 0) == 0) {
    const std::string target = p.substr(18);
    std::string state = query_param(request.query, "state");
    if (target == "reset") state = "closed";
    resilience::BreakerState bs;
    if (state == "closed") bs = resilience::BreakerState::kClosed;
    else if (state == "open") bs = resilience::BreakerState::kOpen;
    else if (state == "half_open") bs = resilience::BreakerState::kHalfOpen;
    else return reply_json(out, 400, json{{"error", {{"message", "state: expected open, closed or half_open"}, {"type", "invalid_request_error"}}}}.dump());
    json changed = json::array();
    for (const auto& e : endpoints_) {
      if (target != "reset" && target != e.id) continue;
      if (client_.force_breaker(e.id, bs, "operator (gateway admin API)").ok()) changed.push_back(e.id);
    }
    if (changed.empty()) return reply_json(out, 404, json{{"error", {{"message", "no endpoint '" + redact_secrets(target) + "'"}, {"type", "not_found"}}}}.dump());
    return reply_json(out, 200, json{{"state", state}, {"endpoints", std::move(changed)}}.dump());
  }
  if (p == "/__admin/routing/policy" && request.method == "POST") return switch_policy(request, out);
  // Unknown route: 404 in the shape of the protocol the client seems to speak.
  const Status st = NotFoundError("Invalid URL (" + request.method + " " + redact_secrets(p) + ")");
  adapters::inbound::Reply r = inbound_->speaks(request).render_error(st, new_trace_id());
  reply_json(out, r.status, std::move(r.body));
}

void Gateway::handle_admin(const Request& request, Responder& out) {
  const std::string& p = request.path;
  const bool get = request.method == "GET";
  if (get && p == "/metrics") {
    Headers h;
    h.add("content-type", "text/plain; version=0.0.4; charset=utf-8");
    return out.reply(200, h, client_.metrics_text() + metrics_text() + net::process_metrics_text("gateway"));
  }
  if (get && p == "/__admin/health") return reply_health(out);
  if (get && p == "/__admin/routing/policy") return reply_policy(out);
  if (get && p == "/__admin/queue") {
    // The façade's queue (render_queue_status_json, shared with `llm queue status --json`)
    // plus the gateway's own requests in flight.
    json q = json::parse(resilience::render_queue_status_json(client_.queue_status()), nullptr, false);
    if (!q.is_object()) q = json::object();
    q["gateway"] = {{"max_queue", opts_.max_queue}, {"active", in_flight()}, {"rejected", rejected_.load()}};
    return reply_json(out, 200, q.dump());
  }
  // --- dashboard route hook (docs/dashboard.md): the page and the JSON it polls.
  if (get && p == "/__admin/dashboard") {
    Headers h;
    h.add("content-type", "text/html; charset=utf-8");
    return out.reply(200, h, std::string(dashboard::page_html()));
  }
  if (get && p == "/__admin/dashboard.json") {
    std::vector<resilience::RequestTrace> recent;
    dashboard::GatewayInfo info;
    {
      MutexLock lk(trace_mu_);
      recent.assign(traces_.size() > 200 ? traces_.end() - 200 : traces_.begin(), traces_.end());
    }
    info.in_flight = in_flight();
    return reply_json(out, 200, dashboard::gateway_json(client_, recent, info));
  }
  // --- end of dashboard route hook
  if (get && p == "/__admin/traces") {
    size_t limit = 50;
    if (auto l = internal::parse_i64(query_param(request.query, "limit")); l && *l > 0) limit = static_cast<size_t>(*l);
    std::string body = "{\"traces\":[";
    {
      MutexLock lk(trace_mu_);
      size_t n = 0;
      for (auto it = traces_.rbegin(); it != traces_.rend() && n < limit; ++it, ++n) {
        if (n != 0) body += ',';
        body += resilience::render_trace_json(*it);
      }
    }
    body += "]}";
    return reply_json(out, 200, std::move(body));
  }
  if (get && p.rfind("/__admin/traces/", 0) == 0) {
    std::string t = trace_json(std::string_view(p).substr(16));
    if (t.empty()) return reply_json(out, 404, json{{"error", {{"message", "unknown trace id '" + redact_secrets(p.substr(16)) + "'"}, {"type", "not_found"}}}}.dump());
    return reply_json(out, 200, std::move(t));
  }
  handle_admin_writes(request, out);
}

void Gateway::begin_drain() { draining_.store(true, std::memory_order_release); }

bool Gateway::wait_idle(Duration timeout) {
  MutexLock lk(mu_);
  return lk.wait_for(idle_cv_, timeout, [&] {
    mu_.assert_held();
    return active_ == 0;
  });
}

void Gateway::cancel_all() {
  std::vector<std::shared_ptr<Inflight>> live;
  {
    MutexLock lk(mu_);
    for (auto& w : live_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& f : live) f->cancel();
}

size_t Gateway::in_flight() const {
  MutexLock lk(mu_);
  return active_;
}

std::string Gateway::metrics_text() const {
  std::string o;
  o += "# HELP ploke_gateway_requests_total Chat requests answered by the gateway, by protocol and status class.\n";
  o += "# TYPE ploke_gateway_requests_total counter\n";
  static constexpr const char* kClass[6] = {"2xx", "3xx", "4xx", "5xx", "", "499"};
  const std::vector<std::string>& labels = inbound_->labels();
  for (size_t p = 0; p < labels.size(); ++p) {
    for (size_t c = 0; c < 6; ++c) {
      if (c == 4) continue;
      o += "ploke_gateway_requests_total{protocol=\"";
      o += labels[p];
      o += "\",class=\"";
      o += kClass[c];
      o += "\"} " + std::to_string(requests_[p * 6 + c].load(std::memory_order_relaxed)) + "\n";
    }
  }
  o += "# HELP ploke_gateway_rejected_total Requests refused because too many were in flight on their event loop.\n";
  o += "# TYPE ploke_gateway_rejected_total counter\n";
  o += "ploke_gateway_rejected_total " + std::to_string(rejected_.load()) + "\n";
  o += "# HELP ploke_gateway_stream_errors_total Streams that ended with an in-stream error event.\n";
  o += "# TYPE ploke_gateway_stream_errors_total counter\n";
  o += "ploke_gateway_stream_errors_total " + std::to_string(stream_errors_.load()) + "\n";
  o += "# HELP ploke_gateway_active Chat requests running.\n";
  o += "# TYPE ploke_gateway_active gauge\n";
  o += "ploke_gateway_active " + std::to_string(in_flight()) + "\n";
  if (opts_.otlp != nullptr) o += opts_.otlp->metrics_text();  // ploke_otlp_*
  if (opts_.shared != nullptr) o += resilience::render_shared_metrics(*opts_.shared);  // ploke_shared_*
  return o;
}

}  // namespace ploke::gateway
