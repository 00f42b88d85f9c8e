// File: ploke/adapters/openai/adapter.h
//
// OpenAiAdapter: the OpenAI Chat Completions wire protocol (POST {base}/chat/completions),
// both directions — request shaping, non-stream parsing, error mapping (see
// ploke/adapters/openai/errors.h) and an SSE stream decoder. The same class serves
// OpenAI-compatible servers (registry names "openai" and "custom").
//
// Shaping choices:
//   * max_output_tokens → `max_completion_tokens` (the current name; reasoning models
//     reject the legacy `max_tokens`). Some older compatible servers only know
//     `max_tokens`; use Options::legacy_max_tokens for those.
//   * A message whose content is exactly one text part is sent as a string; otherwise as an
//     array of parts. Empty content → `null` (assistant with tool_calls).
//   * Tool parameter / response-format schemas are JSON text: they are validated and
//     embedded as JSON (invalid text → kInvalidRequest naming `tools[i].parameters`).
//   * top_k is not sent (Chat Completions has no such field).
//   * `Authorization: Bearer <key>` only when the endpoint has a key.
// Parsing: unknown fields are ignored; malformed bodies become kMalformedResponse naming
// the JSON byte offset or the field path, e.g. `choices[0].message.tool_calls[1].function.name`.
// Stream decoding: kStart once (first chunk: id, model), kTextDelta, kToolCallDelta (id and
// name on a call's first fragment), kFinish once, kUsage (the `choices: []` usage chunk);
// `[DONE]` terminates. An in-band error (`{"error":…}`, incl. OpenRouter's chunk with
// finish_reason "error") returns the mapped Status. A body that ends without `[DONE]` makes
// finish() return kConnectionReset ("stream ended without [DONE]"): decoders report protocol
// facts, and ChatClient turns that into kStreamInterrupted when content was delivered.
//
// Thread-safety: immutable after construction; share freely. Decoders are per stream.
//
// Example:
//   auto adapter = make_openai_adapter();
//   Endpoint ep{"openai", "https://api.openai.com/v1", Secret(key), {}};
//   Result<HttpRequest> http = adapter->build_request(request, ep);
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ploke/core/adapter.h"

namespace ploke::adapters::openai {

/// The response header carrying the request id (OpenAI's, and the OpenAI-shaped servers').
inline constexpr std::string_view kRequestIdHeader = "x-request-id";

/// Request body members a cassette matcher ignores: values a client sends that change from
/// run to run without changing the answer (end-user ids, metadata, client request ids).
inline constexpr std::string_view kCassetteIgnoreFields[] = {"user", "metadata", "request_id", "client_request_id",
                                                              "safety_identifier"};

class OpenAiAdapter final : public ProviderAdapter {
 public:
  struct Options {
    std::string name = "openai";      ///< registry name reported by name()
    bool legacy_max_tokens = false;   ///< send `max_tokens` instead of `max_completion_tokens`
    /// Parse ordinary 2xx bodies with a single-pass reader, falling back to the full JSON
    /// DOM for anything unusual and for error reporting. Both give the same result; the
    /// switch exists so tests can compare them.
    bool fast_json = true;
    /// Write the message members OpenRouter adds to the protocol: `cache_control` on
    /// content parts with a breakpoint (a marked lone text becomes a parts array) and an
    /// assistant message's reasoning blocks as `reasoning_details` (signed text, encrypted).
    bool router_members = false;
    /// Send `reasoning_effort` only to OpenAI's reasoning models (o1, o3, o4, gpt-5 and
    /// codex families, with or without an "openai/" prefix) and drop it for the rest, whose
    /// API answers it with a 400 (a gateway client's reasoning preference then costs
    /// nothing, as on OpenRouter). False (the custom adapter): always send it.
    bool effort_for_reasoning_models_only = true;
  };

  OpenAiAdapter() = default;
  explicit OpenAiAdapter(Options options) : options_(std::move(options)) {}

  // ProviderAdapter
  std::string_view name() const override { return options_.name; }
  Result<HttpRequest> build_request(const ChatRequest& request, const Endpoint& endpoint) const override;
  Result<ChatResponse> parse_response(const HttpResponse& response, const Endpoint& endpoint) const override;
  Status map_error(const HttpResponse& response, const Endpoint& endpoint) const override;
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& endpoint) const override;
  RateLimitObservation observe_rate_limits(const Headers& headers, SystemTime system_now) const override;
  /// {"x-request-id"}.
  std::span<const std::string_view> request_id_headers() const override;
  /// Embeddings (src/embeddings_client.cpp): POST {base}/embeddings asking for base64
  /// vectors (as openai-node does); answers with base64 or float arrays are both read.
  bool has_embeddings() const override { return true; }
  Result<HttpRequest> build_embedding_request(const EmbeddingRequest& request, const Endpoint& endpoint) const override;
  Result<EmbeddingResponse> parse_embedding_response(const HttpResponse& response,
                                                     const Endpoint& endpoint) const override;

 private:
  Options options_;
};

/// The "openai" adapter.
ProviderAdapterPtr make_openai_adapter();
/// The "custom" adapter: same protocol, for OpenAI-compatible local servers (key optional).
ProviderAdapterPtr make_custom_openai_adapter();

}  // namespace ploke::adapters::openai
