// Gateway::authorize: the client-key check at the front of Gateway::handle (see
// ploke/gateway/client_keys.h for what is refused and how).
#include "ploke/gateway/client_keys.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/inbound.h"

namespace ploke::gateway {

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
  reply_error(inbound_->speaks(request), out, st, trace_id);  // the client's protocol
  return false;
}

}  // namespace ploke::gateway
