// ploke-sim: the command-line entry point. Parses arguments and dispatches; see
// commands.h. Exit codes: 0 ok, 1 run failed, 2 usage or bad input.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

#include "allocator.h"
#include "cli_checks.h"
#include "cmd_record.h"
#include "commands.h"
#include "plugins.h"

namespace {

// Parses the command line; an exit code when parsing ends the run (help, version, error).
std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return ploke::cli::kExitUsage;
  }
  return std::nullopt;
}

// `record` matches replays ignoring the built-in packages' and the plugins' volatile fields.
int run_record_with_plugins(ploke::cli::RecordArgs& args) {
  args.match_ignore_paths = ploke::cli::cassette_ignore_paths();
  return ploke::cli::run_record(args);
}

// Bare `ploke-sim`: every command, from the parser's own list (never a hand-kept one).
int no_subcommand(CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  std::fprintf(stderr, "ploke-sim: a command is required (%s)\n%s", names.c_str(), app.help().c_str());
  return ploke::cli::kExitUsage;
}

// Parses, loads the adapter plugins (plugins.h) and runs the chosen command.
int run(int argc, char** argv) {
  using namespace ploke::cli;
  CLI::App app{"ploke-sim: a trustworthy LLM provider layer and the simulator to prove it offline"};
  app.set_version_flag("--version", std::string("ploke-sim ") + PLOKE_SIM_VERSION + " (allocator " + active_allocator() + ")");
  PluginArgs plugin_args;
  add_plugin_options(app, plugin_args);

  ServeArgs serve;
  CLI::App* s = add_serve_command(app, serve);
  ChatArgs chat;
  CLI::App* c = add_chat_command(app, chat);
  DemoArgs demo;
  CLI::App* d = add_demo_command(app, demo);
  RecordArgs record;
  CLI::App* r = add_record_command(app, record);

  auto* a = app.add_subcommand("adapters", "List the registered provider adapters and where each comes from");
  CassetteArgs cassette;
  CLI::App* cs = add_cassette_command(app, cassette);

  GatewayArgs gateway;
  CLI::App* gw = add_gateway_command(app, gateway);
  ModelsArgs models;
  CLI::App* ms = add_models_command(app, models);

  ContractArgs contract;
  CLI::App* ct = add_contract_command(app, contract);
  ConfigArgs config_args;
  add_config_commands(app, config_args);
  UsageArgs usage;
  CLI::App* us = add_usage_command(app, usage);

  LlmArgs llm;
  add_llm_command(app, llm);
  RoutingArgs routing;
  add_routing_command(app, routing);
  ScenarioArgs scenario;
  add_scenario_command(app, scenario);

  CheckArgs check;
  CLI::App* ck = add_check_command(app, check);
  PlokeArgs ploke;
  add_ploke_command(app, ploke);

  HealthArgs health;
  CLI::App* ph = add_provider_health_command(app, health);

  if (std::optional<int> rc = parse(app, argc, argv)) return *rc;
  const std::string& config_file = !chat.config.empty() ? chat.config : gateway.config;
  if (std::optional<int> rc = load_plugins(plugin_args, config_plugins(config_file))) return *rc;
  if (s->parsed()) return run_serve(serve);
  if (gw->parsed()) return run_gateway(gateway);
  if (c->parsed()) return run_chat(chat);
  if (d->parsed()) return run_demo(demo);
  if (r->parsed()) return run_record_with_plugins(record);
  if (a->parsed()) return run_adapters();
  if (cs->parsed()) return run_cassette(cassette);
  if (ms->parsed()) return run_models(models);
  if (ct->parsed()) return run_contract(contract);
  if (!config_args.action.empty()) return run_config(config_args);
  if (us->parsed()) return run_usage(usage);
  if (ph->parsed()) return run_provider_health(health);
  if (ck->parsed()) return run_check(check);
  if (!llm.action.empty()) return run_llm(llm);
  if (!routing.action.empty()) return run_routing(routing);
  if (!scenario.action.empty()) return run_scenario_command(scenario);
  if (!ploke.action.empty()) return run_ploke(ploke);
  return no_subcommand(app);
}

}  // namespace

int main(int argc, char** argv) {
  const int rc = run(argc, argv);
  ploke::cli::unload_plugins();  // after the command: none of their adapters is alive
  return rc;
}
