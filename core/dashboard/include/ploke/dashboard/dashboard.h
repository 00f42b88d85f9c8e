// File: ploke/dashboard/dashboard.h
//
// The live dashboard served by the gateway and by the simulator (docs/dashboard.md):
//
//  - page_html(): one self-contained HTML page (inline CSS, JS and SVG; no external URL,
//    no build step) compiled into the binary. Serve it at GET /__admin/dashboard. It polls
//    the relative URL `dashboard.json` (i.e. GET /__admin/dashboard.json) every second
//    (`?interval=MS` changes that; `?src=URL` polls another URL) and updates in place.
//  - gateway_json(): the gateway's answer to GET /__admin/dashboard.json, built from the
//    façade (LlmClient::health(), queue_status(), metric()) and the gateway's recent
//    request traces. The simulator's side is ploke::simulator::SimObservability
//    (ploke/simulator/dashboard_json.h); both follow the contract in docs/dashboard.md.
//
// No clock reads, no I/O: the builders render what they are given.
//
// Example (gateway admin route):
//   if (path == "/__admin/dashboard")      reply(200, "text/html; charset=utf-8", page_html());
//   if (path == "/__admin/dashboard.json") reply(200, "application/json",
//                                                gateway_json(client, recent_traces, info));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/dashboard/page.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/resilience/trace.h"

namespace ploke::dashboard {

/// The JSON contract's version ("version" field); bumped on incompatible changes.
inline constexpr int kContractVersion = 1;

/// Facts only the gateway knows (all optional).
struct GatewayInfo {
  std::string name = "ploke-sim gateway";  ///< shown as the page title
  std::optional<uint64_t> in_flight;       ///< chat requests queued or running in the gateway
  std::optional<uint64_t> worker_queue;    ///< requests waiting for a gateway worker
  std::optional<double> uptime_s;          ///< seconds since start (caller's clock)
  size_t max_recent = 50;                  ///< newest traces rendered into "recent"
};

/// The gateway's dashboard JSON (docs/dashboard.md, kind "gateway"). `recent` holds the
/// gateway's stored traces, oldest first (as kept in its ring); the newest `max_recent`
/// are rendered newest first. Overall latency percentiles are computed over `recent`.
std::string gateway_json(const resilience::LlmClient& client, const std::vector<resilience::RequestTrace>& recent,
                         const GatewayInfo& info = {});

/// The same from already-collected parts (tests; gateway_json() calls it).
std::string gateway_json(const std::vector<resilience::EndpointHealth>& endpoints,
                         const resilience::QueueStatus& queue, uint64_t requests_total, uint64_t errors_total,
                         const std::vector<resilience::RequestTrace>& recent, const GatewayInfo& info = {});

/// The endpoints' health as a JSON array, each element shaped as in gateway_json()'s
/// "endpoints" (`provider health --json`).
std::string endpoints_json(const std::vector<resilience::EndpointHealth>& endpoints);

}  // namespace ploke::dashboard
