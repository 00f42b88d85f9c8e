// Gateway: inbound protocol → LlmClient → protocol reply. See ploke/gateway/gateway.h.
#include "ploke/gateway/gateway.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "ploke/core/secret.h"
#include "ploke/core/secret_registry.h"
#include "redacting_responder.h"
#include "ploke/dashboard/dashboard.h"
#include "ploke/resilience/admission.h"
#include "ploke/resilience/trace.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

std::string_view header(const Request& r, std::string_view name) {
  auto v = r.headers.get(name);
  return v ? *v : std::string_view{};
}

std::optional<int64_t> parse_i64(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

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

// Errors another endpoint cannot fix end the sequence of routing groups.
bool ends_groups(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidRequest:
    case StatusCode::kCancelled:
    case StatusCode::kStreamInterrupted:
    case StatusCode::kContentFilter:
      return true;
    case StatusCode::kTimeout:
      return st.timeout_phase() == TimeoutPhase::kTotal;  // the deadline passed
    default:
      return false;
  }
}

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json percentiles_json(const resilience::Percentiles& p) {
  return {{"count", p.count}, {"p50", p.p50}, {"p95", p.p95}, {"p99", p.p99}, {"mean", p.mean}, {"max", p.max}};
}

}  // namespace

Gateway::Gateway(resilience::LlmClient& client, Clock& clock, std::vector<EndpointInfo> endpoints, GatewayOptions options)
    : client_(client), clock_(clock), endpoints_(std::move(endpoints)), opts_(options) {
  std::set<std::string> seen;
  for (const auto& e : endpoints_) {
    if (seen.insert(e.model).second) model_ids_.push_back(e.model);
  }
  // Trace ids: "gw-<start time, base 36>-<seq>" — unique across restarts, short.
  uint64_t t = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.system_now().time_since_epoch()).count());
  std::string b36;
  do {
    b36.insert(b36.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[t % 36]);
    t /= 36;
  } while (t != 0);
  id_prefix_ = "gw-" + b36 + "-";
  workers_.reserve(opts_.workers);
  for (size_t i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Gateway::~Gateway() { stop(); }

std::string Gateway::new_trace_id() { return id_prefix_ + std::to_string(seq_.fetch_add(1, std::memory_order_relaxed) + 1); }

void Gateway::worker_loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lk(mu_);
      work_cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

std::shared_ptr<Inflight> Gateway::handle(Request request, ResponderPtr out, std::shared_ptr<Inflight> inflight) {
  if (!inflight) inflight = std::make_shared<Inflight>();
  register_client_credentials(request.headers);  // redacted by value from now on (secret_registry.h)
  out = internal::redacting_responder(std::move(out));  // no known secret reaches a client
  const std::string& p = request.path;
  if (request.method == "POST" && p == "/api/v1/chat/completions") {
    dispatch_chat(Proto::kOpenRouter, std::move(request), std::move(out), inflight);
  } else if (request.method == "POST" && (p == "/v1/chat/completions" || p == "/chat/completions")) {
    dispatch_chat(Proto::kOpenAi, std::move(request), std::move(out), inflight);
  } else if (request.method == "POST" && (p == "/v1/messages" || p == "/messages")) {
    dispatch_chat(Proto::kAnthropic, std::move(request), std::move(out), inflight);
  } else if (request.method == "POST" && p == "/v1/messages/count_tokens") {
    reply_count_tokens(request, *out);
  } else {
    handle_admin(request, *out);
  }
  return inflight;
}

void Gateway::dispatch_chat(Proto proto, Request request, ResponderPtr out, std::shared_ptr<Inflight> inflight) {
  std::string trace_id = new_trace_id();
  if (draining_.load(std::memory_order_acquire)) {
    count(proto, proto != Proto::kAnthropic ? 503 : 529);
    reply_error(proto, *out, OverloadedError("the gateway is shutting down"), trace_id);
    return;
  }
  if (opts_.workers == 0) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      ++active_;
      if (live_.size() > 4 * (opts_.workers + opts_.max_queue)) {
        live_.erase(std::remove_if(live_.begin(), live_.end(), [](const auto& w) { return w.expired(); }), live_.end());
      }
      live_.push_back(inflight);  // for cancel_all()
    }
    run_chat(proto, request, *out, *inflight, trace_id);
    std::lock_guard<std::mutex> lk(mu_);
    if (--active_ == 0) idle_cv_.notify_all();
    return;
  }
  {
    std::unique_lock<std::mutex> lk(mu_);
    if (!stopping_ && queue_.size() < opts_.max_queue) {
      ++active_;
      if (live_.size() > 4 * (opts_.workers + opts_.max_queue)) {
        live_.erase(std::remove_if(live_.begin(), live_.end(), [](const auto& w) { return w.expired(); }), live_.end());
      }
      live_.push_back(inflight);
      queue_.push_back([this, proto, request = std::move(request), out, inflight, trace_id]() mutable {
        run_chat(proto, request, *out, *inflight, trace_id);
        out.reset();
        std::lock_guard<std::mutex> g(mu_);
        if (--active_ == 0) idle_cv_.notify_all();
      });
      lk.unlock();
      work_cv_.notify_one();
      return;
    }
  }
  rejected_.fetch_add(1, std::memory_order_relaxed);
  Status st = proto != Proto::kAnthropic ? RateLimitedError("gateway queue full (" + std::to_string(opts_.max_queue) + " waiting)")
                                      : OverloadedError("gateway queue full (" + std::to_string(opts_.max_queue) + " waiting)");
  st.with_retry_after(std::chrono::milliseconds(1000));
  count(proto, proto != Proto::kAnthropic ? 429 : 529);
  reply_error(proto, *out, st, trace_id);
}

