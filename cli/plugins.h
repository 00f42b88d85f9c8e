// File: cli/plugins.h
//
// Adapter plugins in the ploke-sim binary (ploke/plugins/loader.h): where they are found
// (--plugin-dir, $PLOKE_SIM_PLUGIN_PATH, <prefix>/lib/ploke-sim/plugins next to an installed
// binary, config.toml `[plugins] load`), loaded once after argument parsing and kept until
// the command returned. Every command builds its adapter registry with register_adapters():
// the built-ins, then the plugins' adapters; `serve` and `contract` speak the plugins'
// simulator protocols (sim_protocols()) next to the built-in ones. A plugin that cannot be used is reported on
// stderr ("ploke-sim: plugin FILE: why (skipped)") and the command runs without it.
//
// Feature flag: built with -DPLOKE_PLUGINS=OFF (plugins.cpp compiled with
// PLOKE_PLUGINS_ENABLED=0), --plugin-dir is a usage error (exit 2); $PLOKE_SIM_PLUGIN_PATH
// and `[plugins] load` are ignored with a note.
//
// Thread-safety: load before any command runs; the rest is read-only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ploke/core/registry.h"
#include "ploke/core/sim_protocol.h"
#include "ploke/core/status.h"

namespace CLI {
class App;
}
namespace ploke::plugins {
struct PluginInfo;
}

namespace ploke::cli {

struct PluginArgs {
  std::vector<std::string> dirs;  ///< --plugin-dir (repeatable)
};
/// Adds the global --plugin-dir option.
void add_plugin_options(CLI::App& app, PluginArgs& args);
/// `[plugins] load` of the config in effect (`explicit_path` > $PLOKE_SIM_CONFIG > the
/// default location); none when there is no config file. Config errors are left to the
/// command that reads the config.
std::vector<std::string> config_plugins(const std::string& explicit_path);
/// True when this binary was built with plugin support.
bool plugins_enabled();
/// Loads the plugins `args`, the environment, the installed folder and `config_load` (the
/// config's `[plugins] load`) name. An exit code (2) for a usage error; refused plugins are
/// reported and skipped.
std::optional<int> load_plugins(const PluginArgs& args, const std::vector<std::string>& config_load);
/// Unloads every plugin (after the command returned: no adapter of theirs may be alive).
void unload_plugins();

/// The built-in adapters, then the loaded plugins' adapters.
Status register_adapters(AdapterRegistry& registry);
/// Where `adapter` comes from: "built in", or "plugin PATH (NAME VERSION, ABI M.m)".
std::string adapter_origin(const std::string& adapter);
/// The loaded plugin that registered `adapter`; null for a built-in (or unknown) one.
const plugins::PluginInfo* adapter_plugin(const std::string& adapter);
/// The request body paths cassette matching ignores by default: the built-in packages'
/// (adapters::builtin_cassette_ignore_paths()), then the plugins' (each once).
std::vector<std::string> cassette_ignore_paths();
/// The simulator protocols the plugins registered (for SimOptions::protocols: `serve`,
/// `contract`), in load order.
std::vector<SimProtocolPtr> sim_protocols();
/// Every simulator protocol with the plugin that registered it, built-ins (null) first.
std::vector<std::pair<std::string, const plugins::PluginInfo*>> sim_protocol_plugins();
/// "built in" (null), or "plugin PATH (NAME VERSION, ABI M.m)".
std::string plugin_origin_text(const plugins::PluginInfo* plugin);
/// The contract suite a plugin registered for `adapter`.
std::optional<std::string> plugin_contract_suite(const std::string& adapter);

}  // namespace ploke::cli
