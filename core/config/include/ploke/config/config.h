// File: ploke/config/config.h
//
// ploke::config: the user's TOML configuration and credentials/profiles
//. See core/config/README.md for the file format, the precedence tables and
// the environment variables.
//
//  - Location: --config FILE > $PLOKE_SIM_CONFIG > $XDG_CONFIG_HOME/ploke-sim/config.toml
//    (else ~/.config/ploke-sim/config.toml). A missing default file is an empty config; a
//    missing explicit file, or a file with any error, is an error (never silently replaced
//    by defaults).
//  - Parameters inherit request > preset > model > provider > global, where the global
//    layer is [params] < the active profile's params < PLOKE_SIM_* environment overrides.
//  - Validation collects EVERY error (syntax, unknown keys, wrong types, ranges, references,
//    capabilities from the catalog) with its field path and file:line:col.
//  - Keys: a credential names where its key comes from (env > file (mode 0600) > command >
//    inline); see credentials.h. Saving redacts inline keys unless asked not to.
//
// No clock reads; the environment is injected (EnvLookup) so tests never mutate the
// process environment. Thread-safety: values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/catalog/catalog.h"
#include "ploke/config/params.h"
#include "ploke/core/field_errors.h"
#include "ploke/core/secret.h"
#include "ploke/core/status.h"