void Gateway::reject_busy(const Request& request, Responder& out) {
  const bool anthropic = request.path == "/v1/messages" || request.path == "/messages";
  const Proto proto = anthropic                                 ? Proto::kAnthropic
                      : request.path == "/api/v1/chat/completions" ? Proto::kOpenRouter
                                                                   : Proto::kOpenAi;
  rejected_.fetch_add(1, std::memory_order_relaxed);
  const std::string what = "gateway busy (" + std::to_string(opts_.max_queue) + " requests in flight on this event loop)";
  Status st = proto != Proto::kAnthropic ? RateLimitedError(what) : OverloadedError(what);
  st.with_retry_after(std::chrono::milliseconds(1000));
  count(proto, proto != Proto::kAnthropic ? 429 : 529);
  reply_error(proto, out, st, new_trace_id());
}

std::vector<Gateway::Group> Gateway::plan_groups(const inbound::InboundRequest& in) const {
  const auto& h = in.hints;
  const auto& orp = h.openrouter;
  // The model an endpoint id / provider pin should be asked for: its own when the client's
  // model is not one it serves (the façade sends request.model as is).
  auto model_for = [&](const std::string& pin) -> std::string {
    std::string m;
    for (const auto& e : endpoints_) {
      if (e.id == pin || e.provider == pin || (e.provider + "/" + e.model) == pin) {
        if (e.model == in.request.model) return {};
        if (!m.empty() && m != e.model) return {};
        m = e.model;
      }
    }
    return m;
  };
  auto group = [&](std::string pin) {
    std::string m = pin.empty() ? std::string() : model_for(pin);
    return Group{std::move(pin), std::move(m)};
  };
  if (!h.pin.empty()) return {group(h.pin)};
  std::vector<std::string> providers;  // in configured order, unique
  for (const auto& e : endpoints_) {
    if (std::find(providers.begin(), providers.end(), e.provider) == providers.end()) providers.push_back(e.provider);
  }
  auto known_provider = [&](const std::string& p) { return std::find(providers.begin(), providers.end(), p) != providers.end(); };
  auto ignored = [&](const std::string& p) { return std::find(orp.ignore.begin(), orp.ignore.end(), p) != orp.ignore.end(); };
  if (!orp.order.empty() || !orp.only.empty() || !orp.ignore.empty()) {
    std::vector<Group> groups;
    auto add = [&](const std::string& p) {
      if (!known_provider(p) || ignored(p)) return;
      if (!orp.only.empty() && std::find(orp.only.begin(), orp.only.end(), p) == orp.only.end()) return;
      for (const auto& g : groups) {
        if (g.pin == p) return;
      }
      groups.push_back(group(p));
    };
    for (const auto& p : orp.order) add(p);
    if (!orp.only.empty()) {
      for (const auto& p : orp.only) add(p);
    } else if (!orp.ignore.empty() && orp.allow_fallbacks.value_or(true)) {
      for (const auto& p : providers) add(p);
    } else if (orp.allow_fallbacks.value_or(true)) {
      groups.push_back(group(""));  // then anything
    }
    if (groups.empty()) groups.push_back(Group{"(no endpoint matches the provider preferences)", {}});
    return groups;
  }
  // Endpoints serving a model (by model, provider/model or endpoint id).
  auto serving = [&](const std::string& m) {
    std::vector<const EndpointInfo*> eps;
    for (const auto& e : endpoints_) {
      if (e.model == m || e.id == m || (e.provider + "/" + e.model) == m) eps.push_back(&e);
    }
    return eps;
  };
  if (!orp.models.empty()) {
    std::vector<Group> groups;
    std::vector<std::string> models{in.request.model};
    models.insert(models.end(), orp.models.begin(), orp.models.end());
    for (const auto& m : models) {
      for (const EndpointInfo* e : serving(m)) {
        bool dup = false;
        for (const auto& g : groups) dup = dup || g.pin == e->id;
        if (!dup) groups.push_back(Group{e->id, e->model});
      }
    }
    if (!groups.empty()) return groups;
  }
  auto eps = serving(in.request.model);
  if (!eps.empty() && eps.size() < endpoints_.size()) {
    std::vector<Group> groups;
    for (const EndpointInfo* e : eps) groups.push_back(Group{e->id, e->model});
    return groups;
  }
  if (!eps.empty() || endpoints_.empty()) return {Group{}};
  // Nobody serves the client's model: one shared model → the façade picks; else each
  // endpoint in turn with its own model.
  bool one_model = true;
  for (const auto& e : endpoints_) one_model = one_model && e.model == endpoints_.front().model;
  if (one_model) return {Group{"", endpoints_.front().model}};
  std::vector<Group> groups;
  for (const auto& e : endpoints_) groups.push_back(Group{e.id, e.model});
  return groups;
}

