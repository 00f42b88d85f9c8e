// ploke-sim llm queue status [--base-url GATEWAY_URL] [--json] [--timeout-ms N]
//
// Fetches GET {url}/__admin/queue from a running `ploke-sim gateway` (the JSON of
// ploke::resilience::render_queue_status_json()) and prints the admission lanes: depth,
// capacity, admitted / queued / rejected / cancelled counts and queue waits (p50, p95,
// max). --json prints the gateway's JSON unchanged (validated first).
// The master key ($PLOKE_GATEWAY_MASTER_KEY, or --master-key-env VAR) goes as a bearer
// token when set (a gateway with --auth on wants it on /__admin/*); it is never printed.
// Exit codes: 0 ok; 1 nothing listening, a transport error, a non-200 answer or a body
// that is not a queue status; 2 usage (a URL that is not http://).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli_checks.h"
#include "commands.h"
#include "gateway_admin.h"
#include "ploke/core/secret.h"
#include "ploke/resilience/admission.h"

namespace ploke::cli {
namespace {
namespace rs = ploke::resilience;
}  // namespace

CLI::App* add_llm_command(CLI::App& app, LlmArgs& args) {
  auto* llm = app.add_subcommand("llm", "The resilience façade of a running gateway");
  llm->require_subcommand(1);
  auto* queue = llm->add_subcommand("queue", "Admission queue of a running gateway");
  queue->require_subcommand(1);
  auto* status = queue->add_subcommand("status", "Lanes, depths and waits (GET URL/__admin/queue of `ploke-sim gateway`)");
  deprecated_alias(*status, status->add_option("--base-url", args.url, "Gateway base URL")->capture_default_str(), "--url");
  status->add_flag("--json", args.json, "Print the gateway's JSON");
  status->add_option("--master-key-env", args.master_key_env,
                     "Environment variable holding the gateway's master key (default: PLOKE_GATEWAY_MASTER_KEY when set)");
  status->add_option("--timeout-ms", args.timeout_ms, "Total timeout, ms")->capture_default_str()
      ->check(CLI::Range(1, 600000));
  status->callback([&args] { args.action = "queue-status"; });
  return llm;
}

int run_llm(const LlmArgs& args) {
  if (std::string why = check_gateway_url(args.url); !why.empty()) {
    std::fprintf(stderr, "ploke-sim llm queue status: --base-url: %s\n", why.c_str());
    return kExitUsage;
  }
  const GatewayAdmin g{args.url, args.master_key_env, args.timeout_ms};
  auto r = admin_call(g, "GET", "/__admin/queue");
  if (!r.ok() || r->status != 200) {
    std::fprintf(stderr, "ploke-sim llm queue status: %s\n", admin_failure(g, "GET", "/__admin/queue", r).c_str());
    return kExitFailed;
  }
  auto q = parse_queue_status(r->body, "GET " + shown_url(args.url) + "/__admin/queue");
  if (!q.ok()) {
    std::fprintf(stderr, "ploke-sim llm queue status: %s\n", q.status().message().c_str());
    return kExitFailed;
  }
  if (args.json) {
    std::printf("%s\n", rs::render_queue_status_json(*q).c_str());
  } else {
    std::printf("gateway %s\n%s", shown_url(args.url).c_str(), rs::render_queue_status_text(*q).c_str());
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace ploke::cli
