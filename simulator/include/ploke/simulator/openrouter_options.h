// File: ploke/simulator/openrouter_options.h
//
// Settings of the simulated OpenRouter (/api/v1/...; see simulator/README.md "OpenRouter")
// and the synthetic /models payload generator, usable without an engine (benches, the
// catalog tests).
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ploke/core/clock.h"

namespace ploke::simulator {

/// Schema-drift switches for OpenRouter payloads (/models, /endpoints, completions). Also
/// settable per request with the header `x-ploke-sim-drift: unknown_enums,numeric_prices,
/// extra_fields` (or `all`, or `none`).
struct OpenRouterDrift {
  /// Enum values newer than ploke's closed enums: quantization "mxfp4"/"nvfp4", tokenizer
  /// "Nemotron", instruct_type "harmony", an unknown supported parameter, endpoint status -7.
  bool unknown_enums = false;
  /// Prices as JSON numbers instead of strings (pricing.* on models and endpoints).
  bool numeric_prices = false;
  /// Fields that clients must ignore: knowledge_cutoff, benchmarks, x_sim_extra, pricing
  /// input_cache_write_1h, a top-level `meta`, `openrouter_metadata` on completions.
  bool extra_fields = false;
  bool any() const { return unknown_enums || numeric_prices || extra_fields; }
};

struct OpenRouterSimOptions {
  /// Models listed by GET /api/v1/models: the hand-made ones (see README) first, then
  /// generated ones up to this count (bench/catalog uses 350). At least the hand-made count.
  uint32_t catalog_size = 40;
  OpenRouterDrift drift;
  /// `: OPENROUTER PROCESSING` comments sent before the first token of a stream.
  uint32_t processing_comments = 2;
  /// GET /api/v1/generation answers 404 until this long after the generation finished.
  Duration generation_ready_delay{0};
  /// Account credits (GET /credits total_credits); a chat request once usage reaches it → 402.
  double total_credits = 100.0;
  /// GET /key `limit` (USD); unset = no limit (null). Usage reaching it also → 402.
  std::optional<double> key_limit;
  /// Endpoints fail (and OpenRouter falls back to the next one) with probability
  /// (100 - uptime_last_30m) / 100, rolled on the seeded Random. Off by default.
  bool simulate_endpoint_failures = false;
};

/// The GET /api/v1/models body for `options` (deterministic; `seed` varies generated models).
std::string openrouter_models_json(const OpenRouterSimOptions& options, uint64_t seed = 1);

}  // namespace ploke::simulator
