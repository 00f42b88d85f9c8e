// File: cli/commands.h
//
// The ploke-sim subcommands. main.cpp parses arguments with CLI11 and calls one of these;
// each returns the process exit code: 0 ok, 1 the run failed, 2 usage or bad input.
// This folder is the composition root: the only place that picks RealClock vs
// SimulatedClock, which adapters are registered, and which transport is used.
#pragma once

#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cmd_cassette.h"
#include "ploke/core/junit.h"

namespace ploke::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

/// --log-level / --log-format / --log-file of the commands that serve (gateway, serve):
/// one access line per request (ploke/logging/logger.h), secrets redacted.
struct LogArgs {
  std::string level = "info";   ///< trace | debug | info | warn | error | off
  std::string format = "text";  ///< text | json
  std::string file;             ///< "" = stderr
};

/// HTTPS on the listener of a command that serves requests (--tls-cert, --tls-key).
struct TlsArgs {
  std::string cert;  ///< PEM certificate chain
  std::string key;   ///< PEM private key
};

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string faults_file;
  uint64_t seed = 1;
  int threads = 0;  ///< 0 = default
  int ttft_ms = -1; ///< -1 = simulator default
  double tps = -1;  ///< -1 = simulator default
  bool fast = false;
  uint64_t limit_requests = 0;   ///< 0 = simulator default (requests per minute)
  uint64_t limit_tokens = 0;     ///< 0 = simulator default (tokens per minute)
  int openrouter_models = -1;    ///< -1 = simulator default (GET /api/v1/models size)
  std::vector<std::string> drift;  ///< OpenRouter schema drift: unknown_enums, numeric_prices, extra_fields, all
  ServeCassetteArgs cassette;  ///< --cassette, --timing, --after-last, --strict, --match-ignore
  LogArgs log{"warn", "text", ""};  ///< access lines at info, so by default only 5xx answers
  TlsArgs tls;
};
CLI::App* add_serve_command(CLI::App& app, ServeArgs& args);
int run_serve(const ServeArgs& args);

struct ChatArgs {
  std::string base_url;
  std::string adapter = "openai";
  std::string model = "gpt-4o-mini";
  std::string api_key_env = "OPENAI_API_KEY";
  std::string prompt;
  std::string system;
  bool stream = false;
  int max_tokens = 0;
  int timeout_ms = 60000;
  bool json = false;
  bool trace = false;                  ///< print the routing trace (stderr; with --json: in the output)
  std::vector<std::string> fallbacks;  ///< ADAPTER,URL[,MODEL]: fallback endpoints, in order
  std::string policy;                  ///< routing policy ("" = the façade's default)
  std::string ledger;                  ///< record every attempt in this cost ledger ("" = the config's `ledger`)
  std::string config;                  ///< config.toml ("" = the default location)
  std::string profile;                 ///< usage/budget label ("" = the active profile)
  bool dry_run = false;                ///< route + cost forecast only; nothing sent or written
};
CLI::App* add_chat_command(CLI::App& app, ChatArgs& args);
int run_chat(const ChatArgs& args);

/// `ploke-sim provider health`: probes the endpoints `chat` would use (--base-url and
/// --fallback) through the façade's budgeted active probes and prints breaker states,
/// error rates and latency percentiles.
struct HealthArgs {
  std::string base_url;
  std::string adapter = "openai";
  std::string model = "gpt-4o-mini";
  std::string api_key_env = "OPENAI_API_KEY";
  std::vector<std::string> fallbacks;
  int rounds = 3;
  int timeout_ms = 10000;
  bool json = false;
};
/// `provider health` under the `provider` command (added by add_config_commands).
CLI::App* add_provider_health_command(CLI::App& app, HealthArgs& args);
int run_provider_health(const HealthArgs& args);

struct DemoArgs {
  std::string faults_file;  ///< "" = the built-in plan
  uint64_t seed = 7;
  int requests = 12;
  bool in_process = false;  ///< virtual time through the in-process transport
  bool json = false;        ///< --json: the run as one JSON document
};
CLI::App* add_demo_command(CLI::App& app, DemoArgs& args);
int run_demo(const DemoArgs& args);

/// `ploke-sim adapters [--json]` (cmd_chat.cpp): the registered adapters and their origin.
struct AdaptersArgs {
  bool json = false;
};
CLI::App* add_adapters_command(CLI::App& app, AdaptersArgs& args);
int run_adapters(const AdaptersArgs& args);

