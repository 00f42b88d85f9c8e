// The simulated OpenRouter: catalog, routing by provider preferences, reshaped completions,
// /generation, /key, /credits, schema drift. See openrouter_wire.h and simulator/README.md.
#include "openrouter_wire.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <set>

#include "ploke/core/secret.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::sim {

namespace detail {
namespace {

using OJson = nlohmann::ordered_json;

std::string url_decode(std::string_view s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      const int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h >= 0 && l >= 0) {
        o += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    o += s[i];
  }
  return o;
}

std::string query_param(std::string_view path, std::string_view name) {
  const size_t q = path.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view qs = path.substr(q + 1);
  while (!qs.empty()) {
    const size_t amp = qs.find('&');
    std::string_view kv = qs.substr(0, amp);
    const size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? std::string() : url_decode(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    qs.remove_prefix(amp + 1);
  }
  return {};
}

OpenRouterDrift drift_for(const HttpRequest& req, const OpenRouterDrift& base) {
  auto h = req.headers.get("x-ploke-sim-drift");
  if (!h) return base;
  OpenRouterDrift d;
  const std::string v = lower(*h);
  if (v.find("all") != std::string::npos) return OpenRouterDrift{true, true, true};
  d.unknown_enums = v.find("unknown_enums") != std::string::npos;
  d.numeric_prices = v.find("numeric_prices") != std::string::npos;
  d.extra_fields = v.find("extra_fields") != std::string::npos;
  return d;
}

std::optional<std::string> bearer(const HttpRequest& req) {
  auto a = req.headers.get("authorization");
  if (!a || a->size() < 8 || lower(a->substr(0, 7)) != "bearer ") return std::nullopt;
  std::string key(a->substr(7));
  if (key.empty()) return std::nullopt;
  return key;
}

// "sk-or-v1-abc...123" (OpenRouter's label shape); never the whole key.
std::string key_label(const std::string& key) {
  if (key.size() <= 12) return "sk-...";
  return key.substr(0, std::min<size_t>(12, key.size() / 3)) + "..." + key.substr(key.size() - 3);
}

// ---- Provider preferences -------------------------------------------------------------

struct Prefs {
  std::vector<std::string> order, only, ignore, quantizations;
  bool allow_fallbacks = true;
  bool require_parameters = false;
  bool deny_data_collection = false;
  std::string sort;  // "", price, throughput, latency
  std::optional<double> max_prompt, max_completion, max_request;  // per million tokens / per request
};

std::optional<std::string> string_list(const Json& v, const char* key, std::vector<std::string>& out) {
  if (!v.is_array()) return std::string("provider.") + key + ": expected an array of strings";
  for (const Json& s : v) {
    if (!s.is_string()) return std::string("provider.") + key + ": expected an array of strings";
    out.push_back(s.get<std::string>());
  }
  return std::nullopt;
}

std::optional<double> price_value(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try {
      size_t used = 0;
      const double d = std::stod(v.get<std::string>(), &used);
      if (used == v.get_ref<const std::string&>().size()) return d;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

/// Parses `provider`; the error message is OpenRouter's 400 text.
std::optional<std::string> parse_prefs(const Json& p, Prefs& out) {
  if (!p.is_object()) return std::string("provider: expected an object");
  static const std::set<std::string> kKnown = {
      "order", "allow_fallbacks", "require_parameters", "data_collection", "zdr", "enforce_distillable_text", "only",
      "ignore", "quantizations", "sort", "max_price", "preferred_min_throughput", "preferred_max_latency", "experimental"};
  std::string unknown;
  for (auto it = p.begin(); it != p.end(); ++it) {
    if (!kKnown.count(it.key())) unknown += (unknown.empty() ? "'" : ", '") + it.key() + "'";
  }
  if (!unknown.empty()) return "Unrecognized key(s) in object: " + unknown;
  for (auto it = p.begin(); it != p.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (v.is_null()) continue;
    std::optional<std::string> err;
    if (k == "order") err = string_list(v, "order", out.order);
    else if (k == "only") err = string_list(v, "only", out.only);
    else if (k == "ignore") err = string_list(v, "ignore", out.ignore);
    else if (k == "quantizations") err = string_list(v, "quantizations", out.quantizations);
    else if (k == "allow_fallbacks" || k == "require_parameters" || k == "zdr" || k == "enforce_distillable_text") {
      if (!v.is_boolean()) return "provider." + k + ": expected a boolean";
      if (k == "allow_fallbacks") out.allow_fallbacks = v.get<bool>();
      if (k == "require_parameters") out.require_parameters = v.get<bool>();
    } else if (k == "data_collection") {
      if (!v.is_string() || (v != "allow" && v != "deny")) return std::string("provider.data_collection: expected 'allow' | 'deny'");
      out.deny_data_collection = v == "deny";
    } else if (k == "sort") {
      const Json* s = &v;
      if (v.is_object()) {
        auto by = v.find("by");
        if (by == v.end()) return std::string("provider.sort.by: required");
        s = &*by;
      }
      if (!s->is_string() || (*s != "price" && *s != "throughput" && *s != "latency" && *s != "exacto")) {
        return std::string("provider.sort: expected 'price' | 'throughput' | 'latency' | 'exacto'");
      }
      out.sort = s->get<std::string>();
    } else if (k == "max_price") {
      if (!v.is_object()) return std::string("provider.max_price: expected an object");
      for (auto mp = v.begin(); mp != v.end(); ++mp) {
        const std::string& mk = mp.key();
        if (mk != "prompt" && mk != "completion" && mk != "request" && mk != "image" && mk != "audio") {
          return "Unrecognized key(s) in object: '" + mk + "'";
        }
        auto val = price_value(mp.value());
        if (!val) return "provider.max_price." + mk + ": expected a number";
        if (mk == "prompt") out.max_prompt = val;
        if (mk == "completion") out.max_completion = val;
        if (mk == "request") out.max_request = val;
      }
    }
    if (err) return err;
  }
  return std::nullopt;
}

bool slug_matches(const OrEndpoint& e, const std::string& want) {
  const std::string w = lower(want);
  const std::string tag = lower(e.tag);
  if (tag == w || lower(e.provider_name) == w) return true;
  const size_t slash = tag.find('/');  // "deepinfra" matches "deepinfra/fp4"
  return slash != std::string::npos && tag.substr(0, slash) == w;
}

bool any_matches(const OrEndpoint& e, const std::vector<std::string>& list) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return slug_matches(e, s); });
}

// The request parameters an endpoint must support under require_parameters.
std::vector<std::string> used_params(const Json& b) {
  std::vector<std::string> out;
  for (const char* k : {"temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty", "tools",
                        "tool_choice", "response_format", "top_k", "logit_bias", "logprobs", "top_logprobs",
                        "min_p", "top_a", "repetition_penalty", "reasoning"}) {
    if (b.contains(k) && !b[k].is_null()) out.emplace_back(k);
  }
  if (b.contains("max_tokens") || b.contains("max_completion_tokens")) out.emplace_back("max_tokens");
  return out;
}

struct Routing {
  std::vector<const OrEndpoint*> endpoints;  // in the order they are tried
  int status = 0;                            // error when endpoints is empty
  std::string message;
};

Routing route_endpoints(const OrModel& m, const Prefs& p, const Json& b, std::string sort, Random& rng) {
  Routing r;
  const bool wants_tools = (b.contains("tools") && b["tools"].is_array() && !b["tools"].empty()) ||
                           (b.contains("tool_choice") && !b["tool_choice"].is_null() && b["tool_choice"] != "none");
  std::optional<uint64_t> max_tokens;
  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    if (b.contains(k) && b[k].is_number_unsigned()) max_tokens = b[k].get<uint64_t>();
  }
  const std::vector<std::string> params = p.require_parameters ? used_params(b) : std::vector<std::string>{};
  std::vector<const OrEndpoint*> c;
  for (const auto& e : m.endpoints) c.push_back(&e);
  auto filter = [&](auto pred, int status, std::string msg) {
    if (c.empty()) return;
    std::vector<const OrEndpoint*> kept;
    for (const OrEndpoint* e : c) if (pred(*e)) kept.push_back(e);
    c = std::move(kept);
    if (c.empty()) { r.status = status; r.message = std::move(msg); }
  };
  const std::string routing_link = " To learn more about provider routing, visit: https://openrouter.ai/docs/provider-routing";
  if (!p.only.empty()) filter([&](const OrEndpoint& e) { return any_matches(e, p.only); }, 404,
                              "No allowed providers are available for the selected model.");
  if (!p.ignore.empty()) filter([&](const OrEndpoint& e) { return !any_matches(e, p.ignore); }, 404,
                                "No allowed providers are available for the selected model.");
  if (!p.quantizations.empty()) {
    filter([&](const OrEndpoint& e) {
      return std::any_of(p.quantizations.begin(), p.quantizations.end(),
                         [&](const std::string& q) { return lower(q) == e.quantization; });
    }, 404, "No endpoints found matching your quantization requirements." + routing_link);
  }
  if (p.deny_data_collection) {
    filter([](const OrEndpoint& e) { return !e.collects_data; }, 404,
           "No endpoints found matching your data policy (Paid model training). Configure: "
           "https://openrouter.ai/settings/privacy");
  }
  if (wants_tools) filter([](const OrEndpoint& e) { return e.tools; }, 404, "No endpoints found that support tool use." + routing_link);
  if (!params.empty()) {
    filter([&](const OrEndpoint& e) {
      const auto sp = params_of(e, OpenRouterDrift{});
      return std::all_of(params.begin(), params.end(), [&](const std::string& q) {
        return std::find(sp.begin(), sp.end(), q) != sp.end();
      });
    }, 404, "No endpoints found that can handle the requested parameters." + routing_link);
  }
  if (max_tokens) {
    filter([&](const OrEndpoint& e) { return !e.max_completion_tokens || *e.max_completion_tokens >= *max_tokens; }, 404,
           "No endpoints found that support the requested max_tokens." + routing_link);
  }
  if (p.max_prompt || p.max_completion || p.max_request) {
    filter([&](const OrEndpoint& e) {
      return (!p.max_prompt || e.prompt * 1e6 <= *p.max_prompt + 1e-12) &&
             (!p.max_completion || e.completion * 1e6 <= *p.max_completion + 1e-12) &&
             (!p.max_request || e.request <= *p.max_request + 1e-12);
    }, 404, "No endpoints found that meet your price requirements (max_price)." + routing_link);
  }
  if (c.empty()) return r;
  // Ordering: `order` first (in its order), then the rest by sort, or load-balanced
  // (weighted by inverse square of price among endpoints with good uptime).
  std::vector<const OrEndpoint*> ordered;
  for (const std::string& slug : p.order) {
    for (const OrEndpoint* e : c) {
      if (slug_matches(*e, slug) && std::find(ordered.begin(), ordered.end(), e) == ordered.end()) ordered.push_back(e);
    }
  }
  std::vector<const OrEndpoint*> rest;
  for (const OrEndpoint* e : c) if (std::find(ordered.begin(), ordered.end(), e) == ordered.end()) rest.push_back(e);
  auto cost = [](const OrEndpoint* e) { return e->prompt + e->completion; };
  if (sort == "price") {
    std::stable_sort(rest.begin(), rest.end(), [&](auto a, auto b2) { return cost(a) < cost(b2); });
  } else if (sort == "throughput" || sort == "exacto") {
    std::stable_sort(rest.begin(), rest.end(), [](auto a, auto b2) { return a->speed < b2->speed; });
  } else if (sort == "latency") {
    std::stable_sort(rest.begin(), rest.end(), [](auto a, auto b2) { return a->speed < b2->speed; });
  } else if (p.order.empty()) {
    // Load balancing: a seeded weighted draw for the first; the others by price.
    std::stable_sort(rest.begin(), rest.end(), [&](auto a, auto b2) { return cost(a) < cost(b2); });
    std::vector<double> w;
    double total = 0;
    for (const OrEndpoint* e : rest) {
      const double c0 = std::max(cost(e), 1e-9);
      double wi = 1.0 / (c0 * c0);
      if (e->uptime < 95.0) wi *= 0.05;  // recently unstable endpoints are deprioritised
      w.push_back(wi);
      total += wi;
    }
    double x = rng.uniform01() * total;
    for (size_t i = 0; i < rest.size(); ++i) {
      x -= w[i];
      if (x <= 0 || i + 1 == rest.size()) {
        std::rotate(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(i), rest.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        break;
      }
    }
  }
  if (!p.allow_fallbacks) {
    // Only the requested providers (or, without `order`, only the first choice).
    if (p.order.empty() && !rest.empty()) ordered.push_back(rest.front());
    if (ordered.empty()) {
      r.status = 404;
      r.message = "No allowed providers are available for the selected model.";
      return r;
    }
    r.endpoints = std::move(ordered);
    return r;
  }
  ordered.insert(ordered.end(), rest.begin(), rest.end());
  r.endpoints = std::move(ordered);
  return r;
}

std::string native_reason(const OrEndpoint& e, const std::string& reason) {
  if (e.provider_name == "Anthropic" || e.provider_name == "Amazon Bedrock") {
    if (reason == "stop") return "end_turn";
    if (reason == "tool_calls") return "tool_use";
    if (reason == "length") return "max_tokens";
  }
  if (e.provider_name.rfind("Google", 0) == 0) {
    if (reason == "stop" || reason == "tool_calls") return "STOP";
    if (reason == "length") return "MAX_TOKENS";
  }
  return reason;
}

std::string gen_id(int64_t created, Random& rng) { return "gen-" + std::to_string(created) + "-" + rng.alnum(20); }

// Reshapes one OpenAI object (completion or chunk) into OpenRouter's.
OJson reshape(const OJson& in, const std::string& id, const std::string& model, const OrEndpoint& e,
              const OpenRouterDrift& d, bool chunk) {
  OJson o = OJson::object();
  o["id"] = id;
  o["provider"] = e.provider_name;
  o["model"] = model;
  o["object"] = in.value("object", chunk ? "chat.completion.chunk" : "chat.completion");
  o["created"] = in.value("created", 0);
  if (in.contains("system_fingerprint")) o["system_fingerprint"] = in["system_fingerprint"];
  if (auto ch = in.find("choices"); ch != in.end() && ch->is_array()) {
    OJson choices = OJson::array();
    for (const OJson& c : *ch) {
      OJson nc = OJson::object();
      for (auto it = c.begin(); it != c.end(); ++it) {
        nc[it.key()] = it.value();
        if (it.key() == "finish_reason") {
          nc["native_finish_reason"] = it.value().is_string()
                                           ? OJson(native_reason(e, it.value().get<std::string>()))
                                           : OJson(nullptr);
        }
      }
      choices.push_back(std::move(nc));
    }
    o["choices"] = std::move(choices);
  }
  if (auto u = in.find("usage"); u != in.end() && u->is_object()) {
    OJson nu = *u;
    const double pt = u->value("prompt_tokens", 0.0), ct = u->value("completion_tokens", 0.0);
    const double cost = pt * e.prompt + ct * e.completion + e.request;
    nu["cost"] = cost;
    nu["is_byok"] = false;
    nu["cost_details"] = {{"upstream_inference_cost", nullptr},
                          {"upstream_inference_prompt_cost", pt * e.prompt},
                          {"upstream_inference_completions_cost", ct * e.completion}};
    o["usage"] = std::move(nu);
  }
  if (d.extra_fields && !chunk) o["openrouter_metadata"] = {{"router", "ploke-sim"}, {"attempts", 1}};
  return o;
}

}  // namespace

