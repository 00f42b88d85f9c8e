// `ploke-sim contract --adapter NAME [--suite FILE] [--case TEXT] [--json]`: runs an
// adapter's conformance suite (ploke/simulator/contract.h) against the in-process simulator
// and golden cassettes, prints a pass/fail table. Exit 0 all pass, 1 any failure, 2 bad
// input (unknown adapter, unreadable or malformed suite naming the field path).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "commands.h"
#include "data_dir.h"
#include "plugins.h"
#include "ploke/core/file_io.h"
#include "ploke/adapters/register.h"
#include "ploke/core/adapter.h"
#include "ploke/core/registry.h"
#include "ploke/simulator/contract.h"

#ifndef PLOKE_CONTRACTS_DIR
#define PLOKE_CONTRACTS_DIR ""
#endif

namespace ploke::cli {

CLI::App* add_contract_command(CLI::App& app, ContractArgs& args) {
  auto* c = app.add_subcommand("contract", "Run an adapter's conformance suite against the simulator and golden cassettes");
  c->add_option("--adapter", args.adapter, "Adapter name (see `ploke-sim adapters`)")->required();
  c->add_option("--suite", args.suite,
                "Suite file (default: the suite a plugin registered for NAME, else $PLOKE_CONTRACTS_DIR/NAME.json, else the "
                "installed or source tree's adapters/contracts/NAME.json)");
  c->add_option("--case", args.filter, "Only cases whose name contains this text");
  c->add_flag("--json", args.json, "Print the report as JSON");
  c->add_option("--junit", args.junit, "Also write the report as JUnit XML to this file (a test per case, for CI)");
  return c;
}

// Where the suite for `adapter` lives when --suite is not given: $PLOKE_CONTRACTS_DIR, an
// installed tree (<prefix>/bin/ploke-sim → <prefix>/share/ploke-sim/adapters/contracts), else
// the source tree this binary was built from.
static std::string default_suite(const std::string& adapter) {
  const std::string file = adapter + ".json";
  if (const char* env = std::getenv("PLOKE_CONTRACTS_DIR"); env && *env) return (std::filesystem::path(env) / file).string();
  return data_path("adapters/contracts/" + file, (std::filesystem::path(PLOKE_CONTRACTS_DIR) / file).string());
}

int run_contract(const ContractArgs& args) {
  AdapterRegistry registry;
  if (Status st = register_adapters(registry); !st.ok()) {
    std::fprintf(stderr, "ploke-sim contract: %s\n", st.to_string().c_str());
    return kExitFailed;
  }
  auto adapter = registry.create(args.adapter);
  if (!adapter.ok()) {
    std::string names;
    for (const auto& n : registry.names()) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "ploke-sim contract: --adapter: unknown adapter '%s' (registered: %s)\n",
                 args.adapter.c_str(), names.c_str());
    return kExitUsage;
  }
  const std::optional<std::string> from_plugin = plugin_contract_suite(args.adapter);
  const std::string path = !args.suite.empty() ? args.suite : from_plugin ? *from_plugin : default_suite(args.adapter);
  if (args.suite.empty() && !std::filesystem::exists(path)) {
    std::fprintf(stderr, "ploke-sim contract: no suite for adapter '%s' at %s (write one, or pass --suite FILE)\n",
                 args.adapter.c_str(), path.c_str());
    return kExitUsage;
  }
  auto suite = simulator::load_contract_suite(path);
  if (!suite.ok()) {
    std::fprintf(stderr, "ploke-sim contract: %s\n", suite.status().message().c_str());
    return kExitUsage;
  }
  if (suite->adapter != args.adapter) {
    std::fprintf(stderr, "ploke-sim contract: %s: adapter: the suite is for '%s', not '%s'\n", path.c_str(),
                 suite->adapter.c_str(), args.adapter.c_str());
    return kExitUsage;
  }
  simulator::ContractReport rep = simulator::run_contract_suite(*suite, **adapter, args.filter, sim_protocols());
  if (rep.cases.empty()) {
    std::fprintf(stderr, "ploke-sim contract: --case: no case name contains '%s'\n", args.filter.c_str());
    return kExitUsage;
  }
  const std::string out = args.json ? simulator::contract_report_json(rep) : simulator::contract_report_table(rep);
  std::fputs(out.c_str(), stdout);
  if (!args.junit.empty()) {  // atomic: never half a file
    if (Status st = write_file_atomic(args.junit, simulator::contract_report_junit(rep, junit_run_here())); !st.ok()) {
      std::fprintf(stderr, "ploke-sim contract: cannot write %s: %s\n", args.junit.c_str(), st.message().c_str());
      return kExitFailed;
    }
  }
  return rep.ok() ? kExitOk : kExitFailed;
}

}  // namespace ploke::cli
