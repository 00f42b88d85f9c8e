// ploke-sim: the command-line entry point. Parses arguments and dispatches; see
// commands.h. Exit codes: 0 ok, 1 run failed, 2 usage or bad input.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "allocator.h"
#include "cli_checks.h"
#include "cmd_record.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace ploke::cli;
  CLI::App app{"ploke-sim: a trustworthy LLM provider layer and the simulator to prove it offline"};
  app.set_version_flag("--version", "ploke-sim 0.1.0 (allocator " + active_allocator() + ")");

  ServeArgs serve;
  auto* s = app.add_subcommand("serve", "Run the provider simulator (OpenAI, Anthropic, OpenRouter) over HTTP");
  s->add_option("--host", serve.host, "Address to bind (loopback by default)")->capture_default_str();
  s->add_option("--port", serve.port, "Port to bind; 0 picks a free port")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  s->add_option("--faults", serve.faults_file, "Fault plan JSON file (see simulator/README.md)")
      ->check(CLI::ExistingFile);
  s->add_option("--seed", serve.seed, "Seed for synthetic completions and fault dice")->capture_default_str()->check(Uint64Value());
  s->add_option("--threads", serve.threads, "Worker threads (0 = default)")->check(CLI::Range(0, 4096));
  s->add_option("--ttft-ms", serve.ttft_ms, "Time to first token, ms")->check(CLI::Range(0, 600000));
  s->add_option("--tps", serve.tps, "Streaming pace, tokens per second")->check(CLI::Range(0.001, 1e9));
  s->add_flag("--fast", serve.fast, "No simulated latency at all (benchmarks)");
  s->add_option("--limit-requests", serve.limit_requests,
                "Advertised (and enforced) requests per minute (x-ratelimit-limit-requests; default 10000)")
      ->check(CLI::Range(static_cast<uint64_t>(1), static_cast<uint64_t>(1'000'000'000'000ULL)));
  s->add_option("--limit-tokens", serve.limit_tokens, "Advertised (and enforced) tokens per minute (default 30000000)")
      ->check(CLI::Range(static_cast<uint64_t>(1), static_cast<uint64_t>(1'000'000'000'000ULL)));
  s->add_option("--openrouter-models", serve.openrouter_models, "Models listed by GET /api/v1/models")
      ->check(CLI::Range(1, 100000));
  s->add_option("--drift", serve.drift,
                "OpenRouter schema drift on every response: unknown_enums, numeric_prices, extra_fields, all "
                "(repeatable or comma-separated; per request: header x-ploke-sim-drift)")
      ->delimiter(',')
      ->check(CLI::IsMember({"unknown_enums", "numeric_prices", "extra_fields", "all"}));
  add_serve_cassette_flags(*s, serve.cassette);

  ChatArgs chat;
  auto* c = app.add_subcommand("chat", "Send one prompt through the core to a base URL (simulator or live provider)");
  c->add_option("prompt", chat.prompt, "The user message")->required();
  c->add_option("--base-url", chat.base_url, "e.g. http://127.0.0.1:8080/v1 or https://api.openai.com/v1")->required();
  c->add_option("--adapter", chat.adapter, "Adapter name (see `ploke-sim adapters`)")->capture_default_str();
  c->add_option("--model", chat.model, "Model id")->capture_default_str();
  c->add_option("--api-key-env", chat.api_key_env, "Environment variable holding the API key")->capture_default_str();
  c->add_option("--system", chat.system, "System message");
  c->add_option("--max-tokens", chat.max_tokens, "Max output tokens")->check(CLI::Range(1, 10000000));
  c->add_option("--timeout-ms", chat.timeout_ms, "Total timeout, ms")->capture_default_str()->check(CLI::Range(1, 86400000));
  c->add_flag("--stream", chat.stream, "Stream the answer");
  c->add_flag("--json", chat.json, "Print the normalized response as JSON");
  c->add_flag("--trace", chat.trace, "Print the routing trace: candidates, filters, scores, every attempt");
  c->add_option("--fallback", chat.fallbacks, "Fallback endpoint ADAPTER,URL[,MODEL] (repeatable, in order)");
  c->add_option("--policy", chat.policy, "Routing policy: cost, latency, reliability, weighted, pinned");
  c->add_option("--ledger", chat.ledger, "Record every attempt (tokens, cost, outcome) in this SQLite cost ledger");
  c->add_option("--config", chat.config, "config.toml ([routing], budgets, ledger, profiles)");
  c->add_option("--profile", chat.profile, "Usage/budget profile label (default: the active profile)");
  c->add_flag("--dry-run", chat.dry_run, "Route and forecast the cost only: nothing is sent or written");

  DemoArgs demo;
  auto* d = app.add_subcommand("demo", "Main job: start the simulator with a fault plan, drive the core through it, "
                                       "print what happened per request");
  d->add_option("--faults", demo.faults_file, "Fault plan JSON (default: a built-in plan with every fault kind)")
      ->check(CLI::ExistingFile);
  d->add_option("--seed", demo.seed, "Seed")->capture_default_str()->check(Uint64Value());
  d->add_option("--requests", demo.requests, "How many requests to send")->capture_default_str()->check(CLI::Range(1, 100000));
  d->add_flag("--in-process", demo.in_process, "Skip sockets: in-process transport on virtual time");

  RecordArgs record;
  auto* r = app.add_subcommand("record", "Recording reverse proxy: forward to --upstream, write a cassette");
  r->add_option("--upstream", record.upstream, "Upstream base URL: http(s)://host[:port][/prefix]");
  r->add_option("--cassette", record.cassette, "Cassette file to replay from / record into")->required();
  r->add_option("--mode", record.mode, "once | new_episodes | all | none")->capture_default_str()
      ->check(CLI::IsMember({"once", "new_episodes", "all", "none"}));
  r->add_option("--host", record.host, "Address to bind (loopback by default)")->capture_default_str();
  r->add_option("--port", record.port, "Port to bind; 0 picks a free port")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  r->add_option("--flush-ms", record.flush_ms,
                "Write the cassette every N ms when something new was recorded (0 = only on exit)")
      ->capture_default_str()->check(CLI::Range(0, 86400000));
  r->add_option("--timing", record.timing, "Replay timing: recorded | none | xN")->capture_default_str();
  r->add_flag("--insecure", record.insecure, "Do not verify the upstream's TLS certificate");
  r->add_flag("--record-failures", record.record_failures, "Also record upstream connection failures");
  r->add_flag("--synthetic", record.synthetic, "Mark a new cassette as synthetic (recorded from the simulator)");
  r->add_option("--provider", record.provider, "Cassette metadata: provider");
  r->add_option("--protocol", record.protocol, "Cassette metadata: protocol");
  r->add_option("--redact-header", record.redact_headers, "Extra credential header to redact (repeatable)");
  r->add_option("--redact-field", record.redact_fields, "Extra JSON field / query parameter to redact (repeatable)");
  r->add_option("--redact-pattern", record.redact_patterns, "Extra regex to redact (repeatable)");
  r->add_flag("--quiet", record.quiet, "No per-request log lines");

  auto* a = app.add_subcommand("adapters", "List the registered provider adapters");

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

  HealthArgs health;
  CLI::App* ph = app.get_subcommand("provider")->add_subcommand(
      "health", "Probe the endpoints chat would use; print breaker states, error rates, latency percentiles");
  ph->add_option("--base-url", health.base_url, "e.g. http://127.0.0.1:8080/v1")->required();
  ph->add_option("--adapter", health.adapter, "Adapter name (see `ploke-sim adapters`)")->capture_default_str();
  ph->add_option("--model", health.model, "Model id")->capture_default_str();
  ph->add_option("--api-key-env", health.api_key_env, "Environment variable holding the API key")->capture_default_str();
  ph->add_option("--fallback", health.fallbacks, "Another endpoint ADAPTER,URL[,MODEL] (repeatable)");
  ph->add_option("--rounds", health.rounds, "Probe rounds (one minimal request per endpoint each)")
      ->capture_default_str()->check(CLI::Range(1, 100));
  ph->add_option("--timeout-ms", health.timeout_ms, "Per-probe total timeout, ms")->capture_default_str()
      ->check(CLI::Range(1, 600000));

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
    return kExitUsage;
  }
  if (s->parsed()) return run_serve(serve);
  if (gw->parsed()) return run_gateway(gateway);
  if (c->parsed()) return run_chat(chat);
  if (d->parsed()) return run_demo(demo);
  if (r->parsed()) return run_record(record);
  if (a->parsed()) return run_adapters();
  if (cs->parsed()) return run_cassette(cassette);
  if (ms->parsed()) return run_models(models);
  if (ct->parsed()) return run_contract(contract);
  if (!config_args.action.empty()) return run_config(config_args);
  if (us->parsed()) return run_usage(usage);
  if (ph->parsed()) return run_provider_health(health);
  if (!llm.action.empty()) return run_llm(llm);
  if (!routing.action.empty()) return run_routing(routing);
  if (!scenario.action.empty()) return run_scenario_command(scenario);
  std::fprintf(stderr,
               "ploke-sim: a subcommand is required (demo, serve, chat, record, cassette, adapters, contract, models, "
               "config, model, provider, usage)\n%s",
               app.help().c_str());
  return kExitUsage;
}