// ---- OpenRouterSim ----------------------------------------------------------------------

OpenRouterSim::OpenRouterSim(const SimOptions& options, Clock& clock)
    : options_(options.openrouter), clock_(clock), seed_(options.seed) {
  gen_opts_.seed = options.seed;
  gen_opts_.latency = options.latency;
  gen_opts_.length = options.length;
  gen_opts_.tool_call_probability = options.tool_call_probability;
  gen_opts_.n_tool_calls = options.n_tool_calls;
  gen_opts_.tool_argument_fragments = options.tool_argument_fragments;
  gen_opts_.system_fingerprint = options.system_fingerprint;
  gen_opts_.rate_limits = options.rate_limits;
}

void OpenRouterSim::ensure_catalog() const {
  std::call_once(once_, [this] {
    models_ = build_openrouter_catalog(options_, seed_);
    for (size_t i = 0; i < models_.size(); ++i) index_.emplace(models_[i].id, i);
    models_body_ = render_models(models_, options_.drift);
    SimOptions& gen = gen_opts_;
    gen.models.clear();
    for (const auto& m : models_) gen.models.push_back(ModelInfo{m.id, m.created, m.id.substr(0, m.id.find('/'))});
  });
}

const OrModel* OpenRouterSim::find_model(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &models_[it->second];
}