void Gateway::run_chat(Proto proto, const Request& request, Responder& out, Inflight& inflight, const std::string& trace_id) {
  const TimePoint t0 = clock_.now();
  auto parsed = proto != Proto::kAnthropic ? adapters::openai::parse_openai_chat_request(request.body)
                                        : inbound::parse_anthropic_messages_request(request.body);
  auto finish_completed = [&](const resilience::RequestTrace& trace, StatusCode code, const std::optional<Usage>& usage) {
    if (on_completed_) {
      Completed c;
      c.trace = trace;
      c.outcome = code;
      c.usage = usage;
      on_completed_(c);
    }
  };
  auto refuse = [&](const Status& st) {
    reply_error(proto, out, st, trace_id);
    resilience::RequestTrace t;
    t.request_id = trace_id;
    t.final_code = st.code();
    t.final_error = st.to_string();
    t.total = clock_.now() - t0;
    finish_completed(t, st.code(), std::nullopt);
    store_trace(std::move(t));
  };
  if (!parsed.ok()) return refuse(parsed.status());
  inbound::InboundRequest& in = *parsed;
  ChatRequest& req = in.request;
  // Header overrides (win over the body's "ploke" object).
  if (auto v = header(request, "x-ploke-provider"); !v.empty()) in.hints.pin = std::string(v);
  if (auto v = header(request, "x-ploke-policy"); !v.empty()) in.hints.policy = std::string(v);
  if (auto v = header(request, "x-ploke-deadline-ms"); !v.empty()) {
    auto d = parse_i64(v);
    if (!d || *d <= 0) {
      return refuse(InvalidRequestError("x-ploke-deadline-ms: expected a positive integer (got '" + std::string(v) + "')"));
    }
    in.hints.deadline_ms = *d;
  }
  if (auto v = header(request, "x-ploke-priority"); !v.empty()) {
    in.hints.priority = inbound::parse_priority(v);
    if (!in.hints.priority) {
      return refuse(InvalidRequestError("x-ploke-priority: expected low, normal, high or critical (got '" + std::string(v) + "')"));
    }
  }
  if (!in.hints.policy.empty()) {
    const auto names = client_.policies();
    if (std::find(names.begin(), names.end(), in.hints.policy) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      return refuse(InvalidRequestError("x-ploke-policy: unknown policy '" + in.hints.policy + "' (registered: " + list + ")"));
    }
  }
  if (in.hints.deadline_ms) req.meta.deadline = std::chrono::milliseconds(*in.hints.deadline_ms);
  if (in.hints.priority) req.meta.priority = *in.hints.priority;
  req.meta.request_id = trace_id;
  const std::string requested_model = req.model;

  resilience::CallControl control;
  control.policy = in.hints.policy;
  control.cancel = &inflight.token_;
  const std::vector<Group> groups = plan_groups(in);

  resilience::RequestTrace merged;
  auto merge = [&](resilience::RequestTrace& t, size_t group) {
    if (group == 0) {
      merged = std::move(t);
      return;
    }
    const uint32_t base = static_cast<uint32_t>(merged.attempts.size());
    merged.notes.push_back("gateway: group " + std::to_string(group + 1) + " pin '" + t.pin + "'");
    for (auto& a : t.attempts) {
      a.number += base;
      merged.attempts.push_back(std::move(a));
    }
    for (auto& c : t.candidates) {
      bool dup = false;
      for (const auto& m : merged.candidates) dup = dup || m.endpoint_id == c.endpoint_id;
      if (!dup) merged.candidates.push_back(std::move(c));
    }
    for (auto& n : t.notes) merged.notes.push_back(std::move(n));
    merged.final_code = t.final_code;
    merged.final_error = std::move(t.final_error);
    merged.served_by = std::move(t.served_by);
    merged.total_cost_usd += t.total_cost_usd;
    merged.pin = t.pin;
  };
  std::string group_note;
  if (groups.size() > 1) {
    for (const auto& g : groups) group_note += (group_note.empty() ? "" : ", ") + (g.pin.empty() ? std::string("(any)") : g.pin);
    group_note = "gateway: routing groups " + group_note;
  }

  Headers head;
  head.add("x-ploke-trace-id", trace_id);
  head.add(proto != Proto::kAnthropic ? "x-request-id" : "request-id", trace_id);

  Result<ChatResponse> result = InternalError("no routing group");
  // The trace is stored (and the ledger fed) before the last byte goes out, so a client
  // that asks the admin API right after its answer finds it.
  auto record = [&] {
    merged.request_id = trace_id;
    merged.total = clock_.now() - t0;
    if (!group_note.empty()) merged.notes.insert(merged.notes.begin(), group_note);
    const StatusCode code = result.ok() ? StatusCode::kOk : result.status().code();
    finish_completed(merged, code, result.ok() ? result->usage : std::nullopt);
    store_trace(std::move(merged));
  };
  if (!req.stream) {
    for (size_t g = 0; g < groups.size(); ++g) {
      control.pin = groups[g].pin;
      req.model = groups[g].model.empty() ? requested_model : groups[g].model;
      resilience::RequestTrace t;
      result = client_.complete(req, control, &t);
      merge(t, g);
      if (result.ok() || ends_groups(result.status()) || inflight.cancelled()) break;
    }
    record();
    if (result.ok()) {
      ChatResponse& r = *result;
      if (r.model.empty()) r.model = requested_model;
      const int64_t created =
          std::chrono::duration_cast<std::chrono::seconds>(clock_.system_now().time_since_epoch()).count();
      std::string body = proto != Proto::kAnthropic ? adapters::openai::render_openai_chat_completion(r, created, trace_id)
                                                 : inbound::render_anthropic_message(r, trace_id);
      head.add("content-type", "application/json");
      count(proto, 200);
      out.reply(200, head, std::move(body));
    } else {
      reply_error(proto, out, result.status(), trace_id);
    }
  } else {
    // Streams: writer made at the first event (it knows the served id and model then).
    std::optional<adapters::openai::OpenAiSseWriter> oa;
    std::optional<inbound::AnthropicSseWriter> an;
    bool head_sent = false;
    std::string pending;
    auto ensure_writer = [&](const StreamEvent* start) {
      if (oa || an) return;
      std::string model = start != nullptr && !start->model.empty() ? start->model : requested_model;
      if (proto != Proto::kAnthropic) {
        std::string id = start != nullptr && !start->id.empty() ? start->id : "chatcmpl-" + trace_id;
        const int64_t created =
            std::chrono::duration_cast<std::chrono::seconds>(clock_.system_now().time_since_epoch()).count();
        oa.emplace(std::move(id), std::move(model), created, in.include_usage,
                   proto == Proto::kOpenRouter ? adapters::openai::ChatDialect::kOpenRouter : adapters::openai::ChatDialect::kOpenAi);
      } else {
        an.emplace("msg_" + trace_id, std::move(model), inbound::estimate_prompt_tokens(req));
      }
    };
    auto send = [&](std::string bytes) {
      if (bytes.empty()) return;
      if (!head_sent) {
        Headers h = head;
        h.add("content-type", "text/event-stream; charset=utf-8");
        h.add("cache-control", "no-cache");
        out.begin(200, h);
        head_sent = true;
      }
      out.chunk(std::move(bytes));
    };
    const resilience::LlmClient::EventCallback on_event = [&](const StreamEvent& e) {
      ensure_writer(e.kind == StreamEvent::Kind::kStart ? &e : nullptr);
      send(oa ? oa->event(e) : an->event(e));
    };
    for (size_t g = 0; g < groups.size(); ++g) {
      control.pin = groups[g].pin;
      req.model = groups[g].model.empty() ? requested_model : groups[g].model;
      resilience::RequestTrace t;
      result = client_.stream(req, on_event, control, &t);
      merge(t, g);
      if (result.ok() || head_sent || ends_groups(result.status()) || inflight.cancelled()) break;
    }
    record();
    if (result.ok()) {
      ensure_writer(nullptr);
      if (result->model.empty()) result->model = requested_model;
      send(oa ? oa->finish(*result) : an->finish(*result));
      out.finish();
      count(proto, 200);
    } else if (head_sent) {
      stream_errors_.fetch_add(1, std::memory_order_relaxed);
      send(oa ? oa->error(result.status()) : an->error(result.status()));
      out.finish();
      count(proto, 200);
    } else {
      reply_error(proto, out, result.status(), trace_id);
    }
  }
}