namespace ploke::config {

/// Looks up an environment variable (nullopt when unset). process_env() reads getenv.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_env();
/// A fixed environment (tests).
EnvLookup fixed_env(std::map<std::string, std::string> vars);

/// Where a named credential's key comes from. Tried in this order; the first source that
/// is configured decides (an unreadable file or failing command is an error, it does not
/// fall through). See credentials.h.
struct CredentialSpec {
  std::string name;
  std::string provider;             ///< which provider it is for ("" = any)
  std::string env;                  ///< environment variable name
  std::string file;                 ///< file holding the key; must be mode 0600 (or stricter)
  std::string command;              ///< run with /bin/sh -c; stdout's first line is the key
  uint32_t command_timeout_ms = 5000;
  Secret key;                       ///< inline key (discouraged; redacted on save)
};

struct ProviderConfig {
  std::string name;
  std::string kind = "openai";      ///< openai | openrouter | anthropic | custom
  std::string base_url;
  std::string credential;           ///< default credential name ("" = conventional env var)
  Params params;
  bool builtin = false;             ///< untouched built-in entry (not written by save)
};

/// One deployment of a model name: a provider serving a model id, with a routing weight.
struct ModelDeployment {
  std::string provider;
  std::string id;
  std::optional<double> weight;     ///< > 0; set on any deployment = weighted routing
  bool operator==(const ModelDeployment&) const = default;
};

struct ModelConfig {
  std::string name;                 ///< key under [models]
  std::string id;                   ///< catalog id ("openai/gpt-4o"); default = name (deployments[0]'s when given)
  std::string provider;             ///< provider name; default "openrouter" (deployments[0]'s when given)
  std::string preset;               ///< default preset for this model
  Params params;
  /// Other names clients may use for it (the gateway resolves them; unique across models).
  std::vector<std::string> aliases;
  /// A model group: several (provider, id) deployments behind the one name; empty = the
  /// single deployment (provider, id).
  std::vector<ModelDeployment> deployments;
};

struct Preset {
  std::string name;
  std::string description;
  Params params;
  bool builtin = false;
};

struct Profile {
  std::string name;
  std::map<std::string, std::string> credentials;  ///< provider -> credential name
  std::string model;                ///< default model for the profile
  std::string preset;               ///< default preset for the profile
  Params params;                    ///< overrides [params] while active
};

/// A spending limit read by the ledger (ledger::Budget) and the cost routing policy.
struct BudgetConfig {
  std::string scope = "global";     ///< global | provider | profile
  std::string name;                 ///< provider or profile name ("" for global)
  std::string period = "day";       ///< day | month (UTC)
  double limit_usd = 0;
  std::string action = "warn";      ///< warn | stop
};

/// [routing]: how the resilience façade routes, retries and queues, as plain option data.
/// Every knob is optional; unset = the façade's default. The caller that builds the façade
/// maps it onto resilience::LlmClientOptions (ploke-sim: cli/routing_options.h); config
/// itself does not depend on ploke::resilience.
struct RoutingConfig {
  std::string policy;                 ///< routing.policy ("" = reliability); a registered policy name
  std::vector<std::string> fallbacks; ///< routing.fallbacks: model names ([models] keys or catalog ids), in order
  std::optional<int64_t> max_chain;   ///< routing.max_chain: the pick + fallbacks tried per request
  std::optional<bool> stream_continuation;
  std::optional<int64_t> max_rate_limit_wait_ms;
  // [routing.breaker]
  std::optional<int64_t> breaker_window, breaker_minimum_calls, breaker_consecutive_failures, breaker_half_open_trials;
  std::optional<double> breaker_failure_rate, breaker_slow_call_rate;
  std::optional<int64_t> breaker_slow_call_ms, breaker_open_ms, breaker_open_max_ms;
  // [routing.retry]
  std::optional<int64_t> retry_per_endpoint, retry_max_attempts, retry_max_retry_after_ms;
  std::optional<int64_t> backoff_base_ms, backoff_cap_ms;
  std::string backoff_jitter;         ///< "" | decorrelated | full | none
  std::optional<double> retry_budget_ratio;
  // [routing.lanes]
  std::optional<int64_t> max_in_flight, interactive_capacity, normal_capacity, bulk_capacity;
  std::optional<int64_t> short_prompt_chars, short_output_tokens, long_output_tokens;
  bool operator==(const RoutingConfig&) const = default;
};

/// [shared]: state shared by several gateway instances on Redis (rate limits, breakers,
/// budgets), as plain option data; the gateway command maps it onto ploke::redis and
/// resilience::SharedState. Unset knobs = their defaults.
struct SharedConfig {
  std::string url;                            ///< "redis://[:password@]host:port[/db]" | "unix:/path.sock"; "" = off
  std::string instance_id;                    ///< "" = host name + process id
  std::optional<int64_t> timeout_ms;          ///< per Redis command (default 50)
  std::optional<int64_t> connect_timeout_ms;  ///< default 500
  std::optional<int64_t> heartbeat_ms;        ///< default 1000; an instance silent for 3 beats is gone
  std::string rate_limits_on_failure;         ///< "" (= local_share) | local_share | refuse
  std::optional<int64_t> lease_ms;            ///< rate-limit lease lifetime (default 200; 0 = per request)
  bool operator==(const SharedConfig&) const = default;
};

/// The routing policy names `routing.policy` accepts: the ones every resilience::Router
/// registers (cost, latency, pinned, reliability, throughput, weighted), sorted.
const std::vector<std::string>& builtin_policy_names();

struct Config {
  std::string source;               ///< the file it came from ("" = built in only)
  Params params;                    ///< [params]: the global layer
  std::string active_profile;       ///< after PLOKE_SIM_PROFILE
  std::string default_model;        ///< after profile and PLOKE_SIM_MODEL
  std::string default_preset;       ///< after profile and PLOKE_SIM_PRESET
  std::string ledger_path;          ///< after PLOKE_SIM_LEDGER ("" = default location)
  std::map<std::string, ProviderConfig> providers;   ///< built-in openai/openrouter/anthropic + file
  std::map<std::string, ModelConfig> models;
  std::map<std::string, Preset> presets;             ///< creative/precise/economical + file
  std::map<std::string, Profile> profiles;
  std::map<std::string, CredentialSpec> credentials;
  std::vector<BudgetConfig> budgets;
  RoutingConfig routing;
  SharedConfig shared;
  /// [plugins] load: adapter plugin files or folders ploke-sim loads (docs/adding-an-adapter.md
  /// section 5); `~/` expanded, a relative path taken from the config file's folder.
  std::vector<std::string> plugins_load;
  /// What the environment changed (names only, never values): "PLOKE_SIM_TEMPERATURE".
  std::vector<std::string> env_overrides_applied;
  /// The file's own settings before env overrides (what save_config writes back).
  std::string file_active_profile, file_default_model, file_default_preset, file_ledger_path;
  /// The PLOKE_SIM_<PARAM> overrides (top layer of the global layer).
  Params env_params;
  /// Field path -> (line, column) in the file, for errors found after parsing.
  std::map<std::string, std::pair<uint32_t, uint32_t>> locations;

