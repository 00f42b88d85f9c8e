// File: ploke/adapters/openrouter/catalog_reader.h
//
// The client half's reader of OpenRouter's catalog routes: the GET /models body and the
// GET /models/{author}/{slug}/endpoints body, normalized into the model catalog's
// provider-neutral records (ploke/catalog/catalog.h: ModelRecord with every field sourced
// kDiscovered, EndpointRecord).
//
// /models ({"data":[…]}): `id` (a model without one is skipped and counted), `name`,
// `supported_parameters` ("tools" → tools; "response_format" or "structured_outputs" →
// json_mode; "structured_outputs" → json_schema), `context_length` (else
// `top_provider.context_length`), `top_provider.max_completion_tokens`,
// `architecture.{input,output}_modalities` (else the older `architecture.modality`
// "text+image->text"), `pricing.{prompt,completion,request,input_cache_read,
// input_cache_write}`. Every OpenRouter model streams.
// /endpoints ({"data":{…,"endpoints":[…]}}): `provider_name`, `tag`, `quantization`,
// `context_length`, `max_completion_tokens`, `supported_parameters` (and `tools`),
// `status`, `pricing.{prompt,completion}`, `uptime_last_30m`, `latency_last_30m.p50`,
// `throughput_last_30m.p50`.
//
// Tolerance (schema drift): unknown fields are ignored; unknown enum values (quantization,
// modality, supported parameters) are kept as text; prices may be strings ("0.0000025") or
// numbers; "-1" (variable-price routers) is unknown and an unparsable price is unknown and
// counted as a warning ("data[3].pricing.prompt: not a price").
//
// Errors: kMalformedResponse naming `source` and the byte offset on invalid JSON, or the
// field path ("data: expected an array of models", "data.endpoints: expected an array").
//
// Thread-safety: pure functions.
//
// Example:
//   catalog::ParseStats st;
//   auto models = openrouter::parse_openrouter_models(body, "GET /models", &st);
#pragma once

#include <string_view>
#include <vector>

#include "ploke/catalog/catalog.h"
#include "ploke/core/status.h"

namespace ploke::adapters::openrouter {

/// Normalizes a GET /models body. `stats` (optional) counts records, skips and warnings.
Result<std::vector<catalog::ModelRecord>> parse_openrouter_models(std::string_view json, std::string_view source,
                                                                  catalog::ParseStats* stats = nullptr);
/// Reads a GET /models/{author}/{slug}/endpoints body.
Result<std::vector<catalog::EndpointRecord>> parse_openrouter_endpoints(std::string_view json,
                                                                        std::string_view source);

}  // namespace ploke::adapters::openrouter
