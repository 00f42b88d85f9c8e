// `ploke-sim serve`: the simulator on real sockets and the real clock.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli_checks.h"
#include "commands.h"
#include "log_flags.h"
#include "plugins.h"
#include "ploke/core/clock.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "ploke/simulator/http_server.h"

namespace ploke::cli {

CLI::App* add_serve_command(CLI::App& app, ServeArgs& a) {
  CLI::App* s = app.add_subcommand("serve", "Run the provider simulator (OpenAI, Anthropic, OpenRouter) over HTTP");
  s->add_option("--host", a.host, "Address to bind (loopback by default)")->capture_default_str();
  s->add_option("--port", a.port, "Port to bind; 0 picks a free port")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  s->add_option("--faults", a.faults_file, "Fault plan JSON file (see simulator/README.md)")
      ->check(CLI::ExistingFile);
  s->add_option("--seed", a.seed, "Seed for synthetic completions and fault dice")->capture_default_str()->check(Uint64Value());
  s->add_option("--threads", a.threads, "Worker threads (0 = default)")->check(CLI::Range(0, 4096));
  s->add_option("--ttft-ms", a.ttft_ms, "Time to first token, ms")->check(CLI::Range(0, 600000));
  s->add_option("--tps", a.tps, "Streaming pace, tokens per second")->check(CLI::Range(0.001, 1e9));
  s->add_flag("--fast", a.fast, "No simulated latency at all (benchmarks)");
  s->add_option("--limit-requests", a.limit_requests,
                "Advertised (and enforced) requests per minute (x-ratelimit-limit-requests; default 10000)")
      ->check(CLI::Range(static_cast<uint64_t>(1), static_cast<uint64_t>(1'000'000'000'000ULL)));
  s->add_option("--limit-tokens", a.limit_tokens, "Advertised (and enforced) tokens per minute (default 30000000)")
      ->check(CLI::Range(static_cast<uint64_t>(1), static_cast<uint64_t>(1'000'000'000'000ULL)));
  s->add_option("--openrouter-models", a.openrouter_models, "Models listed by GET /api/v1/models")
      ->check(CLI::Range(1, 100000));
  s->add_option("--drift", a.drift,
                "OpenRouter schema drift on every response: unknown_enums, numeric_prices, extra_fields, all "
                "(repeatable or comma-separated; per request: header x-ploke-sim-drift)")
      ->delimiter(',')
      ->check(CLI::IsMember({"unknown_enums", "numeric_prices", "extra_fields", "all"}));
  add_serve_cassette_flags(*s, a.cassette);
  add_log_flags(*s, a.log);
  add_tls_flags(*s, a.tls);
  return s;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = path + ": read error";
    return false;
  }
  out = ss.str();
  return true;
}


namespace {

// The client protocol a simulator route speaks, for the access line.
std::string_view served_protocol(std::string_view path) {
  if (path.rfind("/api/v1", 0) == 0) return "openrouter";
  if (path.rfind("/v1/messages", 0) == 0) return "anthropic";
  if (path.rfind("/v1/responses", 0) == 0) return "responses";
  return "openai";
}

// One access line per answered request: its journal entry (request id, model, status,
// fault fired, an ending other than complete) and the time to its last byte.
std::function<void(const simulator::JournalEntry&, Duration)> access_log(logging::Logger& log, Clock& clock) {
  if (!log.enabled(logging::Level::kWarn)) return {};
  return [&log, &clock](const simulator::JournalEntry& e, Duration took) {
    logging::AccessRecord a;
    a.trace_id = e.request_id;
    a.protocol = std::string(served_protocol(e.path));
    a.method = e.method;
    a.path = e.path;
    a.model = e.model;
    a.status = e.status;
    a.latency_ms = std::chrono::duration<double, std::milli>(took).count();
    a.fault = e.fault_id;
    if (e.ending != "complete") a.ending = e.ending;
    log.access(a, clock.system_now());
  };
}

}  // namespace

int run_serve(const ServeArgs& args) {
  sigset_t stop_signals = block_stop_signals();
  simulator::SimOptions opts;
  opts.seed = args.seed;
  if (args.fast) opts.latency = simulator::LatencyModel::Fast();
  if (args.ttft_ms >= 0) opts.latency.time_to_first_token = std::chrono::milliseconds(args.ttft_ms);
  if (args.tps > 0) opts.latency.tokens_per_second = args.tps;
  if (args.limit_requests > 0) opts.rate_limits.limit_requests = args.limit_requests;
  if (args.limit_tokens > 0) opts.rate_limits.limit_tokens = args.limit_tokens;
  if (args.openrouter_models > 0) opts.openrouter.catalog_size = static_cast<uint32_t>(args.openrouter_models);
  for (const std::string& d : args.drift) {
    const bool all = d == "all";
    if (all || d == "unknown_enums") opts.openrouter.drift.unknown_enums = true;
    if (all || d == "numeric_prices") opts.openrouter.drift.numeric_prices = true;
    if (all || d == "extra_fields") opts.openrouter.drift.extra_fields = true;
  }
  if (!args.faults_file.empty()) {
    std::string text, err;
    if (!read_file(args.faults_file, text, err)) {
      std::fprintf(stderr, "ploke-sim serve: %s\n", err.c_str());
      return kExitUsage;
    }
    Result<simulator::FaultPlan> plan = simulator::parse_fault_plan(text, args.faults_file);
    if (!plan.ok()) {
      std::fprintf(stderr, "ploke-sim serve: %s\n", plan.status().message().c_str());
      return kExitUsage;
    }
    opts.faults = std::move(plan).value();
  }
  if (int rc = apply_serve_cassette_flags(args.cassette, opts); rc != kExitOk) return rc;
  if (!check_tls_flags(args.tls, "ploke-sim serve")) return kExitUsage;
  opts.protocols = sim_protocols();  // the plugins' simulator protocols
  RealClock clock;
  auto engine = simulator::SimEngine::Create(opts, clock);
  if (!engine.ok()) {
    std::fprintf(stderr, "ploke-sim serve: %s\n", engine.status().to_string().c_str());
    return kExitUsage;
  }
  auto logger = open_log(args.log, "serve");
  if (!logger.ok()) {
    std::fprintf(stderr, "ploke-sim serve: %s\n", logger.status().to_string().c_str());
    return kExitUsage;
  }
  simulator::ServerOptions sopts;
  sopts.on_served = access_log(**logger, clock);
  sopts.host = args.host;
  sopts.port = args.port;
  if (args.threads > 0) sopts.threads = static_cast<size_t>(args.threads);
  sopts.tls_cert_file = args.tls.cert;
  sopts.tls_key_file = args.tls.key;
  auto server = simulator::SimServer::Start(**engine, clock, sopts);
  if (!server.ok()) {
    std::fprintf(stderr, "ploke-sim serve: %s\n", server.status().to_string().c_str());
    return server.status().code() == StatusCode::kInvalidRequest ? kExitUsage : kExitFailed;
  }
  std::printf("listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "ploke-sim serve: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->stop();
  return finish_serve_cassette(args.cassette, **engine);
}

}  // namespace ploke::cli