ScriptedResponse OpenRouterSim::json_response(int status, std::string body, const RequestContext& ctx) const {
  ScriptedResponse r;
  r.status = status;
  r.headers.add("content-type", "application/json");
  r.headers.add("x-request-id", ctx.request_id);
  r.chunks.push_back(TimedChunk{Duration{0}, std::move(body)});
  return r;
}

ScriptedResponse OpenRouterSim::error(int status, const std::string& message, const RequestContext& ctx,
                                      const std::string& metadata_json) const {
  OJson e = {{"code", status}, {"message", message}};
  if (!metadata_json.empty()) e["metadata"] = OJson::parse(metadata_json);
  return json_response(status, OJson{{"error", std::move(e)}}.dump(), ctx);
}

ScriptedResponse OpenRouterSim::route(const HttpRequest& request, const std::string& path, bool is_post, bool is_get,
                                      const Json* body, const RequestContext& ctx, Random& rng, double slow,
                                      TimePoint arrival) {
  ensure_catalog();
  if (path == kOpenRouterChatPath) {
    if (!is_post) return error(405, "Method Not Allowed", ctx);
    return chat(body, request, ctx, rng, slow, arrival);
  }
  if (!is_get) return error(404, "Not Found", ctx);
  const OpenRouterDrift drift = drift_for(request, options_.drift);
  const bool default_drift = !request.headers.has("x-ploke-sim-drift");
  if (path == "/api/v1/models" || path == "/api/v1/models/user") {
    return json_response(200, default_drift ? models_body_ : render_models(models_, drift), ctx);
  }
  constexpr std::string_view kModels = "/api/v1/models/";
  constexpr std::string_view kEndpoints = "/endpoints";
  if (path.rfind(kModels, 0) == 0 && path.size() > kModels.size() + kEndpoints.size() &&
      path.compare(path.size() - kEndpoints.size(), kEndpoints.size(), kEndpoints) == 0) {
    const std::string id = url_decode(
        std::string_view(path).substr(kModels.size(), path.size() - kModels.size() - kEndpoints.size()));
    const OrModel* m = find_model(id);
    if (m == nullptr) return error(404, "No endpoints found for " + id + ".", ctx);
    return json_response(200, render_endpoints(*m, drift), ctx);
  }
  if (path == "/api/v1/generation") {
    const std::string id = query_param(request.path, "id");
    if (id.empty()) return error(400, "Missing required query parameter: id", ctx);
    MutexLock lock(mu_);
    auto it = generations_.find(id);
    if (it == generations_.end() || clock_.now() < it->second.ready_at) {
      return error(404, "Generation " + id + " not found", ctx);
    }
    return json_response(200, "{\"data\":" + it->second.json + "}", ctx);
  }
  if (path == "/api/v1/key" || path == "/api/v1/auth/key" || path == "/api/v1/credits") {
    auto key = bearer(request);
    if (!key) return error(401, "No auth credentials found", ctx);
    MutexLock lock(mu_);
    if (path == "/api/v1/credits") {
      return json_response(200, OJson{{"data", {{"total_credits", options_.total_credits}, {"total_usage", usage_usd_}}}}.dump(), ctx);
    }
    OJson d = OJson::object();
    d["label"] = key_label(*key);
    d["limit"] = options_.key_limit ? OJson(*options_.key_limit) : OJson(nullptr);
    d["limit_reset"] = options_.key_limit ? OJson("monthly") : OJson(nullptr);
    d["limit_remaining"] = options_.key_limit ? OJson(std::max(0.0, *options_.key_limit - usage_usd_)) : OJson(nullptr);
    d["include_byok_in_limit"] = false;
    for (const char* k : {"usage", "usage_daily", "usage_weekly", "usage_monthly"}) d[k] = usage_usd_;
    for (const char* k : {"byok_usage", "byok_usage_daily", "byok_usage_weekly", "byok_usage_monthly"}) d[k] = 0;
    d["is_free_tier"] = false;
    d["is_management_key"] = false;
    d["expires_at"] = nullptr;
    d["creator_user_id"] = "user_sim";
    d["rate_limit"] = {{"requests", 1000}, {"interval", "1h"}, {"note", "deprecated"}};
    return json_response(200, OJson{{"data", std::move(d)}}.dump(), ctx);
  }
  return error(404, "Not Found", ctx);
}

