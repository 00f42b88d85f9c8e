// Gateway::authorize: the client-key check at the front of Gateway::handle (see
// ploke/gateway/client_keys.h for what is refused and how).
#include "ploke/gateway/client_keys.h"
#include "ploke/gateway/gateway.h"

namespace ploke::gateway {

Gateway::Proto Gateway::proto_of(const Request& request) {
  const std::string& p = request.path;
  if (p == "/v1/messages" || p == "/messages" || p.rfind("/v1/messages/", 0) == 0) return Proto::kAnthropic;
  if (p.rfind("/api/v1/", 0) == 0) return Proto::kOpenRouter;
  if (request.headers.has(adapters::anthropic::kVersionHeader)) return Proto::kAnthropic;  // e.g. GET /v1/models
  return Proto::kOpenAi;
}

bool Gateway::authorize(const Request& request, Responder& out, Inflight& inflight) {
  const std::string& p = request.path;
  if (request.method == "GET" && (p == "/healthz" || p == "/readyz")) return true;  // probes stay open
  Status st;
  if (p.rfind("/__admin", 0) == 0 || p == "/metrics") {
    st = opts_.auth->admit_admin(request.headers);
  } else {
    auto grant = opts_.auth->admit(request.headers);
    if (grant.ok()) inflight.grant_ = std::move(grant).value();
    if (grant.ok() && opts_.logger != nullptr) inflight.access_.key_id = inflight.grant_->master ? "master" : inflight.grant_->id;
    st = grant.status();
  }
  if (st.ok()) return true;
  const std::string trace_id = new_trace_id();
  if (opts_.logger != nullptr) inflight.access_.trace_id = trace_id;
  reply_error(proto_of(request), out, st, trace_id);
  return false;
}

}  // namespace ploke::gateway
