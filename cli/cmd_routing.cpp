// ploke-sim routing policy [NAME] [--config FILE] [--json]
//
// Without NAME: prints the routing policy in effect (config.toml's [routing] policy, else
// the façade's default) and the registered policies. With NAME: checks it against the
// policies an LlmClient registers (LlmClient::policies()) and saves it as `policy = "NAME"`
// in the [routing] table of config.toml — a text-preserving, atomic edit (comments and the
// rest of the file are kept; see ploke/config/edit.h). `chat` and `gateway` read it.
// --json: {"policy", "source" ("default" | "config"), "config", "registered": [...], "saved"}.
// Exit codes: 0 ok; 1 the file could not be written; 2 unknown policy or an invalid config.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "commands.h"
#include "ploke/config/config.h"
#include "ploke/config/edit.h"
#include "routing_options.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::cli {

CLI::App* add_routing_command(CLI::App& app, RoutingArgs& args) {
  auto* routing = app.add_subcommand("routing", "Routing of the resilience façade ([routing] in config.toml)");
  routing->require_subcommand(1);
  auto* policy = routing->add_subcommand("policy", "Show the routing policy, or switch it (saved in config.toml)");
  policy->add_option("name", args.name, "cost, latency, throughput, reliability, weighted or pinned");
  policy->add_option("--config", args.config, "Config file (default $XDG_CONFIG_HOME/ploke-sim/config.toml)");
  policy->add_flag("--json", args.json, "Print the policy in effect, where it comes from and the registered ones as JSON");
  policy->callback([&args] { args.action = "policy"; });
  return routing;
}

namespace {

// The --json shape, before and after a switch.
void print_policy_json(const std::string& policy, bool from_config, const std::string& config,
                       const std::vector<std::string>& registered, bool saved) {
  const nlohmann::json j{{"policy", policy},         {"source", from_config ? "config" : "default"},
                         {"config", config},         {"registered", registered},
                         {"saved", saved}};
  std::printf("%s\n", j.dump(2).c_str());
}

}  // namespace

int run_routing(const RoutingArgs& args) {
  namespace cfg = ploke::config;
  cfg::LoadOptions lo;
  lo.explicit_path = args.config;
  cfg::LoadResult loaded = cfg::load_config(lo);
  const std::string path = cfg::config_path(args.config, cfg::process_env());
  if (!loaded.ok()) {
    std::fprintf(stderr, "ploke-sim routing policy: %s\n", redact_secrets(loaded.status().message()).c_str());
    return kExitUsage;
  }
  // The policies a façade registers, from the façade itself.
  SimulatedClock clock;
  resilience::LlmClient probe(clock, llm_client_options(loaded.config.routing));
  const std::vector<std::string> names = probe.policies();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  if (args.name.empty()) {
    const bool from_file = !loaded.config.routing.policy.empty();
    if (args.json) {
      print_policy_json(probe.policy(), from_file, from_file ? loaded.path : path, names, false);
      return kExitOk;
    }
    std::printf("routing policy: %s (%s)\n", probe.policy().c_str(),
                from_file ? ("[routing] policy in " + loaded.path).c_str() : "default");
    std::printf("registered: %s\n", known.c_str());
    return kExitOk;
  }
  if (std::find(names.begin(), names.end(), args.name) == names.end()) {
    std::fprintf(stderr, "ploke-sim routing policy: unknown policy '%s' (registered: %s)\n",
                 redact_secrets(args.name).c_str(), known.c_str());
    return kExitUsage;
  }
  auto r = cfg::edit_config_file(path, {{{"routing"}, "policy", cfg::toml_string(args.name)}}, lo);
  if (!r.ok()) {
    std::fprintf(stderr, "ploke-sim routing policy: %s\n", redact_secrets(r.status().message()).c_str());
    return r.status().code() == StatusCode::kInvalidRequest ? kExitUsage : kExitFailed;
  }
  if (args.json) {
    print_policy_json(args.name, true, path, names, true);
  } else {
    std::printf("routing policy: %s (saved in %s)\n", args.name.c_str(), path.c_str());
  }
  return kExitOk;
}

}  // namespace ploke::cli
