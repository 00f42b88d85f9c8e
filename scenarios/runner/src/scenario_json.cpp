// Scenario JSON → Scenario (format: scenarios/README.md). Every bad field is reported
// with its JSON path, all in one pass.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "ploke/core/field_errors.h"
#include "ploke/json/limits.h"
#include "ploke/scenarios/scenario.h"
#include "ploke/simulator/fault_plan_json.h"
#include "scenario_fields.h"

namespace ploke::scenarios {

namespace {

using namespace fields;  // NOLINT: the shared field readers (scenario_fields.h)

void parse_timeouts(const Json& o, const std::string& path, CallOptions& t, Errors& e) {
  check_keys(o, path, {"connect", "first_byte", "idle", "total"}, e);
  if (auto d = get_duration(o, "connect", path, e)) t.connect_timeout = *d;
  if (auto d = get_duration(o, "first_byte", path, e)) t.first_byte_timeout = *d;
  if (auto d = get_duration(o, "idle", path, e)) t.idle_timeout = *d;
  if (auto d = get_duration(o, "total", path, e)) t.total_timeout = *d;
}

void parse_rate_limits(const Json& o, const std::string& path, resilience::RateLimits& l, Errors& e) {
  check_keys(o, path, {"requests_per_minute", "tokens_per_minute"}, e);
  if (auto v = get_uint(o, "requests_per_minute", path, e)) l.requests_per_minute = *v;
  if (auto v = get_uint(o, "tokens_per_minute", path, e)) l.tokens_per_minute = *v;
}

// "drift": "all" | "none" | ["unknown_enums", "numeric_prices", "extra_fields"] — the
// simulated OpenRouter's schema drift (SimOptions::openrouter.drift). OpenRouter only.
void parse_drift(const Json& v, const std::string& path, ProviderSpec& p, Errors& e) {
  static const char* const kExpected = "expected \"all\", \"none\" or an array of unknown_enums, numeric_prices, extra_fields";
  if (p.protocol != "openrouter") {
    e.add(path, "applies to protocol openrouter only (this provider's protocol is " + p.protocol + ")");
  }
  auto apply = [&](const std::string& name, const std::string& at) {
    if (name == "all") {
      p.drift.unknown_enums = p.drift.numeric_prices = p.drift.extra_fields = true;
    } else if (name == "none") {
      p.drift = simulator::OpenRouterDrift{};
    } else if (name == "unknown_enums") {
      p.drift.unknown_enums = true;
    } else if (name == "numeric_prices") {
      p.drift.numeric_prices = true;
    } else if (name == "extra_fields") {
      p.drift.extra_fields = true;
    } else {
      e.add(at, "unknown drift '" + name + "' (" + kExpected + ")");
    }
  };
  if (v.is_string()) {
    apply(v.get<std::string>(), path);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      if (!v[i].is_string()) e.add(at, "must be a string (got " + type_name(v[i]) + ")");
      else apply(v[i].get<std::string>(), at);
    }
  } else {
    e.add(path, "must be a string or an array of strings (got " + type_name(v) + "; " + kExpected + ")");
  }
}

void parse_provider(const Json& o, const std::string& path, ProviderSpec& p, Errors& e) {
  check_keys(o, path,
             {"name", "protocol", "models", "latency", "completion_tokens", "tool_call_probability", "rate_limits",
              "client_rate_limits", "price", "weight", "timeouts", "cassettes", "drift", "description"},
             e);
  if (auto s = get_string(o, "name", path, e)) p.name = *s;
  if (p.name.empty()) e.add(join(path, "name"), "required (a non-empty string)");
  if (p.name.find('/') != std::string::npos) e.add(join(path, "name"), "must not contain '/'");
  if (auto s = get_string(o, "protocol", path, e)) {
    if (*s != "openai" && *s != "openai-responses" && *s != "anthropic" && *s != "openrouter") {
      e.add(join(path, "protocol"),
            "unknown protocol '" + *s + "' (expected openai, openai-responses, anthropic or openrouter)");
    } else {
      p.protocol = *s;
    }
  }
  if (const Json* m = get_array(o, "models", path, e)) {
    for (size_t i = 0; i < m->size(); ++i) {
      const Json& v = (*m)[i];
      if (!v.is_string() || v.get<std::string>().empty()) {
        e.add(path + ".models[" + std::to_string(i) + "]", "must be a non-empty string");
      } else {
        p.models.push_back(v.get<std::string>());
      }
    }
    if (m->empty()) e.add(join(path, "models"), "must list at least one model");
  } else if (!o.contains("models")) {
    e.add(join(path, "models"), "required (an array of model ids)");
  }
  if (const Json* l = get_object(o, "latency", path, e)) {
    const std::string lp = join(path, "latency");
    check_keys(*l, lp, {"ttft", "tokens_per_second"}, e);
    if (auto d = get_duration(*l, "ttft", lp, e)) p.ttft = *d;
    if (auto v = get_number(*l, "tokens_per_second", lp, e, 0.001, 1e9)) p.tokens_per_second = *v;
  }
  if (const Json* c = get_object(o, "completion_tokens", path, e)) {
    const std::string cp = join(path, "completion_tokens");
    check_keys(*c, cp, {"min", "max"}, e);
    if (auto v = get_uint(*c, "min", cp, e, 1, 100000)) p.min_tokens = static_cast<uint32_t>(*v);
    if (auto v = get_uint(*c, "max", cp, e, 1, 100000)) p.max_tokens = static_cast<uint32_t>(*v);
    if (p.min_tokens > p.max_tokens) e.add(cp, "min must be <= max");
  }
  if (auto v = get_number(o, "tool_call_probability", path, e, 0, 1)) p.tool_call_probability = *v;
  if (const Json* r = get_object(o, "rate_limits", path, e)) {
    const std::string rp = join(path, "rate_limits");
    check_keys(*r, rp, {"limit_requests", "limit_tokens"}, e);
    if (auto v = get_uint(*r, "limit_requests", rp, e, 1)) p.limit_requests = *v;
    if (auto v = get_uint(*r, "limit_tokens", rp, e, 1)) p.limit_tokens = *v;
  }
  if (const Json* r = get_object(o, "client_rate_limits", path, e)) parse_rate_limits(*r, join(path, "client_rate_limits"), p.client_limits, e);
  if (const Json* pr = get_object(o, "price", path, e)) {
    const std::string pp = join(path, "price");
    check_keys(*pr, pp, {"input_usd_per_mtok", "output_usd_per_mtok"}, e);
    if (auto v = get_number(*pr, "input_usd_per_mtok", pp, e, 0, 1e6)) p.input_usd_per_mtok = *v;
    if (auto v = get_number(*pr, "output_usd_per_mtok", pp, e, 0, 1e6)) p.output_usd_per_mtok = *v;
  }
  if (auto v = get_number(o, "weight", path, e, 0, 1e9)) p.weight = *v;
  if (const Json* t = get_object(o, "timeouts", path, e)) parse_timeouts(*t, join(path, "timeouts"), p.timeouts, e);
  if (auto s = get_string(o, "cassettes", path, e)) p.cassettes = *s;
  if (auto it = o.find("drift"); it != o.end()) parse_drift(*it, join(path, "drift"), p, e);
  (void)get_string(o, "description", path, e);
}

}  // namespace

