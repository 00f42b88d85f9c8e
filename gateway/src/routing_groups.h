// File: routing_groups.h (private to ploke::gateway)
//
// A chat request's routing groups: the sequence of façade calls the gateway makes, each
// pinned to an endpoint or provider (or unpinned) with the model to ask for. The next
// group runs only when the previous one failed with an error another endpoint may fix
// (ends_groups()). How a request's hints become groups:
//   - a pin (ploke.provider / x-ploke-provider): that one group;
//   - provider preferences (provider_order, provider_only, provider_ignore,
//     allow_fallbacks): one group per preferred provider, then (fallbacks allowed) the
//     rest or anything;
//   - fallback models: each endpoint serving the client's model, then each serving the
//     next model;
//   - otherwise the endpoints serving the client's model (when not all do), one unpinned
//     group (everyone serves it, or no endpoint at all), or, when nobody serves it, the
//     one shared model or each endpoint in turn with its own model.
#pragma once

#include <string>
#include <vector>

#include "ploke/adapters/inbound.h"
#include "ploke/core/status.h"
#include "ploke/gateway/gateway.h"

namespace ploke::gateway::internal {

/// One pinned (or unpinned: pin "") façade call, with the model to ask for ("" = the
/// client's).
struct RoutingGroup {
  std::string pin, model;
  friend bool operator==(const RoutingGroup&, const RoutingGroup&) = default;
};

/// The model a pin (endpoint id, provider or provider/model) should be asked for: ""
/// when one of its endpoints serves `client_model` or its endpoints serve different
/// models; else their one model.
std::string model_for_pin(const std::vector<EndpointInfo>& endpoints, const std::string& pin,
                          const std::string& client_model);

/// The groups for provider preferences (order, only, ignore, allow_fallbacks); one group
/// naming the problem as its pin when no endpoint matches.
std::vector<RoutingGroup> provider_preference_groups(const std::vector<EndpointInfo>& endpoints,
                                                     const adapters::inbound::InboundRequest& in);

/// Every endpoint serving the client's model, then the fallback models, once each.
std::vector<RoutingGroup> fallback_model_groups(const std::vector<EndpointInfo>& endpoints,
                                                const adapters::inbound::InboundRequest& in);

/// The groups when the client names only a model (see the file comment).
std::vector<RoutingGroup> client_model_groups(const std::vector<EndpointInfo>& endpoints, const std::string& model);

/// All of the above, in the order of the file comment.
std::vector<RoutingGroup> plan_routing_groups(const std::vector<EndpointInfo>& endpoints,
                                              const adapters::inbound::InboundRequest& in);

/// For a request asking for logprobs: drops the groups whose pin matches only endpoints
/// that cannot supply them (EndpointInfo::logprobs; an unpinned group needs one such
/// endpoint, the router then skips the others). kInvalidRequest naming `logprobs` when no
/// group is left.
Status keep_logprob_groups(const std::vector<EndpointInfo>& endpoints, std::vector<RoutingGroup>& groups);

/// Errors another endpoint cannot fix (invalid request, cancelled, stream interrupted,
/// content filter, the total deadline passed) end the sequence.
bool ends_groups(const Status& st);

}  // namespace ploke::gateway::internal