/// `ploke-sim models …` (cmd_models.cpp): the model catalog (ploke::catalog).
struct ModelsArgs {
  std::string action;  ///< list | refresh | search | info | promote (set by the parser)
  std::string cache;   ///< "" = $XDG_CACHE_HOME/ploke-sim/models-cache.json
  std::string curated_file;
  std::string base_url = "https://openrouter.ai/api/v1";
  std::string api_key_env = "OPENROUTER_API_KEY";
  int timeout_ms = 30000;
  bool curated_only = false, discovered_only = false, json = false, offline = false, force = false;
  std::vector<std::string> words;
  std::string id, config, as;
  std::vector<std::string> params;
};
CLI::App* add_models_command(CLI::App& app, ModelsArgs& args);
int run_models(const ModelsArgs& args);
/// Every model id of the catalog (curated, then the cache `cache`, "" = the default one's
/// discovered models); silent: a bad cache is skipped (the console's completion).
std::vector<std::string> catalog_model_ids(const std::string& cache = {});

/// `ploke-sim contract …` (cmd_contract.cpp): an adapter's conformance suite.
struct ContractArgs {
  std::string adapter;
  std::string suite;   ///< "" = the plugin's suite for ADAPTER, else $PLOKE_CONTRACTS_DIR/ADAPTER.json, else installed share/, else the source tree's adapters/contracts/
  std::string filter;  ///< --case
  bool json = false;
  std::string junit;   ///< --junit FILE: JUnit XML (a testcase per case)
};
CLI::App* add_contract_command(CLI::App& app, ContractArgs& args);
int run_contract(const ContractArgs& args);

/// `ploke-sim config validate|show`, `model use`, `provider profile` (cmd_config.cpp): ploke::config.
struct ConfigArgs {
  std::string action;  ///< validate | show | model-use | profile (set by the parser)
  std::string config, cache, model, preset, profile, resolve;
  bool dry_run = false, with_keys = false, json = false;
  int timeout_ms = 2000;
};
void add_config_commands(CLI::App& app, ConfigArgs& args);
int run_config(const ConfigArgs& args);

/// `ploke-sim usage` (cmd_usage.cpp): spend from the cost ledger (ploke::ledger).
struct UsageArgs {
  std::string since, until, by = "provider", ledger, config;
  bool json = false, csv = false, no_probes = false;
};
CLI::App* add_usage_command(CLI::App& app, UsageArgs& args);
int run_usage(const UsageArgs& args);

/// `ploke-sim gateway keys create|list|revoke` (cmd_gateway_keys.cpp): the gateway's
/// client keys in the cost ledger (ploke/gateway/client_keys.h).
struct GatewayKeysArgs {
  std::string action;  ///< create | list | revoke ("" = not run)
  std::string name;
  std::optional<double> budget;
  std::optional<int64_t> rpm;
  std::string models;  ///< a,b,c
  std::string id;      ///< revoke
  std::string ledger, config;
  bool json = false;
};
void add_gateway_keys_commands(CLI::App& gateway, GatewayKeysArgs& args);
int run_gateway_keys(const GatewayKeysArgs& args);

/// `ploke-sim gateway` (cmd_gateway.cpp): the core behind an OpenAI-compatible (and
/// Anthropic Messages) endpoint; docs/gateway.md.
struct GatewayArgs {
  std::string host = "127.0.0.1";
  int port = 4000;  ///< serve 8080, gateway 4000, record 8081: each its own default
  std::string config;
  std::vector<std::string> providers;  ///< ADAPTER,URL[,MODEL[,KEY_ENV]]
  bool sim = false;
  std::string sim_faults;
  std::string sim_protocol = "openai";  ///< --sim-protocol: the adapter the core speaks to the simulators with
  int sim_ttft_ms = -1;
  double sim_tps = -1;
  bool sim_fast = false;
  std::string model = "gpt-4o-mini";
  std::string default_model;  ///< --default-model: where unknown model names go ("" = 404; --sim: the sim's model)
  std::string policy;
  int threads = 2;
  int busy_poll = 200;  ///< --busy-poll: polls after each wake before a loop sleeps (0 = off)
  int max_queue = 1024;
  int max_in_flight = 256;
  bool max_in_flight_given = false;  ///< --max-in-flight on the command line (wins over [routing])
  int timeout_ms = 120000;
  int drain_timeout_ms = 10000;
  std::string ledger;
  std::string otlp_endpoint;  ///< --otlp-endpoint (default: $OTEL_EXPORTER_OTLP_ENDPOINT); "" = no export
  std::optional<double> otlp_sample_ratio;  ///< --otlp-sample-ratio (default: $OTEL_TRACES_SAMPLER_ARG, else 1)
  std::string redis;          ///< --redis URL (wins over [shared] url); "" = not shared
  std::string instance_id;    ///< --instance-id (wins over [shared] instance_id)
  std::string auth = "auto";         ///< --auth on|off|auto (auto: off on a loopback --host)
  std::string master_key_env;        ///< --master-key-env VAR ("" = PLOKE_GATEWAY_MASTER_KEY if set)
  LogArgs log;
  TlsArgs tls;                       ///< --tls-cert / --tls-key: serve HTTPS
  GatewayKeysArgs keys;              ///< `gateway keys …`
};
CLI::App* add_gateway_command(CLI::App& app, GatewayArgs& args);
int run_gateway(const GatewayArgs& args);

