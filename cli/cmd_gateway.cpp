// `ploke-sim gateway`: the core behind an OpenAI-compatible (and Anthropic Messages) local
// endpoint (gateway/, docs/gateway.md). Upstreams are live providers (--provider,
// --config) or simulators started in process (--sim). SIGINT/SIGTERM: stop accepting,
// finish in-flight requests up to --drain-timeout-ms, flush the ledger, exit 0.
#include <CLI/CLI.hpp>

#include <csignal>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "plugins.h"
#include "gateway_shared.h"
#include "pricing.h"
#include "service_notify.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/register.h"
#include "ploke/config/config.h"
#include "ploke/config/credentials.h"
#include "ploke/core/clock.h"
#include "ploke/core/registry.h"
#include "ploke/core/secret.h"
#include "routing_options.h"
#include "ploke/gateway/client_keys.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/inbound.h"
#include "ploke/gateway/ledger_usage.h"
#include "ploke/gateway/otlp.h"
#include "ploke/gateway/server.h"
#include "ploke/ledger/ledger.h"
#include "log_flags.h"
#include "ploke/logging/logger.h"
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
  g->add_option("--sim-protocol", a.sim_protocol, "Adapter the core speaks to the simulators with: openai, anthropic, openrouter")
      ->capture_default_str()
      ->check(CLI::IsMember({"openai", "anthropic", "openrouter"}));
  g->add_option("--sim-faults", a.sim_faults, "Fault plan for sim-a (simulator/README.md)")->check(CLI::ExistingFile);
  g->add_option("--sim-ttft-ms", a.sim_ttft_ms, "Simulators' time to first token, ms")->check(CLI::Range(0, 600000));
  g->add_option("--sim-tps", a.sim_tps, "Simulators' tokens per second")->check(CLI::Range(0.001, 1e9));
  g->add_flag("--sim-fast", a.sim_fast, "Simulators without any simulated latency (benchmarks)");
  g->add_option("--model", a.model, "Default model for --provider entries without one")->capture_default_str();
  g->add_option("--default-model", a.default_model,
                 "Serve a model name that resolves to nothing with this model name instead of a 404 "
                 "(default: none; with --sim, the simulators' model)");
  g->add_option("--policy", a.policy, "Routing policy: cost, latency, throughput, reliability, weighted, pinned");
  g->add_option("--threads", a.threads, "Event-loop threads of the HTTP front")->capture_default_str()->check(CLI::Range(1, 256));
  g->add_option("--busy-poll", a.busy_poll,
                 "Polls an event loop makes after each wake before it sleeps again (a sched_yield between "
                 "polls): an answer or request arriving meanwhile costs no wake-up; 0 = sleep at once")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  g->add_option("--max-queue", a.max_queue, "Requests in flight per event loop before 429/529")->capture_default_str()->check(CLI::Range(1, 1000000));
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
  g->add_option("--redis", a.redis,
                "Share rate limits, breakers and budgets with other gateway instances through Redis: "
                "redis://[:PASSWORD@]HOST:PORT[/DB] or unix:/PATH (overrides [shared] url)");
  g->add_option("--instance-id", a.instance_id, "This instance's id in the shared state (default: [shared] instance_id, else host-pid)");
  g->add_option("--otlp-endpoint", a.otlp_endpoint,
                "Export spans and GenAI metrics as OTLP/HTTP JSON to this collector (http[s]://host:port; POST /v1/traces, "
                "/v1/metrics); default $OTEL_EXPORTER_OTLP_ENDPOINT; unset = no export");
  g->add_option("--otlp-sample-ratio", a.otlp_sample_ratio,
                "Share of new traces whose spans are exported, 0-1 (a client's traceparent decides for its own trace; metrics "
                "cover every request); default $OTEL_TRACES_SAMPLER_ARG with OTEL_TRACES_SAMPLER=parentbased_traceidratio, else 1")
      ->check(CLI::Range(0.0, 1.0));
  g->add_option("--auth", a.auth, "Client keys: on, off, or auto (off when --host is a loopback address, on otherwise)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off", "auto"}));
  g->add_option("--master-key-env", a.master_key_env,
                "Environment variable holding the master key (default: PLOKE_GATEWAY_MASTER_KEY when set)");
  add_log_flags(*g, a.log);
  add_tls_flags(*g, a.tls);
  add_gateway_keys_commands(*g, a.keys);
  return g;
}

