// File: ploke/config/ploke_import.h
//
// import_ploke_config(): ploke's own config.toml (the Rust coding TUI; ~/.config/ploke/
// config.toml) → a ploke-sim Config whose [models] are ploke's models, so `ploke-sim
// gateway --config OUT` serves the names ploke sends. `ploke-sim ploke import` is the CLI.
//
// Both shapes of ploke's model registry are read:
//  - [[registry.providers]] entries (id, model, provider_type, base_url, api_key_env,
//    api_key, display_name, [llm_params]) with [registry.aliases] and
//    registry.active_provider: each entry becomes [models.ID] (id = its `model`, the
//    entry's wire name `model` an alias when it differs from ID, ploke's aliases too);
//  - [registry.models."author/slug"] entries (ploke's newer per-model preferences; the
//    default profile's `params`): each becomes [models."author/slug"] on OpenRouter.
// Parameters that ploke-sim has (temperature, top_p, max_tokens, seed, penalties, stop,
// system prompt, JSON response format) become the model's params; the root
// llm_timeout_secs becomes [params] timeout_ms. What cannot be carried over (ploke-only
// knobs, unknown keys, a second alias for one name, conflicting key variables) is listed in
// PlokeImport::notes, never silently dropped.
//
// Keys: a key written in ploke's file is NEVER copied. The provider reads it from an
// environment variable instead (the entry's api_key_env, else the provider's conventional
// variable, OPENROUTER_API_KEY for OpenRouter); a note names the variable, never the value.
//
// Errors (kInvalidRequest, a FieldErrors labelled "ploke config", each item
// "FILE:LINE:COL: PATH: MESSAGE" with ploke's field path): a TOML syntax error, a wrong type
// in a key that is read, an entry without an id, a value ploke-sim would refuse (a
// temperature out of range, named by ploke's path). No clock, no environment reads (the
// caller passes EnvLookup for the default path), no exceptions out. Thread-safety: values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/catalog/catalog.h"
#include "ploke/config/config.h"
#include "ploke/core/status.h"

namespace ploke::config {

struct PlokeImportOptions {
  /// Where the OpenRouter provider points: "" = OpenRouter itself; e.g. a `ploke-sim serve`
  /// ("http://127.0.0.1:8080/api/v1") to run ploke's models against the simulator.
  std::string openrouter_base_url;
};

struct PlokeImport {
  Config config;                                    ///< providers, models, credentials, default_model, params
  std::map<std::string, std::string> display_names; ///< catalog id -> ploke's display name
  std::vector<std::string> notes;                   ///< what was not imported and why ("PATH: …")
};

/// The label of the import's errors ("ploke config: FILE:3:14: registry.providers[0].id: …").
inline constexpr const char* kPlokeConfigErrorSource = "ploke config";

/// ploke's config file: $XDG_CONFIG_HOME/ploke/config.toml, else ~/.config/ploke/config.toml.
std::string default_ploke_config_path(const EnvLookup& env);

/// Converts ploke's config text (named `source` in errors). See the top of this file.
Result<PlokeImport> import_ploke_config(std::string_view text, std::string_view source,
                                        const PlokeImportOptions& options = {});

/// The ploke-sim config.toml for an import: a comment naming `source`, then render_config()
/// (no key is ever written).
std::string render_ploke_import(const PlokeImport& imported, std::string_view source);

/// Records (id, ploke's display name) for the imported models the catalog does not know, for
/// the caller to add to the discovered pool (so `config validate` accepts them).
std::vector<catalog::ModelRecord> unknown_model_records(const PlokeImport& imported, const catalog::Catalog& catalog);

}  // namespace ploke::config
