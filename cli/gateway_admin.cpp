// The CLI's client of a gateway's admin API (gateway_admin.h).
#include "gateway_admin.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "ploke/adapters/http_transport.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/json/limits.h"

namespace ploke::cli {
namespace {

namespace rs = ploke::resilience;

std::string key_var(const GatewayAdmin& g) { return g.key_env.empty() ? "PLOKE_GATEWAY_MASTER_KEY" : g.key_env; }

std::string trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

rs::Percentiles percentiles(const nlohmann::json& j) {
  rs::Percentiles p;
  if (!j.is_object()) return p;
  auto num = [&j](const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0; };
  p.count = j.contains("count") && j["count"].is_number_unsigned() ? j["count"].get<uint64_t>() : 0;
  p.p50 = num("p50");
  p.p95 = num("p95");
  p.p99 = num("p99");
  p.mean = num("mean");
  p.max = num("max");
  return p;
}

}  // namespace

std::string check_gateway_url(const std::string& url) {
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) return {};
  return "must start with http:// or https:// (got '" + redact_secrets(url) + "')";
}

std::string shown_url(const std::string& url) { return redact_secrets(trimmed(url)); }

Result<HttpResponse> admin_call(const GatewayAdmin& g, const std::string& method, const std::string& path,
                                const std::string& body) {
  RealClock clock;
  adapters::HttpTransport transport(clock);
  HttpRequest req;
  req.method = method;
  req.base_url = trimmed(g.url);
  req.path = path;
  req.headers.add("Accept", "application/json");
  if (!body.empty()) req.headers.add("Content-Type", "application/json");
  req.body = body;
  const char* key = std::getenv(key_var(g).c_str());
  if (key != nullptr && *key != '\0') {
    const Secret master{std::string(key)};  // registered: redacted by value from now on
    req.headers.add("Authorization", "Bearer " + master.reveal());
  }
  CallOptions opts;
  opts.connect_timeout = std::chrono::milliseconds(std::min(g.timeout_ms, 5000));
  opts.total_timeout = std::chrono::milliseconds(g.timeout_ms);
  return send_and_wait(transport, clock, req, opts);
}

std::string admin_failure(const GatewayAdmin& g, const std::string& method, const std::string& path,
                          const Result<HttpResponse>& r) {
  if (!r.ok()) {
    return "no gateway answered at " + shown_url(g.url) + " (" + redact_secrets(r.status().to_string()) +
           "); start one with `ploke-sim gateway` or pass --base-url";
  }
  const std::string where = method + " " + shown_url(g.url) + path;
  if (r->status == 401) {
    return where + ": HTTP 401: the gateway wants its master key: set $" + key_var(g) +
           " (or --master-key-env VAR) to it";
  }
  return where + ": HTTP " + std::to_string(r->status) + ": " + redact_secrets(r->body.substr(0, 300));
}

Result<nlohmann::json> read_admin_json(const std::string& body, const std::string& source) {
  if (Status st = json::check_json_limits(body); !st.ok()) return MalformedResponseError(source + ": " + st.message());
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return MalformedResponseError(source + ": not JSON (byte " + std::to_string(e.byte) + ")");
  }
}

Result<rs::QueueStatus> parse_queue_status(const std::string& body, const std::string& source) {
  auto parsed = read_admin_json(body, source);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& j = *parsed;
  auto u64 = [](const nlohmann::json& o, const char* k) -> std::optional<uint64_t> {
    if (!o.is_object() || !o.contains(k) || !o[k].is_number_unsigned()) return std::nullopt;
    return o[k].get<uint64_t>();
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
    if (l.contains("wait_ms")) ls.wait_ms = percentiles(l["wait_ms"]);
    ++i;
  }
  for (size_t k = 0; k < rs::kNumLanes; ++k) q.lanes[k].lane = static_cast<rs::Lane>(k);
  return q;
}

Result<std::vector<rs::EndpointHealth>> parse_gateway_health(const std::string& body, const std::string& source,
                                                             std::string* policy) {
  auto parsed = read_admin_json(body, source);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return MalformedResponseError(source + ": not a JSON object");
  if (!j.contains("endpoints") || !j["endpoints"].is_array()) {
    return MalformedResponseError(source + ": endpoints: expected an array");
  }
  if (policy != nullptr) *policy = j.contains("policy") && j["policy"].is_string() ? j["policy"].get<std::string>() : "";
  std::vector<rs::EndpointHealth> out;
  for (const auto& e : j["endpoints"]) {
    const std::string at = source + ": endpoints[" + std::to_string(out.size()) + "]";
    if (!e.is_object() || !e.contains("endpoint_id") || !e["endpoint_id"].is_string()) {
      return MalformedResponseError(at + ".endpoint_id: expected a string");
    }
    auto str = [&e](const char* k) { return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : ""; };
    auto num = [&e](const char* k) { return e.contains(k) && e[k].is_number() ? e[k].get<double>() : 0.0; };
    rs::EndpointHealth h;
    h.endpoint_id = str("endpoint_id");
    h.provider = str("provider");
    h.model = str("model");
    const std::string breaker = str("breaker");
    for (auto s : {rs::BreakerState::kClosed, rs::BreakerState::kOpen, rs::BreakerState::kHalfOpen}) {
      if (rs::breaker_state_name(s) == breaker) h.breaker = s;
    }
    h.open_remaining = std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(num("open_remaining_ms")));
    h.openings = static_cast<uint32_t>(num("openings"));
    h.stats.calls = static_cast<uint64_t>(num("calls"));
    h.stats.successes = static_cast<uint64_t>(num("successes"));
    h.stats.success_rate = num("success_rate");
    h.stats.error_rate = num("error_rate");
    h.stats.score = num("score");
    if (e.contains("ttft_ms")) h.stats.ttft_ms = percentiles(e["ttft_ms"]);
    if (e.contains("total_ms")) h.stats.total_ms = percentiles(e["total_ms"]);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace ploke::cli
