// `ploke-sim check [--scenario FILE] [--sdk-profile NAME] [--json] [--junit FILE] -- COMMAND…`
//
// Judges an application's own LLM client: serves the simulator on loopback with a check
// file's fault schedule (synthetic answers, or --cassette replay), runs COMMAND with the
// SDKs' base-URL variables pointing at it, then applies the file's client checks to what
// the simulator saw (ploke/scenarios/client_check.h; scenarios/README.md "Client checks").
// Exit codes: 0 every check passed (checks with no evidence are reported, not failed);
// 1 a check failed; 2 bad input (the check file, a flag, a command that cannot be started).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <mutex>

#include "child_process.h"
#include "commands.h"
#include "data_dir.h"
#include "ploke/core/file_io.h"
#include "ploke/scenarios/client_check.h"
#include "ploke/simulator/http_server.h"

namespace ploke::cli {

namespace sc = ploke::scenarios;

CLI::App* add_check_command(CLI::App& app, CheckArgs& args) {
  auto* c = app.add_subcommand("check", "Run your app's tests against the simulator under faults and judge its LLM client");
  c->add_option("-s,--scenario", args.scenario,
                "Check file: fault schedule + client checks (default: the library's checks/standard.json)");
  c->add_option("--sdk-profile", args.profile,
                "Judge with an SDK's parameters: openai-node, openai-python, anthropic-node, vercel-ai");
  c->add_flag("--json", args.json, "Print the report as JSON (the command's stdout goes to stderr)");
  c->add_option("--junit", args.junit, "Write JUnit XML to this file (a test per check, for CI)");
  c->add_option("--timeout-ms", args.timeout_ms, "Stop the command after this many ms (default: the file's timeout, else 5 min)")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400'000}));
  c->add_option("--host", args.host, "Simulator address")->capture_default_str();
  c->add_option("--port", args.port, "Simulator port (0 = any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  c->add_flag("--keep-keys", args.keep_keys,
              "Pass the caller's OPENAI_API_KEY/ANTHROPIC_API_KEY/OPENROUTER_API_KEY through (default: placeholders)");
  c->add_flag("--list-profiles", args.list_profiles, "List the built-in SDK profiles and exit");
  add_serve_cassette_flags(*c, args.cassette);
  c->add_option("command", args.command, "The command to run, after --")->expected(-1);
  return c;
}

namespace {

constexpr const char* kPlaceholderKey = "sk-ploke-check-FAKE-0000000000000000";

// The observed exchanges, filled on the simulator's loop threads.
struct Collector {
  std::mutex mu;
  std::vector<sc::ObservedExchange> seen;
  void add(const simulator::JournalEntry& e, Duration latency) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back({e, latency});
  }
};

Result<sc::ClientCheckSpec> load_spec(const CheckArgs& args) {
  const std::string file = args.scenario.empty()
                               ? data_path("scenarios/checks/standard.json", PLOKE_SCENARIOS_DIR "/checks/standard.json")
                               : args.scenario;
  auto spec = sc::load_client_check_file(file);
  if (!spec.ok()) return spec;
  if (!args.profile.empty()) {
    const sc::ClientProfile* p = sc::find_client_profile(args.profile);
    if (p == nullptr) return InvalidRequestError("--sdk-profile: unknown profile '" + args.profile + "' (see --list-profiles)");
    for (auto& c : spec->checks) {
      for (const auto& pc : p->checks) {
        if (pc.kind == c.kind) c = pc;
      }
    }
    spec->profile = args.profile;
  }
  if (args.timeout_ms > 0) spec->timeout = std::chrono::milliseconds(args.timeout_ms);
  return spec;
}

std::vector<std::pair<std::string, std::string>> child_env(const std::string& url, bool keep_keys) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"OPENAI_BASE_URL", url + "/v1"},        {"ANTHROPIC_BASE_URL", url},
      {"OPENROUTER_BASE_URL", url + "/api/v1"}, {"PLOKE_SIM_URL", url}};
  if (!keep_keys) {
    for (const char* k : {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY"}) env.emplace_back(k, kPlaceholderKey);
  }
  return env;
}

int print_report(const CheckArgs& args, const sc::ClientCheckReport& report) {
  if (args.json) {
    std::fputs(sc::client_report_json(report).c_str(), stdout);
  } else {
    std::fputs(sc::client_report_text(report).c_str(), stdout);
  }
  std::fflush(stdout);
  if (!args.junit.empty()) {
    if (Status st = write_file_atomic(args.junit, sc::client_report_junit(report, junit_run_here())); !st.ok()) {
      std::fprintf(stderr, "ploke-sim check: cannot write %s: %s\n", args.junit.c_str(), st.message().c_str());
      return kExitFailed;
    }
  }
  return report.passed() ? kExitOk : kExitFailed;
}

struct Simulator {
  std::unique_ptr<simulator::SimEngine> engine;
  std::unique_ptr<simulator::SimServer> server;
};

int start_simulator(const CheckArgs& args, const sc::ClientCheckSpec& spec, Clock& clock, Collector& seen,
                    Simulator& sim) {
  simulator::SimOptions opts;
  opts.seed = spec.seed;
  opts.latency.time_to_first_token = spec.ttft;
  opts.latency.tokens_per_second = spec.tokens_per_second;
  opts.faults = spec.faults;
  if (int rc = apply_serve_cassette_flags(args.cassette, opts, "check"); rc != kExitOk) return rc;
  auto engine = simulator::SimEngine::Create(opts, clock);
  if (!engine.ok()) {
    std::fprintf(stderr, "ploke-sim check: %s\n", engine.status().message().c_str());
    return kExitUsage;
  }
  sim.engine = std::move(*engine);
  simulator::ServerOptions so;
  so.host = args.host;
  so.port = args.port;
  so.max_hang = spec.hang_limit();
  so.on_served = [&seen](const simulator::JournalEntry& e, Duration latency) { seen.add(e, latency); };
  auto server = simulator::SimServer::Start(*sim.engine, clock, so);
  if (!server.ok()) {
    std::fprintf(stderr, "ploke-sim check: %s\n", server.status().to_string().c_str());
    return server.status().code() == StatusCode::kInvalidRequest ? kExitUsage : kExitFailed;
  }
  sim.server = std::move(*server);
  return kExitOk;
}

}  // namespace