namespace fields {

// One fault of the schedule: the simulator's fault format (simulator/README.md), plus
// "provider" and string durations for trigger.from / trigger.until / delay / retry_after.
void parse_fault(const Json& o, const std::string& path, size_t index, const std::set<std::string>& providers,
                 std::map<std::string, simulator::FaultPlan>& plans, std::set<std::string>& ids, Errors& e) {
  if (!o.is_object()) {
    e.add(path, "must be an object (got " + type_name(o) + ")");
    return;
  }
  Json f = o;
  std::string provider;
  if (auto s = get_string(o, "provider", path, e)) {
    provider = *s;
    if (!providers.count(provider)) e.add(join(path, "provider"), "unknown provider '" + provider + "'");
  } else if (!o.contains("provider")) {
    if (providers.size() == 1) {
      provider = *providers.begin();
    } else {
      e.add(join(path, "provider"), "required when there is more than one provider");
    }
  }
  f.erase("provider");
  if (!f.contains("id")) f["id"] = "f" + std::to_string(index + 1);
  // String durations → the simulator's *_ms keys.
  auto to_ms = [&](Json& obj, const std::string& key, const std::string& ms_key, const std::string& p) {
    if (!obj.contains(key)) return;
    if (auto d = get_duration(obj, key, p, e)) {
      obj[ms_key] = std::chrono::duration_cast<milliseconds>(*d).count();
    } else {
      obj[ms_key] = 0;  // the error is already reported
    }
    obj.erase(key);
  };
  to_ms(f, "delay", "delay_ms", path);
  to_ms(f, "retry_after", "retry_after_ms", path);
  if (f.contains("trigger") && f["trigger"].is_object()) {
    to_ms(f["trigger"], "from", "from_ms", join(path, "trigger"));
    to_ms(f["trigger"], "until", "until_ms", join(path, "trigger"));
  }
  Json plan = Json::object();
  plan["faults"] = Json::array({f});
  Errors sub;
  simulator::FaultPlan parsed = simulator::parse_fault_plan(plan.dump(), sub);
  if (!sub.empty()) {
    for (FieldError fe : sub.list()) {  // "faults[0].x" → "PATH.x"
      fe.path = fe.path.rfind("faults[0]", 0) == 0 ? path + fe.path.substr(9) : join(path, fe.path);
      e.add(std::move(fe));
    }
    return;
  }
  for (simulator::Fault& fault : parsed.faults) {
    if (!ids.insert(fault.id).second) {
      e.add(join(path, "id"), "duplicate fault id '" + fault.id + "'");
      continue;
    }
    if (!provider.empty() && providers.count(provider)) plans[provider].faults.push_back(std::move(fault));
  }
}

}  // namespace fields

