// File: ploke/config/routing.h
//
// The [routing] section of config.toml as resilience::LlmClientOptions: what `ploke-sim
// chat` and `ploke-sim gateway` build their LlmClient from. Knobs the file does not set
// keep the value of `base` (so a caller's own defaults — seed, admission sizes from flags —
// survive). See core/config/README.md ("[routing]") for every key.
//
// Thread-safety: a function on values.
#pragma once

#include "ploke/config/config.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::config {

/// Applies config.routing on top of `base`. The policy was validated when the config was
/// loaded (routing.policy names a built-in policy).
resilience::LlmClientOptions llm_client_options(const Config& config, resilience::LlmClientOptions base = {});

}  // namespace ploke::config
