// ploke-sim: the command-line entry point. Parses arguments and dispatches; see
// commands.h. Exit codes: 0 ok, 1 run failed, 2 usage or bad input.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
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

// Bare `ploke-sim`: every visible command, from the parser's own list (never a hand-kept one).
int no_subcommand(CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  std::fprintf(stderr, "ploke-sim: a command is required (%s)\n%s", names.c_str(), app.help().c_str());
  return ploke::cli::kExitUsage;
}

// Every command's arguments and parser node: added to the parser, then dispatched.
struct Commands {
  ploke::cli::ServeArgs serve;
  ploke::cli::ChatArgs chat;
  ploke::cli::DemoArgs demo;
  ploke::cli::RecordArgs record;
  ploke::cli::AdaptersArgs adapters;
  ploke::cli::CassetteArgs cassette;
  ploke::cli::GatewayArgs gateway;
  ploke::cli::ModelsArgs models;
  ploke::cli::ContractArgs contract;
  ploke::cli::ConfigArgs config;
  ploke::cli::UsageArgs usage;
  ploke::cli::LlmArgs llm;
  ploke::cli::RoutingArgs routing;
  ploke::cli::ScenarioArgs scenario;
  ploke::cli::CheckArgs check;
  ploke::cli::PlokeArgs ploke;
  ploke::cli::HealthArgs health;
  ploke::cli::ConsoleArgs console;  // `console`: the slash commands run the verbs above (console.cpp)
  ploke::cli::GenerateArgs generate;
  CLI::App *s = nullptr, *c = nullptr, *d = nullptr, *r = nullptr, *a = nullptr, *cs = nullptr, *gw = nullptr,
           *ms = nullptr, *ct = nullptr, *us = nullptr, *ck = nullptr, *ph = nullptr, *co = nullptr;

  void add(CLI::App& app) {
    using namespace ploke::cli;
    s = add_serve_command(app, serve);
    c = add_chat_command(app, chat);
    d = add_demo_command(app, demo);
    r = add_record_command(app, record);
    a = add_adapters_command(app, adapters);
    cs = add_cassette_command(app, cassette);
    gw = add_gateway_command(app, gateway);
    ms = add_models_command(app, models);
    ct = add_contract_command(app, contract);
    add_config_commands(app, config);
    us = add_usage_command(app, usage);
    add_llm_command(app, llm);
    add_routing_command(app, routing);
    add_scenario_command(app, scenario);
    ck = add_check_command(app, check);
    add_ploke_command(app, ploke);
    ph = add_provider_health_command(app, health);
    co = add_console_command(app, console);
    add_generate_command(app, generate);
  }

  int dispatch(CLI::App& app) {
    using namespace ploke::cli;
    if (s->parsed()) return run_serve(serve);
    if (gw->parsed()) return run_gateway(gateway);
    if (c->parsed()) return run_chat(chat);
    if (d->parsed()) return run_demo(demo);
    if (r->parsed()) return run_record_with_plugins(record);
    if (a->parsed()) return run_adapters(adapters);
    if (cs->parsed()) return run_cassette(cassette);
    if (ms->parsed()) return run_models(models);
    if (ct->parsed()) return run_contract(contract);
    if (!config.action.empty()) return run_config(config);
    if (us->parsed()) return run_usage(usage);
    if (ph->parsed()) return run_provider_health(health);
    if (ck->parsed()) return run_check(check);
    if (co->parsed()) return run_console(console);
    if (!llm.action.empty()) return run_llm(llm);
    if (!routing.action.empty()) return run_routing(routing);
    if (!scenario.action.empty()) return run_scenario_command(scenario);
    if (!ploke.action.empty()) return run_ploke(ploke);
    return no_subcommand(app);
  }
};

// Parses, loads the adapter plugins (plugins.h) and runs the chosen command.
int run(int argc, char** argv) {
  using namespace ploke::cli;
  CLI::App app{"ploke-sim: a trustworthy LLM provider layer and the simulator to prove it offline"};
  app.set_version_flag("--version", std::string("ploke-sim ") + PLOKE_VERSION + " (allocator " + active_allocator() + ")");
  PluginArgs plugin_args;
  add_plugin_options(app, plugin_args);
  auto cmds = std::make_unique<Commands>();
  cmds->add(app);
  if (std::optional<int> rc = parse(app, argc, argv)) return *rc;
  if (!cmds->generate.what.empty()) return run_generate(app, cmds->generate);
  const std::string& config_file = !cmds->chat.config.empty() ? cmds->chat.config : cmds->gateway.config;
  if (std::optional<int> rc = load_plugins(plugin_args, config_plugins(config_file))) return *rc;
  return cmds->dispatch(app);
}

}  // namespace

int main(int argc, char** argv) {
  const int rc = run(argc, argv);
  ploke::cli::unload_plugins();  // after the command: none of their adapters is alive
  return rc;
}
