// File: ploke/adapters/openrouter/render.h
//
// OpenRouter's response bodies from neutral inputs (plain structs, no JSON library): what a
// server speaking OpenRouter renders besides chat completions. The simulator fills these
// with its synthetic catalog and accounts; the field names and their order live here.
//
//   render_openrouter_model_list()      GET /api/v1/models: ModelsListResponse (data,
//                                       total_count, links)
//   render_openrouter_endpoint_list()   GET /api/v1/models/{id}/endpoints
//   render_openrouter_generation()      GET /api/v1/generation?id=
//   render_openrouter_key()             GET /api/v1/key
//   render_openrouter_credits()         GET /api/v1/credits
//   render_openrouter_error_body()      {"error":{"code","message"[,"metadata"]}}
//   render_openrouter_error_chunk()     a stream's error chunk (finish_reason "error")
//   read_openrouter_chunk_identity()    id / created / model / provider of a chunk
//   read_error_message()                error.message of an error body
//
// Numbers: integer-typed inputs print as integers; doubles always with a fraction or an
// exponent (100 → "100.0", 2.5e-6 → "2.5e-06"), the form of a JSON DOM's double.
// Prices print as OpenRouter's decimal strings ("0.0000025"; 0 → "0", negative → "-1")
// unless `numeric_prices`. `extra` members (key, JSON text) are appended where each struct
// says: the hook for fields a client must ignore (schema drift).
//
// Thread-safety: functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ploke::adapters::openrouter {

/// Members appended to an object as they are: (key, JSON text).
using ExtraMembers = std::vector<std::pair<std::string, std::string>>;

/// USD per token (prompt, completion, caches) and per request / image.
struct Pricing {
  double prompt = 0, completion = 0, request = 0, image = 0;
  std::optional<double> web_search, internal_reasoning;  ///< model pricing only
  std::optional<double> input_cache_read, input_cache_write;
  ExtraMembers extra;  ///< after the cache prices
};

struct Architecture {
  std::vector<std::string> input_modalities{"text"}, output_modalities{"text"};  ///< modality: "text+image->text"
  std::string tokenizer;
  std::optional<std::string> instruct_type;  ///< null when unset
};

/// One entry of the models list. canonical_slug = id; per_request_limits,
/// default_parameters and supported_voices are null; links.details is the endpoints route.
struct ModelEntry {
  std::string id, hugging_face_id, name, description;
  int64_t created = 0;
  uint32_t context_length = 0;
  Architecture architecture;
  Pricing pricing;  ///< the top provider's
  uint32_t top_context_length = 0;
  std::optional<uint32_t> top_max_completion_tokens;
  bool is_moderated = false;
  std::vector<std::string> supported_parameters;
  ExtraMembers extra;  ///< after links
};

/// The p50/p75/p90/p99 of a latency (seconds) or throughput (tokens/s) window.
struct Percentiles {
  double p50 = 0, p75 = 0, p90 = 0, p99 = 0;
};

/// One endpoint (provider) serving a model. max_prompt_tokens is null; pricing carries
/// discount 0 after its extra members.
struct EndpointEntry {
  std::string name, model_id, model_name, provider_name, tag, quantization;
  uint32_t context_length = 0;
  Pricing pricing;
  std::optional<uint32_t> max_completion_tokens;
  std::vector<std::string> supported_parameters;
  int status = 0;
  double uptime_last_30m = 0, uptime_last_5m = 0, uptime_last_1d = 0;
  bool supports_implicit_caching = false;
  Percentiles latency_last_30m, throughput_last_30m;
  ExtraMembers extra;  ///< after throughput_last_30m
};

struct RenderOptions {
  bool numeric_prices = false;  ///< prices as JSON numbers instead of strings
};

/// {"data":[models],"total_count":N,"links":{"next":null}, extra...}: one page holds all.
std::string render_openrouter_model_list(const std::vector<ModelEntry>& models, const RenderOptions& options,
                                         const ExtraMembers& extra = {});

/// {"data":{"id","name","created","description","architecture","endpoints":[...]}}.
struct EndpointList {
  std::string id, name, description;
  int64_t created = 0;
  Architecture architecture;
  std::vector<EndpointEntry> endpoints;
};
std::string render_openrouter_endpoint_list(const EndpointList& list, const RenderOptions& options);

/// A generation's statistics. upstream_id / costs ploke does not model are null, media
/// counts null, origin "", is_byok false, api_type "completions", cancelled false.
struct GenerationStats {
  std::string id, upstream_id, model, provider_name, finish_reason, native_finish_reason;
  double total_cost = 0;
  int64_t created_at = 0;
  bool streamed = false;
  int64_t latency_ms = 0, generation_time_ms = 0;
  uint64_t tokens_prompt = 0, tokens_completion = 0;
};
/// {"data":{...}} (GET /generation).
std::string render_openrouter_generation(const GenerationStats& g);

/// The API key's account. limit_reset is "monthly" when there is a limit (null otherwise);
/// usage fills usage / usage_daily / usage_weekly / usage_monthly; BYOK usage is 0.
struct KeyInfo {
  std::string label;  ///< never the whole key: "sk-or-v1-abc...123"
  std::optional<double> limit, limit_remaining;
  double usage = 0;
  std::string creator_user_id;
};
/// {"data":{...}} (GET /key).
std::string render_openrouter_key(const KeyInfo& k);
/// {"data":{"total_credits","total_usage"}} (GET /credits).
std::string render_openrouter_credits(double total_credits, double total_usage);

/// An error as OpenRouter sends it: metadata is written when any of its members is set.
struct ErrorBody {
  int code = 0;
  std::string message;
  std::optional<std::string> provider_name, raw, error_type;  ///< metadata members, in this order
};
/// {"error":{...}}.
std::string render_openrouter_error_body(const ErrorBody& e);
/// The `error` object alone, appended to `out`.
void write_openrouter_error_object(std::string& out, const ErrorBody& e);

/// `error.message` of an error body (OpenAI's shape and OpenRouter's); nullopt when the
/// body is not JSON, has no `error` object or its message is not a string.
std::optional<std::string> read_error_message(std::string_view body);

/// A chunk's identity (the stream's id, created, model, provider).
struct ChunkIdentity {
  std::string id = "gen-error";
  int64_t created = 0;
  std::string model, provider;
};
/// The error chunk: {"id","object":"chat.completion.chunk","created","model","provider",
/// "error":{...},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error",
/// "native_finish_reason":"error"}]} (the JSON text of its `data:` line).
std::string render_openrouter_error_chunk(const ChunkIdentity& chunk, const ErrorBody& e);
/// id / created / model / provider of a chunk's JSON text (members absent or of another
/// type keep ChunkIdentity's defaults); nullopt when the text is not a JSON object.
std::optional<ChunkIdentity> read_openrouter_chunk_identity(std::string_view chunk_json);

/// OpenRouter's price string: 12 decimals at most, trailing zeros trimmed; 0 → "0",
/// negative (variable pricing) → "-1".
std::string openrouter_price_text(double usd);
/// A price as JSON text: the quoted price text, or the number with `numeric_prices`.
std::string openrouter_price_json(double usd, const RenderOptions& options);

}  // namespace ploke::adapters::openrouter