namespace {

// "budgets": [{"provider": "cheap", "usd": 0.01, "period": "day", "action": "stop"}, …]
// (or "profile": NAME, or neither = global).
void parse_budgets(const Json& arr, const std::string& path, const std::set<std::string>& providers, Scenario& s,
                   Errors& e) {
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string bp = path + "[" + std::to_string(i) + "]";
    const Json& o = arr[i];
    if (!o.is_object()) {
      e.add(bp, "must be an object (got " + type_name(o) + ")");
      continue;
    }
    check_keys(o, bp, {"provider", "profile", "usd", "period", "action"}, e);
    BudgetSpec b;
    b.path = bp;
    const auto provider = get_string(o, "provider", bp, e);
    const auto profile = get_string(o, "profile", bp, e);
    if (provider && profile) {
      e.add(bp, "give provider or profile, not both (neither = a global budget)");
    } else if (provider) {
      if (!providers.count(*provider)) e.add(join(bp, "provider"), "unknown provider '" + *provider + "'");
      b.scope = "provider";
      b.name = *provider;
    } else if (profile) {
      if (profile->empty()) e.add(join(bp, "profile"), "must not be empty");
      b.scope = "profile";
      b.name = *profile;
    }
    if (auto v = get_number(o, "usd", bp, e, 0, 1e12)) {
      if (*v <= 0) e.add(join(bp, "usd"), "must be > 0");
      b.limit_usd = *v;
    } else if (!o.contains("usd")) {
      e.add(join(bp, "usd"), "required (the limit in USD)");
    }
    if (auto v = get_string(o, "period", bp, e)) {
      if (*v != "day" && *v != "month") e.add(join(bp, "period"), "unknown period '" + *v + "' (expected day or month)");
      b.period = *v;
    }
    if (auto v = get_string(o, "action", bp, e)) {
      if (*v != "warn" && *v != "stop") e.add(join(bp, "action"), "unknown action '" + *v + "' (expected warn or stop)");
      b.action = *v;
    }
    s.budgets.push_back(std::move(b));
  }
}

