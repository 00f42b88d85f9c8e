// File: ploke/adapters/openrouter/adapter.h
//
// The client half of the OpenRouter package. OpenRouterAdapter: OpenRouter's chat API (POST {base}/chat/completions, base
// https://openrouter.ai/api/v1). The wire format is OpenAI Chat Completions plus
// OpenRouter extensions, so the adapter *composes* an OpenAiAdapter (shaping, parsing,
// error mapping, stream decoding) and only adds what differs:
//
//   * Request: `max_tokens` (OpenRouter's documented name), plus the routing extensions
//     taken from ChatRequest::meta.tags (no field of ChatRequest is OpenRouter-specific):
//       openrouter.provider.order=a,b           openrouter.provider.only=a,b
//       openrouter.provider.ignore=a,b          openrouter.provider.quantizations=fp8,bf16
//       openrouter.provider.allow_fallbacks=true|false
//       openrouter.provider.require_parameters=true|false
//       openrouter.provider.data_collection=allow|deny
//       openrouter.provider.zdr=true|false
//       openrouter.provider.sort=price|throughput|latency|<newer value>
//       openrouter.provider.max_price.prompt=1.5   (USD per million tokens; also
//                                                   completion, request, image, audio)
//       openrouter.provider.<other key>=<JSON literal or text>   (passed through as is:
//                                                   the server decides; OpenRouter answers
//                                                   400 "Unrecognized key(s)" → kInvalidRequest)
//       openrouter.models=a/b,c/d               (fallback list; `model` is tried first)
//       openrouter.route=fallback               openrouter.transforms=middle-out
//     OpenRouterPreferences::to_tags() writes these tags from a typed struct. A malformed
//     tag value (e.g. allow_fallbacks=maybe, max_price.prompt=cheap) → kInvalidRequest
//     naming the tag. Tags not starting with "openrouter." are ignored.
//   * Non-stream response: everything the OpenAI parser reads (usage incl. `cost` →
//     Usage::reported_cost_usd), plus the top-level `provider` (→ ChatResponse::provider,
//     the upstream provider's display name; the endpoint's name when absent) and
//     `choices[0].native_finish_reason` (→ ChatResponse::native_finish_reason; the
//     normalized `finish_reason` still drives ChatResponse::finish_reason). A 200 body
//     carrying `error` → that error's Status (code from `error.code`, e.g. 502 →
//     kServerError, 402 → kInsufficientCredits).
//   * Errors: 402 → kInsufficientCredits; 404 (unknown model, "No endpoints found that
//     support tool use.") → kNotFound; 400 (unknown provider keys) → kInvalidRequest;
//     429 → kRateLimited with Retry-After; 5xx / 529 as for OpenAI.
//   * Streams: `: OPENROUTER PROCESSING` comments are ignored; kFinish carries the chunk's
//     `native_finish_reason` when sent; a mid-stream error (a chunk with a top-level
//     `error` and finish_reason "error", or finish_reason "error" alone) ends decoding
//     with the mapped Status (ChatClient turns it into kStreamInterrupted when content
//     was delivered).
//   * Schema drift: unknown fields and enum values are ignored; `cost` may be a number or
//     a numeric string.
//
// Thread-safety: immutable after construction; share freely. Decoders are per stream.
//
// Example:
//   auto adapter = make_openrouter_adapter();
//   Endpoint ep{"openrouter", std::string(kOpenRouterBaseUrl), Secret(key), {}};
//   OpenRouterPreferences prefs;
//   prefs.order = {"deepinfra", "groq"};
//   prefs.allow_fallbacks = false;
//   for (auto& t : prefs.to_tags()) request.meta.tags.push_back(t);
//   Result<HttpRequest> http = adapter->build_request(request, ep);
#pragma once

#include <memory>
#include <span>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/adapter.h"

namespace ploke::adapters::openrouter {

inline constexpr std::string_view kOpenRouterBaseUrl = "https://openrouter.ai/api/v1";

/// OpenRouter's provider preferences (the request's `provider` object) and the other
/// routing extensions. Unset members are not sent.
struct OpenRouterPreferences {
  std::vector<std::string> order;
  std::optional<bool> allow_fallbacks;
  std::optional<bool> require_parameters;
  std::string data_collection;  ///< "allow" | "deny" | "" (unset)
  std::optional<bool> zdr;
  std::vector<std::string> only;
  std::vector<std::string> ignore;
  std::vector<std::string> quantizations;
  std::string sort;  ///< "price" | "throughput" | "latency" | "" (unset)
  /// max_price: USD per million tokens for prompt/completion, per unit for the others.
  std::optional<double> max_price_prompt, max_price_completion, max_price_request, max_price_image,
      max_price_audio;
  /// Extra provider keys sent verbatim: (key, JSON literal or text).
  std::vector<std::pair<std::string, std::string>> extra;
  std::vector<std::string> models;      ///< fallback models
  std::string route;                    ///< "fallback" | ""
  std::vector<std::string> transforms;  ///< e.g. "middle-out"

  /// The openrouter.* tags that express these preferences (see the file comment).
  std::vector<std::string> to_tags() const;
  /// Reads the openrouter.* tags; kInvalidRequest naming the tag on a bad value.
  static Result<OpenRouterPreferences> FromTags(const std::vector<std::string>& tags);
  /// True when nothing would be sent.
  bool empty() const;
};

class OpenRouterAdapter final : public ProviderAdapter {
 public:
  struct Options {
    std::string name = "openrouter";
    bool fast_json = true;  ///< forwarded to the composed adapters::openai::OpenAiAdapter
  };
  OpenRouterAdapter() : OpenRouterAdapter(Options{}) {}
  explicit OpenRouterAdapter(Options options);

  // ProviderAdapter
  std::string_view name() const override { return options_.name; }
  /// An empty endpoint base_url means kOpenRouterBaseUrl.
  Result<HttpRequest> build_request(const ChatRequest& request, const Endpoint& endpoint) const override;
  Result<ChatResponse> parse_response(const HttpResponse& response, const Endpoint& endpoint) const override;
  Status map_error(const HttpResponse& response, const Endpoint& endpoint) const override;
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& endpoint) const override;
  RateLimitObservation observe_rate_limits(const Headers& headers, SystemTime system_now) const override;
  /// {"x-request-id", "x-generation-id"}: the generation id when no request id was sent.
  std::span<const std::string_view> request_id_headers() const override;

 private:
  Options options_;
  adapters::openai::OpenAiAdapter inner_;
};

/// The "openrouter" adapter.
ProviderAdapterPtr make_openrouter_adapter();

}  // namespace ploke::adapters::openrouter