void Gateway::reply_error(Proto proto, Responder& out, const Status& st, const std::string& trace_id) {
  inbound::Reply r = proto == Proto::kOpenAi       ? adapters::openai::render_openai_error(st)
                     : proto == Proto::kOpenRouter ? inbound::render_openrouter_error(st)
                                                   : inbound::render_anthropic_error(st, trace_id);
  Headers h;
  h.add("content-type", "application/json");
  if (!trace_id.empty()) {
    h.add("x-ploke-trace-id", trace_id);
    h.add(proto != Proto::kAnthropic ? "x-request-id" : "request-id", trace_id);
  }
  for (auto& [k, v] : r.headers) h.add(k, v);
  count(proto, r.status);
  out.reply(r.status, h, std::move(r.body));
}

// GET /v1/models, /v1/models/{id} (404 in the protocol's shape when unknown) and
// /api/v1/models (OpenRouter's ModelsListResponse).
void Gateway::reply_models(const Request& request, Responder& out) {
  const std::string& p = request.path;
  const bool anthropic = request.headers.has("anthropic-version");
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(clock_.system_now().time_since_epoch()).count();
  if (p == "/api/v1/models") return reply_json(out, 200, inbound::render_openrouter_models(model_ids_, created));
  constexpr std::string_view kOne = "/v1/models/";
  if (p.size() > kOne.size() && p.rfind(kOne, 0) == 0) {
    const std::string id = p.substr(kOne.size());
    if (std::find(model_ids_.begin(), model_ids_.end(), id) != model_ids_.end()) {
      return reply_json(out, 200, anthropic ? inbound::render_anthropic_model(id) : adapters::openai::render_openai_model(id, created));
    }
    inbound::Reply r = anthropic ? inbound::render_anthropic_error(NotFoundError("model: " + id), new_trace_id())
                                 : adapters::openai::render_openai_error(NotFoundError(
                                       "The model `" + id + "` does not exist or you do not have access to it."));
    return reply_json(out, r.status, std::move(r.body));
  }
  return reply_json(out, 200, anthropic ? inbound::render_anthropic_models(model_ids_) : adapters::openai::render_openai_models(model_ids_, created));
}

