// One POST /v1/embeddings through the gateway (embeddings_call.h).
#include "embeddings_call.h"

#include <limits>

#include "chat_call.h"
#include "ploke/gateway/client_keys.h"

namespace ploke::gateway::internal {

namespace oa = adapters::openai;

EmbeddingsCall::EmbeddingsCall(InboundExchange& x)
    : gw_(x.gateway), protocol_(x.protocol), request_(x.request), out_(x.out), inflight_(x.inflight),
      trace_id_(x.trace_id), t0_(x.gateway.clock_.now()) {}

void EmbeddingsCall::run() {
  if (auto e = read()) return refuse_wire(*e);
  if (Status st = prepare(); !st.ok()) {
    record(std::nullopt, st);
    return gw_.reply_error(protocol_, out_, st, trace_id_);
  }
  result_ = gw_.client_.embed(req_, control_, &merged_);
  std::vector<float> values;
  if (result_.ok()) result_ = flatten(std::move(result_).value(), values);
  record(result_.ok() ? embedding_as_chat(result_)->usage : std::nullopt, result_.ok() ? Status::Ok() : result_.status());
  if (!result_.ok()) return gw_.reply_error(protocol_, out_, result_.status(), trace_id_);
  reply(*result_, values);
}

// The body as the simulator reads it (the same 400s); token-id inputs have no place in the
// normalized request (text only).
std::optional<oa::WireError> EmbeddingsCall::read() {
  if (auto e = oa::read_served_embedding_body(request_.body, served_)) return e;
  req_.model = served_.model;
  req_.inputs.reserve(served_.inputs.size());
  for (oa::EmbeddingInput& in : served_.inputs) {
    if (in.is_tokens) {
      return oa::WireError{400, "The gateway embeds text inputs only: token-id arrays are not supported.",
                           "invalid_request_error", std::string("input"), std::nullopt};
    }
    req_.inputs.push_back(std::move(in.text));
  }
  if (served_.dimensions) {
    constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
    if (*served_.dimensions > kMax) return oa::embedding_dimensions_above_max(kMax, *served_.dimensions);
    req_.dimensions = static_cast<uint32_t>(*served_.dimensions);
  }
  return std::nullopt;
}

// Header overrides (pin, policy, deadline, priority), the request id and trace context.
// The embedding model is sent as is (it names no chat endpoint); when it is a configured
// name or some endpoints' model, only those endpoints serve it.
Status EmbeddingsCall::prepare() {
  if (inflight_.grant_) PLOKE_RETURN_IF_ERROR(ClientAuth::check_model(*inflight_.grant_, req_.model));
  adapters::inbound::RoutingHints hints;
  PLOKE_RETURN_IF_ERROR(
      apply_request_headers(request_.headers, gw_.client_, trace_id_, hints, req_.meta, gw_.opts_.otlp));
  control_.attempt_spans = gw_.opts_.otlp != nullptr;
  control_.policy = hints.policy;
  control_.pin = hints.pin;
  control_.cancel = &inflight_.token_;
  std::vector<std::string> eps = endpoints_for_name(gw_.opts_.model_names, gw_.endpoints_, req_.model);
  if (hints.pin.empty() && !eps.empty() && eps.size() < gw_.endpoints_.size()) control_.prefs.tiers.push_back(std::move(eps));
  return Status::Ok();
}

// The vectors row-major for the renderer; vectors of different lengths are a malformed answer.
Result<EmbeddingResponse> EmbeddingsCall::flatten(EmbeddingResponse r, std::vector<float>& values) {
  const size_t dims = r.vectors.empty() ? 0 : r.vectors.front().size();
  values.reserve(dims * r.vectors.size());
  for (const auto& v : r.vectors) {
    if (v.size() != dims) {
      return MalformedResponseError("embeddings: the upstream's vectors differ in length").with_provider(r.provider);
    }
    values.insert(values.end(), v.begin(), v.end());
  }
  return r;
}

// The trace stored and the ledger fed before the reply, as a chat request's.
void EmbeddingsCall::record(const std::optional<Usage>& usage, const Status& st) {
  merged_.request_id = trace_id_;
  merged_.total = gw_.clock_.now() - t0_;
  if (!st.ok() && merged_.attempts.empty()) {  // refused before any façade call
    merged_.final_code = st.code();
    merged_.final_error = st.to_string();
  }
  ChatCall::report(gw_, inflight_, req_.model, merged_, st.code(), usage, RequestOrigin{request_, t0_, "embeddings", false, req_.meta.traceparent});
  gw_.store_trace(std::move(merged_));
}

// A JSON answer's head with the trace id headers of a chat reply.
Headers EmbeddingsCall::json_head() const {
  Headers h;
  h.add("content-type", "application/json");
  h.add("x-ploke-trace-id", trace_id_);
  h.add(std::string(protocol_.request_id_header()), trace_id_);
  return h;
}

void EmbeddingsCall::refuse_wire(const oa::WireError& e) {
  record(std::nullopt, InvalidRequestError(e.message));
  Headers h = json_head();
  gw_.count(protocol_, e.status);
  out_.reply(e.status, h, oa::error_body(e));
}

// The CreateEmbeddingResponse in the encoding the client asked for.
void EmbeddingsCall::reply(const EmbeddingResponse& r, const std::vector<float>& values) {
  oa::WireEmbeddings w;
  w.model = r.model.empty() ? std::string_view(req_.model) : std::string_view(r.model);
  w.encoding = served_.encoding;
  w.count = r.vectors.size();
  w.dims = r.vectors.empty() ? 0 : r.vectors.front().size();
  w.values = values;
  w.prompt_tokens = r.usage.prompt_tokens;
  Headers h = json_head();
  gw_.count(protocol_, 200);
  out_.reply(200, h, oa::render_embeddings(w));
}

}  // namespace ploke::gateway::internal