  const Profile* active() const;
};

struct LoadOptions {
  std::string explicit_path;        ///< --config (must exist)
  EnvLookup env;                    ///< default process_env()
  const catalog::Catalog* catalog = nullptr;  ///< validate capabilities when set
};

/// The label of every config error list ("config: 3 errors: ..."). Each config error is a
/// ploke::FieldError with its field path ("providers.openai.params.temperature"), a redacted
/// message, `file` (the config file, or "environment" for a PLOKE_SIM_* value) and, when
/// known, `line`/`column`, so each renders as "file:line:col: path: message".
inline constexpr const char* kConfigErrorSource = "config";

struct LoadResult {
  Config config;
  std::string path;                 ///< the file read ("" when none existed)
  FieldErrors errors{kConfigErrorSource};  ///< every error, sorted by file, line, column
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
  /// kInvalidRequest listing every error (FieldErrors' format), or OK.
  Status status() const;
};

/// The default path: $XDG_CONFIG_HOME/ploke-sim/config.toml, else ~/.config/ploke-sim/config.toml.
std::string default_config_path(const EnvLookup& env);
/// The config path in effect (--config > PLOKE_SIM_CONFIG > default).
std::string config_path(const std::string& explicit_path, const EnvLookup& env);

/// Parses and validates `text` (named `source` in errors). Never throws.
LoadResult parse_config(std::string_view text, std::string_view source, const LoadOptions& options);
/// Finds, reads, parses and validates the config file (see the precedence above).
LoadResult load_config(const LoadOptions& options);
/// Re-runs validation against a catalog (parse_config does it when options.catalog is set).
FieldErrors validate(const Config& config, const catalog::Catalog& catalog);

/// Checks one (model, preset) pairing: the model must be in the catalog (a [models] name,
/// id or alias) and the resolved parameters must fit its capabilities (tools, json_mode,
/// stream, max_tokens). Errors name the field path of the layer that set the value.
/// `via` names the pairing in messages ("models.small", "model use").
FieldErrors check_model(const Config& config, const catalog::Catalog& catalog, std::string_view model,
                        std::string_view preset, std::string_view via);

/// The built-in presets (creative, precise, economical).
std::map<std::string, Preset> builtin_presets();
/// The built-in providers (openai, openrouter, anthropic) with their base URLs.
std::map<std::string, ProviderConfig> builtin_providers();

/// Effective parameters for one request. Precedence: request > preset > model > provider >
/// global ([params] < active profile < PLOKE_SIM_* env). `preset` "" = the model's preset,
/// else the config default. kNotFound for an unknown preset.
Result<ResolvedParams> resolve_params(const Config& config, std::string_view model, std::string_view preset,
                                      const Params& request = {});

struct SaveOptions {
  bool with_keys = false;           ///< false: inline keys are written as "[REDACTED]"
};
/// TOML text of the file's settings (built-ins omitted; env overrides not baked in).
std::string render_config(const Config& config, const SaveOptions& options = {});
/// The same settings as JSON (render_config's tables as objects; keys always redacted).
std::string render_config_json(const Config& config);
/// Atomic write (temp, fsync, rename); mode 0600 when keys are written.
Status save_config(const std::string& path, const Config& config, const SaveOptions& options = {});

}  // namespace ploke::config
