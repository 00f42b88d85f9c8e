// File: model_names.h (private to ploke::gateway)
//
// How a request's model name and routing hints become the routing preferences of its one
// façade call (resilience::RoutePreferences: Router filters and order, one trace):
//   - the model name resolves to endpoints: a configured name or alias (its deployments),
//     else the endpoints whose id, model or provider/model it is;
//   - fallback models (`models: [a, b]`) resolve the same way, each a later tier; names
//     that resolve to nothing are skipped (the trace says which);
//   - when nothing resolves, GatewayOptions::default_model when set, else kNotFound in the
//     client's protocol (404) naming the model;
//   - provider preferences (order, only, ignore, allow_fallbacks) pass through;
//   - a pin (x-ploke-provider / ploke.provider) picks the endpoint itself: no tiers;
//   - a name whose deployments carry weights routes with the weighted policy unless the
//     client asked for a policy.
// Tiers that admit every endpoint are left out, so a plain request keeps the façade's own
// chain (max_chain) and costs nothing extra.
#pragma once

#include <string>
#include <vector>

#include "ploke/adapters/inbound.h"
#include "ploke/core/status.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/inbound.h"
#include "ploke/resilience/router.h"

namespace ploke::gateway::internal {

struct ModelRoute {
  resilience::RoutePreferences prefs;
  std::string policy;  ///< "" = the client's / façade's
  std::string note;    ///< for the trace ("" = nothing to say)
};

/// The endpoint ids `model` stands for (see the file comment); empty when none.
/// `weighted` is set when it is a configured name whose deployments carry weights.
std::vector<std::string> endpoints_for_name(const std::vector<ModelName>& names,
                                            const std::vector<EndpointInfo>& endpoints, const std::string& model,
                                            bool* weighted = nullptr);

/// A chat request's routing (see the file comment); an unknown model is `protocol`'s 404
/// (InboundProtocol::unknown_model).
Result<ModelRoute> plan_model_route(const std::vector<ModelName>& names, const std::vector<EndpointInfo>& endpoints,
                                    const std::string& default_model, const adapters::inbound::InboundRequest& in,
                                    const InboundProtocol& protocol);

/// The names GET /v1/models lists: configured names and aliases, then each endpoint's
/// model, once each.
std::vector<std::string> listed_model_names(const std::vector<ModelName>& names,
                                            const std::vector<EndpointInfo>& endpoints);

/// For a request asking for logprobs: kInvalidRequest naming `logprobs` when none of the
/// endpoints it may reach (the pin's, the tiers', or all) can return them.
Status check_logprobs_reachable(const std::vector<EndpointInfo>& endpoints, const resilience::RoutePreferences& prefs,
                                const std::string& pin);

}  // namespace ploke::gateway::internal
