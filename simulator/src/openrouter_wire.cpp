// The simulated OpenRouter: catalog, routing by provider preferences, reshaped completions,
// /generation, /key, /credits, schema drift. See openrouter_wire.h and simulator/README.md.
#include "openrouter_wire.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <set>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/secret.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::simulator {

namespace detail {
namespace {

namespace orw = ploke::adapters::openrouter;

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

std::optional<std::string> bearer(const HttpRequest& req) {
  auto a = req.headers.get("authorization");
  if (!a || a->size() < 8 || ascii_lower(a->substr(0, 7)) != "bearer ") return std::nullopt;
  std::string key(a->substr(7));
  if (key.empty()) return std::nullopt;
  return key;
}

// "sk-or-v1-abc...123" (OpenRouter's label shape); never the whole key.
std::string key_label(const std::string& key) {
  if (key.size() <= 12) return "sk-...";
  return key.substr(0, std::min<size_t>(12, key.size() / 3)) + "..." + key.substr(key.size() - 3);
}

}  // namespace

OpenRouterDrift drift_for(const HttpRequest& req, const OpenRouterDrift& base) {
  auto h = req.headers.get("x-ploke-sim-drift");
  if (!h) return base;
  OpenRouterDrift d;
  const std::string v = ascii_lower(*h);
  if (v.find("all") != std::string::npos) return OpenRouterDrift{true, true, true};
  d.unknown_enums = v.find("unknown_enums") != std::string::npos;
  d.numeric_prices = v.find("numeric_prices") != std::string::npos;
  d.extra_fields = v.find("extra_fields") != std::string::npos;
  return d;
}

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
  r.headers.add(std::string(adapters::openai::kRequestIdHeader), ctx.request_id);
  r.chunks.push_back(TimedChunk{Duration{0}, std::move(body)});
  return r;
}

ScriptedResponse OpenRouterSim::error(int status, const std::string& message, const RequestContext& ctx) const {
  return error(orw::ErrorBody{status, message, {}, {}, {}}, ctx);
}

ScriptedResponse OpenRouterSim::error(const orw::ErrorBody& e, const RequestContext& ctx) const {
  return json_response(e.code, orw::render_openrouter_error_body(e), ctx);
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
    return json_response(200, orw::render_openrouter_generation(it->second.stats), ctx);
  }
  if (path == "/api/v1/key" || path == "/api/v1/auth/key" || path == "/api/v1/credits") {
    auto key = bearer(request);
    if (!key) return error(401, "No auth credentials found", ctx);
    MutexLock lock(mu_);
    if (path == "/api/v1/credits") {
      return json_response(200, orw::render_openrouter_credits(options_.total_credits, usage_usd_), ctx);
    }
    orw::KeyInfo k;
    k.label = key_label(*key);
    k.limit = options_.key_limit;
    if (options_.key_limit) k.limit_remaining = std::max(0.0, *options_.key_limit - usage_usd_);
    k.usage = usage_usd_;
    k.creator_user_id = "user_sim";
    return json_response(200, orw::render_openrouter_key(k), ctx);
  }
  return error(404, "Not Found", ctx);
}

namespace {

// A fault's OpenAI-shaped error body as OpenRouter's error: its message, and for 5xx the
// provider's metadata.
orw::ErrorBody fault_error(std::string_view body, int code) {
  orw::ErrorBody e{code, orw::read_error_message(body).value_or("Provider returned error"), {}, {}, {}};
  if (code >= 500) {
    e.provider_name = "SimProvider";
    e.error_type = code == 529 ? "provider_overloaded" : "provider_unavailable";
  }
  return e;
}

// The identity of the last good chunk of a stream (its `data:` line naming an id).
orw::ChunkIdentity last_chunk_identity(const std::vector<TimedChunk>& chunks) {
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
    std::string_view b = it->bytes;
    const size_t p = b.rfind("data: {\"id\"");
    if (p == std::string_view::npos) continue;
    std::string_view d = b.substr(p + 6);
    if (auto c = orw::read_openrouter_chunk_identity(d.substr(0, d.find('\n')))) return *c;
  }
  return {};
}

}  // namespace

void OpenRouterSim::adapt_fault(ScriptedResponse& r, const Fault* fault, bool stream) const {
  if (fault == nullptr) return;
  const int status = fault->status >= 400 ? fault->status : 502;
  if (fault->kind == FaultKind::kHttpError && r.send_head && !r.chunks.empty()) {
    const Duration at = r.chunks.front().at;
    r.chunks.assign(1, TimedChunk{at, orw::render_openrouter_error_body(fault_error(r.body(), r.status))});
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
    const Duration at = r.chunks.front().at;
    r.chunks.assign(1, TimedChunk{at, orw::render_openrouter_error_body(fault_error(r.body(), status))});
    return;
  }
  // Stream: the injected OpenAI-style error event becomes OpenRouter's error chunk.
  if (r.chunks.empty()) return;
  TimedChunk& last = r.chunks.back();
  std::string_view s = last.bytes;
  const size_t pos = s.rfind("data: {\"error\"");
  if (pos == std::string_view::npos) return;
  std::string_view ev = s.substr(pos + 6);
  while (!ev.empty() && (ev.back() == '\n' || ev.back() == '\r')) ev.remove_suffix(1);
  const std::string chunk = orw::render_openrouter_error_chunk(last_chunk_identity(r.chunks), fault_error(ev, status));
  last.bytes = std::string(s.substr(0, pos)) + "data: " + chunk + "\n\n";
}

}  // namespace detail
}  // namespace ploke::simulator
