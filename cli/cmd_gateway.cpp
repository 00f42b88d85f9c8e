// `ploke-sim gateway`: the core behind an OpenAI-compatible (and Anthropic Messages) local
// endpoint (cli/gateway/, docs/gateway.md). Upstreams are live providers (--provider,
// --config) or simulators started in process (--sim). SIGINT/SIGTERM: stop accepting,
// finish in-flight requests up to --drain-timeout-ms, flush the ledger, exit 0.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "pricing.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/register.h"
#include "ploke/config/config.h"
#include "ploke/config/credentials.h"
#include "ploke/core/clock.h"
#include "ploke/core/registry.h"
#include "ploke/core/secret.h"
#include "ploke/config/routing.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/ledger_usage.h"
#include "ploke/gateway/server.h"
#include "ploke/ledger/ledger.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "ploke/simulator/http_server.h"

namespace ploke::cli {

CLI::App* add_gateway_command(CLI::App& app, GatewayArgs& a) {
  CLI::App* g = app.add_subcommand(
      "gateway", "Serve the core as an OpenAI-compatible (and Anthropic Messages) endpoint in front of live or simulated providers");
  g->add_option("--host", a.host, "Address to bind (loopback by default)")->capture_default_str();
  g->add_option("--port", a.port, "Port to bind; 0 picks a free port")->capture_default_str()->check(CLI::Range(0, 65535));
  g->add_option("--config", a.config, "ploke-sim config file: every [models] entry becomes an upstream endpoint; [routing] configures the façade, "
                "budgets gate spending, `ledger` is the default --ledger")
      ->check(CLI::ExistingFile);
  g->add_option("--provider", a.providers,
                "Upstream ADAPTER,URL[,MODEL[,KEY_ENV]] (repeatable, in fallback order; key from KEY_ENV or the adapter's "
                "conventional variable)");
  g->add_flag("--sim", a.sim, "Start two in-process simulators (sim-a, then sim-b as its fallback) as upstreams");
  g->add_option("--sim-faults", a.sim_faults, "Fault plan for sim-a (simulator/README.md)")->check(CLI::ExistingFile);
  g->add_option("--sim-ttft-ms", a.sim_ttft_ms, "Simulators' time to first token, ms")->check(CLI::Range(0, 600000));
  g->add_option("--sim-tps", a.sim_tps, "Simulators' tokens per second")->check(CLI::Range(0.001, 1e9));
  g->add_flag("--sim-fast", a.sim_fast, "Simulators without any simulated latency (benchmarks)");
  g->add_option("--model", a.model, "Default model for --provider entries without one")->capture_default_str();
  g->add_option("--policy", a.policy, "Routing policy: cost, latency, reliability, weighted, pinned");
  g->add_option("--threads", a.threads, "Event-loop threads of the HTTP front")->capture_default_str()->check(CLI::Range(1, 256));
  g->add_option("--workers", a.workers, "Worker threads running blocking façade calls (0 = each request on a fiber of its event loop)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  g->add_option("--max-queue", a.max_queue, "Requests waiting for a worker before 429/529")->capture_default_str()->check(CLI::Range(1, 1000000));
  g->add_option("--max-in-flight", a.max_in_flight, "Façade admission: concurrent upstream calls (wins over the config's [routing])")
      ->capture_default_str()
      ->each([&a](const std::string&) { a.max_in_flight_given = true; })
      ->check(CLI::Range(1, 100000));
  g->add_option("--timeout-ms", a.timeout_ms, "Per-attempt total timeout, ms")->capture_default_str()->check(CLI::Range(1, 86400000));
  g->add_option("--drain-timeout-ms", a.drain_timeout_ms, "On SIGINT/SIGTERM, how long in-flight requests may finish")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  g->add_option("--ledger", a.ledger, "Record every attempt and probe (tokens, cost, outcome) in this SQLite cost ledger (via the façade's usage hook; "
                "written in batches, the rest on shutdown)");
  return g;
}

namespace {

struct Upstream {
  std::string id, adapter, base_url, model, key_env;
};

// ADAPTER,URL[,MODEL[,KEY_ENV]]
std::optional<Upstream> parse_provider(const std::string& spec, const std::string& default_model) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t c = spec.find(',', start);
    parts.push_back(spec.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  if (parts.size() < 2 || parts.size() > 4 || parts[0].empty() || parts[1].empty()) return std::nullopt;
  Upstream u;
  u.adapter = parts[0];
  u.base_url = parts[1];
  u.model = parts.size() > 2 && !parts[2].empty() ? parts[2] : default_model;
  u.key_env = parts.size() > 3 ? parts[3] : config::conventional_key_env(u.adapter);
  return u;
}

bool is_http_url(const std::string& u) { return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0; }

}  // namespace

int run_gateway(const GatewayArgs& args) {
  const char* cmd = "ploke-sim gateway";
  sigset_t stop_signals = block_stop_signals();
  RealClock clock;

  // --- upstreams: --provider, --config, --sim -------------------------------------
  std::vector<Upstream> ups;
  for (const auto& spec : args.providers) {
    auto u = parse_provider(spec, args.model);
    if (!u) {
      std::fprintf(stderr, "%s: --provider: expected ADAPTER,URL[,MODEL[,KEY_ENV]] (got '%s')\n", cmd, redact_secrets(spec).c_str());
      return kExitUsage;
    }
    if (!is_http_url(u->base_url)) {
      std::fprintf(stderr, "%s: --provider: URL must start with http:// or https:// (got '%s')\n", cmd,
                   redact_secrets(u->base_url).c_str());
      return kExitUsage;
    }
    ups.push_back(std::move(*u));
  }
  std::vector<std::pair<std::string, Secret>> config_keys;  // id -> key from the config's credentials
  std::string ledger_path = args.ledger;
  std::optional<config::Config> conf;  // --config: [routing], budgets, profile
  if (!args.config.empty()) {
    config::LoadOptions lo;
    lo.explicit_path = args.config;
    config::LoadResult lr = config::load_config(lo);
    if (!lr.ok()) {
      for (const auto& e : lr.errors) std::fprintf(stderr, "%s: --config: %s\n", cmd, e.to_string().c_str());
      return kExitUsage;
    }
    if (ledger_path.empty()) ledger_path = lr.config.ledger_path;
    conf = lr.config;
    for (const auto& [name, m] : lr.config.models) {
      auto pit = lr.config.providers.find(m.provider);
      if (pit == lr.config.providers.end()) {
        std::fprintf(stderr, "%s: --config: models.%s.provider: unknown provider '%s'\n", cmd, name.c_str(), m.provider.c_str());
        return kExitUsage;
      }
      const config::ProviderConfig& p = pit->second;
      Upstream u;
      u.adapter = p.kind;
      u.base_url = p.base_url;
      u.model = m.id.empty() ? name : m.id;
      // Catalog ids are "vendor/model"; direct providers take the bare model.
      if (p.kind != "openrouter" && u.model.rfind(p.kind + "/", 0) == 0) u.model = u.model.substr(p.kind.size() + 1);
      u.id = p.name + "/" + u.model;
      auto key = config::resolve_provider_key(lr.config, p.name, config::process_env(), clock);
      if (key.ok()) config_keys.emplace_back(u.id, key->key);
      ups.push_back(std::move(u));
    }
  }
  std::vector<std::unique_ptr<sim::SimEngine>> sim_engines;
  std::vector<std::unique_ptr<sim::SimServer>> sim_servers;
  if (args.sim) {
    for (int i = 0; i < 2; ++i) {
      sim::SimOptions so;
      so.seed = 7 + static_cast<uint64_t>(i);
      if (args.sim_fast) so.latency = sim::LatencyModel::Fast();
      if (args.sim_ttft_ms >= 0) so.latency.time_to_first_token = std::chrono::milliseconds(args.sim_ttft_ms);
      if (args.sim_tps > 0) so.latency.tokens_per_second = args.sim_tps;
      if (i == 0 && !args.sim_faults.empty()) {
        std::string text, err;
        if (!read_file(args.sim_faults, text, err)) {
          std::fprintf(stderr, "%s: --sim-faults: %s\n", cmd, err.c_str());
          return kExitUsage;
        }
        auto plan = sim::parse_fault_plan(text, args.sim_faults);
        if (!plan.ok()) {
          std::fprintf(stderr, "%s: --sim-faults: %s\n", cmd, plan.status().message().c_str());
          return kExitUsage;
        }
        so.faults = std::move(plan).value();
      }
      auto engine = sim::SimEngine::Create(so, clock);
      if (!engine.ok()) {
        std::fprintf(stderr, "%s: %s\n", cmd, engine.status().to_string().c_str());
        return kExitFailed;
      }
      sim::ServerOptions sso;
      sso.host = "127.0.0.1";
      sso.port = 0;
      sso.threads = 1;
      auto server = sim::SimServer::Start(**engine, clock, sso);
      if (!server.ok()) {
        std::fprintf(stderr, "%s: simulator: %s\n", cmd, server.status().to_string().c_str());
        return kExitFailed;
      }
      const std::string name = i == 0 ? "sim-a" : "sim-b";
      std::printf("upstream %s %s (simulated)\n", name.c_str(), (*server)->url().c_str());
      ups.push_back({name + "/" + args.model, "openai", (*server)->url() + "/v1", args.model, ""});
      sim_engines.push_back(std::move(engine).value());
      sim_servers.push_back(std::move(server).value());
    }
  }
  if (ups.empty()) {
    std::fprintf(stderr, "%s: no upstream: give --provider ADAPTER,URL[,MODEL], --config FILE or --sim\n", cmd);
    return kExitUsage;
  }

  // --- the façade -----------------------------------------------------------------
  AdapterRegistry registry;
  if (Status st = register_builtin_adapters(registry); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", cmd, st.to_string().c_str());
    return kExitFailed;
  }
  // --workers 0 (default): each request runs on a fiber of its event loop and http://
  // upstream calls run on that loop too (LoopHttpClient), so a request never changes
  // threads. --workers N: blocking calls on N worker threads.
  HttpTransport::Options ho{256, "ploke-sim-gateway/0.1", true};
  ho.on_event_loop = args.workers == 0;
  HttpTransport transport(clock, ho);  // a client that leaves cancels the façade call (its token stops the transfer)
  // The cost ledger (--ledger, else the config's `ledger`): every attempt and probe reaches
  // it through the façade's usage hook, as with `chat --ledger` (batched: LedgerUsage);
  // the config's budgets gate spending ("stop" → insufficient_credits in protocol shape).
  std::unique_ptr<ledger::Ledger> book;
  std::unique_ptr<gateway::LedgerUsage> usage;
  if (!ledger_path.empty()) {
    auto l = ledger::Ledger::open(ledger_path, clock);
    if (!l.ok()) {
      std::fprintf(stderr, "%s: --ledger: %s\n", cmd, l.status().to_string().c_str());
      return kExitUsage;
    }
    book = std::move(l).value();
    if (conf && !conf->budgets.empty()) {
      std::vector<ledger::Budget> budgets;
      for (const auto& b : conf->budgets) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
      if (Status st = book->set_budgets(budgets); !st.ok()) {
        std::fprintf(stderr, "%s: --config: budgets: %s\n", cmd, st.to_string().c_str());
        return kExitUsage;
      }
    }
    usage = std::make_unique<gateway::LedgerUsage>(*book, clock, "gateway", conf ? conf->active_profile : std::string());
  }
  // The façade: --max-in-flight, then the config's [routing] (policy, breaker, retries,
  // lanes, …) as `chat` applies it; explicit flags (--max-in-flight, --policy) win.
  resilience::LlmClientOptions lo;
  lo.admission.max_in_flight = static_cast<uint32_t>(args.max_in_flight);
  if (conf) {
    lo = config::llm_client_options(*conf, lo);
    lo.profile = conf->active_profile;
    if (args.max_in_flight_given) lo.admission.max_in_flight = static_cast<uint32_t>(args.max_in_flight);
  }
  lo.session = "gateway";
  if (usage) {
    lo.usage_sink = usage.get();
    lo.budget_oracle = usage.get();
  }
  auto client = std::make_unique<resilience::LlmClient>(clock, lo);
  if (!args.policy.empty()) {
    if (Status st = client->set_policy(args.policy); !st.ok()) {
      std::fprintf(stderr, "%s: --policy: %s\n", cmd, st.message().c_str());
      return kExitUsage;
    }
  }
  std::vector<ProviderAdapterPtr> adapters;
  std::vector<gateway::EndpointInfo> infos;
  const catalog::Catalog prices = price_catalog();  // forecasts, the cost policy, ledger price rows (as `chat`)
  for (size_t i = 0; i < ups.size(); ++i) {
    Upstream& u = ups[i];
    auto adapter = registry.create(u.adapter);
    if (!adapter.ok()) {
      std::string names;
      for (const auto& n : registry.names()) names += (names.empty() ? "" : ", ") + n;
      std::fprintf(stderr, "%s: --provider: unknown adapter '%s' (registered: %s)\n", cmd, u.adapter.c_str(), names.c_str());
      return kExitUsage;
    }
    adapters.push_back(std::move(adapter).value());
    const std::string provider = u.id.empty() ? u.adapter + "#" + std::to_string(i + 1) : u.id.substr(0, u.id.find('/'));
    if (u.id.empty()) u.id = provider + "/" + u.model;
    resilience::EndpointConfig c;
    c.candidate.id = u.id;
    c.candidate.provider = provider;
    c.candidate.model = u.model;
    c.candidate.key_id = u.key_env;
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};  // what the user named is trusted
    if (const catalog::ModelRecord* priced = priced_record(prices, u.adapter, u.model)) {
      set_candidate_prices(c.candidate, *priced);
      if (book) {
        if (Status st = ensure_price(*book, price_of(*priced, provider, u.model, clock.system_now())); !st.ok()) {
          std::fprintf(stderr, "%s: --ledger: %s\n", cmd, st.to_string().c_str());
          return kExitFailed;
        }
      }
    } else if (book) {
      std::fprintf(stderr, "%s: note: no catalog price for %s/%s: its ledger rows are unpriced\n", cmd, u.adapter.c_str(),
                   u.model.c_str());
    }
    c.adapter = adapters.back().get();
    c.endpoint.provider = provider;
    c.endpoint.base_url = u.base_url;
    for (const auto& [id, key] : config_keys) {
      if (id == u.id) c.endpoint.api_key = key;
    }
    if (c.endpoint.api_key.empty() && !u.key_env.empty()) {
      if (const char* key = std::getenv(u.key_env.c_str()); key != nullptr) c.endpoint.api_key = Secret(key);
    }
    c.transport = &transport;
    c.call_options.connect_timeout = std::chrono::seconds(10);
    c.call_options.total_timeout = std::chrono::milliseconds(args.timeout_ms);
    infos.push_back({c.candidate.id, c.candidate.provider, c.candidate.model});
    if (Status st = client->add_endpoint(std::move(c)); !st.ok()) {
      std::fprintf(stderr, "%s: %s\n", cmd, st.to_string().c_str());
      return kExitUsage;
    }
  }

  gateway::GatewayOptions go;
  go.workers = static_cast<size_t>(args.workers);
  go.max_queue = static_cast<size_t>(args.max_queue);
  gateway::Gateway gw(*client, clock, infos, go);
  if (usage) gw.set_on_completed([&](const gateway::Completed& c) { usage->record_request(c); });  // the request rows

  gateway::ServerOptions so;
  so.host = args.host;
  so.port = args.port;
  so.threads = static_cast<size_t>(args.threads);
  auto server = gateway::GatewayServer::Start(gw, so);
  if (!server.ok()) {
    std::fprintf(stderr, "%s: %s\n", cmd, server.status().to_string().c_str());
    return kExitFailed;
  }
  for (const auto& i : infos) std::fprintf(stderr, "%s: endpoint %s (%s)\n", cmd, i.id.c_str(), i.model.c_str());
  std::printf("listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "%s: %s received, draining (up to %d ms)\n", cmd, sig == SIGINT ? "SIGINT" : "SIGTERM", args.drain_timeout_ms);
  (*server)->stop_accepting();
  gw.begin_drain();
  int rc = kExitOk;
  if (!gw.wait_idle(std::chrono::milliseconds(args.drain_timeout_ms))) {
    std::fprintf(stderr, "%s: %zu requests still in flight after the drain timeout; cancelling them\n", cmd, gw.in_flight());
    gw.cancel_all();
    if (!gw.wait_idle(std::chrono::seconds(5))) rc = kExitFailed;
  }
  (*server)->stop();
  gw.stop();
  if (usage) {
    // Graceful shutdown: the rows still pending go in now.
    const Status st = usage->flush();
    if (!st.ok() || usage->write_errors() > 0) {
      const Status& e = st.ok() ? usage->last_error() : st;
      std::fprintf(stderr, "%s: --ledger %s: %llu failed write(s); last: %s\n", cmd, ledger_path.c_str(),
                   static_cast<unsigned long long>(usage->write_errors()), e.to_string().c_str());
      rc = kExitFailed;
    }
  }
  for (auto& s : sim_servers) s->stop();
  return rc;
}

}  // namespace ploke::cli
