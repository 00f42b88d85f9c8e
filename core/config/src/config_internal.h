// Internal: pieces shared between the config sources (no toml++ here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ploke/config/config.h"

namespace ploke::config::internal {

/// A [models] entry by name, or nullptr.
const ModelConfig* find_model(const Config& c, std::string_view model);

/// One config error (see kConfigErrorSource): `file` is the config file or "environment",
/// line and column 0 when unknown. The message is redacted.
FieldError config_error(std::string file, uint32_t line, uint32_t column, std::string path, const std::string& msg);

/// An error at `path` of the config file, with the line and column noted while parsing
/// ("env …" paths are reported against the environment). The message is redacted.
FieldError located_error(const Config& c, const std::string& path, const std::string& msg);

/// Dangling references (profiles, presets, providers, credentials, budget names).
void check_refs(LoadResult& r);

}  // namespace ploke::config::internal
