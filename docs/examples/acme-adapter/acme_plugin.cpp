// acme.so: the Acme adapter as a ploke-sim plugin (docs/adding-an-adapter.md, "Plugins").
// ploke-sim loads it from --plugin-dir, $PLOKE_SIM_PLUGIN_PATH or <prefix>/lib/ploke-sim/plugins;
// it registers the "acme" adapter, its contract suite (acme.json, installed next to it) and
// Acme's wire protocol for the simulator (plugin ABI 1.1), which the suite runs against.
#include "acme_adapter.h"
#include "acme_sim_protocol.h"
#include "ploke/sdk/plugin.h"

namespace {

int register_acme(ploke::sdk::PluginRegistrar* registrar) {
  if (!registrar->add_adapter("acme", [] { return acme::make_acme_adapter(); }).ok()) return 1;
  if (!registrar->add_sim_protocol(acme::make_acme_sim_protocol()).ok()) return 1;
  return registrar->add_contract_suite("acme", registrar->plugin_dir() + "/acme.json").ok() ? 0 : 1;
}

}  // namespace

PLOKE_SIM_PLUGIN("acme", "1.0.0", register_acme)
