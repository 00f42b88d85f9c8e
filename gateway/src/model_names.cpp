// A request's model name and routing hints → one façade call's preferences (model_names.h).
#include "model_names.h"

#include <algorithm>

namespace ploke::gateway::internal {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

bool names_endpoint(const EndpointInfo& e, const std::string& m) {
  return e.model == m || e.id == m || (e.provider + "/" + e.model) == m || e.provider == m;
}

const ModelName* configured(const std::vector<ModelName>& names, const std::string& model) {
  for (const auto& n : names) {
    if (n.name == model || contains(n.aliases, model)) return &n;
  }
  return nullptr;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::vector<std::string> endpoints_for_name(const std::vector<ModelName>& names,
                                            const std::vector<EndpointInfo>& endpoints, const std::string& model,
                                            bool* weighted) {
  if (const ModelName* n = configured(names, model)) {
    if (weighted != nullptr) *weighted = n->weighted;
    return n->endpoints;
  }
  std::vector<std::string> ids;
  for (const auto& e : endpoints) {
    const bool provider_slash_model = model.size() == e.provider.size() + 1 + e.model.size() &&
                                      model.compare(0, e.provider.size(), e.provider) == 0 &&
                                      model[e.provider.size()] == '/' &&
                                      model.compare(e.provider.size() + 1, std::string::npos, e.model) == 0;
    if (e.model == model || e.id == model || provider_slash_model) ids.push_back(e.id);
  }
  return ids;
}

}  // namespace ploke::gateway::internal

namespace ploke::gateway {
bool model_name_resolves(const std::vector<ModelName>& names, const std::vector<EndpointInfo>& endpoints,
                         const std::string& model) {
  return !internal::endpoints_for_name(names, endpoints, model).empty();
}
}  // namespace ploke::gateway

namespace ploke::gateway::internal {

namespace {

// OpenRouter's shortcuts: "MODEL:nitro" sorts providers by throughput, "MODEL:floor" by
// price. Sets `sort` and returns MODEL; any other name as it is.
std::string strip_sort_suffix(const std::string& model, std::string& sort) {
  for (const auto& [suffix, by] : {std::pair<std::string_view, const char*>{":nitro", "throughput"}, {":floor", "price"}}) {
    if (model.size() > suffix.size() && model.compare(model.size() - suffix.size(), suffix.size(), suffix) == 0) {
      sort = by;
      return model.substr(0, model.size() - suffix.size());
    }
  }
  return model;
}

// A provider sort as the façade's policy (the client's own policy wins), said in the trace.
void apply_sort(const std::string& sort, const std::string& client_policy, ModelRoute& r) {
  if (sort.empty() || !client_policy.empty()) return;
  std::string note;
  if (sort == "price") {
    r.policy = "cost";
  } else if (sort == "latency") {
    r.policy = "latency";
  } else if (sort == "throughput") {
    r.policy = "throughput";
  } else {
    note = " is not supported: ignored";
  }
  r.note += (r.note.empty() ? "" : "; ") + std::string("gateway: provider sort '") + sort + "'" +
            (r.policy.empty() ? "" : " → policy " + r.policy) + note;
}

}  // namespace

Result<ModelRoute> plan_model_route(const std::vector<ModelName>& names, const std::vector<EndpointInfo>& endpoints,
                                    const std::string& default_model, const adapters::inbound::InboundRequest& in,
                                    const InboundProtocol& protocol) {
  ModelRoute r;
  const auto& h = in.hints;
  std::string sort = h.sort;
  const std::string model = endpoints_for_name(names, endpoints, in.request.model).empty()
                                ? strip_sort_suffix(in.request.model, sort)
                                : in.request.model;
  bool weighted = false;
  std::vector<std::string> first = endpoints_for_name(names, endpoints, model, &weighted);
  if (!first.empty() && configured(names, model) != nullptr) r.note = "gateway: model '" + model + "' → " + joined(first);
  if (weighted && h.policy.empty()) r.policy = "weighted";
  std::string unknown = first.empty() ? "'" + model + "'" : "";
  if (!first.empty()) r.prefs.tiers.push_back(std::move(first));
  for (const std::string& m : h.fallback_models) {
    std::vector<std::string> tier = endpoints_for_name(names, endpoints, m);
    if (tier.empty()) unknown += (unknown.empty() ? "'" : ", '") + m + "'";
    if (!tier.empty()) r.prefs.tiers.push_back(std::move(tier));
  }
  if (r.prefs.tiers.empty() && !default_model.empty()) {
    std::vector<std::string> d = endpoints_for_name(names, endpoints, default_model, &weighted);
    if (!d.empty()) r.prefs.tiers.push_back(std::move(d));
    if (weighted && h.policy.empty()) r.policy = "weighted";
    r.note = "gateway: model '" + model + "' is not configured: the default model '" + default_model + "'";
  } else if (!unknown.empty() && !r.prefs.tiers.empty()) {
    r.note += (r.note.empty() ? "" : "; ") + std::string("gateway: skipped unknown model names ") + unknown;
  }
  if (r.prefs.tiers.empty()) return protocol.unknown_model(model);
  if (!h.pin.empty()) r.prefs.tiers.clear();  // the pin picks the endpoint
  // A single tier that admits every endpoint restricts nothing.
  if (r.prefs.tiers.size() == 1 && r.prefs.tiers.front().size() == endpoints.size()) r.prefs.tiers.clear();
  r.prefs.provider_order = h.provider_order;
  r.prefs.provider_only = h.provider_only;
  r.prefs.provider_ignore = h.provider_ignore;
  r.prefs.allow_fallbacks = h.allow_fallbacks.value_or(true) || h.provider_order.empty();
  apply_sort(sort, h.policy, r);
  return r;
}

std::vector<std::string> listed_model_names(const std::vector<ModelName>& names,
                                            const std::vector<EndpointInfo>& endpoints) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& s) {
    if (!s.empty() && !contains(out, s)) out.push_back(s);
  };
  for (const auto& n : names) {
    add(n.name);
    for (const auto& a : n.aliases) add(a);
  }
  for (const auto& e : endpoints) add(e.model);
  return out;
}

Status check_logprobs_reachable(const std::vector<EndpointInfo>& endpoints, const resilience::RoutePreferences& prefs,
                                const std::string& pin) {
  for (const auto& e : endpoints) {
    if (!pin.empty() && !names_endpoint(e, pin)) continue;
    bool in_tier = prefs.tiers.empty();
    for (const auto& t : prefs.tiers) in_tier = in_tier || contains(t, e.id);
    if (!in_tier) continue;
    if (e.logprobs) return Status::Ok();
  }
  return InvalidRequestError(
      "logprobs: the endpoints serving this request cannot return log probabilities (Anthropic Messages has none)");
}

}  // namespace ploke::gateway::internal