ScriptedResponse OpenRouterSim::chat(const Json* body, const HttpRequest& request, const RequestContext& ctx,
                                     Random& rng, double slow, TimePoint arrival) {
  if (body == nullptr || !body->is_object()) return error(400, "Invalid JSON in request body", ctx);
  const Json& b = *body;
  const bool has_messages = b.contains("messages") && b["messages"].is_array() && !b["messages"].empty();
  const bool has_prompt = b.contains("prompt") && b["prompt"].is_string();
  if (!has_messages && !has_prompt) return error(400, "Input required: specify \"prompt\" or \"messages\"", ctx);
  Prefs prefs;
  if (auto p = b.find("provider"); p != b.end() && !p->is_null()) {
    if (auto err = parse_prefs(*p, prefs)) return error(400, *err, ctx);
  }
  // Candidate models: `model`, then the `models` fallbacks.
  std::vector<std::string> candidates;
  if (auto m = b.find("model"); m != b.end() && m->is_string() && !m->get<std::string>().empty()) {
    candidates.push_back(m->get<std::string>());
  }
  if (auto ms = b.find("models"); ms != b.end() && !ms->is_null()) {
    if (!ms->is_array()) return error(400, "models: expected an array of model ids", ctx);
    for (const Json& m : *ms) {
      if (!m.is_string()) return error(400, "models: expected an array of model ids", ctx);
      if (std::find(candidates.begin(), candidates.end(), m.get<std::string>()) == candidates.end()) {
        candidates.push_back(m.get<std::string>());
      }
    }
  }
  if (candidates.empty()) return error(400, "No models provided", ctx);
  struct Candidate { const OrModel* model; std::string sort; };
  std::vector<Candidate> models;
  for (const std::string& id : candidates) {
    const OrModel* m = find_model(id);
    std::string sort = prefs.sort;
    for (const char* suffix : {":nitro", ":floor"}) {
      const std::string s(suffix);
      if (m == nullptr && id.size() > s.size() && id.compare(id.size() - s.size(), s.size(), s) == 0) {
        m = find_model(std::string_view(id).substr(0, id.size() - s.size()));
        if (m != nullptr && sort.empty()) sort = s == ":nitro" ? "throughput" : "price";
      }
    }
    if (m == nullptr) return error(400, id + " is not a valid model ID", ctx);
    models.push_back(Candidate{m, sort});
  }
  {
    MutexLock lock(mu_);
    if (usage_usd_ >= options_.total_credits || (options_.key_limit && usage_usd_ >= *options_.key_limit)) {
      return error(402, "Insufficient credits. This account never purchased credits. Make sure your key is on the "
                        "correct account or org, and if so, purchase more at https://openrouter.ai/settings/credits",
                   ctx);
    }
  }
  // Route: the first model with a usable endpoint serves (failures fall through to the next
  // endpoint, then the next model).
  const OrModel* served = nullptr;
  const OrEndpoint* endpoint = nullptr;
  Routing first_error;
  std::string failed_provider;
  for (const Candidate& c : models) {
    Routing r = route_endpoints(*c.model, prefs, b, c.sort, rng);
    if (r.endpoints.empty()) {
      if (first_error.status == 0) first_error = r;
      continue;
    }
    for (const OrEndpoint* e : r.endpoints) {
      if (options_.simulate_endpoint_failures && rng.chance((100.0 - e->uptime) / 100.0)) {
        failed_provider = e->provider_name;
        continue;
      }
      served = c.model;
      endpoint = e;
      break;
    }
    if (endpoint != nullptr) break;
  }
  if (endpoint == nullptr) {
    if (!failed_provider.empty()) {
      return error(502, "Provider returned error", ctx,
                   OJson{{"provider_name", failed_provider},
                         {"raw", "{\"error\":{\"message\":\"upstream unavailable\"}}"},
                         {"error_type", "provider_unavailable"}}.dump());
    }
    return error(first_error.status, first_error.message, ctx);
  }
  // Generate with the OpenAI generator, then reshape.
  Json gb = b;
  for (const char* k : {"provider", "models", "route", "transforms", "plugins", "usage", "reasoning", "user",
                        "session_id", "metadata", "prompt"}) {
    gb.erase(k);
  }
  gb["model"] = served->id;
  if (has_prompt && !has_messages) gb["messages"] = Json::array({{{"role", "user"}, {"content", b["prompt"]}}});
  const bool stream = gb.value("stream", Json(false)).is_boolean() && gb.value("stream", false);
  if (stream) gb["stream_options"] = {{"include_usage", true}};
  const OpenRouterDrift drift = drift_for(request, options_.drift);
  ChatResult res = generate_chat(&gb, gen_opts_, ctx, rng, slow * endpoint->speed);
  if (res.is_error) {
    // OpenAI-shaped validation error → OpenRouter's shape.
    const Json e = Json::parse(res.response.body(), nullptr, false);
    std::string msg = "Bad request";
    if (e.is_object() && e.contains("error") && e["error"].is_object()) msg = e["error"].value("message", msg);
    return error(res.response.status, msg, ctx);
  }
  const std::string id = gen_id(ctx.created, rng);
  ScriptedResponse out;
  out.status = 200;
  out.head_at = res.response.head_at;
  out.streaming = res.response.streaming;
  out.ending = res.response.ending;
  out.headers.add("content-type", stream ? "text/event-stream" : "application/json");
  out.headers.add("x-generation-id", id);
  out.headers.add("x-request-id", ctx.request_id);
  if (stream) out.headers.add("cache-control", "no-cache");
  double cost = 0;
  uint64_t prompt_tokens = 0, completion_tokens = 0;
  std::string finish;
  auto note_usage = [&](const OJson& o) {
    if (auto u = o.find("usage"); u != o.end() && u->is_object()) {
      cost = u->value("cost", 0.0);
      prompt_tokens = u->value("prompt_tokens", uint64_t{0});
      completion_tokens = u->value("completion_tokens", uint64_t{0});
    }
    if (auto ch = o.find("choices"); ch != o.end() && ch->is_array() && !ch->empty()) {
      if (auto fr = (*ch)[0].find("finish_reason"); fr != (*ch)[0].end() && fr->is_string()) finish = fr->get<std::string>();
    }
  };
  Duration end_at = out.head_at;
  if (!stream) {
    const OJson in = OJson::parse(res.response.body());
    OJson o = reshape(in, id, served->id, *endpoint, drift, false);
    note_usage(o);
    const Duration at = res.response.chunks.empty() ? out.head_at : res.response.chunks.front().at;
    out.chunks.push_back(TimedChunk{at, o.dump()});
    end_at = at;
  } else {
    bool first_data = true;
    for (const TimedChunk& c : res.response.chunks) {
      std::string_view s = c.bytes;
      if (s.rfind("data: {", 0) != 0) {
        out.chunks.push_back(c);
        end_at = c.at;
        continue;
      }
      if (first_data) {
        first_data = false;
        // Keep-alive comments while "waiting for the provider", before the first token.
        const uint32_t n = options_.processing_comments;
        for (uint32_t k = 0; k < n; ++k) {
          const Duration at = out.head_at + (c.at - out.head_at) * static_cast<int64_t>(k) / static_cast<int64_t>(n);
          out.chunks.push_back(TimedChunk{at, ": OPENROUTER PROCESSING\n\n"});
        }
      }
      s.remove_prefix(6);
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
      OJson in = OJson::parse(s);
      OJson o = reshape(in, id, served->id, *endpoint, drift, true);
      if (o.contains("usage") && o["usage"].is_null()) o.erase("usage");
      note_usage(o);
      out.chunks.push_back(TimedChunk{c.at, "data: " + o.dump() + "\n\n"});
      end_at = c.at;
    }
  }
  // The generation record (GET /generation) and the account's usage.
  const int64_t latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(end_at).count();
  OJson g = OJson::object();
  g["id"] = id;
  g["upstream_id"] = "chatcmpl-" + id.substr(4);
  g["total_cost"] = cost;
  g["cache_discount"] = nullptr;
  g["upstream_inference_cost"] = nullptr;
  g["created_at"] = ctx.created;
  g["model"] = served->id;
  g["app_id"] = nullptr;
  g["streamed"] = stream;
  g["cancelled"] = false;
  g["provider_name"] = endpoint->provider_name;
  g["latency"] = latency_ms;
  g["moderation_latency"] = nullptr;
  g["generation_time"] = latency_ms;
  g["finish_reason"] = finish;
  g["native_finish_reason"] = native_reason(*endpoint, finish);
  g["tokens_prompt"] = prompt_tokens;
  g["tokens_completion"] = completion_tokens;
  g["native_tokens_prompt"] = prompt_tokens;
  g["native_tokens_completion"] = completion_tokens;
  g["native_tokens_reasoning"] = 0;
  g["num_media_prompt"] = nullptr;
  g["num_media_completion"] = nullptr;
  g["num_search_results"] = nullptr;
  g["origin"] = "";
  g["usage"] = cost;
  g["is_byok"] = false;
  g["api_type"] = "completions";
  {
    MutexLock lock(mu_);
    usage_usd_ += cost;
    ++usage_requests_;
    generations_[id] = Generation{g.dump(), arrival + end_at + options_.generation_ready_delay};
    generation_order_.push_back(id);
    if (generation_order_.size() > 10000) {
      generations_.erase(generation_order_.front());
      generation_order_.erase(generation_order_.begin());
    }
  }
  return out;
}