// POST /v1/messages/count_tokens: the request checked as /v1/messages checks it (bar
// max_tokens), answered locally with the gateway's prompt estimate (no upstream call).
void Gateway::reply_count_tokens(const Request& request, Responder& out) {
  const std::string trace_id = new_trace_id();
  auto in = inbound::parse_anthropic_count_tokens_request(request.body);
  if (!in.ok()) return reply_error(Proto::kAnthropic, out, in.status(), trace_id);
  std::string body = "{\"input_tokens\":" + std::to_string(inbound::estimate_prompt_tokens(in->request)) + "}";
  Headers h;
  h.add("content-type", "application/json");
  h.add("request-id", trace_id);
  out.reply(200, h, std::move(body));
}

void Gateway::reply_json(Responder& out, int status, std::string body, const std::string& trace_id) {
  Headers h;
  h.add("content-type", "application/json");
  if (!trace_id.empty()) h.add("x-ploke-trace-id", trace_id);
  out.reply(status, h, std::move(body));
}

void Gateway::count(Proto proto, int status) {
  requests_[proto != Proto::kAnthropic ? 0 : 1][status_slot(status)].fetch_add(1, std::memory_order_relaxed);
}

void Gateway::store_trace(resilience::RequestTrace trace) {
  if (opts_.trace_capacity == 0) return;
  std::lock_guard<std::mutex> lk(trace_mu_);
  if (traces_.size() >= opts_.trace_capacity) traces_.pop_front();
  traces_.push_back(std::move(trace));
}