void parse_breaker(const Json& b, const std::string& bp, resilience::BreakerConfig& br, Errors& e) {
  check_keys(b, bp,
             {"window_size", "minimum_calls", "failure_rate_threshold", "consecutive_failures", "slow_call_threshold",
              "slow_call_rate_threshold", "open_base", "open_multiplier", "open_max", "half_open_trials"},
             e);
  if (auto v = get_uint(b, "window_size", bp, e, 1, 100000)) br.window_size = *v;
  if (auto v = get_uint(b, "minimum_calls", bp, e, 1, 100000)) br.minimum_calls = *v;
  if (auto v = get_number(b, "failure_rate_threshold", bp, e, 0, 1)) br.failure_rate_threshold = *v;
  if (auto v = get_uint(b, "consecutive_failures", bp, e, 0, 100000)) br.consecutive_failures = static_cast<uint32_t>(*v);
  if (auto d = get_duration(b, "slow_call_threshold", bp, e)) br.slow_call_threshold = *d;
  if (auto v = get_number(b, "slow_call_rate_threshold", bp, e, 0, 2)) br.slow_call_rate_threshold = *v;
  if (auto d = get_duration(b, "open_base", bp, e)) br.open_base = *d;
  if (auto v = get_number(b, "open_multiplier", bp, e, 1, 100)) br.open_multiplier = *v;
  if (auto d = get_duration(b, "open_max", bp, e)) br.open_max = *d;
  if (auto v = get_uint(b, "half_open_trials", bp, e, 1, 1000)) br.half_open_trials = static_cast<uint32_t>(*v);
}

void parse_backoff(const Json& b, const std::string& bp, resilience::BackoffConfig& bo, Errors& e) {
  check_keys(b, bp, {"base", "cap", "jitter"}, e);
  if (auto d = get_duration(b, "base", bp, e)) bo.base = *d;
  if (auto d = get_duration(b, "cap", bp, e)) bo.cap = *d;
  if (auto j = get_string(b, "jitter", bp, e)) {
    if (*j == "none") bo.jitter = resilience::JitterMode::kNone;
    else if (*j == "full") bo.jitter = resilience::JitterMode::kFull;
    else if (*j == "decorrelated") bo.jitter = resilience::JitterMode::kDecorrelated;
    else e.add(join(bp, "jitter"), "unknown jitter '" + *j + "' (expected none, full or decorrelated)");
  }
}

void parse_client(const Json& o, const std::string& path, const std::set<std::string>& providers, Scenario& s,
                  Errors& e) {
  check_keys(o, path,
             {"policy", "max_chain", "breaker", "retry", "backoff", "retry_budget", "admission", "provider_limits",
              "learn_rate_limits", "max_rate_limit_wait", "stream_continuation", "timeouts", "profile", "budgets",
              "instances"},
             e);
  resilience::LlmClientOptions& c = s.client;
  if (auto v = get_string(o, "policy", path, e)) s.policy = *v;
  if (auto v = get_uint(o, "instances", path, e, 1, 64)) s.instances = static_cast<uint32_t>(*v);
  if (auto v = get_uint(o, "max_chain", path, e, 1, 64)) c.router.max_chain = *v;
  if (const Json* b = get_object(o, "breaker", path, e)) parse_breaker(*b, join(path, "breaker"), c.breaker, e);
  if (const Json* r = get_object(o, "retry", path, e)) {
    const std::string rp = join(path, "retry");
    check_keys(*r, rp, {"max_retries_per_endpoint", "max_total_attempts", "max_retry_after", "min_attempt_time"}, e);
    if (auto v = get_uint(*r, "max_retries_per_endpoint", rp, e, 0, 100)) {
      c.retry.max_retries_per_endpoint = static_cast<uint32_t>(*v);
    }
    if (auto v = get_uint(*r, "max_total_attempts", rp, e, 1, 100)) c.retry.max_total_attempts = static_cast<uint32_t>(*v);
    if (auto d = get_duration(*r, "max_retry_after", rp, e)) c.retry.max_retry_after = *d;
    if (auto d = get_duration(*r, "min_attempt_time", rp, e)) c.retry.min_attempt_time = *d;
  }
  if (const Json* b = get_object(o, "backoff", path, e)) parse_backoff(*b, join(path, "backoff"), c.backoff, e);
  if (const Json* b = get_object(o, "retry_budget", path, e)) {
    const std::string bp = join(path, "retry_budget");
    check_keys(*b, bp, {"ratio"}, e);
    if (auto v = get_number(*b, "ratio", bp, e, 0, 100)) c.budget.ratio = *v;
  }
  if (const Json* a = get_object(o, "admission", path, e)) {
    const std::string ap = join(path, "admission");
    check_keys(*a, ap, {"max_in_flight", "lane_capacity"}, e);
    if (auto v = get_uint(*a, "max_in_flight", ap, e, 1, 1'000'000)) c.admission.max_in_flight = static_cast<uint32_t>(*v);
    if (auto v = get_uint(*a, "lane_capacity", ap, e, 0, 10'000'000)) {
      c.admission.lane_capacity = {static_cast<uint32_t>(*v), static_cast<uint32_t>(*v), static_cast<uint32_t>(*v)};
    }
  }
  if (const Json* pl = get_object(o, "provider_limits", path, e)) {
    const std::string pp = join(path, "provider_limits");
    for (auto it = pl->begin(); it != pl->end(); ++it) {
      if (!it->is_object()) {
        e.add(join(pp, it.key()), "must be an object (got " + type_name(*it) + ")");
        continue;
      }
      parse_rate_limits(*it, join(pp, it.key()), c.provider_limits[it.key()], e);
    }
  }
  if (auto v = get_bool(o, "learn_rate_limits", path, e)) c.learn_rate_limits = *v;
  if (auto d = get_duration(o, "max_rate_limit_wait", path, e)) c.max_rate_limit_wait = *d;
  if (auto v = get_bool(o, "stream_continuation", path, e)) c.stream_continuation = *v;
  if (const Json* t = get_object(o, "timeouts", path, e)) parse_timeouts(*t, join(path, "timeouts"), s.timeouts, e);
  if (auto v = get_string(o, "profile", path, e)) c.profile = *v;
  if (const Json* b = get_array(o, "budgets", path, e)) parse_budgets(*b, join(path, "budgets"), providers, s, e);
}

