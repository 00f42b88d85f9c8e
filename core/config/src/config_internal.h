// Internal: pieces shared between the config sources (no toml++ here).
#pragma once

#include <string>
#include <string_view>

#include "ploke/config/config.h"

namespace ploke::config::internal {

/// A [models] entry by name, or nullptr.
const ModelConfig* find_model(const Config& c, std::string_view model);

/// An error at `path` of the config file, with the line and column noted while parsing
/// ("env …" paths are reported against the environment). The message is redacted.
ConfigError located_error(const Config& c, const std::string& path, const std::string& msg);

/// Dangling references (profiles, presets, providers, credentials, budget names).
void check_refs(LoadResult& r);

}  // namespace ploke::config::internal
