// Adapter plugins in the ploke-sim binary (plugins.h). Compiled with PLOKE_PLUGINS_ENABLED=1
// into ploke-sim (-DPLOKE_PLUGINS=ON) and with 0 into the feature-off binary the tests use.
#include "plugins.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "commands.h"
#include "ploke/adapters/register.h"
#include "ploke/config/config.h"
#include "ploke/plugins/loader.h"
#include "ploke/simulator/engine.h"

#ifndef PLOKE_PLUGINS_ENABLED
#define PLOKE_PLUGINS_ENABLED 1
#endif
#ifndef PLOKE_INSTALL_PLUGIN_DIR
#define PLOKE_INSTALL_PLUGIN_DIR "lib/ploke-sim/plugins"
#endif

namespace ploke::cli {
namespace {

std::unique_ptr<plugins::PluginSet>& plugin_set() {
  static std::unique_ptr<plugins::PluginSet> set;
  return set;
}

void report(const Status& s) { std::fprintf(stderr, "ploke-sim: %s (skipped)\n", s.message().c_str()); }

// <prefix>/lib/ploke-sim/plugins for <prefix>/bin/ploke-sim; "" when unknown.
std::string installed_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (exe.parent_path().parent_path() / PLOKE_INSTALL_PLUGIN_DIR).string();
}

// $PLOKE_SIM_PLUGIN_PATH: ':'-separated folders and files.
std::vector<std::string> env_entries() {
  std::vector<std::string> out;
  const char* env = std::getenv("PLOKE_SIM_PLUGIN_PATH");
  if (env == nullptr) return out;
  std::stringstream ss(env);
  for (std::string part; std::getline(ss, part, ':');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

void load_entry(plugins::PluginSet& set, const std::string& entry, const std::vector<std::string>& builtins) {
  static const std::vector<std::string> protocols = simulator::builtin_protocol_names();
  std::error_code ec;
  if (std::filesystem::is_directory(entry, ec)) {
    for (const Status& s : set.load_dir(entry, builtins, protocols)) report(s);
  } else if (Status s = set.load(entry, builtins, protocols); !s.ok()) {
    report(s);
  }
}

std::vector<std::string> builtin_names() {
  AdapterRegistry r;
  (void)adapters::register_builtin_adapters(r);
  return r.names();
}

}  // namespace

std::vector<std::string> config_plugins(const std::string& explicit_path) {
  const config::EnvLookup env = config::process_env();
  const std::string path = config::config_path(explicit_path, env);
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return {};
  config::LoadOptions options;
  options.explicit_path = path;
  options.env = env;
  return config::load_config(options).config.plugins_load;  // its errors: the command's (or `config validate`'s)
}

void add_plugin_options(CLI::App& app, PluginArgs& args) {
  app.add_option("--plugin-dir", args.dirs,
                 "Load the adapter plugins (*.so) in this folder (repeatable; also $PLOKE_SIM_PLUGIN_PATH)");
  app.fallthrough();  // subcommands added after this pass --plugin-dir up: `ploke-sim chat --plugin-dir D ...`
}

bool plugins_enabled() { return PLOKE_PLUGINS_ENABLED != 0; }

std::optional<int> load_plugins(const PluginArgs& args, const std::vector<std::string>& config_load) {
  if (!plugins_enabled()) {
    if (!args.dirs.empty()) {
      std::fprintf(stderr, "ploke-sim: --plugin-dir: this ploke-sim was built without plugin support (cmake -DPLOKE_PLUGINS=ON)\n");
      return kExitUsage;
    }
    if (std::getenv("PLOKE_SIM_PLUGIN_PATH") != nullptr || !config_load.empty()) {
      std::fprintf(stderr, "ploke-sim: note: $PLOKE_SIM_PLUGIN_PATH and [plugins] load ignored (built without plugin support)\n");
    }
    return std::nullopt;
  }
  for (const auto& d : args.dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(d, ec)) {
      std::fprintf(stderr, "ploke-sim: --plugin-dir: %s is not a folder\n", d.c_str());
      return kExitUsage;
    }
  }
  auto& set = plugin_set();
  set = std::make_unique<plugins::PluginSet>();
  const std::vector<std::string> builtins = builtin_names();
  for (const auto& d : args.dirs) load_entry(*set, d, builtins);
  for (const auto& e : env_entries()) load_entry(*set, e, builtins);
  if (const std::string dir = installed_dir(); !dir.empty() && std::filesystem::is_directory(dir)) {
    load_entry(*set, dir, builtins);
  }
  for (const auto& f : config_load) load_entry(*set, f, builtins);
  return std::nullopt;
}

void unload_plugins() { plugin_set().reset(); }

Status register_adapters(AdapterRegistry& registry) {
  PLOKE_RETURN_IF_ERROR(adapters::register_builtin_adapters(registry));
  if (const auto& set = plugin_set()) PLOKE_RETURN_IF_ERROR(set->register_adapters(registry));
  return Status::Ok();
}

const plugins::PluginInfo* adapter_plugin(const std::string& adapter) {
  const auto& set = plugin_set();
  return set ? set->origin(adapter) : nullptr;
}

std::string plugin_origin_text(const plugins::PluginInfo* p) {
  if (p == nullptr) return "built in";
  return "plugin " + p->path + " (" + p->name + " " + p->version + ", ABI " + std::to_string(p->abi_major) + "." +
         std::to_string(p->abi_minor) + ")";
}

std::string adapter_origin(const std::string& adapter) { return plugin_origin_text(adapter_plugin(adapter)); }

std::vector<SimProtocolPtr> sim_protocols() {
  const auto& set = plugin_set();
  return set ? set->sim_protocols() : std::vector<SimProtocolPtr>{};
}

std::vector<std::pair<std::string, const plugins::PluginInfo*>> sim_protocol_plugins() {
  std::vector<std::pair<std::string, const plugins::PluginInfo*>> out;
  for (const auto& n : simulator::builtin_protocol_names()) out.emplace_back(n, nullptr);
  const auto& set = plugin_set();
  for (const auto& p : sim_protocols()) {
    const std::string name(p->name());
    out.emplace_back(name, set->protocol_origin(name));
  }
  return out;
}

std::optional<std::string> plugin_contract_suite(const std::string& adapter) {
  const auto& set = plugin_set();
  return set ? set->contract_suite(adapter) : std::nullopt;
}

std::vector<std::string> cassette_ignore_paths() {
  std::vector<std::string> out = adapters::builtin_cassette_ignore_paths();
  if (const auto& set = plugin_set()) {
    for (auto& p : set->cassette_ignore_paths()) {
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace ploke::cli