// The expectation kinds that take no field but "kind".
std::optional<ExpectationKind> kinds_without_fields(std::string_view kind) {
  for (ExpectationKind k : {ExpectationKind::kHonoursRetryAfter, ExpectationKind::kNoRetryAfterPartialOutput,
                            ExpectationKind::kNoLostRequests, ExpectationKind::kAllFaultsFired}) {
    if (expectation_kind_name(k) == kind) return k;
  }
  return std::nullopt;
}

void parse_latency(const Json& o, const std::string& path, Expectation& x, Errors& e) {
  check_keys(o, path, {"kind", "percentile", "max", "of"}, e);
  if (auto v = get_number(o, "percentile", path, e, 0, 100)) x.percentile = *v;
  if (auto d = get_duration(o, "max", path, e)) x.max = to_ms(*d);
  if (auto of = get_string(o, "of", path, e)) {
    if (*of == "ok") x.ok_only = true;
    else if (*of == "all") x.ok_only = false;
    else e.add(join(path, "of"), "must be \"ok\" or \"all\"");
  }
}

void parse_expectation(const Json& o, const std::string& path, const std::set<std::string>& providers, Scenario& s,
                       Errors& e) {
  if (!o.is_object()) {
    e.add(path, "must be an object (got " + type_name(o) + ")");
    return;
  }
  Expectation x;
  x.path = path;
  auto kind = get_string(o, "kind", path, e);
  if (!kind) {
    if (!o.contains("kind")) e.add(join(path, "kind"), "required");
    return;
  }
  auto need = [&](const char* key) {
    if (!o.contains(key)) e.add(join(path, key), std::string("required for kind '") + *kind + "'");
  };
  auto provider = [&] {
    if (auto p = get_string(o, "provider", path, e)) {
      if (!providers.count(*p)) e.add(join(path, "provider"), "unknown provider '" + *p + "'");
      x.provider = *p;
    }
  };
  if (auto simple = kinds_without_fields(*kind)) {  // only "kind"
    x.kind = *simple;
    check_keys(o, path, {"kind"}, e);
  } else if (*kind == "success_rate" || *kind == "reasoning_share" || *kind == "cache_read_share") {
    x.kind = *kind == "success_rate"      ? ExpectationKind::kSuccessRate
             : *kind == "reasoning_share" ? ExpectationKind::kReasoningShare
                                          : ExpectationKind::kCacheReadShare;
    check_keys(o, path, {"kind", "min"}, e);
    need("min");
    if (auto v = get_number(o, "min", path, e, 0, 1)) x.min = *v;
  } else if (*kind == "latency") {
    x.kind = ExpectationKind::kLatency;
    need("percentile");
    need("max");
    parse_latency(o, path, x, e);
  } else if (*kind == "attempts") {
    x.kind = ExpectationKind::kAttempts;
    check_keys(o, path, {"kind", "provider", "from", "until", "max", "min"}, e);
    if (!o.contains("max") && !o.contains("min")) e.add(join(path, "max"), "required for kind 'attempts' (or min)");
    provider();
    x.max = -1;
    if (auto v = get_uint(o, "max", path, e)) x.max = static_cast<double>(*v);
    if (auto v = get_uint(o, "min", path, e)) x.min = static_cast<double>(*v);
    x.from = get_duration(o, "from", path, e);
    x.until = get_duration(o, "until", path, e);
  } else if (*kind == "no_traffic_to_open_breaker") {
    x.kind = ExpectationKind::kNoTrafficToOpenBreaker;
    check_keys(o, path, {"kind", "provider"}, e);
    provider();
  } else if (*kind == "cost") {
    x.kind = ExpectationKind::kCost;
    check_keys(o, path, {"kind", "max_usd", "provider"}, e);
    need("max_usd");
    provider();
    if (auto v = get_number(o, "max_usd", path, e, 0, 1e12)) x.max = *v;
  } else {
    e.add(join(path, "kind"),
          "unknown expectation '" + *kind +
              "' (expected success_rate, latency, attempts, no_traffic_to_open_breaker, honours_retry_after, "
              "no_retry_after_partial_output, cost, no_lost_requests, all_faults_fired, reasoning_share, "
              "cache_read_share)");
    return;
  }
  s.expectations.push_back(std::move(x));
}

}  // namespace

