// `ploke-sim chat`: one prompt through the resilience façade (route → admit → send → retry /
// fall over → account) to a base URL and optional fallbacks; --trace explains the routing.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/register.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/core/registry.h"
#include "ploke/core/secret.h"
#include "ploke/ledger/ledger.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::cli {

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

bool is_http_url(const std::string& u) { return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0; }

// Writes the call's attempts (tokens, cost, outcome) into the cost ledger.
Status record_in_ledger(const std::string& path, Clock& clock, const resilience::RequestTrace& trace,
                        const Result<ChatResponse>& result) {
  PLOKE_ASSIGN_OR_RETURN(auto ledger, ledger::Ledger::open(path, clock));
  ledger::RequestRecord req;
  req.request_id = trace.request_id;
  req.session = "chat";
  req.outcome = result.ok() ? "ok" : std::string(status_code_name(result.status().code()));
  std::vector<ledger::AttemptRecord> attempts;
  for (const auto& a : trace.attempts) {
    ledger::AttemptRecord r;
    r.request_id = trace.request_id;
    r.number = a.number;
    r.endpoint_id = a.endpoint_id;
    for (const auto& c : trace.candidates) {
      if (c.endpoint_id == a.endpoint_id) {
        r.provider = c.provider;
        r.model = c.model;
      }
    }
    r.session = "chat";
    r.outcome = a.outcome == StatusCode::kOk ? "ok" : std::string(status_code_name(a.outcome));
    r.usage.prompt = a.prompt_tokens;
    r.usage.completion = a.completion_tokens;
    r.duration_ms = std::chrono::duration<double, std::milli>(a.duration).count();
    if (result.ok() && a.outcome == StatusCode::kOk && a.endpoint_id == trace.served_by) {
      r.reported_cost_usd = result->usage ? result->usage->reported_cost_usd : std::nullopt;
    }
    attempts.push_back(std::move(r));
  }
  return ledger->record_batch({req}, attempts);
}

// The façade over the endpoints a command names (primary + fallbacks), with what they need
// kept alive. Prints the problem and returns null on a bad argument.
struct FacadeSetup {
  AdapterRegistry registry;
  std::vector<ChatEndpoint> endpoints;
  std::vector<std::unique_ptr<ProviderAdapter>> adapters;
  RealClock clock;
  std::unique_ptr<HttpTransport> transport;
  std::unique_ptr<resilience::LlmClient> client;
};