std::string Gateway::trace_json(std::string_view id) const {
  std::lock_guard<std::mutex> lk(trace_mu_);
  for (auto it = traces_.rbegin(); it != traces_.rend(); ++it) {
    if (it->request_id == id) return resilience::render_trace_json(*it);
  }
  return {};
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
  // Unknown route: 404 in the shape of the protocol the client seems to speak.
  const Status st = NotFoundError("Invalid URL (" + request.method + " " + redact_secrets(p) + ")");
  const bool anthropic = request.headers.has("anthropic-version") || p.rfind("/v1/messages", 0) == 0;
  inbound::Reply r = anthropic ? inbound::render_anthropic_error(st, new_trace_id()) : adapters::openai::render_openai_error(st);
  reply_json(out, r.status, std::move(r.body));
}

void Gateway::handle_admin(const Request& request, Responder& out) {
  const std::string& p = request.path;
  const bool get = request.method == "GET";
  const bool one_model = p.rfind("/v1/models/", 0) == 0;
  if (get && (p == "/v1/models" || p == "/models" || p == "/api/v1/models" || one_model)) {
    return reply_models(request, out);
  }
  if (get && p == "/metrics") {
    Headers h;
    h.add("content-type", "text/plain; version=0.0.4; charset=utf-8");
    return out.reply(200, h, client_.metrics_text() + metrics_text());
  }
  if (get && p == "/__admin/health") return reply_health(out);
  if (get && p == "/__admin/queue") {
    // The façade's queue (render_queue_status_json, shared with `llm queue status --json`)
    // plus the gateway's own worker queue.
    json q = json::parse(resilience::render_queue_status_json(client_.queue_status()), nullptr, false);
    if (!q.is_object()) q = json::object();
    size_t queued = 0, active = 0;
    {
      std::lock_guard<std::mutex> lk(mu_);
      queued = queue_.size();
      active = active_;
    }
    q["gateway"] = {{"workers", opts_.workers}, {"max_queue", opts_.max_queue}, {"queued", queued}, {"active", active}, {"rejected", rejected_.load()}};
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
      std::lock_guard<std::mutex> lk(trace_mu_);
      recent.assign(traces_.size() > 200 ? traces_.end() - 200 : traces_.begin(), traces_.end());
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      info.worker_queue = queue_.size();
      info.in_flight = active_;
    }
    return reply_json(out, 200, dashboard::gateway_json(client_, recent, info));
  }
  // --- end of dashboard route hook
  if (get && p == "/__admin/traces") {
    size_t limit = 50;
    if (auto l = parse_i64(query_param(request.query, "limit")); l && *l > 0) limit = static_cast<size_t>(*l);
    std::string body = "{\"traces\":[";
    {
      std::lock_guard<std::mutex> lk(trace_mu_);
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
  std::unique_lock<std::mutex> lk(mu_);
  return idle_cv_.wait_for(lk, timeout, [&] { return active_ == 0; });
}

void Gateway::cancel_all() {
  std::vector<std::shared_ptr<Inflight>> live;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& w : live_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& f : live) f->cancel();
}

