// File: ploke/adapters/openai/embeddings.h
//
// The server half of OpenAI's `POST /v1/embeddings` for a server that makes up its own
// vectors (the simulator) or passes on an upstream's (the gateway; the client half is
// OpenAiAdapter::build_embedding_request / parse_embedding_response): the request read and
// validated as the API does
// (CreateEmbeddingRequest: `input` a non-empty string, an array of 1–2048 non-empty
// strings, an array of token ids, or an array of 1–2048 non-empty token arrays; `model`;
// `encoding_format` "float" | "base64"; `dimensions` ≥ 1; `user`), the errors the caller
// needs once it knows the model (`dimensions` on a model without it, above the model's
// size), and the response body (CreateEmbeddingResponse) with float or base64 vectors.
// Which models exist and what the vectors hold is the caller's business.
//
// Only the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/openai/render.h"

namespace ploke::adapters::openai {

/// `encoding_format`: "float" (the API's default) or "base64" (the little-endian float32
/// array, base64; what the official SDKs ask for and decode).
enum class EmbeddingEncoding { kFloat, kBase64 };

/// One input to embed: a text, or token ids (an integer array).
struct EmbeddingInput {
  std::string text;
  std::vector<int64_t> tokens;
  bool is_tokens = false;
};

/// The most inputs one request may carry.
inline constexpr size_t kMaxEmbeddingInputs = 2048;

/// What a server that makes up vectors reads from a validated request.
struct ServedEmbeddingRequest {
  std::string model;
  std::vector<EmbeddingInput> inputs;   ///< in request order (a token array is one input)
  std::optional<uint64_t> dimensions;   ///< ≥ 1 when present
  EmbeddingEncoding encoding = EmbeddingEncoding::kFloat;
};

/// The API's 400 for a malformed request (null `body`: not JSON), else nullopt with `out`
/// filled. In the API's order: JSON object, `model`, `input`, `encoding_format`,
/// `dimensions`, `user`. Input problems (missing, empty string, empty or oversized array,
/// wrong element types) are the API's "'$.input' is invalid. …", param and code null.
std::optional<WireError> read_served_embedding_request(const nlohmann::json* body, ServedEmbeddingRequest& out);

/// read_served_embedding_request() on body text (a gateway's route): text that is not
/// JSON, or past the JSON input limits (ploke/json/limits.h), is the not-JSON 400.
std::optional<WireError> read_served_embedding_body(std::string_view body, ServedEmbeddingRequest& out);

/// 400 "This model does not support specifying dimensions." (text-embedding-ada-002).
WireError embedding_dimensions_unsupported();
/// 400 for `dimensions` above the model's native size `max`.
WireError embedding_dimensions_above_max(uint64_t max, uint64_t got);

/// A response's content: `count` vectors of `dims` floats, row-major in `values`.
struct WireEmbeddings {
  std::string_view model;
  EmbeddingEncoding encoding = EmbeddingEncoding::kFloat;
  size_t count = 0;
  size_t dims = 0;
  std::span<const float> values;  ///< count × dims
  uint64_t prompt_tokens = 0;
};

/// The CreateEmbeddingResponse body: `{"object":"list","data":[{"object":"embedding",
/// "index":i,"embedding":[…] | "base64…"}…],"model":…,"usage":{"prompt_tokens",
/// "total_tokens"}}`. Floats are written so that they read back as the same float32: a
/// value whose nearest millionth reads back as itself (the simulator's) as that millionth
/// in fixed notation with trailing zeros dropped, anything else by std::to_chars' shortest
/// form; non-finite values as 0.
std::string render_embeddings(const WireEmbeddings& e);

}  // namespace ploke::adapters::openai
