// `ploke-sim chat`: one prompt through the resilience façade (route → admit → send → retry /
// fall over → account) to a base URL and optional fallbacks; --trace explains the routing.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_checks.h"
#include "commands.h"
#include "plugins.h"
#include "pricing.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/register.h"
#include "ploke/catalog/catalog.h"
#include "ploke/config/config.h"
#include "routing_options.h"
#include "ploke/core/chat_client.h"
#include "ploke/dashboard/dashboard.h"
#include "ploke/core/clock.h"
#include "ploke/core/registry.h"
#include "ploke/core/secret.h"
#include "ploke/core/secret_registry.h"
#include "ploke/ledger/ledger.h"
#include "ploke/plugins/loader.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::cli {

CLI::App* add_chat_command(CLI::App& app, ChatArgs& a) {
  auto* c = app.add_subcommand("chat", "Send one prompt through the core to a base URL (simulator or live provider)");
  c->add_option("prompt", a.prompt, "The user message")->required();
  c->add_option("--base-url", a.base_url, "e.g. http://127.0.0.1:8080/v1 or https://api.openai.com/v1")->required();
  c->add_option("--adapter", a.adapter, "Adapter name (see `ploke-sim adapters`)")->capture_default_str();
  c->add_option("--model", a.model, "Model id")->capture_default_str();
  c->add_option("--api-key-env", a.api_key_env, "Environment variable holding the API key")->capture_default_str();
  c->add_option("--system", a.system, "System message");
  c->add_option("--max-tokens", a.max_tokens, "Max output tokens")->check(CLI::Range(1, 10000000));
  c->add_option("--timeout-ms", a.timeout_ms, "Total timeout, ms")->capture_default_str()->check(CLI::Range(1, 86400000));
  c->add_flag("--stream", a.stream, "Stream the answer");
  c->add_flag("--json", a.json, "Print the normalized response as JSON");
  c->add_flag("--trace", a.trace, "Print the routing trace: candidates, filters, scores, every attempt");
  c->add_option("--fallback", a.fallbacks, "Fallback endpoint ADAPTER,URL[,MODEL] (repeatable, in order)");
  c->add_option("--policy", a.policy, "Routing policy: cost, latency, throughput, reliability, weighted, pinned");
  c->add_option("--ledger", a.ledger, "Record every attempt (tokens, cost, outcome) in this SQLite cost ledger");
  c->add_option("--config", a.config, "config.toml ([routing], budgets, ledger, profiles)");
  c->add_option("--profile", a.profile, "Usage/budget profile label (default: the active profile)");
  c->add_flag("--dry-run", a.dry_run, "Route and forecast the cost only: nothing is sent or written");
  return c;
}

CLI::App* add_provider_health_command(CLI::App& app, HealthArgs& a) {
  CLI::App* ph = app.get_subcommand("provider")->add_subcommand(
      "health", "Probe the endpoints chat would use; print breaker states, error rates, latency percentiles");
  ph->add_option("--base-url", a.base_url, "e.g. http://127.0.0.1:8080/v1")->required();
  ph->add_option("--adapter", a.adapter, "Adapter name (see `ploke-sim adapters`)")->capture_default_str();
  ph->add_option("--model", a.model, "Model id")->capture_default_str();
  ph->add_option("--api-key-env", a.api_key_env, "Environment variable holding the API key")->capture_default_str();
  ph->add_option("--fallback", a.fallbacks, "Another endpoint ADAPTER,URL[,MODEL] (repeatable)");
  ph->add_option("--rounds", a.rounds, "Probe rounds (one minimal request per endpoint each)")
      ->capture_default_str()->check(CLI::Range(1, 100));
  ph->add_option("--timeout-ms", a.timeout_ms, "Per-probe total timeout, ms")->capture_default_str()
      ->check(CLI::Range(1, 600000));
  ph->add_flag("--json", a.json, "Print the probes and each endpoint's health as JSON (same exit codes)");
  return ph;
}

