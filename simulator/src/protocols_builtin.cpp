// The built-in protocols of the engine's registry (protocol.h): OpenAI (chat, Responses,
// legacy completions, embeddings, models; the catch-all), Anthropic Messages, OpenRouter.
#include <algorithm>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/completions_legacy.h"
#include "openrouter_wire.h"
#include "protocol.h"
#include "responses_wire.h"

namespace ploke::simulator::detail {
namespace {

constexpr std::string_view kChatPath = "/v1/chat/completions";
constexpr std::string_view kCompletionsPath = "/v1/completions";  // legacy
constexpr std::string_view kEmbeddingsPath = "/v1/embeddings";
constexpr std::string_view kModelsPath = "/v1/models";
constexpr std::string_view kModelPrefix = "/v1/models/";

int64_t ms_ceil(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (std::chrono::milliseconds(ms) < d) ++ms;
  return ms;
}

ErrorSpec default_error(int status, std::string_view model) {
  switch (status) {
    case 400: return {400, "Simulated bad request.", "invalid_request_error", std::nullopt, std::nullopt};
    case 401: return {401, "Incorrect API key provided: sk-sim***. You can find your API key at https://platform.openai.com/account/api-keys.",
                      "invalid_request_error", std::nullopt, "invalid_api_key"};
    case 402: return {402, "You exceeded your current quota, please check your plan and billing details.",
                      "insufficient_quota", std::nullopt, "insufficient_quota"};
    case 403: return {403, "Country, region, or territory not supported", "request_forbidden", std::nullopt,
                      "unsupported_country_region_territory"};
    case 404: return {404, "The model `" + std::string(model) + "` does not exist or you do not have access to it.",
                      "invalid_request_error", std::nullopt, "model_not_found"};
    case 408: return {408, "Request timed out.", "timeout", std::nullopt, std::nullopt};
    case 409: return {409, "Conflict.", "invalid_request_error", std::nullopt, std::nullopt};
    case 422: return {422, "Unprocessable entity.", "invalid_request_error", std::nullopt, std::nullopt};
    case 429: return {429, "Rate limit reached for requests per min (RPM): Limit 10000, Used 10000, Requested 1. "
                           "Please try again in 6ms. Visit https://platform.openai.com/account/rate-limits to learn more.",
                      "requests", std::nullopt, "rate_limit_exceeded"};
    case 500: return {500, "The server had an error while processing your request. Sorry about that!", "server_error",
                      std::nullopt, std::nullopt};
    case 502: return {502, "Bad gateway.", "server_error", std::nullopt, std::nullopt};
    case 503: return {503, "The engine is currently overloaded, please try again later.", "server_error",
                      std::nullopt, std::nullopt};
    case 529: return {529, "The server is overloaded. Please try again later.", "overloaded_error", std::nullopt,
                      "overloaded"};
    default:
      if (status >= 500) return {status, "Simulated server error.", "server_error", std::nullopt, std::nullopt};
      return {status, "Simulated client error.", "invalid_request_error", std::nullopt, std::nullopt};
  }
}

ErrorSpec fault_error_spec(const Fault& f, int status, std::string_view model) {
  ErrorSpec e = default_error(status, model);
  if (!f.message.empty()) e.message = f.message;
  if (!f.error_type.empty()) e.type = f.error_type;
  if (!f.error_code.empty()) e.code = f.error_code;
  return e;
}

ScriptedResponse http_error_response(const Fault& f, const RequestContext& ctx, const SimOptions& opts,
                                     std::string_view model) {
  ErrorSpec e = fault_error_spec(f, f.status, model);
  const Duration reset = f.retry_after_ms ? *f.retry_after_ms
                                          : (f.retry_after ? *f.retry_after : Duration(std::chrono::seconds(1)));
  const bool quota = e.code == std::optional<std::string>("insufficient_quota") || e.type == "insufficient_quota";
  if (f.status == 429 && !quota && f.message.empty()) {
    // The wait the message names is the one x-ratelimit-reset-requests carries.
    e.message = "Rate limit reached for requests per min (RPM): Limit 10000, Used 10000, Requested 1. Please try again in " +
                format_reset_duration(reset) + ". Visit https://platform.openai.com/account/rate-limits to learn more.";
  }
  ScriptedResponse r = error_response(e, ctx, opts);
  if (f.status == 429 && !quota) {
    adapters::openai::mark_requests_exhausted(r.headers, reset);
  }
  // Out of quota: waiting does not help, and the API says so (the SDK then tries once).
  if (quota && !f.should_retry) r.headers.add("x-should-retry", "false");
  if (f.retry_after) {
    int64_t ms = ms_ceil(*f.retry_after);
    r.headers.add("retry-after", std::to_string((ms + 999) / 1000));
  }
  if (f.retry_after_ms) r.headers.add("retry-after-ms", std::to_string(ms_ceil(*f.retry_after_ms)));
  if (f.should_retry) r.headers.add("x-should-retry", *f.should_retry ? "true" : "false");
  return r;
}

// The OpenAI shapes of the faults that write bytes (OpenRouter adapts them: adapt_fault()).
// `path` picks the stream's own shapes: a Responses stream has typed events (its error event
// carries its sequence number), a corrupted legacy completions stream gets a cut
// text_completion chunk.
class OpenAiFaultShapes final : public FaultShapes {
 public:
  OpenAiFaultShapes(const RequestContext& ctx, const SimOptions& opts, std::string_view model, std::string_view path)
      : ctx_(ctx), opts_(opts), model_(model), responses_(path == kResponsesPath),
        malformed_(responses_                    ? adapters::openai::kMalformedResponseEvent
                   : path == kCompletionsPath ? adapters::openai::kMalformedTextChunkEvent
                                                 : adapters::openai::kMalformedChunkEvent) {}
  ScriptedResponse http_error(const Fault& f) const override { return http_error_response(f, ctx_, opts_, model_); }
  std::string_view malformed_event() const override { return malformed_; }
  std::string error_event(const Fault& f, int status, size_t events_before) const override {
    if (responses_) return adapters::openai::response_error_event(fault_error_spec(f, status, model_), events_before);
    return sse_error_event(fault_error_spec(f, status, model_));
  }
  std::string error_body(const Fault& f, int status) const override {
    return detail::error_body(fault_error_spec(f, status, model_));
  }

