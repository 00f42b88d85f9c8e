#pragma once
// File: ploke/adapters/openrouter/provider_json.h
//
// The one parser of OpenRouter's `provider` preferences object, on an nlohmann DOM, for
// the server sides that hold one (the gateway's /api/v1 parser, the simulated OpenRouter).
// Only the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
//
// Errors are kInvalidRequest with OpenRouter's 400 text: "provider.order: expected an
// array of strings", "provider.allow_fallbacks: expected a boolean",
// "provider.data_collection: expected 'allow' | 'deny'", "provider.max_price.prompt:
// expected a number", "Unrecognized key(s) in object: 'a', 'b'". Null members are skipped.
//
//   kStrict       (the simulated OpenRouter): keys OpenRouter does not know are rejected
//                 (all of them named, before any other check); `sort` must be "price" |
//                 "throughput" | "latency" | "exacto" or {"by": one of them}.
//   kPassThrough  (the gateway, whose OpenRouter upstream decides): unknown keys, and a
//                 `sort` that is not a string, go to `extra` unchanged; a string `sort` is
//                 kept as it is. Type errors of the known keys are rejected as in kStrict.
//
// Known keys without a typed member (enforce_distillable_text after its boolean check,
// preferred_min_throughput, preferred_max_latency, experimental) go to `extra` in both.
#include <nlohmann/json_fwd.hpp>

#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/core/status.h"

namespace ploke::adapters::openrouter {

enum class ProviderChecks { kStrict, kPassThrough };

/// Reads `provider` into `out` (its provider members; `models`, `route`, `transforms` are
/// untouched).
Status parse_openrouter_provider(const nlohmann::json& provider, ProviderChecks checks, OpenRouterPreferences& out);

}  // namespace ploke::adapters::openrouter