namespace {

nlohmann::json response_json(const ChatResponse& r) {
  nlohmann::json j;
  j["id"] = r.id;
  j["request_id"] = r.request_id;
  j["provider"] = r.provider;
  j["model"] = r.model;
  j["content"] = r.content;
  j["finish_reason"] = std::string(finish_reason_name(r.finish_reason));
  j["tool_calls"] = nlohmann::json::array();
  for (const auto& tc : r.tool_calls) {
    j["tool_calls"].push_back({{"id", tc.id}, {"name", tc.name}, {"arguments", tc.arguments_json}});
  }
  if (r.usage) {
    j["usage"] = {{"prompt_tokens", r.usage->prompt_tokens},
                  {"completion_tokens", r.usage->completion_tokens},
                  {"total_tokens", r.usage->total_tokens},
                  {"cached_prompt_tokens", r.usage->cached_prompt_tokens},
                  {"reasoning_tokens", r.usage->reasoning_tokens}};
  }
  return j;
}

// One endpoint the chat command sends to (the primary or a --fallback).
struct ChatEndpoint {
  std::string adapter, base_url, model;
  const catalog::ModelRecord* priced = nullptr;  ///< catalog record with its prices (null = unpriced)
};

// ADAPTER,URL[,MODEL]
std::optional<ChatEndpoint> parse_fallback(const std::string& spec, const std::string& default_model) {
  const size_t c1 = spec.find(',');
  if (c1 == std::string::npos || c1 == 0) return std::nullopt;
  const size_t c2 = spec.find(',', c1 + 1);
  ChatEndpoint e;
  e.adapter = spec.substr(0, c1);
  e.base_url = spec.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
  e.model = c2 == std::string::npos ? default_model : spec.substr(c2 + 1);
  if (e.base_url.empty() || e.model.empty()) return std::nullopt;
  return e;
}


// The façade over the endpoints a command names (primary + fallbacks), with what they need
// kept alive. Prints the problem and returns null on a bad argument.
struct FacadeSetup {
  AdapterRegistry registry;
  std::vector<ChatEndpoint> endpoints;
  std::vector<std::unique_ptr<ProviderAdapter>> adapters;
  RealClock clock;
  std::unique_ptr<adapters::HttpTransport> transport;
  std::unique_ptr<resilience::LlmClient> client;
};

std::unique_ptr<FacadeSetup> make_facade(const char* cmd, ChatEndpoint primary, const std::vector<std::string>& fallbacks,
                                         const std::string& api_key_env, int timeout_ms, int* rc,
                                         resilience::LlmClientOptions options = {},
                                         const std::vector<ChatEndpoint>& more = {},
                                         const catalog::Catalog* prices = nullptr) {
  auto f = std::make_unique<FacadeSetup>();
  if (Status st = register_adapters(f->registry); !st.ok()) {
    std::fprintf(stderr, "ploke-sim %s: %s\n", cmd, st.to_string().c_str());
    *rc = kExitFailed;
    return nullptr;
  }
  *rc = kExitUsage;
  f->endpoints.push_back(std::move(primary));
  for (const auto& spec : fallbacks) {
    auto e = parse_fallback(spec, f->endpoints[0].model);
    if (!e) {
      std::fprintf(stderr, "ploke-sim %s: --fallback: expected ADAPTER,URL[,MODEL] (got '%s')\n", cmd,
                   redact_secrets(spec).c_str());
      return nullptr;
    }
    f->endpoints.push_back(*e);
  }
  for (const auto& e : more) f->endpoints.push_back(e);
  for (auto& e : f->endpoints) {
    if (prices) e.priced = priced_record(*prices, e.adapter, e.model);
    auto adapter = f->registry.create(e.adapter);
    if (!adapter.ok()) {
      std::string names;
      for (const auto& n : f->registry.names()) names += (names.empty() ? "" : ", ") + n;
      std::fprintf(stderr, "ploke-sim %s: --adapter: unknown adapter '%s' (registered: %s)\n", cmd, e.adapter.c_str(),
                   names.c_str());
      return nullptr;
    }
    if (!is_http_url(e.base_url)) {
      std::fprintf(stderr, "ploke-sim %s: --base-url: must start with http:// or https:// (got '%s')\n", cmd,
                   redact_secrets(e.base_url).c_str());
      return nullptr;
    }
    f->adapters.push_back(std::move(adapter).value());
  }
  f->transport = std::make_unique<adapters::HttpTransport>(f->clock);
  f->client = std::make_unique<resilience::LlmClient>(f->clock, std::move(options));
  for (size_t i = 0; i < f->endpoints.size(); ++i) {
    const ChatEndpoint& e = f->endpoints[i];
    resilience::EndpointConfig c;
    c.candidate.id = e.adapter + "/" + e.model + "#" + std::to_string(i + 1);
    c.candidate.provider = e.adapter;
    c.candidate.model = e.model;
    c.candidate.key_id = api_key_env;
    // Unknown capabilities are not held against an endpoint the user named explicitly.
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    if (e.priced) set_candidate_prices(c.candidate, *e.priced);  // the façade's forecasts and the cost policy
    c.adapter = f->adapters[i].get();
    c.endpoint.provider = e.adapter;
    c.endpoint.base_url = e.base_url;
    if (const char* key = std::getenv(api_key_env.c_str()); key != nullptr) c.endpoint.api_key = Secret(key);
    c.transport = f->transport.get();
    c.call_options.connect_timeout = std::chrono::seconds(10);
    c.call_options.total_timeout = std::chrono::milliseconds(timeout_ms);
    if (Status st = f->client->add_endpoint(std::move(c)); !st.ok()) {
      std::fprintf(stderr, "ploke-sim %s: %s\n", cmd, st.to_string().c_str());
      return nullptr;
    }
  }
  *rc = kExitOk;
  return f;
}

// The [routing] fallbacks of config.toml as chat endpoints: a [models] entry goes to its
// provider (kind → adapter, base_url) with its catalog id; any other name is tried on the
// primary's adapter and base URL with that model name.
std::vector<ChatEndpoint> config_fallbacks(const config::Config& c, const ChatEndpoint& primary) {
  std::vector<ChatEndpoint> out;
  for (const auto& name : c.routing.fallbacks) {
    ChatEndpoint e{primary.adapter, primary.base_url, name, nullptr};
    auto m = c.models.find(name);
    if (m != c.models.end()) {
      e.model = m->second.id;
      auto p = c.providers.find(m->second.provider);
      if (p != c.providers.end() && !p->second.base_url.empty()) {
        e.adapter = p->second.kind == "custom" ? "openai" : p->second.kind;
        e.base_url = p->second.base_url;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

void print_plan(const resilience::RequestTrace& plan, const FacadeSetup& f, bool json) {
  if (json) {
    std::printf("%s\n", resilience::render_trace_json(plan).c_str());
    return;
  }
  std::printf("%s", resilience::render_trace_text(plan).c_str());
  for (const auto& e : f.endpoints) {
    if (!e.priced) {
      std::printf("unpriced: %s/%s has no catalog price (forecast $0; run `ploke-sim models refresh`)\n",
                  e.adapter.c_str(), e.model.c_str());
    }
  }
}

}  // namespace

namespace {

/// Ties the attempts (already in the ledger through the usage hook) into one request row.
int record_request_row(ledger::Ledger& book, const std::string& ledger_path, const resilience::RequestTrace& trace,
                       const Result<ChatResponse>& r, const resilience::LlmClientOptions& options) {
  ledger::RequestRecord rq;
  rq.request_id = trace.request_id;
  rq.session = options.session;
  rq.profile = options.profile;
  rq.outcome = r.ok() ? "ok" : std::string(status_code_name(r.status().code()));
  for (const auto& c : trace.candidates) {
    if (!trace.served_by.empty() && c.endpoint_id == trace.served_by) rq.served_by = c.provider + "/" + c.model;
  }
  Status st = book.record_request(rq);
  for (const auto& n : trace.notes) {
    if (st.ok() && n.find("not recorded") != std::string::npos) st = InternalError(n);
  }
  if (st.ok()) return kExitOk;
  std::fprintf(stderr, "ploke-sim chat: ledger %s: %s\n", ledger_path.c_str(), st.to_string().c_str());
  return kExitFailed;
}

/// Prints the answer (or the error), the trace and the summary line. Everything printed goes
/// through redact_secrets(): a model or an upstream error echoing a key prints it redacted.
int print_outcome(const ChatArgs& args, const Result<ChatResponse>& r, const resilience::RequestTrace& trace,
                  int ledger_rc) {
  for (const auto& w : trace.budget_warnings) std::fprintf(stderr, "ploke-sim chat: warning: %s\n", redact_secrets(w).c_str());
  if (args.trace && !args.json) std::fprintf(stderr, "%s", redact_secrets(resilience::render_trace_text(trace)).c_str());
  if (!r.ok()) {
    if (args.stream && !args.json) std::fputc('\n', stdout);
    if (args.json && args.trace) {
      const std::string j = "{\"error\":" + nlohmann::json(r.status().to_string()).dump() +
                            ",\"trace\":" + resilience::render_trace_json(trace) + "}";
      std::printf("%s\n", redact_secrets(j).c_str());
    }
    std::fprintf(stderr, "ploke-sim chat: %s\n", r.status().to_string().c_str());
    return kExitFailed;
  }
  if (args.json) {
    nlohmann::json out = response_json(*r);
    if (args.trace) out["trace"] = nlohmann::json::parse(resilience::render_trace_json(trace));
    std::printf("%s\n", redact_secrets(out.dump(2)).c_str());
    return ledger_rc;
  }
  if (!args.stream) std::fputs(redact_secrets(r->content).c_str(), stdout);
  std::fputc('\n', stdout);
  for (const auto& tc : r->tool_calls) {
    std::printf("%s\n", redact_secrets("tool_call " + tc.id + " " + tc.name + "(" + tc.arguments_json + ")").c_str());
  }
  const std::string summary =
      "[" + r->provider + " model=" + r->model + " finish=" + std::string(finish_reason_name(r->finish_reason)) +
      " tokens=" + std::to_string(r->usage ? r->usage->prompt_tokens : 0) + "/" +
      std::to_string(r->usage ? r->usage->completion_tokens : 0) + " request_id=" + r->request_id +
      " via=" + trace.served_by + " attempts=" + std::to_string(trace.attempts.size()) + "]";
  std::fprintf(stderr, "%s\n", redact_secrets(summary).c_str());
  return ledger_rc;
}

/// Sends the request (streamed text goes out through a StreamRedactor, so a key split
/// across deltas is still caught), records it, prints the outcome.
int send_and_print(const ChatArgs& args, resilience::LlmClient& client, RealClock& clock, const ChatRequest& req,
                   const resilience::CallControl& control, ledger::Ledger* book, const std::string& ledger_path,
                   const resilience::LlmClientOptions& options) {
  resilience::RequestTrace trace;
  Result<ChatResponse> r = Status::Ok();
  if (args.stream) {
    StreamRedactor out;
    auto emit = [](const std::string& s) {
      if (s.empty()) return;
      std::fwrite(s.data(), 1, s.size(), stdout);
      std::fflush(stdout);
    };
    r = client.stream(
        req,
        [&](const StreamEvent& e) {
          if (!args.json && e.kind == StreamEvent::Kind::kTextDelta) emit(out.feed(e.text));
        },
        control, &trace);
    emit(out.finish());
  } else {
    r = client.complete(req, control, &trace);
  }
  if (trace.request_id.empty()) {
    // The provider's id when it gave one, else a local one.
    trace.request_id = r.ok() && !r->request_id.empty()
                           ? r->request_id
                           : "chat-" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                          clock.system_now().time_since_epoch())
                                                          .count());
  }
  const int ledger_rc = book != nullptr ? record_request_row(*book, ledger_path, trace, r, options) : kExitOk;
  return print_outcome(args, r, trace, ledger_rc);
}

/// Opens the cost ledger (read-only for a dry run) and sets its budgets; wires it into the
/// façade options. kExitOk with *book null when there is no ledger to use.
int open_book(const ChatArgs& args, const config::Config& conf, const std::string& ledger_path, Clock& clock,
              resilience::LlmClientOptions& options, std::unique_ptr<ledger::Ledger>* book) {
  if (ledger_path.empty() || (args.dry_run && ::access(ledger_path.c_str(), F_OK) != 0)) return kExitOk;
  ledger::LedgerOptions lopt;
  lopt.read_only = args.dry_run;  // a dry run never writes
  auto l = ledger::Ledger::open(ledger_path, clock, lopt);
  if (!l.ok()) {
    std::fprintf(stderr, "ploke-sim chat: ledger %s: %s\n", ledger_path.c_str(), l.status().to_string().c_str());
    return kExitUsage;
  }
  *book = std::move(l).value();
  std::vector<ledger::Budget> budgets;
  for (const auto& b : conf.budgets) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
  if (Status st = (*book)->set_budgets(budgets); !st.ok()) {
    std::fprintf(stderr, "ploke-sim chat: budgets: %s\n", st.to_string().c_str());
    return kExitUsage;
  }
  options.budget_oracle = book->get();
  if (!args.dry_run) options.usage_sink = book->get();
  return kExitOk;
}

/// False (and the message) for a --policy the façade does not know.
bool known_policy(const resilience::LlmClient& client, const std::string& policy) {
  for (const auto& p : client.policies()) {
    if (p == policy) return true;
  }
  std::string names;
  for (const auto& n : client.policies()) names += (names.empty() ? "" : ", ") + n;
  std::fprintf(stderr, "ploke-sim chat: --policy: unknown policy '%s' (registered: %s)\n",
               redact_secrets(policy).c_str(), names.c_str());
  return false;
}

}  // namespace

int run_chat(const ChatArgs& args) {
  // config.toml: [routing] (policy, fallbacks, breaker/retry/lanes), budgets, ledger, profile.
  config::LoadOptions lo;
  lo.explicit_path = args.config;
  config::LoadResult loaded = config::load_config(lo);
  if (!loaded.ok()) {
    std::fprintf(stderr, "ploke-sim chat: %s\n", redact_secrets(loaded.status().message()).c_str());
    return kExitUsage;
  }
  const config::Config& conf = loaded.config;
  resilience::LlmClientOptions options = llm_client_options(conf.routing);
  options.session = "chat";
  options.profile = args.profile.empty() ? conf.active_profile : args.profile;

  // The cost ledger: --ledger, else the config's `ledger` (or PLOKE_SIM_LEDGER). Every
  // attempt reaches it through the façade's usage hook; its budgets gate spending.
  const std::string ledger_path = !args.ledger.empty() ? args.ledger : conf.ledger_path;
  RealClock ledger_clock;
  std::unique_ptr<ledger::Ledger> book;
  if (int rc = open_book(args, conf, ledger_path, ledger_clock, options, &book); rc != kExitOk) return rc;

  const catalog::Catalog prices = price_catalog();
  const ChatEndpoint primary{args.adapter, args.base_url, args.model, nullptr};
  int rc = kExitOk;
  auto setup = make_facade("chat", primary, args.fallbacks, args.api_key_env, args.timeout_ms, &rc, options,
                           config_fallbacks(conf, primary), &prices);
  if (!setup) return rc;
  resilience::LlmClient& client = *setup->client;
  RealClock& clock = setup->clock;

  // Prices into the ledger, keyed the way its rows are (adapter, model as sent), so every
  // row is priced; a model without a catalog price is recorded unpriced and said so.
  if (book && !args.dry_run) {
    for (const auto& e : setup->endpoints) {
      if (!e.priced) {
        std::fprintf(stderr, "ploke-sim chat: note: no catalog price for %s/%s: its ledger rows are unpriced\n",
                     e.adapter.c_str(), e.model.c_str());
        continue;
      }
      if (Status st = ensure_price(*book, price_of(*e.priced, e.adapter, e.model, clock.system_now())); !st.ok()) {
        std::fprintf(stderr, "ploke-sim chat: ledger: %s\n", st.to_string().c_str());
        return kExitFailed;
      }
    }
  }

  ChatRequest req;
  req.model = args.model;
  if (!args.system.empty()) req.messages.push_back(Message::System(args.system));
  req.messages.push_back(Message::User(args.prompt));
  if (args.max_tokens > 0) req.max_output_tokens = static_cast<uint32_t>(args.max_tokens);
  req.meta.deadline = std::chrono::milliseconds(args.timeout_ms);

  resilience::CallControl control;
  control.policy = args.policy;
  if (!args.policy.empty() && !known_policy(client, args.policy)) return kExitUsage;

  if (args.dry_run) {
    // Route and forecast only: nothing is sent, nothing is written.
    const resilience::RequestTrace plan = client.plan(req, control, args.stream);
    print_plan(plan, *setup, args.json);
    return plan.final_code == StatusCode::kOk ? kExitOk : kExitFailed;
  }

  return send_and_print(args, client, clock, req, control, book.get(), ledger_path, options);
}

int run_provider_health(const HealthArgs& args) {
  int rc = kExitOk;
  auto setup = make_facade("provider health", {args.adapter, args.base_url, args.model}, args.fallbacks,
                           args.api_key_env, args.timeout_ms, &rc);
  if (!setup) return rc;
  resilience::ProbeOptions po;
  // Every endpoint, every round (the façade's probe budget still applies).
  po.max_probes_per_minute = static_cast<uint32_t>(args.rounds) * static_cast<uint32_t>(setup->endpoints.size());
  size_t ok = 0;
  nlohmann::ordered_json probes = nlohmann::ordered_json::array();
  for (int round = 1; round <= args.rounds; ++round) {
    for (const auto& p : setup->client->probe(po)) {
      const double ms = std::chrono::duration<double, std::milli>(p.duration).count();
      if (args.json) {
        probes.push_back({{"round", round}, {"endpoint", p.endpoint_id}, {"outcome", p.outcome}, {"ms", ms}});
      } else {
        std::printf("probe %d %-32s %-16s %8.1f ms\n", round, p.endpoint_id.c_str(), p.outcome.c_str(), ms);
      }
      ok += p.outcome == "ok";
    }
  }
  if (args.json) {
    // {"ok","probes":[{"round","endpoint","outcome","ms"}],"endpoints":[…as the dashboard's…]}
    const nlohmann::ordered_json j = {{"ok", ok > 0}, {"probes", std::move(probes)},
                                      {"endpoints", nlohmann::ordered_json::parse(dashboard::endpoints_json(setup->client->health()))}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("\n%s", resilience::render_health_text(setup->client->health()).c_str());
  }
  return ok > 0 ? kExitOk : kExitFailed;
}

CLI::App* add_adapters_command(CLI::App& app, AdaptersArgs& args) {
  CLI::App* a = app.add_subcommand("adapters", "List the registered provider adapters and where each comes from");
  a->add_flag("--json", args.json, "Print the adapters as JSON");
  return a;
}

// One entry of `adapters --json`: {"name","origin":"built in"|"plugin","plugin":{path,name,version,abi}|null}.
static nlohmann::json origin_json(const std::string& name, const plugins::PluginInfo* p) {
  nlohmann::json entry{{"name", name}, {"origin", "built in"}, {"plugin", nullptr}};
  if (p != nullptr) {
    entry["origin"] = "plugin";
    entry["plugin"] = {{"path", p->path}, {"name", p->name}, {"version", p->version},
                       {"abi", std::to_string(p->abi_major) + "." + std::to_string(p->abi_minor)}};
  }
  return entry;
}

int run_adapters(const AdaptersArgs& args) {
  AdapterRegistry registry;
  if (Status st = register_adapters(registry); !st.ok()) {
    std::fprintf(stderr, "ploke-sim adapters: %s\n", st.to_string().c_str());
    return kExitFailed;
  }
  if (!args.json) {
    for (const auto& n : registry.names()) std::printf("%-18s %s\n", n.c_str(), adapter_origin(n).c_str());
    std::printf("\nsimulator protocols (serve, contract):\n");
    for (const auto& [name, p] : sim_protocol_plugins()) {
      std::printf("protocol %-9s %s\n", name.c_str(), plugin_origin_text(p).c_str());
    }
    return kExitOk;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& n : registry.names()) list.push_back(origin_json(n, adapter_plugin(n)));
  nlohmann::json protocols = nlohmann::json::array();
  for (const auto& [name, p] : sim_protocol_plugins()) protocols.push_back(origin_json(name, p));
  std::printf("%s\n", nlohmann::json{{"adapters", list}, {"sim_protocols", protocols}}.dump(2).c_str());
  return kExitOk;
}

}  // namespace ploke::cli