 private:
  const RequestContext& ctx_;
  const SimOptions& opts_;
  std::string_view model_;
  bool responses_;
  std::string_view malformed_;
};

// OpenAI: every route not claimed by another protocol (404 Invalid URL for unknown ones).
class OpenAiProtocol final : public Protocol {
 public:
  explicit OpenAiProtocol(const SimOptions& opts);
  std::string_view name() const override { return "openai"; }
  bool answers(const HttpRequest&, const Routing&) const override { return true; }
  bool is_inference(const Routing& rt) const override {
    return rt.path == kChatPath || rt.path == kCompletionsPath || rt.path == kEmbeddingsPath ||
           (rt.is_post && rt.path == kResponsesPath);
  }
  void read(const HttpRequest& request, const Routing& rt, const SimOptions& opts, ParsedRequest& p) const override {
    if (rt.path == kChatPath && rt.is_post && read_plain_chat(request.body, opts, p.plain_chat)) {
      p.is_plain_chat = true;
      p.model = p.plain_chat.model;
      p.stream = p.plain_chat.stream;
      return;
    }
    read_body(request, rt, false, p);
  }
  ScriptedResponse respond(const ProtocolCall& c) const override {
    const OpenAiFaultShapes shapes(c.ctx, c.opts, c.p.model, c.rt.path);
    return respond_with_faults(c.fault, c.p.stream, shapes, [&](double slow) { return route(c, slow); });
  }
  bool adds_processing_ms() const override { return true; }

 private:
  ScriptedResponse route(const ProtocolCall& c, double slow) const;
  ScriptedResponse models(const ProtocolCall& c) const;

