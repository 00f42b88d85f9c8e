// One chat request through the gateway (chat_call.h).
#include "chat_call.h"

#include "ploke/core/trace_context.h"
#include "ploke/gateway/client_keys.h"

#include <algorithm>
#include <charconv>

namespace ploke::gateway::internal {

std::optional<int64_t> parse_i64(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Status apply_header_overrides(const Headers& headers, adapters::inbound::RoutingHints& hints) {
  auto header = [&](std::string_view name) {
    auto v = headers.get(name);
    return v ? *v : std::string_view{};
  };
  if (auto v = header("x-ploke-provider"); !v.empty()) hints.pin = std::string(v);
  if (auto v = header("x-ploke-policy"); !v.empty()) hints.policy = std::string(v);
  if (auto v = header("x-ploke-deadline-ms"); !v.empty()) {
    auto d = parse_i64(v);
    if (!d || *d <= 0) {
      return InvalidRequestError("x-ploke-deadline-ms: expected a positive integer (got '" + std::string(v) + "')");
    }
    hints.deadline_ms = *d;
  }
  if (auto v = header("x-ploke-priority"); !v.empty()) {
    hints.priority = adapters::inbound::parse_priority(v);
    if (!hints.priority) {
      return InvalidRequestError("x-ploke-priority: expected low, normal, high or critical (got '" + std::string(v) + "')");
    }
  }
  return Status::Ok();
}

Status check_policy(const std::string& policy, const std::vector<std::string>& registered) {
  if (std::find(registered.begin(), registered.end(), policy) != registered.end()) return Status::Ok();
  std::string list;
  for (const auto& n : registered) list += (list.empty() ? "" : ", ") + n;
  return InvalidRequestError("x-ploke-policy: unknown policy '" + policy + "' (registered: " + list + ")");
}

namespace {
// FNV-1a over `s` from `basis`, then splitmix64's finalizer so every bit depends on every
// byte (trace ids of sequential gateway ids must differ in their high bits too: the
// sampler reads them): span and trace ids derived from the gateway's trace id.
uint64_t fnv1a(std::string_view s, uint64_t basis) {
  uint64_t h = basis;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return (h ^ (h >> 31)) | 1;  // never all zeros
}
}  // namespace

Status apply_request_headers(const Headers& headers, const resilience::LlmClient& client,
                             const std::string& trace_id, adapters::inbound::RoutingHints& hints, RequestMeta& meta,
                             const OtlpExporter* otlp) {
  const bool traced = otlp != nullptr;
  PLOKE_RETURN_IF_ERROR(apply_header_overrides(headers, hints));
  if (!hints.policy.empty()) PLOKE_RETURN_IF_ERROR(check_policy(hints.policy, client.policies()));  // names made only then
  if (hints.deadline_ms) meta.deadline = std::chrono::milliseconds(*hints.deadline_ms);
  if (hints.priority) meta.priority = *hints.priority;
  meta.request_id = trace_id;
  const auto tp = headers.get("traceparent");
  const bool joined = tp && valid_traceparent(*tp);
  if (tp && (joined || !traced)) {
    meta.traceparent = std::string(*tp);
    if (auto ts = headers.get("tracestate")) meta.tracestate = std::string(*ts);
  }
  if (!traced) return Status::Ok();
  // version-traceid-parentid-flags, written in place: the SERVER span's id, and (no
  // client trace to join) a trace id, both derived from the gateway's trace id.
  char ids[48];
  span_id_hex(fnv1a(trace_id, 0xcbf29ce484222325ULL), ids + 32);
  if (joined) {
    meta.traceparent = child_traceparent(*tp, std::string_view(ids + 32, 16));
    return Status::Ok();
  }
  const uint64_t low = fnv1a(trace_id, 0x9e3779b97f4a7c15ULL);
  span_id_hex(fnv1a(trace_id, 0x84222325cbf29ce4ULL), ids);
  span_id_hex(low, ids + 16);
  std::string& out = meta.traceparent;
  out.assign("00-", 3);
  out.append(ids, 32).append(1, '-').append(ids + 32, 16);
  out.append(ratio_admits(low, otlp->sample_ratio()) ? "-01" : "-00", 3);  // the trace id's last 8 bytes
  meta.tracestate.clear();
  return Status::Ok();
}

void append_trace(resilience::RequestTrace& merged, resilience::RequestTrace& t, std::string note) {
  const uint32_t base = static_cast<uint32_t>(merged.attempts.size());
  merged.notes.push_back(std::move(note));
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
}

void add_usage(std::optional<Usage>& sum, const std::optional<Usage>& u) {
  if (!u) return;
  if (!sum) {
    sum = u;
    return;
  }
  sum->prompt_tokens += u->prompt_tokens;
  sum->completion_tokens += u->completion_tokens;
  sum->total_tokens += u->total_tokens;
  sum->cached_prompt_tokens += u->cached_prompt_tokens;
  sum->cache_write_tokens += u->cache_write_tokens;
  sum->reasoning_tokens += u->reasoning_tokens;
  if (u->reported_cost_usd) sum->reported_cost_usd = sum->reported_cost_usd.value_or(0) + *u->reported_cost_usd;
}

ChatCall::ChatCall(InboundExchange& x, ChatSession& session)
    : x_(x), gw_(x.gateway), protocol_(x.protocol), session_(session), request_(x.request), out_(x.out),
      inflight_(x.inflight), trace_id_(x.trace_id), t0_(x.gateway.clock_.now()) {}

void ChatCall::completed(const resilience::RequestTrace& trace, StatusCode code, const std::optional<Usage>& usage) {
  report(gw_, inflight_, requested_model_, trace, code, usage,
         RequestOrigin{request_, t0_, "chat", in_.request.stream, in_.request.meta.traceparent});
}

void ChatCall::report(Gateway& gw, Inflight& inflight, const std::string& model, const resilience::RequestTrace& trace,
                      StatusCode code, const std::optional<Usage>& usage, const RequestOrigin& origin) {
  if (gw.opts_.otlp != nullptr) gw.opts_.otlp->record(request_telemetry(gw.endpoints_, origin, model, trace, code, usage));
  if (gw.opts_.logger != nullptr) {  // the access-log line's fields (written at the last byte)
    logging::AccessRecord& a = inflight.access_;
    a.model = model;
    a.provider = trace.served_by;
    a.attempts = static_cast<uint32_t>(trace.attempts.size());
    if (usage) {
      a.input_tokens = usage->prompt_tokens;
      a.output_tokens = usage->completion_tokens;
    }
    if (trace.total_cost_usd > 0) a.cost_usd = trace.total_cost_usd;
    if (code != StatusCode::kOk) {
      a.error = std::string(status_code_name(code));
      a.error_detail = trace.final_error;
    }
  }
  const std::string key_id = inflight.grant_ ? inflight.grant_->id : std::string();
  if (gw.opts_.auth != nullptr) gw.opts_.auth->add_spend(key_id, trace.total_cost_usd);  // the key's budget
  if (!gw.on_completed_) return;
  Completed c;
  c.trace = trace;
  c.outcome = code;
  c.usage = usage;
  c.key_id = key_id;
  gw.on_completed_(c);
}

// Refused before any façade call: the error reply and a trace of its own.
// (Recorded before the reply, as a served request is.)
void ChatCall::refuse(const Status& st) {
  resilience::RequestTrace t;
  t.request_id = trace_id_;
  t.final_code = st.code();
  t.final_error = st.to_string();
  t.total = gw_.clock_.now() - t0_;
  completed(t, st.code(), std::nullopt);
  gw_.store_trace(std::move(t));
  gw_.reply_error(protocol_, out_, st, trace_id_);
}

Status ChatCall::prepare() {
  PLOKE_RETURN_IF_ERROR(session_.parse(x_, in_));
  ChatRequest& req = in_.request;
  PLOKE_RETURN_IF_ERROR(
      apply_request_headers(request_.headers, gw_.client_, trace_id_, in_.hints, req.meta, gw_.opts_.otlp));
  control_.attempt_spans = gw_.opts_.otlp != nullptr;
  requested_model_ = req.model;
  if (inflight_.grant_) {  // a client key's allowed models: the model and each fallback model
    PLOKE_RETURN_IF_ERROR(ClientAuth::check_model(*inflight_.grant_, requested_model_));
    for (const auto& m : in_.hints.fallback_models) PLOKE_RETURN_IF_ERROR(ClientAuth::check_model(*inflight_.grant_, m));
  }
  auto route = plan_model_route(gw_.opts_.model_names, gw_.endpoints_, gw_.opts_.default_model, in_, protocol_);
  if (!route.ok()) return route.status();
  control_.policy = in_.hints.policy.empty() ? route->policy : in_.hints.policy;
  control_.pin = in_.hints.pin;
  control_.prefs = std::move(route->prefs);
  control_.cancel = &inflight_.token_;
  route_note_ = std::move(route->note);
  if (req.logprobs) PLOKE_RETURN_IF_ERROR(check_logprobs_reachable(gw_.endpoints_, control_.prefs, control_.pin));
  head_.add("x-ploke-trace-id", trace_id_);
  head_.add(std::string(protocol_.request_id_header()), trace_id_);
  return Status::Ok();
}

void ChatCall::run() {
  if (Status st = prepare(); !st.ok()) return refuse(st);
  if (in_.request.stream) {
    run_stream();
  } else {
    run_complete();
  }
}

// The trace is stored (and the ledger fed) before the last byte goes out, so a client
// that asks the admin API right after its answer finds it.
void ChatCall::record() {
  merged_.request_id = trace_id_;
  merged_.total = gw_.clock_.now() - t0_;
  if (!route_note_.empty()) merged_.notes.insert(merged_.notes.begin(), route_note_);
  const StatusCode code = result_.ok() ? StatusCode::kOk : result_.status().code();
  completed(merged_, code, usage_);
  gw_.store_trace(std::move(merged_));
}

// The façade call's trace into the request's: the first is it; later choices are
// appended with a note.
void ChatCall::merge(resilience::RequestTrace& t) {
  if (calls_++ == 0) {
    merged_ = std::move(t);
  } else {
    append_trace(merged_, t, "gateway: choice " + std::to_string(choice_ + 1) + " of " + std::to_string(in_.n));
  }
}

// One choice: one façade call.
void ChatCall::complete_choice() {
  resilience::RequestTrace t;
  result_ = gw_.client_.complete(in_.request, control_, &t);
  merge(t);
}

// n > 1: one façade call per choice, one after another; the first failure fails the request.
void ChatCall::run_complete() {
  std::vector<ChatResponse> choices;
  for (choice_ = 0; choice_ < in_.n; ++choice_) {
    complete_choice();
    if (!result_.ok()) break;
    add_usage(usage_, result_->usage);
    choices.push_back(std::move(*result_));
  }
  if (!result_.ok()) usage_.reset();
  record();
  if (!result_.ok()) return gw_.reply_error(protocol_, out_, result_.status(), trace_id_);
  for (ChatResponse& r : choices) {
    if (r.model.empty()) r.model = requested_model_;
  }
  std::string body = session_.render(choices, usage_);
  head_.add("content-type", std::string(session_.content_type(false)));
  gw_.count(protocol_, 200);
  out_.reply(200, head_, std::move(body));
}

void ChatCall::ensure_writer(const StreamEvent* start) {
  if (stream_open_) return;
  session_.open_stream(start);
  stream_open_ = true;
}

// The SSE head goes out with the first bytes.
void ChatCall::send(std::string bytes) {
  if (bytes.empty()) return;
  if (!head_sent_) {
    Headers h = head_;
    h.add("content-type", std::string(session_.content_type(true)));
    h.add("cache-control", "no-cache");
    out_.begin(200, h);
    head_sent_ = true;
  }
  out_.chunk(std::move(bytes));
}

// One choice's stream: one façade call; its held-back text and finish chunk follow a
// success.
void ChatCall::stream_choice(const resilience::LlmClient::EventCallback& on_event) {
  if (stream_open_) session_.begin_choice(choice_);
  resilience::RequestTrace t;
  result_ = gw_.client_.stream(in_.request, on_event, control_, &t);
  merge(t);
  if (!result_.ok()) return;
  ensure_writer(nullptr);
  for (const StreamEvent& x : redactor_.flush()) send(session_.event(x));
  send(session_.finish_choice(*result_));
}

// Once bytes went out, a failure ends the stream in-band. n > 1: the choices stream one
// after another (each chunk's index names its choice); one usage chunk ends the stream.
void ChatCall::run_stream() {
  // A client key split across deltas is not contiguous in the rendered bytes: redact the
  // event stream itself (the responder still scrubs each rendered chunk).
  const resilience::LlmClient::EventCallback on_event = [&](const StreamEvent& e) {
    ensure_writer(e.kind == StreamEvent::Kind::kStart ? &e : nullptr);
    for (const StreamEvent& x : redactor_.apply(e)) send(session_.event(x));
  };
  std::optional<ChatResponse> first;
  for (choice_ = 0; choice_ < in_.n; ++choice_) {
    stream_choice(on_event);
    if (!result_.ok()) break;
    add_usage(usage_, result_->usage);
    if (!first) first = std::move(*result_);
  }
  if (!result_.ok()) usage_.reset();
  record();
  if (!result_.ok()) return end_stream_with_error();
  if (first->model.empty()) first->model = requested_model_;
  first->usage = usage_;
  send(session_.finish(*first));
  out_.finish();
  gw_.count(protocol_, 200);
}

// Before any byte: the error reply; after: the protocol's in-stream error event.
void ChatCall::end_stream_with_error() {
  if (stream_open_) {
    for (const StreamEvent& x : redactor_.flush()) send(session_.event(x));
  }
  if (!head_sent_) return gw_.reply_error(protocol_, out_, result_.status(), trace_id_);
  gw_.stream_errors_.fetch_add(1, std::memory_order_relaxed);
  send(session_.stream_error(result_.status()));
  out_.finish();
  gw_.count(protocol_, 200);
}

}  // namespace ploke::gateway::internal