namespace fields {

// Limits, then the parse (comments allowed); false (with the error in `e`) when either fails.
bool parse_root(std::string_view text, Json& root, Errors& e) {
  if (Status st = ploke::json::check_json_limits(text); !st.ok()) {
    e.add("", st.message());
    return false;
  }
  try {
    root = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& ex) {
    e.add("", "invalid JSON at byte " + std::to_string(ex.byte) + ": " + ex.what());
    return false;
  } catch (const nlohmann::json::exception& ex) {
    e.add("", std::string("invalid JSON: ") + ex.what());
    return false;
  }
  if (!root.is_object()) e.add("", "the top level must be an object");
  return e.empty();
}

}  // namespace fields

namespace {

void parse_providers(const Json& ps, Scenario& s, std::set<std::string>& names, Errors& e) {
  for (size_t i = 0; i < ps.size(); ++i) {
    const std::string pp = index_path("providers", i);
    const Json& pj = ps[i];
    if (!pj.is_object()) {
      e.add(pp, "must be an object (got " + type_name(pj) + ")");
      continue;
    }
    ProviderSpec spec;
    parse_provider(pj, pp, spec, e);
    if (!spec.name.empty() && !names.insert(spec.name).second) e.add(pp + ".name", "duplicate provider '" + spec.name + "'");
    s.providers.push_back(std::move(spec));
  }
  if (ps.empty()) e.add("providers", "must list at least one provider");
}

}  // namespace

std::string_view expectation_kind_name(ExpectationKind k) {
  switch (k) {
    case ExpectationKind::kSuccessRate: return "success_rate";
    case ExpectationKind::kLatency: return "latency";
    case ExpectationKind::kAttempts: return "attempts";
    case ExpectationKind::kNoTrafficToOpenBreaker: return "no_traffic_to_open_breaker";
    case ExpectationKind::kHonoursRetryAfter: return "honours_retry_after";
    case ExpectationKind::kNoRetryAfterPartialOutput: return "no_retry_after_partial_output";
    case ExpectationKind::kCost: return "cost";
    case ExpectationKind::kNoLostRequests: return "no_lost_requests";
    case ExpectationKind::kAllFaultsFired: return "all_faults_fired";
    case ExpectationKind::kReasoningShare: return "reasoning_share";
    case ExpectationKind::kCacheReadShare: return "cache_read_share";
  }
  return "?";
}