void Gateway::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  draining_.store(true);
  work_cv_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

size_t Gateway::in_flight() const {
  std::lock_guard<std::mutex> lk(mu_);
  return active_;
}

std::string Gateway::metrics_text() const {
  std::string o;
  o += "# HELP ploke_gateway_requests_total Chat requests answered by the gateway, by protocol and status class.\n";
  o += "# TYPE ploke_gateway_requests_total counter\n";
  static constexpr const char* kProto[2] = {"openai", "anthropic"};
  static constexpr const char* kClass[6] = {"2xx", "3xx", "4xx", "5xx", "", "499"};
  for (int p = 0; p < 2; ++p) {
    for (int c = 0; c < 6; ++c) {
      if (c == 4) continue;
      o += "ploke_gateway_requests_total{protocol=\"";
      o += kProto[p];
      o += "\",class=\"";
      o += kClass[c];
      o += "\"} " + std::to_string(requests_[p][c].load(std::memory_order_relaxed)) + "\n";
    }
  }
  o += "# HELP ploke_gateway_rejected_total Requests refused because the worker queue was full.\n";
  o += "# TYPE ploke_gateway_rejected_total counter\n";
  o += "ploke_gateway_rejected_total " + std::to_string(rejected_.load()) + "\n";
  o += "# HELP ploke_gateway_stream_errors_total Streams that ended with an in-stream error event.\n";
  o += "# TYPE ploke_gateway_stream_errors_total counter\n";
  o += "ploke_gateway_stream_errors_total " + std::to_string(stream_errors_.load()) + "\n";
  o += "# HELP ploke_gateway_active Chat requests queued or running.\n";
  o += "# TYPE ploke_gateway_active gauge\n";
  o += "ploke_gateway_active " + std::to_string(in_flight()) + "\n";
  return o;
}

}  // namespace ploke::gateway
