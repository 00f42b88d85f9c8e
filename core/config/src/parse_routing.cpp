// The Parser's [routing] section: policy, fallbacks, [routing.breaker], [routing.retry],
// [routing.lanes]; [shared]; and [plugins] (see toml_parser.h and core/config/README.md).
#include <algorithm>
#include <filesystem>

#include "ploke/core/secret.h"
#include "toml_parser.h"

namespace ploke::config::internal {
namespace {

const KeySet kRoutingKeys = {"policy", "fallbacks", "max_chain", "stream_continuation", "max_rate_limit_wait_ms",
                             "breaker", "retry", "lanes"};
const KeySet kBreakerKeys = {"window", "minimum_calls", "failure_rate", "consecutive_failures", "slow_call_ms",
                             "slow_call_rate", "open_ms", "open_max_ms", "half_open_trials"};
const KeySet kRetryKeys = {"per_endpoint", "max_attempts", "max_retry_after_ms", "backoff_base_ms", "backoff_cap_ms",
                           "jitter", "budget_ratio"};
const KeySet kLaneKeys = {"max_in_flight", "interactive_capacity", "normal_capacity", "bulk_capacity",
                          "short_prompt_chars", "short_output_tokens", "long_output_tokens"};

const KeySet kSharedKeys = {"url", "instance_id", "timeout_ms", "connect_timeout_ms", "heartbeat_ms",
                            "rate_limits_on_failure", "lease_ms"};

}  // namespace

void Parser::routing(const toml::node& n) {
  RoutingConfig& r = out_.config.routing;
  const toml::table* t = table(n, "routing");
  if (!t) return;
  unknown_keys(*t, "routing", kRoutingKeys);
  if (auto* x = t->get("policy")) routing_policy(*x);
  if (auto* x = t->get("fallbacks")) routing_fallbacks(*x);
  if (auto* x = t->get("max_chain")) int_range(*x, "routing.max_chain", r.max_chain, 1, 16);
  if (auto* x = t->get("stream_continuation")) r.stream_continuation = boolean(*x, "routing.stream_continuation");
  if (auto* x = t->get("max_rate_limit_wait_ms")) {
    int_range(*x, "routing.max_rate_limit_wait_ms", r.max_rate_limit_wait_ms, 0, 3600000);
  }
  if (auto* x = t->get("breaker")) routing_breaker(*x);
  if (auto* x = t->get("retry")) routing_retry(*x);
  if (auto* x = t->get("lanes")) routing_lanes(*x);
}

void Parser::routing_policy(const toml::node& n) {
  auto v = str(n, "routing.policy");
  if (!v) return;
  const auto& names = builtin_policy_names();
  if (std::find(names.begin(), names.end(), *v) != names.end()) {
    out_.config.routing.policy = *v;
    return;
  }
  std::string known;
  for (const auto& k : names) known += (known.empty() ? "" : ", ") + k;
  error(n.source(), "routing.policy", "unknown policy '" + *v + "' (known: " + known + ")");
}

void Parser::routing_fallbacks(const toml::node& n) {
  note(n, "routing.fallbacks");
  const toml::array* a = n.as_array();
  if (!a) {
    error(n.source(), "routing.fallbacks", "expected an array of model names, got " + type_name(n));
    return;
  }
  for (size_t i = 0; i < a->size(); ++i) {
    // "" keeps the indices of later entries (the config has an error anyway).
    auto v = str((*a)[i], "routing.fallbacks[" + std::to_string(i) + "]");
    out_.config.routing.fallbacks.push_back(v.value_or(""));
  }
}

void Parser::routing_breaker(const toml::node& n) {
  RoutingConfig& r = out_.config.routing;
  const toml::table* b = table(n, "routing.breaker");
  if (!b) return;
  unknown_keys(*b, "routing.breaker", kBreakerKeys);
  const std::string p = "routing.breaker.";
  if (auto* y = b->get("window")) int_range(*y, p + "window", r.breaker_window, 1, 100000);
  if (auto* y = b->get("minimum_calls")) int_range(*y, p + "minimum_calls", r.breaker_minimum_calls, 1, 100000);
  if (auto* y = b->get("failure_rate")) range(*y, p + "failure_rate", r.breaker_failure_rate, 0, 1, true);
  if (auto* y = b->get("consecutive_failures")) {
    int_range(*y, p + "consecutive_failures", r.breaker_consecutive_failures, 0, 100000);
  }
  if (auto* y = b->get("slow_call_ms")) int_range(*y, p + "slow_call_ms", r.breaker_slow_call_ms, 1, 3600000);
  if (auto* y = b->get("slow_call_rate")) range(*y, p + "slow_call_rate", r.breaker_slow_call_rate, 0, 2, true);
  if (auto* y = b->get("open_ms")) int_range(*y, p + "open_ms", r.breaker_open_ms, 1, 86400000);
  if (auto* y = b->get("open_max_ms")) int_range(*y, p + "open_max_ms", r.breaker_open_max_ms, 1, 86400000);
  if (auto* y = b->get("half_open_trials")) int_range(*y, p + "half_open_trials", r.breaker_half_open_trials, 1, 1000);
  if (r.breaker_minimum_calls && r.breaker_window && *r.breaker_minimum_calls > *r.breaker_window) {
    error(b->get("minimum_calls")->source(), p + "minimum_calls",
          "minimum_calls " + std::to_string(*r.breaker_minimum_calls) + " exceeds window " +
              std::to_string(*r.breaker_window) + " (the failure rate could never trip)");
  }
  if (r.breaker_open_ms && r.breaker_open_max_ms && *r.breaker_open_ms > *r.breaker_open_max_ms) {
    error(b->get("open_max_ms")->source(), p + "open_max_ms", "open_max_ms is below open_ms");
  }
}

void Parser::routing_retry(const toml::node& n) {
  RoutingConfig& r = out_.config.routing;
  const toml::table* b = table(n, "routing.retry");
  if (!b) return;
  unknown_keys(*b, "routing.retry", kRetryKeys);
  const std::string p = "routing.retry.";
  if (auto* y = b->get("per_endpoint")) int_range(*y, p + "per_endpoint", r.retry_per_endpoint, 0, 100);
  if (auto* y = b->get("max_attempts")) int_range(*y, p + "max_attempts", r.retry_max_attempts, 1, 100);
  if (auto* y = b->get("max_retry_after_ms")) {
    int_range(*y, p + "max_retry_after_ms", r.retry_max_retry_after_ms, 0, 3600000);
  }
  if (auto* y = b->get("backoff_base_ms")) int_range(*y, p + "backoff_base_ms", r.backoff_base_ms, 0, 3600000);
  if (auto* y = b->get("backoff_cap_ms")) int_range(*y, p + "backoff_cap_ms", r.backoff_cap_ms, 0, 3600000);
  if (auto* y = b->get("budget_ratio")) range(*y, p + "budget_ratio", r.retry_budget_ratio, 0, 100);
  if (auto* y = b->get("jitter")) {
    const KeySet modes = {"decorrelated", "full", "none"};
    auto v = choice(*y, p + "jitter", modes, "expected decorrelated, full or none");
    if (v && modes.count(*v)) r.backoff_jitter = *v;
  }
  if (r.backoff_base_ms && r.backoff_cap_ms && *r.backoff_base_ms > *r.backoff_cap_ms) {
    error(b->get("backoff_cap_ms")->source(), p + "backoff_cap_ms", "backoff_cap_ms is below backoff_base_ms");
  }
}

void Parser::routing_lanes(const toml::node& n) {
  RoutingConfig& r = out_.config.routing;
  const toml::table* b = table(n, "routing.lanes");
  if (!b) return;
  unknown_keys(*b, "routing.lanes", kLaneKeys);
  const std::string p = "routing.lanes.";
  struct Knob { const char* key; std::optional<int64_t>* dst; int64_t lo, hi; };
  const Knob knobs[] = {
      {"max_in_flight", &r.max_in_flight, 1, 1000000},
      {"interactive_capacity", &r.interactive_capacity, 0, 10000000},
      {"normal_capacity", &r.normal_capacity, 0, 10000000},
      {"bulk_capacity", &r.bulk_capacity, 0, 10000000},
      {"short_prompt_chars", &r.short_prompt_chars, 0, 100000000},
      {"short_output_tokens", &r.short_output_tokens, 0, 100000000},
      {"long_output_tokens", &r.long_output_tokens, 1, 100000000},
  };
  for (const Knob& k : knobs) {
    if (auto* y = b->get(k.key)) int_range(*y, p + k.key, *k.dst, k.lo, k.hi);
  }
}

void Parser::plugins(const toml::node& n) {
  const toml::table* t = table(n, "plugins");
  if (!t) return;
  unknown_keys(*t, "plugins", KeySet{"load"});
  const toml::node* x = t->get("load");
  if (!x) return;
  const std::filesystem::path dir = std::filesystem::path(file_).parent_path();
  for (const std::string& entry : string_list(*x, "plugins.load")) {
    if (entry.empty()) {
      error(x->source(), "plugins.load", "expected a plugin file or folder, got an empty string");
      continue;
    }
    std::filesystem::path p = expand(entry);
    out_.config.plugins_load.push_back((p.is_relative() && !file_.empty() ? dir / p : p).string());
  }
}

void Parser::shared(const toml::node& n) {
  SharedConfig& sh = out_.config.shared;
  const toml::table* t = table(n, "shared");
  if (!t) return;
  unknown_keys(*t, "shared", kSharedKeys);
  if (auto* x = t->get("url")) shared_url(*x);
  if (auto* x = t->get("instance_id")) {
    auto v = str(*x, "shared.instance_id");
    if (v && (v->empty() || v->size() > 128 || v->find_first_of(" \t\n|") != std::string::npos)) {
      error(x->source(), "shared.instance_id", "expected 1-128 characters without spaces or '|'");
    } else if (v) {
      sh.instance_id = *v;
    }
  }
  if (auto* x = t->get("timeout_ms")) int_range(*x, "shared.timeout_ms", sh.timeout_ms, 1, 60000);
  if (auto* x = t->get("connect_timeout_ms")) int_range(*x, "shared.connect_timeout_ms", sh.connect_timeout_ms, 1, 60000);
  if (auto* x = t->get("heartbeat_ms")) int_range(*x, "shared.heartbeat_ms", sh.heartbeat_ms, 100, 600000);
  if (auto* x = t->get("lease_ms")) int_range(*x, "shared.lease_ms", sh.lease_ms, 0, 10000);
  if (auto* x = t->get("rate_limits_on_failure")) {
    const KeySet modes = {"local_share", "refuse"};
    auto v = choice(*x, "shared.rate_limits_on_failure", modes, "expected local_share or refuse");
    if (v && modes.count(*v)) sh.rate_limits_on_failure = *v;
  }
}

// The URL's form only (ploke::redis parses it); its password is registered for redaction,
// so no message or saved file shows it; messages never quote the URL.
void Parser::shared_url(const toml::node& n) {
  auto v = str(n, "shared.url");
  if (!v) return;
  const std::string& u = *v;
  if (u.rfind("redis://", 0) == 0) {
    const std::string authority = u.substr(8, u.find('/', 8) == std::string::npos ? std::string::npos : u.find('/', 8) - 8);
    if (const size_t at = authority.rfind('@'); at != std::string::npos) {
      const size_t colon = authority.find(':');
      if (colon < at) (void)Secret(authority.substr(colon + 1, at - colon - 1));  // registers the password
    }
  } else if (u.rfind("unix:", 0) != 0 || u.size() < 7 || u.find('/') == std::string::npos) {
    error(n.source(), "shared.url", "expected redis://[:password@]host:port[/db] or unix:/path/to.sock");
    return;
  }
  out_.config.shared.url = u;
}

}  // namespace ploke::config::internal
