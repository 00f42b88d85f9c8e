// File: ploke/sdk/plugin.h
//
// The plugin entry point: a shared object that ploke-sim loads at run time (dlopen) exports
// one C function, `ploke_sim_plugin_entry`, returning a PlokeSimPlugin that says which ABI it
// was built for and how to register what it provides. PLOKE_SIM_PLUGIN(...) defines it:
//
//   static int register_acme(ploke::sdk::PluginRegistrar* r) {
//     if (!r->add_adapter("acme", [] { return acme::make_acme_adapter(); }).ok()) return 1;
//     r->add_contract_suite("acme", r->plugin_dir() + "/acme.json");
//     return 0;
//   }
//   PLOKE_SIM_PLUGIN("acme", "1.0.0", register_acme)
//
// ABI contract (docs/adding-an-adapter.md): `abi_major` and `abi_minor` stay the first two
// fields of PlokeSimPlugin in every ABI version, so a host reads them before anything else
// and refuses a plugin built for another major. New registrar methods (appended last) and
// new trailing fields come with a minor bump: 1.1 appended add_sim_protocol. The plugin resolves the SDK's functions (e.g.
// make_openai_adapter) against the host executable, which exports them.
//
// Thread-safety: the host calls the entry point and the register function once, on one
// thread, before serving. Factories the plugin registers may run on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ploke/core/adapter.h"
#include "ploke/core/sim_protocol.h"
#include "ploke/core/status.h"
#include "ploke/sdk/version.h"

namespace ploke::sdk {

/// Makes one adapter instance; called by the host's AdapterRegistry.
using AdapterFactory = std::function<ProviderAdapterPtr()>;

/// What the host gives a plugin's register function. Only valid during that call.
class PluginRegistrar {
 public:
  /// Adds an adapter under `name`. kInvalidRequest when the name is already registered
  /// (built in or by another plugin): the host then refuses the whole plugin.
  virtual Status add_adapter(const std::string& name, AdapterFactory factory) = 0;
  /// The contract suite `ploke-sim contract --adapter NAME` runs when no --suite is given
  /// (a JSON file, adapters/README.md "Contract kit"). kInvalidRequest for an adapter this
  /// plugin did not add.
  virtual Status add_contract_suite(const std::string& adapter, const std::string& path) = 0;
  /// The folder holding the plugin's shared object (to find files shipped next to it).
  virtual std::string plugin_dir() const = 0;
  /// A request body path (codec matcher syntax, e.g. "metadata" or "acme.trace_id") that
  /// cassette matching ignores, as each built-in package's kCassetteIgnoreFields: a volatile
  /// field the adapter sends. `serve --cassette` and `record` add it to the defaults.
  /// kInvalidRequest for an empty path.
  virtual Status add_cassette_ignore_path(const std::string& json_path) = 0;
  /// ABI 1.1: a wire protocol the simulator speaks (`ploke-sim serve`, the contract runner),
  /// e.g. the provider's own, so the plugin's adapter can be tested against it. The name is
  /// protocol->name(); kInvalidRequest for a null protocol, an empty name, or a name already
  /// registered (a built-in simulator protocol — "openai", "anthropic", "openrouter" — or
  /// an earlier plugin's): the host then refuses the whole plugin.
  virtual Status add_sim_protocol(SimProtocolPtr protocol) = 0;

 protected:
  ~PluginRegistrar() = default;
};

}  // namespace ploke::sdk

extern "C" {

/// Registers the plugin's adapters; returns 0 on success, anything else refuses the plugin.
typedef int (*PlokeSimRegisterFn)(ploke::sdk::PluginRegistrar* registrar);

struct PlokeSimPlugin {
  uint32_t abi_major;               ///< PLOKE_PLUGIN_ABI_MAJOR the plugin was built with (first, always)
  uint32_t abi_minor;               ///< PLOKE_PLUGIN_ABI_MINOR (second, always)
  const char* name;                 ///< the plugin's name, e.g. "acme"
  const char* version;              ///< the plugin's own version, e.g. "1.0.0"
  const char* sdk_version;          ///< PLOKE_SDK_VERSION the plugin was built with
  PlokeSimRegisterFn register_plugin;
};

/// The entry point's type; its symbol name is PLOKE_SIM_PLUGIN_ENTRY_SYMBOL.
typedef const PlokeSimPlugin* (*PlokeSimPluginEntry)(void);

}  // extern "C"

#define PLOKE_SIM_PLUGIN_ENTRY_SYMBOL "ploke_sim_plugin_entry"

/// Defines the entry point of a plugin named NAME (a string literal), version VERSION,
/// whose adapters REGISTER_FN (a PlokeSimRegisterFn) registers.
#define PLOKE_SIM_PLUGIN(NAME, VERSION, REGISTER_FN)                                                   \
  extern "C" __attribute__((visibility("default"))) const PlokeSimPlugin* ploke_sim_plugin_entry(void) { \
    static const PlokeSimPlugin plugin{PLOKE_PLUGIN_ABI_MAJOR, PLOKE_PLUGIN_ABI_MINOR, NAME, VERSION,     \
                                       PLOKE_SDK_VERSION, REGISTER_FN};                                  \
    return &plugin;                                                                                      \
  }