std::optional<Duration> parse_duration_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string s(text);
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(s.substr(0, i), &used);
    if (used != i) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = s.substr(i);
  double secs = 0;
  if (unit.empty() || unit == "s") secs = v;
  else if (unit == "ms") secs = v / 1e3;
  else if (unit == "us") secs = v / 1e6;
  else if (unit == "m" || unit == "min") secs = v * 60;
  else if (unit == "h") secs = v * 3600;
  else return std::nullopt;
  if (!std::isfinite(secs) || secs > 1e9) return std::nullopt;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(secs));
}

Result<Scenario> parse_scenario(std::string_view text, std::string_view source_name) {
  const std::string src(source_name);
  Errors e("scenario '" + src + "'");
  Json root;
  if (!parse_root(text, root, e)) return e.to_status();
  Scenario s;
  s.file = src;
  const std::string p;  // root path
  check_keys(root, p, {"name", "description", "tags", "seed", "duration", "drain", "sample_interval", "providers",
                       "faults", "workload", "client", "expect"},
             e);
  if (auto v = get_string(root, "name", p, e)) s.name = *v;
  if (s.name.empty() && !root.contains("name")) e.add("name", "required");
  if (auto v = get_string(root, "description", p, e)) s.description = *v;
  if (const Json* t = get_array(root, "tags", p, e)) {
    for (size_t i = 0; i < t->size(); ++i) {
      if (!(*t)[i].is_string()) e.add("tags[" + std::to_string(i) + "]", "must be a string");
      else s.tags.push_back((*t)[i].get<std::string>());
    }
  }
  if (auto v = get_uint(root, "seed", p, e)) s.seed = *v;
  if (auto d = get_duration(root, "duration", p, e)) {
    if (d->count() <= 0) e.add("duration", "must be > 0");
    s.duration = *d;
  } else if (!root.contains("duration")) {
    e.add("duration", "required");
  }
  if (auto d = get_duration(root, "drain", p, e)) s.drain = *d;
  if (auto d = get_duration(root, "sample_interval", p, e)) {
    if (d->count() <= 0) e.add("sample_interval", "must be > 0");
    else s.sample_interval = *d;
  }
  std::set<std::string> names;
  if (const Json* ps = get_array(root, "providers", p, e)) {
    parse_providers(*ps, s, names, e);
  } else if (!root.contains("providers")) {
    e.add("providers", "required (an array of simulated providers)");
  }
  if (const Json* c = get_object(root, "client", p, e)) parse_client(*c, "client", names, s, e);
  if (const Json* f = get_array(root, "faults", p, e)) {
    std::map<std::string, simulator::FaultPlan> plans;
    std::set<std::string> ids;
    for (size_t i = 0; i < f->size(); ++i) {
      parse_fault((*f)[i], "faults[" + std::to_string(i) + "]", i, names, plans, ids, e);
    }
    for (auto& prov : s.providers) {
      if (auto it = plans.find(prov.name); it != plans.end()) prov.faults = std::move(it->second);
    }
  }
  if (const Json* w = get_object(root, "workload", p, e)) {
    fields::parse_workload(*w, "workload", s.workload, e);
  } else if (!root.contains("workload")) {
    e.add("workload", "required");
  }
  if (const Json* x = get_array(root, "expect", p, e)) {
    for (size_t i = 0; i < x->size(); ++i) parse_expectation((*x)[i], "expect[" + std::to_string(i) + "]", names, s, e);
  }
  if (!e.empty()) return e.to_status();
  return s;
}

Result<Scenario> load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidRequestError("scenario '" + path + "': cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = parse_scenario(ss.str(), path);
  if (!s.ok()) return s;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (auto& p : s->providers) {
    if (!p.cassettes.empty() && std::filesystem::path(p.cassettes).is_relative()) {
      p.cassettes = (dir / p.cassettes).string();
    }
  }
  return s;
}

Result<std::vector<std::string>> scenario_files(const std::string& file_or_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(file_or_dir, ec)) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(file_or_dir, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) return InvalidRequestError("'" + file_or_dir + "': no *.json scenario files in this directory");
    return out;
  }
  if (!fs::exists(file_or_dir, ec)) return InvalidRequestError("'" + file_or_dir + "': no such file or directory");
  return std::vector<std::string>{file_or_dir};
}

}  // namespace ploke::scenarios
