// File: cli/gateway_admin.h
//
// The CLI's client of a running `ploke-sim gateway`'s admin API (`llm queue status`,
// `console`): one request to URL/__admin/…, with the master key — from an environment
// variable, never from a flag or the history — as a bearer token when it is set. One HTTP
// client stack (ploke::adapters::HttpTransport); messages never hold the key.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ploke/core/status.h"
#include "ploke/core/transport.h"
#include "ploke/resilience/admission.h"
#include "ploke/resilience/llm_client.h"

namespace ploke::cli {

/// Where the gateway is and how to authenticate to it.
struct GatewayAdmin {
  std::string url = "http://127.0.0.1:4000";  ///< base URL (trailing '/' ignored)
  std::string key_env;                        ///< variable holding the master key ("" = PLOKE_GATEWAY_MASTER_KEY)
  int timeout_ms = 5000;                      ///< total, per request
};

/// "" when `url` starts with http:// or https://, else why not (for an exit-2 message).
std::string check_gateway_url(const std::string& url);

/// `url` without trailing '/', credentials redacted: what messages show.
std::string shown_url(const std::string& url);

/// One request to g.url + path ("/__admin/…"); the response whatever its status. A
/// transport failure comes back as its Status.
Result<HttpResponse> admin_call(const GatewayAdmin& g, const std::string& method, const std::string& path,
                                const std::string& body = {});

/// A failed admin call in one line: nothing listening → "no gateway answered at URL (…);
/// start one with `ploke-sim gateway` or pass --base-url"; 401 → the gateway wants the master
/// key (naming the variable); another status → "METHOD URL/path: HTTP n: body" (redacted).
std::string admin_failure(const GatewayAdmin& g, const std::string& method, const std::string& path,
                          const Result<HttpResponse>& r);

/// An admin answer's JSON, through the project's guard (ploke/json/limits.h) and then
/// nlohmann. kMalformedResponse naming `source` and the byte offset.
Result<nlohmann::json> read_admin_json(const std::string& body, const std::string& source);

/// GET /__admin/queue's JSON (resilience::render_queue_status_json's shape; the
/// gateway's own "gateway" member is ignored). kMalformedResponse naming `source` and the field.
Result<resilience::QueueStatus> parse_queue_status(const std::string& body, const std::string& source);

/// GET /__admin/health's JSON → the endpoints as LlmClient::health() had them (the fields
/// the JSON carries), for resilience::render_health_text. `policy` gets the façade's default
/// policy. kMalformedResponse naming `source` and the field.
Result<std::vector<resilience::EndpointHealth>> parse_gateway_health(const std::string& body, const std::string& source,
                                                                     std::string* policy = nullptr);

}  // namespace ploke::cli
