// File: gateway_access.h (private to ploke::gateway)
//
// GatewayAccess: what the built-in inbound protocols (inbound_builtin.cpp) use of the
// Gateway beyond its public members — the Responses API's stored responses and the
// per-protocol request counters.
#pragma once

#include "ploke/gateway/gateway.h"
#include "response_store.h"

namespace ploke::gateway::internal {

struct GatewayAccess {
  static ResponseStore& responses(Gateway& gw) { return *gw.responses_; }
  static void count(Gateway& gw, const InboundProtocol& protocol, int status) { gw.count(protocol, status); }
};

}  // namespace ploke::gateway::internal
