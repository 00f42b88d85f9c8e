// A chat request's routing groups (routing_groups.h).
#include "routing_groups.h"

#include <algorithm>

namespace ploke::gateway::internal {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Providers in configured order, once each.
std::vector<std::string> providers_of(const std::vector<EndpointInfo>& endpoints) {
  std::vector<std::string> providers;
  for (const auto& e : endpoints) {
    if (!contains(providers, e.provider)) providers.push_back(e.provider);
  }
  return providers;
}

RoutingGroup pinned(const std::vector<EndpointInfo>& endpoints, std::string pin, const std::string& client_model) {
  std::string m = pin.empty() ? std::string() : model_for_pin(endpoints, pin, client_model);
  return RoutingGroup{std::move(pin), std::move(m)};
}

// Endpoints serving a model (by model, provider/model or endpoint id).
std::vector<const EndpointInfo*> serving(const std::vector<EndpointInfo>& endpoints, const std::string& m) {
  std::vector<const EndpointInfo*> eps;
  for (const auto& e : endpoints) {
    if (e.model == m || e.id == m || (e.provider + "/" + e.model) == m) eps.push_back(&e);
  }
  return eps;
}

}  // namespace

std::string model_for_pin(const std::vector<EndpointInfo>& endpoints, const std::string& pin,
                          const std::string& client_model) {
  std::string m;
  for (const auto& e : endpoints) {
    if (e.id == pin || e.provider == pin || (e.provider + "/" + e.model) == pin) {
      if (e.model == client_model) return {};
      if (!m.empty() && m != e.model) return {};
      m = e.model;
    }
  }
  return m;
}

std::vector<RoutingGroup> provider_preference_groups(const std::vector<EndpointInfo>& endpoints,
                                                     const adapters::inbound::InboundRequest& in) {
  const auto& h = in.hints;
  const std::vector<std::string> providers = providers_of(endpoints);
  std::vector<RoutingGroup> groups;
  auto add = [&](const std::string& p) {
    if (!contains(providers, p) || contains(h.provider_ignore, p)) return;
    if (!h.provider_only.empty() && !contains(h.provider_only, p)) return;
    for (const auto& g : groups) {
      if (g.pin == p) return;
    }
    groups.push_back(pinned(endpoints, p, in.request.model));
  };
  for (const auto& p : h.provider_order) add(p);
  if (!h.provider_only.empty()) {
    for (const auto& p : h.provider_only) add(p);
  } else if (!h.provider_ignore.empty() && h.allow_fallbacks.value_or(true)) {
    for (const auto& p : providers) add(p);
  } else if (h.allow_fallbacks.value_or(true)) {
    groups.push_back(pinned(endpoints, "", in.request.model));  // then anything
  }
  if (groups.empty()) groups.push_back(RoutingGroup{"(no endpoint matches the provider preferences)", {}});
  return groups;
}

std::vector<RoutingGroup> fallback_model_groups(const std::vector<EndpointInfo>& endpoints,
                                                const adapters::inbound::InboundRequest& in) {
  std::vector<RoutingGroup> groups;
  std::vector<std::string> models{in.request.model};
  models.insert(models.end(), in.hints.fallback_models.begin(), in.hints.fallback_models.end());
  for (const auto& m : models) {
    for (const EndpointInfo* e : serving(endpoints, m)) {
      bool dup = false;
      for (const auto& g : groups) dup = dup || g.pin == e->id;
      if (!dup) groups.push_back(RoutingGroup{e->id, e->model});
    }
  }
  return groups;
}

std::vector<RoutingGroup> client_model_groups(const std::vector<EndpointInfo>& endpoints, const std::string& model) {
  auto eps = serving(endpoints, model);
  if (!eps.empty() && eps.size() < endpoints.size()) {
    std::vector<RoutingGroup> groups;
    for (const EndpointInfo* e : eps) groups.push_back(RoutingGroup{e->id, e->model});
    return groups;
  }
  if (!eps.empty() || endpoints.empty()) return {RoutingGroup{}};
  // Nobody serves the client's model: one shared model → the façade picks; else each
  // endpoint in turn with its own model.
  bool one_model = true;
  for (const auto& e : endpoints) one_model = one_model && e.model == endpoints.front().model;
  if (one_model) return {RoutingGroup{"", endpoints.front().model}};
  std::vector<RoutingGroup> groups;
  for (const auto& e : endpoints) groups.push_back(RoutingGroup{e.id, e.model});
  return groups;
}

std::vector<RoutingGroup> plan_routing_groups(const std::vector<EndpointInfo>& endpoints,
                                              const adapters::inbound::InboundRequest& in) {
  const auto& h = in.hints;
  if (!h.pin.empty()) return {pinned(endpoints, h.pin, in.request.model)};
  if (!h.provider_order.empty() || !h.provider_only.empty() || !h.provider_ignore.empty()) {
    return provider_preference_groups(endpoints, in);
  }
  if (!h.fallback_models.empty()) {
    auto groups = fallback_model_groups(endpoints, in);
    if (!groups.empty()) return groups;
  }
  return client_model_groups(endpoints, in.request.model);
}

Status keep_logprob_groups(const std::vector<EndpointInfo>& endpoints, std::vector<RoutingGroup>& groups) {
  auto capable = [&](const RoutingGroup& g) {
    bool matched = false;
    for (const auto& e : endpoints) {
      if (!g.pin.empty() && e.id != g.pin && e.provider != g.pin && (e.provider + "/" + e.model) != g.pin) continue;
      if (e.logprobs) return true;
      matched = true;
    }
    return !matched;  // no endpoint matches: the façade names that problem
  };
  std::erase_if(groups, [&](const RoutingGroup& g) { return !capable(g); });
  if (!groups.empty()) return Status::Ok();
  return InvalidRequestError(
      "logprobs: the endpoints serving this request cannot return log probabilities (Anthropic Messages has none)");
}

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

}  // namespace ploke::gateway::internal
