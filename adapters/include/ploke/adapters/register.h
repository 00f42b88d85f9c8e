// File: ploke/adapters/register.h
//
// register_builtin_adapters(): adds every adapter this module provides to a registry —
// "openai" (OpenAI Chat Completions) and "custom" (OpenAI-compatible local servers; same
// protocol, API key optional). Called once by the composition root (CLI, tests).
//
// Thread-safety: call before the registry is shared.
//
// Example:
//   AdapterRegistry registry;
//   PLOKE_RETURN_IF_ERROR(register_builtin_adapters(registry));
//   auto adapter = registry.create("openai");
#pragma once

#include <string>
#include <vector>

#include "ploke/core/registry.h"
#include "ploke/core/status.h"

namespace ploke::adapters {

/// Fails with kInvalidRequest if a name is already registered.
Status register_builtin_adapters(AdapterRegistry& registry);

/// The request body paths a cassette matcher ignores by default: the union of the
/// packages' volatile fields (each package's kCassetteIgnoreFields, OpenAI's first, each
/// path once). What the simulator's replay and the recorder fill
/// codec::MatchOptions::ignore_paths with.
std::vector<std::string> builtin_cassette_ignore_paths();

}  // namespace ploke::adapters
