// OpenRouter's `provider` preferences object: the one parser (strict for the simulated
// OpenRouter, pass-through for the gateway). See ploke/adapters/openrouter/provider_json.h.
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ploke/adapters/openrouter/provider_json.h"

namespace ploke::adapters::openrouter {
namespace {

using nlohmann::json;
using Problem = std::optional<std::string>;

bool known_key(const std::string& k) {
  static const char* const kKnown[] = {"order", "allow_fallbacks", "require_parameters", "data_collection", "zdr",
                                       "enforce_distillable_text", "only", "ignore", "quantizations", "sort",
                                       "max_price", "preferred_min_throughput", "preferred_max_latency",
                                       "experimental"};
  for (const char* known : kKnown) {
    if (k == known) return true;
  }
  return false;
}

std::string unrecognized(const std::string& keys) { return "Unrecognized key(s) in object: " + keys; }

Problem string_list(const json& v, const std::string& key, std::vector<std::string>& out) {
  if (!v.is_array()) return "provider." + key + ": expected an array of strings";
  for (const json& s : v) {
    if (!s.is_string()) return "provider." + key + ": expected an array of strings";
    out.push_back(s.get<std::string>());
  }
  return std::nullopt;
}

std::optional<double> price_value(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

Problem max_price(const json& v, OpenRouterPreferences& out) {
  if (!v.is_object()) return std::string("provider.max_price: expected an object");
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    std::optional<double>* slot = k == "prompt"       ? &out.max_price_prompt
                                  : k == "completion" ? &out.max_price_completion
                                  : k == "request"    ? &out.max_price_request
                                  : k == "image"      ? &out.max_price_image
                                  : k == "audio"      ? &out.max_price_audio
                                                      : nullptr;
    if (slot == nullptr) return unrecognized("'" + k + "'");
    *slot = price_value(it.value());
    if (!*slot) return "provider.max_price." + k + ": expected a number";
  }
  return std::nullopt;
}

Problem sort(const json& v, ProviderChecks checks, OpenRouterPreferences& out) {
  if (checks == ProviderChecks::kPassThrough) {
    if (v.is_string()) out.sort = v.get<std::string>();
    else out.extra.emplace_back("sort", v.dump());
    return std::nullopt;
  }
  const json* s = &v;
  if (v.is_object()) {
    auto by = v.find("by");
    if (by == v.end()) return std::string("provider.sort.by: required");
    s = &*by;
  }
  if (!s->is_string() || (*s != "price" && *s != "throughput" && *s != "latency" && *s != "exacto")) {
    return std::string("provider.sort: expected 'price' | 'throughput' | 'latency' | 'exacto'");
  }
  out.sort = s->get<std::string>();
  return std::nullopt;
}

Problem boolean(const json& v, const std::string& k, OpenRouterPreferences& out) {
  if (!v.is_boolean()) return "provider." + k + ": expected a boolean";
  const bool b = v.get<bool>();
  if (k == "allow_fallbacks") out.allow_fallbacks = b;
  else if (k == "require_parameters") out.require_parameters = b;
  else if (k == "zdr") out.zdr = b;
  else out.extra.emplace_back(k, v.dump());
  return std::nullopt;
}

Problem member(const std::string& k, const json& v, ProviderChecks checks, OpenRouterPreferences& out) {
  if (k == "order") return string_list(v, k, out.order);
  if (k == "only") return string_list(v, k, out.only);
  if (k == "ignore") return string_list(v, k, out.ignore);
  if (k == "quantizations") return string_list(v, k, out.quantizations);
  if (k == "allow_fallbacks" || k == "require_parameters" || k == "zdr" || k == "enforce_distillable_text") {
    return boolean(v, k, out);
  }
  if (k == "data_collection") {
    if (!v.is_string() || (v != "allow" && v != "deny")) return std::string("provider.data_collection: expected 'allow' | 'deny'");
    out.data_collection = v.get<std::string>();
    return std::nullopt;
  }
  if (k == "sort") return sort(v, checks, out);
  if (k == "max_price") return max_price(v, out);
  out.extra.emplace_back(k, v.dump());  // known without a typed member, or passed through
  return std::nullopt;
}

}  // namespace

Status parse_openrouter_provider(const json& p, ProviderChecks checks, OpenRouterPreferences& out) {
  if (!p.is_object()) return InvalidRequestError("provider: expected an object");
  if (checks == ProviderChecks::kStrict) {
    std::string unknown;
    for (auto it = p.begin(); it != p.end(); ++it) {
      if (!known_key(it.key())) unknown += (unknown.empty() ? "'" : ", '") + it.key() + "'";
    }
    if (!unknown.empty()) return InvalidRequestError(unrecognized(unknown));
  }
  for (auto it = p.begin(); it != p.end(); ++it) {
    if (it.value().is_null()) continue;
    if (Problem e = member(it.key(), it.value(), checks, out)) return InvalidRequestError(*e);
  }
  return Status::Ok();
}

}  // namespace ploke::adapters::openrouter
