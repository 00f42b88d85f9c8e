// The simulated OpenRouter's chat route: provider preferences, routing over a model's
// endpoints, generation by the OpenAI generator and the reshaping into OpenRouter's shapes,
// the /generation record. See openrouter_wire.h and simulator/README.md "OpenRouter".
#include <algorithm>
#include <chrono>

#include "openrouter_wire.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openrouter/served_request.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::simulator::detail {
namespace {

namespace orw = adapters::openrouter;

// ---- Provider preferences -------------------------------------------------------------

struct Prefs {
  std::vector<std::string> order, only, ignore, quantizations;
  bool allow_fallbacks = true;
  bool require_parameters = false;
  bool deny_data_collection = false;
  std::string sort;  // "", price, throughput, latency
  std::optional<double> max_prompt, max_completion, max_request;  // per million tokens / per request
};

/// The routing view of the `provider` preferences (read by the package's strict parser).
Prefs prefs_of(orw::OpenRouterPreferences o) {
  Prefs out;
  out.order = std::move(o.order);
  out.only = std::move(o.only);
  out.ignore = std::move(o.ignore);
  out.quantizations = std::move(o.quantizations);
  out.allow_fallbacks = o.allow_fallbacks.value_or(true);
  out.require_parameters = o.require_parameters.value_or(false);
  out.deny_data_collection = o.data_collection == "deny";
  out.sort = std::move(o.sort);
  out.max_prompt = o.max_price_prompt;
  out.max_completion = o.max_price_completion;
  out.max_request = o.max_price_request;
  return out;
}

bool slug_matches(const OrEndpoint& e, const std::string& want) {
  const std::string w = ascii_lower(want);
  const std::string tag = ascii_lower(e.tag);
  if (tag == w || ascii_lower(e.provider_name) == w) return true;
  const size_t slash = tag.find('/');  // "deepinfra" matches "deepinfra/fp4"
  return slash != std::string::npos && tag.substr(0, slash) == w;
}

bool any_matches(const OrEndpoint& e, const std::vector<std::string>& list) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return slug_matches(e, s); });
}

struct Routing {
  std::vector<const OrEndpoint*> endpoints;  // in the order they are tried
  int status = 0;                            // error when endpoints is empty
  std::string message;
};

// The endpoints of `m` that pass the request's filters (only, ignore, quantizations, data
// policy, tools, require_parameters, max_tokens, max_price), in catalog order; when none
// is left, r.status / r.message say which filter emptied the list.
std::vector<const OrEndpoint*> filter_endpoints(const OrModel& m, const Prefs& p, const orw::ServedRouterRequest& b,
                                                Routing& r) {
  const bool wants_tools = b.wants_tools;
  const std::optional<uint64_t> max_tokens = b.max_tokens;
  const std::vector<std::string> params = p.require_parameters ? b.used_parameters : std::vector<std::string>{};
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
                         [&](const std::string& q) { return ascii_lower(q) == e.quantization; });
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
  return c;
}