/// `ploke-sim llm queue status` (cmd_llm.cpp): a running gateway's admission queue.
struct LlmArgs {
  std::string action;  ///< queue-status (set by the parser)
  std::string url = "http://127.0.0.1:4000";
  std::string master_key_env;  ///< variable holding the gateway's master key ("" = PLOKE_GATEWAY_MASTER_KEY)
  bool json = false;
  int timeout_ms = 5000;
};
CLI::App* add_llm_command(CLI::App& app, LlmArgs& args);
int run_llm(const LlmArgs& args);

/// `ploke-sim console` (console.cpp): slash commands against a running gateway.
struct ConsoleArgs {
  std::string url = "http://127.0.0.1:4000";
  std::string config;          ///< the verbs' --config ("" = their default)
  std::string master_key_env;  ///< variable holding the gateway's master key ("" = PLOKE_GATEWAY_MASTER_KEY)
  int timeout_ms = 5000;       ///< per admin request
};
CLI::App* add_console_command(CLI::App& app, ConsoleArgs& args);
int run_console(const ConsoleArgs& args);

/// `ploke-sim routing policy [NAME]` (cmd_routing.cpp): the [routing] section of config.toml.
struct RoutingArgs {
  std::string action;  ///< policy (set by the parser)
  std::string config, name;
  bool json = false;
};
CLI::App* add_routing_command(CLI::App& app, RoutingArgs& args);
int run_routing(const RoutingArgs& args);

/// `ploke-sim scenario run` (cmd_scenario.cpp): deterministic virtual-time scenarios (ploke::scenarios).
struct ScenarioArgs {
  std::string action;  ///< run (set by the parser)
  std::string path;    ///< file or directory; "" = the scenarios/ library
  bool json = false, real_time = false, logs = false;
  std::string report;
  std::string junit;  ///< --junit FILE: JUnit XML (one testcase per expectation)
  std::optional<uint64_t> seed;
};
CLI::App* add_scenario_command(CLI::App& app, ScenarioArgs& args);
int run_scenario_command(const ScenarioArgs& args);

/// `ploke-sim check`: the user's command against the simulator, its LLM client judged
/// (cmd_check.cpp; scenarios/README.md "Client checks").
struct CheckArgs {
  std::string scenario;               ///< check file ("" = the library's checks/standard.json)
  std::string profile;                ///< an SDK profile's parameters for every check
  std::vector<std::string> command;   ///< after --
  bool json = false;
  std::string junit;
  int64_t timeout_ms = 0;             ///< 0 = the file's timeout (default 5 min)
  std::string host = "127.0.0.1";
  int port = 0;
  bool keep_keys = false;
  bool list_profiles = false;
  ServeCassetteArgs cassette;
};
CLI::App* add_check_command(CLI::App& app, CheckArgs& args);
int run_check(const CheckArgs& args);

/// `ploke-sim ploke import` (cmd_ploke.cpp): ploke's config.toml → a ploke-sim config
/// (ploke/config/ploke_import.h; docs/ploke.md).
struct PlokeArgs {
  std::string action;  ///< import (set by the parser)
  std::string from;    ///< "" = ploke's default config path
  std::string out;     ///< "" = stdout
  std::string openrouter_base_url, cache;
  bool no_catalog = false, json = false;
};
CLI::App* add_ploke_command(CLI::App& app, PlokeArgs& args);
int run_ploke(const PlokeArgs& args);

/// `ploke-sim __generate …` (cmd_generate.cpp, hidden): shell completions, man pages and
/// the option dump, from the App's own command tree (cli_spec.h, cli_docs.h).
struct GenerateArgs {
  std::string what;    ///< completion | man | options ("" = not run)
  std::string shell;   ///< bash | zsh | fish
  std::string output;  ///< file (completion, options; "" = stdout) or folder (man)
};
CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args);
/// Generates from `app` (the root, fully built).
int run_generate(const CLI::App& app, const GenerateArgs& args);

/// Blocks SIGINT/SIGTERM in the calling thread (and every thread started after it), so a
/// later sigwait() on the returned set receives them synchronously. Call before any thread
/// is created.
sigset_t block_stop_signals();

/// The JUnit reports' run stamp: now (UTC, from the real clock) and this host's name
/// ("localhost" when unknown). junit_run.cpp.
JunitRun junit_run_here();

/// Reads a whole file. Returns false and sets `error` on failure.
bool read_file(const std::string& path, std::string& out, std::string& error);

}  // namespace ploke::cli