void OpenRouterSim::adapt_fault(ScriptedResponse& r, const Fault* fault, bool stream) const {
  if (fault == nullptr) return;
  auto error_object = [&](const std::string& body, int code) {
    const Json e = Json::parse(body, nullptr, false);
    std::string msg = "Provider returned error";
    if (e.is_object() && e.contains("error") && e["error"].is_object()) msg = e["error"].value("message", msg);
    OJson o = {{"code", code}, {"message", msg}};
    if (code >= 500) o["metadata"] = {{"provider_name", "SimProvider"}, {"error_type", code == 529 ? "provider_overloaded" : "provider_unavailable"}};
    return o;
  };
  const int status = fault->status >= 400 ? fault->status : 502;
  if (fault->kind == FaultKind::kHttpError && r.send_head && !r.chunks.empty()) {
    OJson err = error_object(r.body(), r.status);
    const Duration at = r.chunks.front().at;
    r.chunks.assign(1, TimedChunk{at, OJson{{"error", std::move(err)}}.dump()});
    r.headers.set("content-type", "application/json");
    if (r.status == 429) {
      r.headers.add("X-RateLimit-Limit", "20");
      r.headers.add("X-RateLimit-Remaining", "0");
      r.headers.add("X-RateLimit-Reset", "1756000000000");
    }
    return;
  }
  if (fault->kind != FaultKind::kMidStreamError) return;
  if (!stream) {  // a 200 body carrying `error`
    if (r.chunks.empty()) return;
    OJson err = error_object(r.body(), status);
    const Duration at = r.chunks.front().at;
    r.chunks.assign(1, TimedChunk{at, OJson{{"error", std::move(err)}}.dump()});
    return;
  }
  // Stream: the injected OpenAI-style `data: {"error":…}` event becomes OpenRouter's chunk.
  if (r.chunks.empty()) return;
  TimedChunk& last = r.chunks.back();
  std::string_view s = last.bytes;
  const size_t pos = s.rfind("data: {\"error\"");
  if (pos == std::string_view::npos) return;
  std::string_view ev = s.substr(pos + 6);
  while (!ev.empty() && (ev.back() == '\n' || ev.back() == '\r')) ev.remove_suffix(1);
  OJson err = error_object(std::string(ev), status);
  // id / model / provider from the last good chunk.
  OJson prev;
  for (auto it = r.chunks.rbegin(); it != r.chunks.rend() && prev.is_null(); ++it) {
    std::string_view b = it->bytes;
    size_t p = b.rfind("data: {\"id\"");
    if (p == std::string_view::npos) continue;
    std::string_view d = b.substr(p + 6);
    d = d.substr(0, d.find('\n'));
    prev = OJson::parse(d, nullptr, false);
    if (prev.is_discarded()) prev = nullptr;
  }
  OJson o = OJson::object();
  o["id"] = prev.is_object() ? prev.value("id", "gen-error") : "gen-error";
  o["object"] = "chat.completion.chunk";
  o["created"] = prev.is_object() ? prev.value("created", 0) : 0;
  o["model"] = prev.is_object() ? prev.value("model", "") : "";
  o["provider"] = prev.is_object() ? prev.value("provider", "") : "";
  o["error"] = std::move(err);
  o["choices"] = OJson::array({{{"index", 0}, {"delta", {{"content", ""}}}, {"finish_reason", "error"},
                                {"native_finish_reason", "error"}}});
  last.bytes = std::string(s.substr(0, pos)) + "data: " + o.dump() + "\n\n";
}

}  // namespace detail
}  // namespace ploke::sim