namespace {

struct Upstream {
  std::string id, adapter, base_url, model, key_env;
  double weight = 1.0;  // a model group's deployment weight (the weighted policy)
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


// scheme://[userinfo@]host[:port][/…] → host (OpenTelemetry server.address); never the userinfo.
std::string url_host(const std::string& url) {
  size_t b = url.find("://");
  b = b == std::string::npos ? 0 : b + 3;
  const size_t e = url.find_first_of("/?#", b);
  std::string authority = url.substr(b, e == std::string::npos ? std::string::npos : e - b);
  if (const size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority[0] == '[') return authority.substr(0, authority.find(']') + 1);
  return authority.substr(0, authority.find(':'));
}

// --otlp-endpoint, else $OTEL_EXPORTER_OTLP_ENDPOINT; "" = no export.
std::string otlp_endpoint(const GatewayArgs& args) {
  if (!args.otlp_endpoint.empty()) return args.otlp_endpoint;
  const char* env = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  return env != nullptr ? std::string(env) : std::string();
}

}  // namespace

namespace {

constexpr const char* kCmd = "ploke-sim gateway";

// What run_gateway() builds, in order; each step reports its own error and exit code.
struct GatewaySetup {
  std::vector<Upstream> ups;
  std::vector<std::pair<std::string, Secret>> config_keys;  // id -> key from the config's credentials
  std::string ledger_path;
  std::optional<config::Config> conf;  // --config: [routing], budgets, profile
  std::vector<std::unique_ptr<simulator::SimEngine>> sim_engines;
  std::vector<std::unique_ptr<simulator::SimServer>> sim_servers;
  std::unique_ptr<ledger::Ledger> book;
  std::unique_ptr<gateway::LedgerUsage> usage;
  SharedSetup shared;  // [shared] / --redis; before the client and the keys, which use it
  std::unique_ptr<gateway::ClientAuth> auth;  // client keys (--auth); null = off
  std::unique_ptr<resilience::LlmClient> client;
  std::vector<ProviderAdapterPtr> adapters;
  std::vector<gateway::EndpointInfo> infos;
  std::vector<gateway::ModelName> names;  // --config: [models.NAME] groups and aliases
};

// A failed step: the exit code to return.
using StepResult = std::optional<int>;

StepResult add_provider_upstreams(const GatewayArgs& args, GatewaySetup& g) {
  for (const auto& spec : args.providers) {
    auto u = parse_provider(spec, args.model);
    if (!u) {
      std::fprintf(stderr, "%s: --provider: expected ADAPTER,URL[,MODEL[,KEY_ENV]] (got '%s')\n", kCmd, redact_secrets(spec).c_str());
      return kExitUsage;
    }
    if (!is_http_url(u->base_url)) {
      std::fprintf(stderr, "%s: --provider: URL must start with http:// or https:// (got '%s')\n", kCmd,
                   redact_secrets(u->base_url).c_str());
      return kExitUsage;
    }
    g.ups.push_back(std::move(*u));
  }
  return std::nullopt;
}

// One deployment of a [models] entry as an upstream (once per provider/model; a second
// mention reuses it); its endpoint id goes to `name`.
StepResult add_deployment(const config::Config& conf, const std::string& path, const config::ModelDeployment& d, Clock& clock,
                          GatewaySetup& g, gateway::ModelName& name) {
  auto pit = conf.providers.find(d.provider);
  if (pit == conf.providers.end()) {
    std::fprintf(stderr, "%s: --config: %s.provider: unknown provider '%s'\n", kCmd, path.c_str(), d.provider.c_str());
    return kExitUsage;
  }
  const config::ProviderConfig& p = pit->second;
  Upstream u;
  u.adapter = p.kind;
  u.base_url = p.base_url;
  u.model = d.id;
  // Catalog ids are "vendor/model"; direct providers take the bare model.
  if (p.kind != "openrouter" && u.model.rfind(p.kind + "/", 0) == 0) u.model = u.model.substr(p.kind.size() + 1);
  u.id = p.name + "/" + u.model;
  u.weight = d.weight.value_or(1.0);
  name.endpoints.push_back(u.id);
  name.weighted = name.weighted || d.weight.has_value();
  for (const auto& up : g.ups) {
    if (up.id == u.id) return std::nullopt;
  }
  auto key = config::resolve_provider_key(conf, p.name, config::process_env(), clock);
  if (key.ok()) g.config_keys.emplace_back(u.id, key->key);
  g.ups.push_back(std::move(u));
  return std::nullopt;
}

// --config: every [models] entry's deployments become upstreams and the entry a model name
// (with its aliases); [routing], budgets and the profile are kept for the façade and the
// ledger.
StepResult add_config_upstreams(const GatewayArgs& args, Clock& clock, GatewaySetup& g) {
  g.ledger_path = args.ledger;
  if (args.config.empty()) return std::nullopt;
  config::LoadOptions lo;
  lo.explicit_path = args.config;
  config::LoadResult lr = config::load_config(lo);
  if (!lr.ok()) {
    for (const auto& e : lr.errors) std::fprintf(stderr, "%s: --config: %s\n", kCmd, e.to_string().c_str());
    return kExitUsage;
  }
  if (g.ledger_path.empty()) g.ledger_path = lr.config.ledger_path;
  g.conf = lr.config;
  for (const auto& [name, m] : lr.config.models) {
    gateway::ModelName n{name, {}, m.aliases, false};
    std::vector<config::ModelDeployment> deps = m.deployments;
    if (deps.empty()) deps.push_back({m.provider, m.id.empty() ? name : m.id, std::nullopt});
    for (size_t i = 0; i < deps.size(); ++i) {
      const std::string path = m.deployments.empty() ? "models." + name : "models." + name + ".deployments[" + std::to_string(i) + "]";
      if (StepResult r = add_deployment(lr.config, path, deps[i], clock, g, n)) return r;
    }
    g.names.push_back(std::move(n));
  }
  return std::nullopt;
}

StepResult sim_options(const GatewayArgs& args, int i, simulator::SimOptions& so) {
  so.seed = 7 + static_cast<uint64_t>(i);
  if (args.sim_fast) so.latency = simulator::LatencyModel::Fast();
  if (args.sim_ttft_ms >= 0) so.latency.time_to_first_token = std::chrono::milliseconds(args.sim_ttft_ms);
  if (args.sim_tps > 0) so.latency.tokens_per_second = args.sim_tps;
  if (i != 0 || args.sim_faults.empty()) return std::nullopt;
  std::string text, err;
  if (!read_file(args.sim_faults, text, err)) {
    std::fprintf(stderr, "%s: --sim-faults: %s\n", kCmd, err.c_str());
    return kExitUsage;
  }
  auto plan = simulator::parse_fault_plan(text, args.sim_faults);
  if (!plan.ok()) {
    std::fprintf(stderr, "%s: --sim-faults: %s\n", kCmd, plan.status().message().c_str());
    return kExitUsage;
  }
  so.faults = std::move(plan).value();
  return std::nullopt;
}

// --sim: two in-process simulators on loopback, sim-a then sim-b as its fallback.
StepResult add_sim_upstreams(const GatewayArgs& args, Clock& clock, GatewaySetup& g) {
  if (!args.sim) return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    simulator::SimOptions so;
    if (StepResult r = sim_options(args, i, so)) return r;
    auto engine = simulator::SimEngine::Create(so, clock);
    if (!engine.ok()) {
      std::fprintf(stderr, "%s: %s\n", kCmd, engine.status().to_string().c_str());
      return kExitFailed;
    }
    simulator::ServerOptions sso;
    sso.host = "127.0.0.1";
    sso.port = 0;
    sso.threads = 1;
    auto server = simulator::SimServer::Start(**engine, clock, sso);
    if (!server.ok()) {
      std::fprintf(stderr, "%s: simulator: %s\n", kCmd, server.status().to_string().c_str());
      return kExitFailed;
    }
    const std::string name = i == 0 ? "sim-a" : "sim-b";
    std::printf("upstream %s %s (simulated)\n", name.c_str(), (*server)->url().c_str());
    // The simulator speaks every protocol; --sim-protocol picks the adapter the core uses.
    const std::string base = (*server)->url() + (args.sim_protocol == "anthropic"    ? ""
                                                 : args.sim_protocol == "openrouter" ? "/api/v1"
                                                                                     : "/v1");
    g.ups.push_back({name + "/" + args.model, args.sim_protocol, base, args.model, ""});
    g.sim_engines.push_back(std::move(engine).value());
    g.sim_servers.push_back(std::move(server).value());
  }
  return std::nullopt;
}

// The cost ledger (--ledger, else the config's `ledger`): every attempt and probe reaches
// it through the façade's usage hook, as with `chat --ledger` (batched: LedgerUsage); the
// config's budgets gate spending ("stop" → insufficient_credits in protocol shape).
StepResult open_ledger(Clock& clock, GatewaySetup& g) {
  if (g.ledger_path.empty()) return std::nullopt;
  auto l = ledger::Ledger::open(g.ledger_path, clock);
  if (!l.ok()) {
    std::fprintf(stderr, "%s: --ledger: %s\n", kCmd, l.status().to_string().c_str());
    return kExitUsage;
  }
  g.book = std::move(l).value();
  if (g.conf && !g.conf->budgets.empty()) {
    std::vector<ledger::Budget> budgets;
    for (const auto& b : g.conf->budgets) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
    if (Status st = g.book->set_budgets(budgets); !st.ok()) {
      std::fprintf(stderr, "%s: --config: budgets: %s\n", kCmd, st.to_string().c_str());
      return kExitUsage;
    }
  }
  g.usage = std::make_unique<gateway::LedgerUsage>(*g.book, clock, "gateway", g.conf ? g.conf->active_profile : std::string());
  return std::nullopt;
}

bool loopback_host(const std::string& h) {
  return h == "localhost" || h == "::1" || h == "[::1]" || h.rfind("127.", 0) == 0;
}

// --auth (auto: on unless --host is loopback): the master key from the environment and
// the client keys in the ledger. On with no key at all is refused: nothing could be served.
StepResult make_auth(const GatewayArgs& args, Clock& clock, GatewaySetup& g) {
  if (args.auth == "off" || (args.auth == "auto" && loopback_host(args.host))) return std::nullopt;
  const std::string var = args.master_key_env.empty() ? "PLOKE_GATEWAY_MASTER_KEY" : args.master_key_env;
  const char* master = std::getenv(var.c_str());
  if (!args.master_key_env.empty() && (master == nullptr || *master == '\0')) {
    std::fprintf(stderr, "%s: --master-key-env: the environment variable %s is not set\n", kCmd, var.c_str());
    return kExitUsage;
  }
  gateway::ClientAuthOptions ao;
  if (master != nullptr && *master != '\0') ao.master_key = Secret(master);
  ao.shared = g.shared.state.get();
  g.auth = std::make_unique<gateway::ClientAuth>(g.book.get(), clock, ao);
  if (Status st = g.auth->load(); !st.ok()) {
    std::fprintf(stderr, "%s: client keys: %s\n", kCmd, st.to_string().c_str());
    return kExitFailed;
  }
  if (g.auth->usable_keys() == 0) {
    std::fprintf(stderr,
                 "%s: client auth is on (--auth %s, --host %s) but there is no key: set PLOKE_GATEWAY_MASTER_KEY (or "
                 "--master-key-env VAR) to a master key, or create a client key with `ploke-sim gateway keys create "
                 "--name NAME --ledger FILE` and start the gateway with the same --ledger; --auth off turns auth off\n",
                 kCmd, args.auth.c_str(), args.host.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "%s: client auth on (%zu usable key(s)%s)\n", kCmd, g.auth->usable_keys(),
               ao.master_key.empty() ? "" : ", master key set");
  return std::nullopt;
}

// The façade: --max-in-flight, then the config's [routing] (policy, breaker, retries,
// lanes, …) as `chat` applies it; explicit flags (--max-in-flight, --policy) win.
StepResult make_client(const GatewayArgs& args, Clock& clock, GatewaySetup& g) {
  resilience::LlmClientOptions lo;
  lo.admission.max_in_flight = static_cast<uint32_t>(args.max_in_flight);
  if (g.conf) {
    lo = llm_client_options(g.conf->routing, lo);
    lo.profile = g.conf->active_profile;
    if (args.max_in_flight_given) lo.admission.max_in_flight = static_cast<uint32_t>(args.max_in_flight);
  }
  lo.session = "gateway";
  lo.shared = g.shared.state.get();
  if (g.usage) {
    lo.usage_sink = g.usage.get();
    lo.budget_oracle = g.usage.get();
    share_budgets(g.shared, clock, g.book->budgets(), g.usage.get(), lo);  // [shared]: budgets over shared spend
  }
  g.client = std::make_unique<resilience::LlmClient>(clock, lo);
  if (!args.policy.empty()) {
    if (Status st = g.client->set_policy(args.policy); !st.ok()) {
      std::fprintf(stderr, "%s: --policy: %s\n", kCmd, st.message().c_str());
      return kExitUsage;
    }
  }
  return std::nullopt;
}

// Prices from the catalog for the cost policy, forecasts and the ledger's price rows.
StepResult price_endpoint(Clock& clock, const catalog::Catalog& prices, const Upstream& u, resilience::EndpointConfig& c,
                          GatewaySetup& g) {
  if (const catalog::ModelRecord* priced = priced_record(prices, u.adapter, u.model)) {
    set_candidate_prices(c.candidate, *priced);
    if (g.book) {
      if (Status st = ensure_price(*g.book, price_of(*priced, c.candidate.provider, u.model, clock.system_now())); !st.ok()) {
        std::fprintf(stderr, "%s: --ledger: %s\n", kCmd, st.to_string().c_str());
        return kExitFailed;
      }
    }
  } else if (g.book) {
    std::fprintf(stderr, "%s: note: no catalog price for %s/%s: its ledger rows are unpriced\n", kCmd, u.adapter.c_str(),
                 u.model.c_str());
  }
  return std::nullopt;
}

// An endpoint whose protocol has embeddings: the catalog's embedding models at their input
// price, for LlmClient::embed's accounting and as the ledger's price rows (the client's
// model is sent as is, so a row per embedding model and provider).
StepResult price_embeddings(Clock& clock, const catalog::Catalog& prices, resilience::EndpointConfig& c, GatewaySetup& g) {
  for (const auto& [name, m] : embedding_models(prices)) {
    c.embedding_usd_per_mtok[name] = m->pricing.prompt.value * 1e6;
    if (!g.book) continue;
    if (Status st = ensure_price(*g.book, price_of(*m, c.candidate.provider, name, clock.system_now())); !st.ok()) {
      std::fprintf(stderr, "%s: --ledger: %s\n", kCmd, st.to_string().c_str());
      return kExitFailed;
    }
  }
  return std::nullopt;
}

StepResult add_endpoint(const GatewayArgs& args, Clock& clock, const AdapterRegistry& registry, const catalog::Catalog& prices,
                        Transport& transport, size_t i, GatewaySetup& g) {
  Upstream& u = g.ups[i];
  auto adapter = registry.create(u.adapter);
  if (!adapter.ok()) {
    std::string names;
    for (const auto& n : registry.names()) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "%s: --provider: unknown adapter '%s' (registered: %s)\n", kCmd, u.adapter.c_str(), names.c_str());
    return kExitUsage;
  }
  g.adapters.push_back(std::move(adapter).value());
  const std::string provider = u.id.empty() ? u.adapter + "#" + std::to_string(i + 1) : u.id.substr(0, u.id.find('/'));
  if (u.id.empty()) u.id = provider + "/" + u.model;
  resilience::EndpointConfig c;
  c.candidate.id = u.id;
  c.candidate.provider = provider;
  c.candidate.model = u.model;
  c.candidate.key_id = u.key_env;
  c.candidate.weight = u.weight;
  c.candidate.caps = Capabilities{true, true, true, true, true, 0};  // what the user named is trusted
  c.candidate.caps.logprobs = u.adapter != "anthropic";  // the OpenAI protocol has them; Messages has none
  if (StepResult r = price_endpoint(clock, prices, u, c, g)) return r;
  if (g.adapters.back()->has_embeddings()) {
    if (StepResult r = price_embeddings(clock, prices, c, g)) return r;
  }
  c.adapter = g.adapters.back().get();
  c.endpoint.provider = provider;
  c.endpoint.base_url = u.base_url;
  for (const auto& [id, key] : g.config_keys) {
    if (id == u.id) c.endpoint.api_key = key;
  }
  if (c.endpoint.api_key.empty() && !u.key_env.empty()) {
    if (const char* key = std::getenv(u.key_env.c_str()); key != nullptr) c.endpoint.api_key = Secret(key);
  }
  c.transport = &transport;
  c.call_options.connect_timeout = std::chrono::seconds(10);
  c.call_options.total_timeout = std::chrono::milliseconds(args.timeout_ms);
  g.infos.push_back({c.candidate.id, c.candidate.provider, c.candidate.model, c.candidate.caps.logprobs, url_host(u.base_url)});
  if (Status st = g.client->add_endpoint(std::move(c)); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCmd, st.to_string().c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

// SIGINT/SIGTERM: stop accepting, drain up to --drain-timeout-ms, cancel the rest, stop,
// flush the ledger. Returns the exit code.
int serve_until_signal(const GatewayArgs& args, sigset_t& stop_signals, gateway::Gateway& gw, gateway::GatewayServer& server,
                       GatewaySetup& g) {
  int sig = 0;
  sigwait(&stop_signals, &sig);
  notify_service_manager("STOPPING=1");
  std::fprintf(stderr, "%s: %s received, draining (up to %d ms)\n", kCmd, sig == SIGINT ? "SIGINT" : "SIGTERM", args.drain_timeout_ms);
  server.stop_accepting();
  gw.begin_drain();
  int rc = kExitOk;
  if (!gw.wait_idle(std::chrono::milliseconds(args.drain_timeout_ms))) {
    std::fprintf(stderr, "%s: %zu requests still in flight after the drain timeout; cancelling them\n", kCmd, gw.in_flight());
    gw.cancel_all();
    if (!gw.wait_idle(std::chrono::seconds(5))) rc = kExitFailed;
  }
  server.stop();
  if (g.usage) {
    // Graceful shutdown: the rows still pending go in now.
    const Status st = g.usage->flush();
    if (!st.ok() || g.usage->write_errors() > 0) {
      const Status& e = st.ok() ? g.usage->last_error() : st;
      std::fprintf(stderr, "%s: --ledger %s: %llu failed write(s); last: %s\n", kCmd, g.ledger_path.c_str(),
                   static_cast<unsigned long long>(g.usage->write_errors()), e.to_string().c_str());
      rc = kExitFailed;
    }
  }
  for (auto& s : g.sim_servers) s->stop();
  return rc;
}

// --otlp-sample-ratio, else the OpenTelemetry SDKs' variables: OTEL_TRACES_SAMPLER
// (always_on, parentbased_always_on, traceidratio, parentbased_traceidratio; the gateway
// always follows a client's sampled flag) and OTEL_TRACES_SAMPLER_ARG. Bad values: exit 2.
StepResult otlp_sample_ratio(const GatewayArgs& args, double& ratio) {
  ratio = 1.0;
  if (args.otlp_sample_ratio) {
    ratio = *args.otlp_sample_ratio;
    return std::nullopt;
  }
  const char* sampler = std::getenv("OTEL_TRACES_SAMPLER");
  const std::string s = sampler != nullptr ? sampler : "";
  if (s.empty() || s == "always_on" || s == "parentbased_always_on") return std::nullopt;
  if (s != "traceidratio" && s != "parentbased_traceidratio") {
    std::fprintf(stderr, "%s: OTEL_TRACES_SAMPLER: expected always_on, parentbased_always_on, traceidratio or "
                 "parentbased_traceidratio (got '%s')\n", kCmd, redact_secrets(s).c_str());
    return kExitUsage;
  }
  const char* arg = std::getenv("OTEL_TRACES_SAMPLER_ARG");
  if (arg == nullptr) return std::nullopt;  // the SDKs' default ratio: 1
  char* end = nullptr;
  ratio = std::strtod(arg, &end);
  if (end == arg || *end != '\0' || !(ratio >= 0.0 && ratio <= 1.0)) {
    std::fprintf(stderr, "%s: OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1 (got '%s')\n", kCmd,
                 redact_secrets(arg).c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

// --otlp-endpoint / $OTEL_EXPORTER_OTLP_ENDPOINT: the exporter, or nothing when unset.
StepResult start_otlp(const GatewayArgs& args, Clock& clock, Transport& transport, std::unique_ptr<gateway::OtlpExporter>& out) {
  const std::string ep = otlp_endpoint(args);
  if (ep.empty()) return std::nullopt;
  double ratio = 1.0;
  if (StepResult r = otlp_sample_ratio(args, ratio)) return r;
  if (ep.rfind("http://", 0) != 0 && ep.rfind("https://", 0) != 0) {
    std::fprintf(stderr, "%s: --otlp-endpoint: expected http://host:port or https://host:port (got '%s')\n", kCmd,
                 redact_secrets(ep).c_str());
    return kExitUsage;
  }
  gateway::OtlpOptions oo;
  oo.endpoint = ep;
  oo.sample_ratio = ratio;
  // Span ids: seeded here, at the composition root (distinct per start).
  oo.seed = static_cast<uint64_t>(clock.system_now().time_since_epoch().count()) ^ (static_cast<uint64_t>(::getpid()) << 32);
  out = std::make_unique<gateway::OtlpExporter>(transport, clock, oo);
  std::fprintf(stderr, "%s: exporting OpenTelemetry (OTLP/HTTP JSON) to %s (spans of %g of new traces)\n", kCmd,
               redact_secrets(ep).c_str(), ratio);
  return std::nullopt;
}

// The configured model names and the default model (checked: it must name something).
StepResult model_names(const GatewayArgs& args, const GatewaySetup& g, gateway::GatewayOptions& go);

// The gateway's options from the flags and what the steps built (model names, ledger, shared state).
StepResult gateway_options(const GatewayArgs& args, logging::Logger* logger, GatewaySetup& g, gateway::GatewayOptions& go) {
  go.max_queue = static_cast<size_t>(args.max_queue);
  go.logger = logger;
  if (StepResult r = model_names(args, g, go)) return *r;
  if (g.usage) go.ledger_ready = [&g] { return g.usage->last_error(); };
  go.shared = g.shared.state.get();
  return std::nullopt;
}

StepResult model_names(const GatewayArgs& args, const GatewaySetup& g, gateway::GatewayOptions& go) {
  go.model_names = g.names;
  // --sim: any name reaches the simulators (SDK examples ask for every kind of model).
  go.default_model = !args.default_model.empty() ? args.default_model : args.sim ? args.model : "";
  if (!go.default_model.empty() && !gateway::model_name_resolves(go.model_names, g.infos, go.default_model)) {
    std::fprintf(stderr, "%s: --default-model: '%s' is neither a configured model name nor an upstream's model\n", kCmd,
                 go.default_model.c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

// The inbound protocols the gateway serves, registered by name (as the adapters are): a
// new protocol is one more registry.add() here.
StepResult inbound_protocols(gateway::GatewayOptions& go) {
  gateway::InboundRegistry registry;
  Status st = gateway::register_builtin_inbound(registry);
  auto set = st.ok() ? gateway::InboundProtocols::Create(registry) : Result<std::shared_ptr<const gateway::InboundProtocols>>(st);
  if (!set.ok()) {
    std::fprintf(stderr, "%s: inbound protocols: %s\n", kCmd, set.status().to_string().c_str());
    return kExitFailed;
  }
  go.inbound = std::move(set).value();
  return std::nullopt;
}

}  // namespace

int run_gateway(const GatewayArgs& args) {
  if (!args.keys.action.empty()) return run_gateway_keys(args.keys);  // `gateway keys …`
  if (!check_tls_flags(args.tls, kCmd)) return kExitUsage;
  sigset_t stop_signals = block_stop_signals();
  RealClock clock;
  // Each request runs on a fiber of its event loop and its upstream calls (http:// and
  // https://) run on that loop too (LoopHttpClient), so a request never changes threads.
  adapters::HttpTransport::Options ho{256, "ploke-sim-gateway/0.1", true, "", false};
  ho.on_event_loop = true;
  adapters::HttpTransport transport(clock, ho);  // a client that leaves cancels the façade call (its token stops the transfer)
  AdapterRegistry registry;
  GatewaySetup g;  // after the transport and the registry: the façade it holds uses both
  if (StepResult r = add_provider_upstreams(args, g)) return *r;
  if (StepResult r = add_config_upstreams(args, clock, g)) return *r;
  if (StepResult r = add_sim_upstreams(args, clock, g)) return *r;
  if (g.ups.empty()) {
    std::fprintf(stderr, "%s: no upstream: give --provider ADAPTER,URL[,MODEL], --config FILE or --sim\n", kCmd);
    return kExitUsage;
  }
  if (Status st = register_adapters(registry); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCmd, st.to_string().c_str());
    return kExitFailed;
  }
  if (StepResult r = open_ledger(clock, g)) return *r;
  if (StepResult r = make_shared_state(args.redis, args.instance_id, g.conf ? &*g.conf : nullptr, clock, g.shared)) return *r;
  if (StepResult r = make_auth(args, clock, g)) return *r;  // after the shared state: keys' rpm share it
  if (StepResult r = make_client(args, clock, g)) return *r;
  const catalog::Catalog prices = price_catalog();  // forecasts, the cost policy, ledger price rows (as `chat`)
  for (size_t i = 0; i < g.ups.size(); ++i) {
    if (StepResult r = add_endpoint(args, clock, registry, prices, transport, i, g)) return *r;
  }

  auto logger = open_log(args.log, "gateway");
  if (!logger.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCmd, logger.status().to_string().c_str());
    return kExitUsage;
  }
  gateway::GatewayOptions go;
  if (StepResult r = gateway_options(args, logger->get(), g, go)) return *r;
  if (StepResult r = inbound_protocols(go)) return *r;
  // OpenTelemetry: its own blocking client on the exporter's thread, off the request path.
  adapters::HttpTransport otlp_transport(clock);
  std::unique_ptr<gateway::OtlpExporter> otlp;
  if (StepResult r = start_otlp(args, clock, otlp_transport, otlp)) return *r;
  go.otlp = otlp.get();
  go.auth = g.auth.get();
  gateway::Gateway gw(*g.client, clock, g.infos, go);
  if (g.usage) gw.set_on_completed([&g](const gateway::Completed& c) { g.usage->record_request(c); });  // the request rows
  gateway::ServerOptions so;
  so.host = args.host;
  so.port = args.port;
  so.threads = static_cast<size_t>(args.threads);
  so.busy_poll = static_cast<unsigned>(args.busy_poll);
  so.tls_cert_file = args.tls.cert;
  so.tls_key_file = args.tls.key;
  auto server = gateway::GatewayServer::Start(gw, so);
  if (!server.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCmd, server.status().to_string().c_str());
    return server.status().code() == StatusCode::kInvalidRequest ? kExitUsage : kExitFailed;
  }
  start_shared_state(g.shared, **server, static_cast<size_t>(args.threads), logger->get(), clock);
  for (const auto& i : g.infos) std::fprintf(stderr, "%s: endpoint %s (%s)\n", kCmd, i.id.c_str(), i.model.c_str());
  std::printf("listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  notify_service_manager("READY=1\nSTATUS=listening on " + (*server)->url());  // systemd Type=notify
  const int rc = serve_until_signal(args, stop_signals, gw, **server, g);
  if (otlp) otlp->stop();  // the last spans and metrics go out
  return rc;
}

}  // namespace ploke::cli