std::unique_ptr<FacadeSetup> make_facade(const char* cmd, ChatEndpoint primary, const std::vector<std::string>& fallbacks,
                                         const std::string& api_key_env, int timeout_ms, int* rc) {
  auto f = std::make_unique<FacadeSetup>();
  if (Status st = register_builtin_adapters(f->registry); !st.ok()) {
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
  for (const auto& e : f->endpoints) {
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
  f->transport = std::make_unique<HttpTransport>(f->clock);
  f->client = std::make_unique<resilience::LlmClient>(f->clock, resilience::LlmClientOptions{});
  for (size_t i = 0; i < f->endpoints.size(); ++i) {
    const ChatEndpoint& e = f->endpoints[i];
    resilience::EndpointConfig c;
    c.candidate.id = e.adapter + "/" + e.model + "#" + std::to_string(i + 1);
    c.candidate.provider = e.adapter;
    c.candidate.model = e.model;
    c.candidate.key_id = api_key_env;
    // Unknown capabilities are not held against an endpoint the user named explicitly.
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
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

}  // namespace

int run_chat(const ChatArgs& args) {
  int rc = kExitOk;
  auto setup = make_facade("chat", {args.adapter, args.base_url, args.model}, args.fallbacks, args.api_key_env,
                           args.timeout_ms, &rc);
  if (!setup) return rc;
  resilience::LlmClient& client = *setup->client;
  RealClock& clock = setup->clock;

  ChatRequest req;
  req.model = args.model;
  if (!args.system.empty()) req.messages.push_back(Message::System(args.system));
  req.messages.push_back(Message::User(args.prompt));
  if (args.max_tokens > 0) req.max_output_tokens = static_cast<uint32_t>(args.max_tokens);
  req.meta.deadline = std::chrono::milliseconds(args.timeout_ms);

  resilience::CallControl control;
  control.policy = args.policy;
  if (!args.policy.empty()) {
    bool known = false;
    for (const auto& p : client.policies()) known = known || p == args.policy;
    if (!known) {
      std::string names;
      for (const auto& n : client.policies()) names += (names.empty() ? "" : ", ") + n;
      std::fprintf(stderr, "ploke-sim chat: --policy: unknown policy '%s' (registered: %s)\n",
                   redact_secrets(args.policy).c_str(), names.c_str());
      return kExitUsage;
    }
  }

  resilience::RequestTrace trace;
  Result<ChatResponse> r = Status::Ok();
  if (args.stream) {
    r = client.stream(
        req,
        [&](const StreamEvent& e) {
          if (!args.json && e.kind == StreamEvent::Kind::kTextDelta) {
            std::fwrite(e.text.data(), 1, e.text.size(), stdout);
            std::fflush(stdout);
          }
        },
        control, &trace);
  } else {
    r = client.complete(req, control, &trace);
  }
  if (trace.request_id.empty()) {
    // The provider's id when it gave one, else a local one (ledger rows need a key).
    trace.request_id = r.ok() && !r->request_id.empty()
                           ? r->request_id
                           : "chat-" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                          clock.system_now().time_since_epoch())
                                                          .count());
  }
  int ledger_rc = kExitOk;
  if (!args.ledger.empty()) {
    if (Status st = record_in_ledger(args.ledger, clock, trace, r); !st.ok()) {
      std::fprintf(stderr, "ploke-sim chat: --ledger: %s\n", st.to_string().c_str());
      ledger_rc = kExitFailed;
    }
  }
  if (args.trace && !args.json) std::fprintf(stderr, "%s", resilience::render_trace_text(trace).c_str());
  if (!r.ok()) {
    if (args.stream && !args.json) std::fputc('\n', stdout);
    if (args.json && args.trace) {
      std::printf("{\"error\":%s,\"trace\":%s}\n", nlohmann::json(r.status().to_string()).dump().c_str(),
                  resilience::render_trace_json(trace).c_str());
    }
    std::fprintf(stderr, "ploke-sim chat: %s\n", r.status().to_string().c_str());
    return kExitFailed;
  }
  if (args.json) {
    nlohmann::json out = response_json(*r);
    if (args.trace) out["trace"] = nlohmann::json::parse(resilience::render_trace_json(trace));
    std::printf("%s\n", out.dump(2).c_str());
    return ledger_rc;
  }
  if (!args.stream) std::fwrite(r->content.data(), 1, r->content.size(), stdout);
  std::fputc('\n', stdout);
  for (const auto& tc : r->tool_calls) std::printf("tool_call %s %s(%s)\n", tc.id.c_str(), tc.name.c_str(), tc.arguments_json.c_str());
  std::fprintf(stderr, "[%s model=%s finish=%s tokens=%llu/%llu request_id=%s via=%s attempts=%zu]\n",
               r->provider.c_str(), r->model.c_str(), std::string(finish_reason_name(r->finish_reason)).c_str(),
               static_cast<unsigned long long>(r->usage ? r->usage->prompt_tokens : 0),
               static_cast<unsigned long long>(r->usage ? r->usage->completion_tokens : 0), r->request_id.c_str(),
               trace.served_by.c_str(), trace.attempts.size());
  return ledger_rc;
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
  for (int round = 1; round <= args.rounds; ++round) {
    for (const auto& p : setup->client->probe(po)) {
      std::printf("probe %d %-32s %-16s %8.1f ms\n", round, p.endpoint_id.c_str(), p.outcome.c_str(),
                  std::chrono::duration<double, std::milli>(p.duration).count());
      ok += p.outcome == "ok";
    }
  }
  std::printf("\n%s", resilience::render_health_text(setup->client->health()).c_str());
  return ok > 0 ? kExitOk : kExitFailed;
}

int run_adapters() {
  AdapterRegistry registry;
  if (Status st = register_builtin_adapters(registry); !st.ok()) {
    std::fprintf(stderr, "ploke-sim adapters: %s\n", st.to_string().c_str());
    return kExitFailed;
  }
  for (const auto& n : registry.names()) std::printf("%s\n", n.c_str());
  return kExitOk;
}

}  // namespace ploke::cli
