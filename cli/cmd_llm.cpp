// ploke-sim llm queue status [--base-url GATEWAY_URL] [--json] [--timeout-ms N]
//
// Fetches GET {url}/__admin/queue from a running `ploke-sim gateway` (the JSON of
// ploke::resilience::render_queue_status_json()) and prints the admission lanes: depth,
// capacity, admitted / queued / rejected / cancelled counts and queue waits (p50, p95,
// max). --json prints the gateway's JSON unchanged (validated first).
// Exit codes: 0 ok; 1 nothing listening, a transport error, a non-200 answer or a body
// that is not a queue status; 2 usage (a URL that is not http://).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_checks.h"
#include "commands.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/resilience/admission.h"

namespace ploke::cli {
namespace {

namespace rs = ploke::resilience;

// Parses render_queue_status_json()'s shape. kMalformedResponse naming the field.
Result<rs::QueueStatus> parse_queue_status(const std::string& body, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return MalformedResponseError(source + ": not JSON (byte " + std::to_string(e.byte) + ")");
  }
  auto u64 = [](const nlohmann::json& o, const char* k) -> std::optional<uint64_t> {
    if (!o.is_object() || !o.contains(k) || !o[k].is_number_unsigned()) return std::nullopt;
    return o[k].get<uint64_t>();
  };
  auto dbl = [](const nlohmann::json& o, const char* k) -> double {
    return o.is_object() && o.contains(k) && o[k].is_number() ? o[k].get<double>() : 0.0;
  };
  rs::QueueStatus q;
  auto inf = u64(j, "in_flight");
  auto mx = u64(j, "max_in_flight");
  if (!inf || !mx) return MalformedResponseError(source + ": in_flight / max_in_flight missing: not a queue status");
  q.in_flight = static_cast<uint32_t>(*inf);
  q.max_in_flight = static_cast<uint32_t>(*mx);
  if (!j.contains("lanes") || !j["lanes"].is_array()) return MalformedResponseError(source + ": lanes: expected an array");
  size_t i = 0;
  for (const auto& l : j["lanes"]) {
    const std::string path = "lanes[" + std::to_string(i) + "]";
    if (!l.is_object() || !l.contains("lane") || !l["lane"].is_string()) {
      return MalformedResponseError(source + ": " + path + ".lane: expected a string");
    }
    const std::string name = l["lane"].get<std::string>();
    size_t slot = rs::kNumLanes;
    for (size_t k = 0; k < rs::kNumLanes; ++k) {
      if (rs::lane_name(static_cast<rs::Lane>(k)) == name) slot = k;
    }
    if (slot == rs::kNumLanes) return MalformedResponseError(source + ": " + path + ".lane: unknown lane '" + name + "'");
    rs::LaneStatus& ls = q.lanes[slot];
    ls.lane = static_cast<rs::Lane>(slot);
    ls.depth = u64(l, "depth").value_or(0);
    ls.capacity = static_cast<uint32_t>(u64(l, "capacity").value_or(0));
    ls.admitted = u64(l, "admitted").value_or(0);
    ls.queued = u64(l, "queued").value_or(0);
    ls.rejected = u64(l, "rejected").value_or(0);
    ls.cancelled = u64(l, "cancelled").value_or(0);
    ls.max_depth = u64(l, "max_depth").value_or(0);
    if (l.contains("wait_ms")) {
      const auto& w = l["wait_ms"];
      ls.wait_ms.count = u64(w, "count").value_or(0);
      ls.wait_ms.p50 = dbl(w, "p50");
      ls.wait_ms.p95 = dbl(w, "p95");
      ls.wait_ms.p99 = dbl(w, "p99");
      ls.wait_ms.mean = dbl(w, "mean");
      ls.wait_ms.max = dbl(w, "max");
    }
    ++i;
  }
  for (size_t k = 0; k < rs::kNumLanes; ++k) q.lanes[k].lane = static_cast<rs::Lane>(k);
  return q;
}

}  // namespace

CLI::App* add_llm_command(CLI::App& app, LlmArgs& args) {
  auto* llm = app.add_subcommand("llm", "The resilience façade of a running gateway");
  llm->require_subcommand(1);
  auto* queue = llm->add_subcommand("queue", "Admission queue of a running gateway");
  queue->require_subcommand(1);
  auto* status = queue->add_subcommand("status", "Lanes, depths and waits (GET URL/__admin/queue of `ploke-sim gateway`)");
  deprecated_alias(*status, status->add_option("--base-url", args.url, "Gateway base URL")->capture_default_str(), "--url");
  status->add_flag("--json", args.json, "Print the gateway's JSON");
  status->add_option("--timeout-ms", args.timeout_ms, "Total timeout, ms")->capture_default_str()
      ->check(CLI::Range(1, 600000));
  status->callback([&args] { args.action = "queue-status"; });
  return llm;
}

int run_llm(const LlmArgs& args) {
  if (!is_http_url(args.url)) {
    std::fprintf(stderr, "ploke-sim llm queue status: --base-url: must start with http:// or https:// (got '%s')\n",
                 redact_secrets(args.url).c_str());
    return kExitUsage;
  }
  RealClock clock;
  adapters::HttpTransport transport(clock);
  HttpRequest req;
  req.method = "GET";
  req.base_url = args.url;
  while (!req.base_url.empty() && req.base_url.back() == '/') req.base_url.pop_back();
  req.path = "/__admin/queue";
  req.headers.add("Accept", "application/json");
  CallOptions opts;
  opts.connect_timeout = std::chrono::milliseconds(std::min(args.timeout_ms, 5000));
  opts.total_timeout = std::chrono::milliseconds(args.timeout_ms);
  const std::string where = "GET " + redact_secrets(req.base_url) + "/__admin/queue";
  auto r = send_and_wait(transport, clock, req, opts);
  if (!r.ok()) {
    std::fprintf(stderr,
                 "ploke-sim llm queue status: no gateway answered at %s (%s)\n"
                 "start one with `ploke-sim gateway` or pass --base-url\n",
                 redact_secrets(args.url).c_str(), r.status().to_string().c_str());
    return kExitFailed;
  }
  if (r->status != 200) {
    std::fprintf(stderr, "ploke-sim llm queue status: %s: HTTP %d: %s\n", where.c_str(), r->status,
                 redact_secrets(r->body.substr(0, 300)).c_str());
    return kExitFailed;
  }
  auto q = parse_queue_status(r->body, where);
  if (!q.ok()) {
    std::fprintf(stderr, "ploke-sim llm queue status: %s\n", q.status().message().c_str());
    return kExitFailed;
  }
  if (args.json) {
    std::printf("%s\n", rs::render_queue_status_json(*q).c_str());
  } else {
    std::printf("gateway %s\n%s", redact_secrets(req.base_url).c_str(), rs::render_queue_status_text(*q).c_str());
  }
  return kExitOk;
}

}  // namespace ploke::cli
