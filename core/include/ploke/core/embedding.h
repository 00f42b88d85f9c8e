// File: ploke/core/embedding.h
//
// The normalized embeddings API: text in, one float vector per input out. Adapters whose
// protocol has embeddings translate these to and from the wire
// (ProviderAdapter::build_embedding_request / parse_embedding_response); nothing here
// knows JSON or how vectors travel (float arrays, base64).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/chat.h"

namespace ploke {

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> inputs;    ///< texts, in order; one vector each
  std::optional<uint32_t> dimensions; ///< shortened vectors (models that support it)
  std::string user;
  RequestMeta meta;                   ///< deadline, priority, request id, trace context
  friend bool operator==(const EmbeddingRequest&, const EmbeddingRequest&) = default;
};

struct EmbeddingUsage {
  uint64_t prompt_tokens = 0;
  uint64_t total_tokens = 0;
  friend bool operator==(const EmbeddingUsage&, const EmbeddingUsage&) = default;
};

struct EmbeddingResponse {
  std::string model;       ///< as the provider reported it
  std::string provider;    ///< the endpoint's provider name
  std::string request_id;  ///< provider's request id header
  std::vector<std::vector<float>> vectors;  ///< one per input, in input order
  EmbeddingUsage usage;
  friend bool operator==(const EmbeddingResponse&, const EmbeddingResponse&) = default;
};

/// An embeddings answer (or its error) as a ChatResponse for the code that accounts and
/// reports answers: provider, model, request id, and its usage as prompt tokens.
Result<ChatResponse> embedding_as_chat(const Result<EmbeddingResponse>& r);

/// ~4 characters per token (at least 1 per input): the façade's estimate of an embedding
/// request's tokens (rate-limit reservations, cost forecasts).
uint64_t estimate_embedding_tokens(const EmbeddingRequest& request);

}  // namespace ploke