// Load balancing: a seeded weighted draw (inverse square of price, unstable endpoints
// deprioritised) moves the first choice to the front; `rest` is sorted by price.
void load_balance(std::vector<const OrEndpoint*>& rest, Random& rng) {
  auto cost = [](const OrEndpoint* e) { return e->prompt + e->completion; };
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

Routing route_endpoints(const OrModel& m, const Prefs& p, const orw::ServedRouterRequest& b, std::string sort,
                        Random& rng) {
  Routing r;
  const std::vector<const OrEndpoint*> c = filter_endpoints(m, p, b, r);
  if (c.empty()) return r;
  // Ordering: `order` first (in its order), then the rest by sort, or load-balanced.
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
    load_balance(rest, rng);
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

std::string gen_id(int64_t created, Random& rng) { return "gen-" + std::to_string(created) + "-" + rng.alnum(20); }

// ---- Chat steps -------------------------------------------------------------------------

// The endpoint that serves: the first model with a usable endpoint (simulated failures
// fall through to the next endpoint, then the next model).
struct Pick {
  const OrModel* served = nullptr;
  const OrEndpoint* endpoint = nullptr;
  Routing first_error;          // the first model's routing error
  std::string failed_provider;  // the last endpoint that failed (simulated)
};

Pick pick_endpoint(const std::vector<OrCandidate>& models, const Prefs& prefs, const orw::ServedRouterRequest& b,
                   bool simulate_failures, Random& rng) {
  Pick pick;
  for (const OrCandidate& c : models) {
    Routing r = route_endpoints(*c.model, prefs, b, c.sort, rng);
    if (r.endpoints.empty()) {
      if (pick.first_error.status == 0) pick.first_error = r;
      continue;
    }
    for (const OrEndpoint* e : r.endpoints) {
      if (simulate_failures && rng.chance((100.0 - e->uptime) / 100.0)) {
        pick.failed_provider = e->provider_name;
        continue;
      }
      pick.served = c.model;
      pick.endpoint = e;
      return pick;
    }
  }
  return pick;
}

// What the reshaped answer reported (for /generation and the account's usage).
struct ChatOutcome {
  orw::ReportedUsage usage;
  Duration end_at{0};
};

// The endpoint's prices and provider; the drift's extra member.
orw::ResponseDecoration decoration(const std::string& id, const std::string& model, const OrEndpoint& e,
                                   const OpenRouterDrift& d) {
  orw::ResponseDecoration out;
  out.id = id;
  out.model = model;
  out.provider_name = e.provider_name;
  out.prompt_price = e.prompt;
  out.completion_price = e.completion;
  out.request_price = e.request;
  if (d.extra_fields) out.metadata_router = "ploke-sim";
  return out;
}

void reshape_body(const ScriptedResponse& in, ScriptedResponse& out, const orw::ResponseDecoration& a, ChatOutcome& x) {
  const std::string body = in.body();
  std::optional<std::string> o = orw::decorate_openrouter_response(body, a, false, x.usage);
  const Duration at = in.chunks.empty() ? out.head_at : in.chunks.front().at;
  out.chunks.push_back(TimedChunk{at, o ? std::move(*o) : body});
  x.end_at = at;
}

// The reasoning a request asks for: words of the synthetic vocabulary, one token each —
// `max_tokens` of them (at most 64), else by effort (minimal 4, low 8, medium 16, high and
// above 32). Nothing drawn when reasoning is off, so other answers do not change.
std::vector<std::string> plan_reasoning(const orw::ReasoningRequest& r, Random& rng) {
  std::vector<std::string> out;
  if (!r.on) return out;
  uint64_t n = r.effort == "minimal" ? 4 : r.effort == "low" ? 8 : r.effort == "" || r.effort == "medium" ? 16 : 32;
  if (r.max_tokens) n = std::min<uint64_t>(*r.max_tokens, 64);
  for (uint64_t i = 0; i < n; ++i) out.push_back((i == 0 ? "" : " ") + std::string(synthetic_word(rng)));
  return out;
}

// Chunks are reshaped one by one; the reasoning pieces go right after the first (the role
// chunk), before any content, as OpenRouter streams them.
void reshape_stream(const ScriptedResponse& in, ScriptedResponse& out, const orw::ResponseDecoration& a,
                    const std::vector<std::string>& reasoning, int64_t created, uint32_t processing_comments,
                    ChatOutcome& x) {
  bool first_data = true;
  bool reasoned = reasoning.empty();
  for (const TimedChunk& c : in.chunks) {
    std::string_view s = c.bytes;
    if (s.rfind("data: {", 0) != 0) {
      out.chunks.push_back(c);
      x.end_at = c.at;
      continue;
    }
    if (first_data) {
      first_data = false;
      // Keep-alive comments while "waiting for the provider", before the first token.
      const uint32_t n = processing_comments;
      for (uint32_t k = 0; k < n; ++k) {
        const Duration at = out.head_at + (c.at - out.head_at) * static_cast<int64_t>(k) / static_cast<int64_t>(n);
        out.chunks.push_back(TimedChunk{at, std::string(orw::kProcessingComment)});
      }
    }
    s.remove_prefix(6);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    std::optional<std::string> o = orw::decorate_openrouter_response(s, a, true, x.usage);
    out.chunks.push_back(o ? TimedChunk{c.at, "data: " + *o + "\n\n"} : c);
    x.end_at = c.at;
    if (!reasoned) {
      reasoned = true;
      for (const std::string& piece : reasoning) {
        out.chunks.push_back(TimedChunk{c.at, "data: " + orw::reasoning_chunk(a, created, piece) + "\n\n"});
      }
    }
  }
}

// The GET /generation statistics.
adapters::openrouter::GenerationStats generation_record(const std::string& id, int64_t created, const std::string& model,
                                                        const OrEndpoint& endpoint, bool stream, const ChatOutcome& x) {
  const int64_t latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(x.end_at).count();
  adapters::openrouter::GenerationStats g;
  g.id = id;
  g.upstream_id = "chatcmpl-" + id.substr(4);
  g.total_cost = x.usage.cost;
  g.created_at = created;
  g.model = model;
  g.streamed = stream;
  g.provider_name = endpoint.provider_name;
  g.latency_ms = latency_ms;
  g.generation_time_ms = latency_ms;
  g.finish_reason = x.usage.finish_reason;
  g.native_finish_reason = orw::native_finish_reason(endpoint.provider_name, x.usage.finish_reason);
  g.tokens_prompt = x.usage.prompt_tokens;
  g.tokens_completion = x.usage.completion_tokens;
  return g;
}

}  // namespace

ScriptedResponse OpenRouterSim::chat(const Json* body, const HttpRequest& request, const RequestContext& ctx,
                                     Random& rng, double slow, TimePoint arrival) {
  orw::ServedRouterRequest req;
  if (auto err = orw::read_served_router_request(body, req)) return error(400, *err, ctx);
  const Prefs prefs = prefs_of(std::move(req.provider));
  std::vector<OrCandidate> models;
  for (const std::string& id : req.model_ids) {
    OrCandidate c = resolve_model(id, prefs.sort);
    if (c.model == nullptr) return error(400, id + " is not a valid model ID", ctx);
    models.push_back(std::move(c));
  }
  if (out_of_credits()) {
    return error(402, "Insufficient credits. This account never purchased credits. Make sure your key is on the "
                      "correct account or org, and if so, purchase more at https://openrouter.ai/settings/credits",
                 ctx);
  }
  const Pick pick = pick_endpoint(models, prefs, req, options_.simulate_endpoint_failures, rng);
  if (pick.endpoint == nullptr) {
    if (!pick.failed_provider.empty()) {
      return error(adapters::openrouter::ErrorBody{502, "Provider returned error", pick.failed_provider,
                                                   "{\"error\":{\"message\":\"upstream unavailable\"}}",
                                                   "provider_unavailable"},
                   ctx);
    }
    return error(pick.first_error.status, pick.first_error.message, ctx);
  }
  return serve_chat(*body, req, *pick.served, *pick.endpoint, request, ctx, rng, slow, arrival);
}

OrCandidate OpenRouterSim::resolve_model(const std::string& id, const std::string& sort_pref) const {
  OrCandidate c{find_model(id), sort_pref};
  for (const char* suffix : {":nitro", ":floor"}) {
    const std::string s(suffix);
    if (c.model == nullptr && id.size() > s.size() && id.compare(id.size() - s.size(), s.size(), s) == 0) {
      c.model = find_model(std::string_view(id).substr(0, id.size() - s.size()));
      if (c.model != nullptr && c.sort.empty()) c.sort = s == ":nitro" ? "throughput" : "price";
    }
  }
  return c;
}

bool OpenRouterSim::out_of_credits() const {
  MutexLock lock(mu_);
  return usage_usd_ >= options_.total_credits || (options_.key_limit && usage_usd_ >= *options_.key_limit);
}

// Generates with the OpenAI generator, then reshapes into OpenRouter's shapes.
ScriptedResponse OpenRouterSim::serve_chat(const Json& b, const orw::ServedRouterRequest& req, const OrModel& served,
                                           const OrEndpoint& endpoint, const HttpRequest& request,
                                           const RequestContext& ctx, Random& rng, double slow, TimePoint arrival) {
  bool stream = false;
  Json gb;
  orw::openai_generation_body(b, served.id, req.prompt_only, gb, stream);
  const OpenRouterDrift drift = drift_for(request, options_.drift);
  ChatResult res = generate_chat(&gb, gen_opts_, ctx, rng, slow * endpoint.speed);
  if (res.is_error) {
    // OpenAI-shaped validation error → OpenRouter's shape.
    return error(res.response.status,
                 adapters::openrouter::read_error_message(res.response.body()).value_or("Bad request"), ctx);
  }
  const std::string id = gen_id(ctx.created, rng);
  ScriptedResponse out;
  out.status = 200;
  out.head_at = res.response.head_at;
  out.streaming = res.response.streaming;
  out.ending = res.response.ending;
  out.headers.add("content-type", stream ? "text/event-stream" : "application/json");
  out.headers.add(std::string(orw::kGenerationIdHeader), id);
  out.headers.add(std::string(adapters::openai::kRequestIdHeader), ctx.request_id);
  if (stream) out.headers.add("cache-control", "no-cache");
  ChatOutcome x;
  x.end_at = out.head_at;
  orw::ResponseDecoration args = decoration(id, served.id, endpoint, drift);
  const std::vector<std::string> reasoning = plan_reasoning(req.reasoning, rng);
  args.reasoning_tokens = reasoning.size();
  if (!req.reasoning.exclude) {
    for (const std::string& piece : reasoning) args.reasoning_text += piece;
  }
  if (!stream) reshape_body(res.response, out, args, x);
  else reshape_stream(res.response, out, args, req.reasoning.exclude ? std::vector<std::string>{} : reasoning, ctx.created,
                      options_.processing_comments, x);
  record_generation(generation_record(id, ctx.created, served.id, endpoint, stream, x),
                    arrival + x.end_at + options_.generation_ready_delay);
  return out;
}

// The generation record (GET /generation) and the account's usage.
void OpenRouterSim::record_generation(adapters::openrouter::GenerationStats stats, TimePoint ready_at) {
  MutexLock lock(mu_);
  usage_usd_ += stats.total_cost;
  ++usage_requests_;
  const std::string id = stats.id;
  generations_[id] = Generation{std::move(stats), ready_at};
  generation_order_.push_back(id);
  if (generation_order_.size() > 10000) {
    generations_.erase(generation_order_.front());
    generation_order_.erase(generation_order_.begin());
  }
}

}  // namespace ploke::simulator::detail
