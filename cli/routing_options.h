// File: cli/routing_options.h
//
// The composition root's bridge from config.toml's [routing] section (plain option data,
// config::RoutingConfig) to the resilience façade's options: what `ploke-sim chat`, `routing`
// and `gateway` build their LlmClient from. Knobs the file does not set keep the value of
// `base` (so a caller's own defaults — seed, admission sizes from flags — survive). See
// core/config/README.md ("[routing]") for every key. ploke::config does not depend on
// ploke::resilience; this function is the one place that knows both.
//
// Thread-safety: a function on values.
#pragma once

#include "ploke/config/config.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::cli {

/// Applies `routing` on top of `base`. The policy was validated when the config was loaded
/// (routing.policy is one of config::builtin_policy_names()).
resilience::LlmClientOptions llm_client_options(const config::RoutingConfig& routing,
                                                resilience::LlmClientOptions base = {});

}  // namespace ploke::cli