  std::string models_body_;                                        // GET /v1/models is static
  std::vector<std::pair<std::string, std::string>> model_bodies_;  // id -> object JSON
  ResponsesSim responses_;                                         // /v1/responses… (its own store and lock)
};

OpenAiProtocol::OpenAiProtocol(const SimOptions& opts) {
  std::string list = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < opts.models.size(); ++i) {
    const ModelInfo& m = opts.models[i];
    std::string obj = "{\"id\":";
    append_json_string(obj, m.id);
    obj += ",\"object\":\"model\",\"created\":" + std::to_string(m.created) + ",\"owned_by\":";
    append_json_string(obj, m.owned_by);
    obj += '}';
    if (i) list += ',';
    list += obj;
    model_bodies_.emplace_back(m.id, std::move(obj));
  }
  list += "]}";
  models_body_ = std::move(list);
}

ScriptedResponse OpenAiProtocol::models(const ProtocolCall& c) const {
  const uint64_t limit = c.opts.rate_limits.limit_requests;
  const std::string& path = c.rt.path;
  const std::string* body = nullptr;
  if (path == kModelsPath) {
    body = &models_body_;
  } else {
    std::string_view id = std::string_view(path).substr(kModelPrefix.size());
    for (const auto& [mid, obj] : model_bodies_) {
      if (mid == id) body = &obj;
    }
    if (body == nullptr) {
      return error_response(ErrorSpec{404, "The model `" + std::string(id) + "` does not exist or you do not have access to it.",
                                      "invalid_request_error", std::nullopt, "model_not_found"},
                            c.ctx, c.opts);
    }
  }
  ScriptedResponse r;
  r.headers = base_headers("application/json", c.ctx, c.opts, limit > 0 ? limit - 1 : 0, 0, std::chrono::milliseconds(6));
  r.chunks.push_back(TimedChunk{Duration{0}, *body});
  return r;
}

ScriptedResponse OpenAiProtocol::route(const ProtocolCall& c, double slow) const {
  const Routing& rt = c.rt;
  const std::string& path = rt.path;
  if (is_responses_path(path)) {
    const auto method = rt.is_post     ? ResponsesSim::Method::kPost
                        : rt.is_get    ? ResponsesSim::Method::kGet
                        : rt.is_delete ? ResponsesSim::Method::kDelete
                                       : ResponsesSim::Method::kOther;
    return responses_.route(path, method, c.p.json(), c.opts, c.ctx, c.rng, slow);
  }
  if (c.p.is_plain_chat && path == kChatPath && rt.is_post) {
    return generate_chat_plain(c.p.plain_chat, c.opts, c.ctx, c.rng, slow).response;
  }
  if (path == kChatPath && rt.is_post) return generate_chat(c.p.json(), c.opts, c.ctx, c.rng, slow).response;
  if (path == kEmbeddingsPath && rt.is_post) return generate_embeddings(c.p.json(), c.opts, c.ctx, slow);
  if (path == kCompletionsPath && rt.is_post) return generate_text_completion(c.p.json(), c.opts, c.ctx, c.rng, slow);
  if (rt.is_get && (path == kModelsPath || path.rfind(kModelPrefix, 0) == 0)) return models(c);
  return error_response(
      ErrorSpec{404, "Invalid URL (" + std::string(rt.is_post ? "POST" : (rt.is_get ? "GET" : "other")) + " " + path + ")",
                "invalid_request_error", std::nullopt, std::nullopt},
      c.ctx, c.opts);
}

// Anthropic Messages: /v1/messages…, and /v1/models with anthropic-version (anthropic_wire.h).
class AnthropicProtocol final : public Protocol {
 public:
  std::string_view name() const override { return "anthropic"; }
  bool answers(const HttpRequest& request, const Routing& rt) const override {
    return anthropic::is_route(rt.path, rt.is_get, request.headers);
  }
  bool is_inference(const Routing& rt) const override { return anthropic::is_inference(rt.path, rt.is_post); }
  void read(const HttpRequest& request, const Routing& rt, const SimOptions& opts, ParsedRequest& p) const override {
    if (rt.is_post && rt.path == anthropic::kMessagesPath && request.headers.has(adapters::anthropic::kVersionHeader) &&
        anthropic::read_plain_message(request.body, opts, p.plain_message)) {
      p.is_plain_message = true;
      p.model = p.plain_message.model;
      p.stream = p.plain_message.stream;
      return;
    }
    read_body(request, rt, true, p);
  }
  ScriptedResponse respond(const ProtocolCall& c) const override {
    return anthropic::respond(c.fault, c.request, c.rt.path, c.rt.is_post, c.rt.is_get, c.p.json(),
                              c.p.is_plain_message ? &c.p.plain_message : nullptr, c.ctx, c.opts, c.rng, c.p.model,
                              c.p.stream, anthropic::AnthropicState{prompt_cache_, c.arrival});
  }

 private:
  mutable anthropic::PromptCache prompt_cache_;  // thread-safe on its own (its own Mutex)
};

// OpenRouter: everything under /api/v1/ (openrouter_wire.h); OpenAI's fault shapes, adapted.
class OpenRouterProtocol final : public Protocol {
 public:
  OpenRouterProtocol(const SimOptions& opts, Clock& clock) : sim_(std::make_unique<OpenRouterSim>(opts, clock)) {}
  std::string_view name() const override { return "openrouter"; }
  bool answers(const HttpRequest&, const Routing& rt) const override { return is_openrouter_path(rt.path); }
  bool is_inference(const Routing& rt) const override { return rt.path == kOpenRouterChatPath; }
  ScriptedResponse respond(const ProtocolCall& c) const override {
    const OpenAiFaultShapes shapes(c.ctx, c.opts, c.p.model, c.rt.path);
    ScriptedResponse r = respond_with_faults(c.fault, c.p.stream, shapes, [&](double slow) {
      return sim_->route(c.request, c.rt.path, c.rt.is_post, c.rt.is_get, c.p.json(), c.ctx, c.rng, slow, c.arrival);
    });
    sim_->adapt_fault(r, c.fault, c.p.stream);
    return r;
  }

 private:
  std::unique_ptr<OpenRouterSim> sim_;  // route() keeps the generation records and the account
};

}  // namespace

std::unique_ptr<FaultShapes> openai_fault_shapes(const RequestContext& ctx, const SimOptions& opts,
                                                 std::string_view model, std::string_view path) {
  return std::make_unique<OpenAiFaultShapes>(ctx, opts, model, path);
}

std::unique_ptr<Protocol> make_anthropic_protocol() { return std::make_unique<AnthropicProtocol>(); }
std::unique_ptr<Protocol> make_openrouter_protocol(const SimOptions& opts, Clock& clock) {
  return std::make_unique<OpenRouterProtocol>(opts, clock);
}
std::unique_ptr<Protocol> make_openai_protocol(const SimOptions& opts) { return std::make_unique<OpenAiProtocol>(opts); }

}  // namespace ploke::simulator::detail