int run_check(const CheckArgs& args) {
  if (args.list_profiles) {
    std::fputs(sc::client_profiles_text().c_str(), stdout);
    return kExitOk;
  }
  if (args.command.empty()) {
    std::fprintf(stderr, "ploke-sim check: a command to run is required, after -- (e.g. `ploke-sim check -- npm test`)\n");
    return kExitUsage;
  }
  auto spec = load_spec(args);
  if (!spec.ok()) {
    std::fprintf(stderr, "ploke-sim check: %s\n", spec.status().message().c_str());
    return kExitUsage;
  }
  block_stop_signals();  // before the simulator's threads: SIGINT/SIGTERM go to the command
  RealClock clock;
  Collector seen;
  Simulator sim;
  if (int rc = start_simulator(args, *spec, clock, seen, sim); rc != kExitOk) return rc;
  const std::string url = sim.server->url();
  std::fprintf(stderr, "ploke-sim check: simulator on %s (OPENAI_BASE_URL=%s/v1, ANTHROPIC_BASE_URL=%s, "
               "OPENROUTER_BASE_URL=%s/api/v1, PLOKE_SIM_URL)\n", url.c_str(), url.c_str(), url.c_str(), url.c_str());
  ChildOptions co;
  co.argv = args.command;
  co.env = child_env(url, args.keep_keys);
  co.time_limit = std::chrono::duration_cast<std::chrono::milliseconds>(spec->timeout);
  co.stdout_to_stderr = args.json;
  const TimePoint started = clock.now();
  auto child = run_child(clock, co);
  const Duration run_time = clock.now() - started;
  sim.server->stop();  // every exchange has ended (and been noted) once this returns
  if (!child.ok()) {
    std::fprintf(stderr, "ploke-sim check: %s\n", child.status().message().c_str());
    return kExitUsage;
  }
  sc::CommandOutcome outcome{child->exit_code, child->timed_out, run_time};
  sc::ClientCheckReport report = sc::judge_client(*spec, seen.seen, outcome, sim.engine->fault_stats());
  report.command = args.command;
  const int rc = print_report(args, report);
  // --strict replay: unmatched requests or unused recordings fail the run too.
  const int replay_rc = finish_serve_cassette(args.cassette, *sim.engine);
  return rc != kExitOk ? rc : replay_rc;
}

}  // namespace ploke::cli
