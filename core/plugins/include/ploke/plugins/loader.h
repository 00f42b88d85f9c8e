// File: ploke/plugins/loader.h
//
// PluginSet: loads adapter plugins (shared objects exporting ploke_sim_plugin_entry,
// ploke/sdk/plugin.h) with dlopen(RTLD_NOW | RTLD_LOCAL), checks their ABI version, lets
// them register adapters, contract suites, cassette ignore paths and simulator protocols,
// and keeps them loaded until it is destroyed.
// The only place in ploke that calls dlopen.
//
// Failure isolation: a file that is not a shared object, does not load (missing symbol), has
// no entry point, was built for another ABI major (or a newer minor), fails its register
// function or registers an adapter or simulator protocol name already taken is refused with a Status naming the
// file (kInvalidRequest) and unloaded; what loaded before stays loaded.
//
// Lifetime: factories and adapters the plugins make run plugin code, so the PluginSet must
// outlive every registry it filled and every adapter those registries created.
//
// Thread-safety: load everything on one thread before sharing; the const methods are then
// safe to call concurrently.
//
// Example:
//   plugins::PluginSet set;
//   AdapterRegistry registry;
//   PLOKE_RETURN_IF_ERROR(adapters::register_builtin_adapters(registry));
//   for (const Status& s : set.load_dir("/opt/ploke/lib/ploke-sim/plugins", registry.names())) report(s);
//   PLOKE_RETURN_IF_ERROR(set.register_adapters(registry));
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/registry.h"
#include "ploke/core/sim_protocol.h"
#include "ploke/core/status.h"

namespace ploke::plugins {

/// One loaded plugin, as `ploke-sim adapters` reports it.
struct PluginInfo {
  std::string path;          ///< the shared object's path as given
  std::string name;          ///< the plugin's own name
  std::string version;       ///< the plugin's own version
  std::string sdk_version;   ///< PLOKE_SDK_VERSION it was built with
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::vector<std::string> adapters;  ///< the adapter names it registered, in order
  std::vector<std::string> sim_protocols;  ///< the simulator protocols it registered (ABI 1.1)
};

/// The host's plugin ABI (PLOKE_PLUGIN_ABI_MAJOR / _MINOR of this build).
uint32_t host_abi_major();
uint32_t host_abi_minor();

class PluginSet {
 public:
  PluginSet();
  ~PluginSet();  ///< drops the plugins' factories, then unloads them (last loaded first)
  PluginSet(const PluginSet&) = delete;
  PluginSet& operator=(const PluginSet&) = delete;

  /// Loads one plugin. `taken`: adapter names registered elsewhere (the built-ins);
  /// `taken_protocols`: simulator protocol names spoken elsewhere (the simulator's
  /// built-ins); names of plugins loaded earlier are checked too. A file already loaded
  /// (same canonical path) is skipped with Ok. Refusals name the file; see the header comment.
  Status load(const std::string& path, const std::vector<std::string>& taken,
              const std::vector<std::string>& taken_protocols = {});
  /// Loads every regular file ending in ".so" in `dir`, in name order. One Status per
  /// refused file; a missing folder is one kNotFound Status.
  std::vector<Status> load_dir(const std::string& dir, const std::vector<std::string>& taken,
                               const std::vector<std::string>& taken_protocols = {});

  /// Adds every loaded adapter factory to `registry` (kInvalidRequest on a name clash).
  Status register_adapters(AdapterRegistry& registry) const;
  const std::vector<PluginInfo>& plugins() const { return infos_; }
  /// The plugin that registered `adapter`, or null (built in / unknown).
  const PluginInfo* origin(const std::string& adapter) const;
  /// The contract suite a plugin registered for `adapter`.
  std::optional<std::string> contract_suite(const std::string& adapter) const;
  /// The cassette ignore paths the plugins registered, each once, in load order.
  std::vector<std::string> cassette_ignore_paths() const;
  /// The simulator protocols the plugins registered, in load order (for
  /// simulator::SimOptions::protocols; they run plugin code: the set must outlive them).
  std::vector<SimProtocolPtr> sim_protocols() const;
  /// The plugin that registered simulator protocol `name`, or null.
  const PluginInfo* protocol_origin(const std::string& name) const;

 private:
  struct Loaded;
  std::vector<std::unique_ptr<Loaded>> loaded_;
  std::vector<PluginInfo> infos_;
};

}  // namespace ploke::plugins
