// Client checks: names, the built-in SDK profiles and the check-file parser
// (ploke/scenarios/client_check.h; format in scenarios/README.md "Client checks").
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "ploke/core/field_errors.h"
#include "ploke/core/file_io.h"
#include "ploke/scenarios/client_check.h"
#include "scenario_fields.h"

namespace ploke::scenarios {
namespace {

using namespace fields;  // NOLINT: the shared field readers (scenario_fields.h)
using std::chrono::milliseconds;
using std::chrono::seconds;

struct KindInfo {
  ClientCheckKind kind;
  std::string_view name;
  std::initializer_list<std::string_view> params;
};

const KindInfo kKinds[] = {
    {ClientCheckKind::kReachesTheSimulator, "reaches_the_simulator", {}},
    {ClientCheckKind::kWaitsForRetryAfter, "waits_for_retry_after",
     {"early_tolerance", "max_factor", "max_slack", "honored_up_to"}},
    {ClientCheckKind::kRetriesTransientErrors, "retries_transient_errors", {"min_retries"}},
    {ClientCheckKind::kRetriesAtMost, "retries_at_most", {"max_retries"}},
    {ClientCheckKind::kBacksOffWithJitter, "backs_off_with_jitter", {"min_gap", "min_growth", "require_jitter"}},
    {ClientCheckKind::kNoRetryOfClientErrors, "no_retry_of_client_errors", {"statuses"}},
    {ClientCheckKind::kNoRetryAfterPartialStream, "no_retry_after_partial_stream", {}},
    {ClientCheckKind::kNoRepeatOfAnsweredRequest, "no_repeat_of_answered_request", {}},
    {ClientCheckKind::kTimesOutHungRequests, "times_out_hung_requests", {"within"}},
    {ClientCheckKind::kNoSecretsInUrlOrBody, "no_secrets_in_url_or_body", {}},
    {ClientCheckKind::kExitsZero, "exits_zero", {}},
};

const KindInfo& info(ClientCheckKind k) {
  for (const auto& i : kKinds) {
    if (i.kind == k) return i;
  }
  return kKinds[0];
}

// The checks every Stainless-generated SDK (openai, anthropic; Node and Python) passes with
// its defaults: 2 retries, 0.5 s · 2^n capped at 8 s with up to 25 % jitter taken off (so
// the first gap is at least 375 ms and each gap about twice the previous), the advertised
// wait honoured, a 10-minute timeout.
std::vector<ClientCheck> stainless_checks(std::optional<Duration> honored_up_to) {
  std::vector<ClientCheck> out;
  for (ClientCheckKind k : all_client_checks()) {
    if (k == ClientCheckKind::kExitsZero || k == ClientCheckKind::kReachesTheSimulator) continue;
    ClientCheck c;
    c.kind = k;
    c.min_retries = 2;
    c.max_retries = 2;
    c.min_gap = milliseconds(350);
    c.min_growth = 1.3;
    c.honored_up_to = honored_up_to;
    c.within = std::chrono::minutes(10);
    out.push_back(c);
  }
  return out;
}

std::vector<ClientProfile> make_profiles() {
  std::vector<ClientProfile> p;
  p.push_back({"openai-node", "openai (npm) 6.x, read from 6.49.0's client and run by the tests",
               "2 retries of 408/409/429/5xx and connection errors; 0.5 s·2^n (max 8 s) minus up to 25 % jitter; "
               "retry-after-ms, then retry-after, honoured at any length; x-should-retry obeyed; 10 min timeout",
               stainless_checks(std::nullopt)});
  p.push_back({"openai-python", "openai (PyPI) 1.x, from its documented retry policy (not run here)",
               "as openai-node, but an advertised wait is honoured only up to 60 s (longer: its own backoff)",
               stainless_checks(seconds(60))});
  p.push_back({"anthropic-node", "@anthropic-ai/sdk (npm) 1.x, read from 1.16.0's client and run by the tests",
               "as openai-node (529 overloaded is a 5xx: retried); 10 min timeout (longer for large non-streamed "
               "max_tokens)",
               stainless_checks(std::nullopt)});
  std::vector<ClientCheck> vercel;
  for (ClientCheck c : stainless_checks(seconds(60))) {
    if (c.kind == ClientCheckKind::kTimesOutHungRequests) continue;  // no default timeout
    c.min_gap = milliseconds(1900);
    c.min_growth = 1.8;
    c.require_jitter = false;
    vercel.push_back(c);
  }
  p.push_back({"vercel-ai", "ai (npm) 6.x, read from 6.0.333's retryWithExponentialBackoff and run by the tests",
               "2 retries of retryable API errors (408/409/429/5xx) and network errors; 2 s·2^n, no jitter; "
               "an advertised wait under 60 s honoured; no timeout unless the app sets abortSignal/timeout",
               std::move(vercel)});
  return p;
}

std::optional<std::vector<int>> parse_statuses(const Json& o, const std::string& path, Errors& e) {
  const Json* arr = get_array(o, "statuses", path, e);
  if (arr == nullptr) return std::nullopt;
  std::vector<int> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const Json& v = (*arr)[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 100 || v.get<int64_t>() > 599) {
      e.add(index_path(join(path, "statuses"), i), "must be an HTTP status in [100, 599]");
    } else {
      out.push_back(v.get<int>());
    }
  }
  return out;
}

void parse_params(const Json& o, const std::string& path, ClientCheck& c, Errors& e) {
  if (auto d = get_duration(o, "early_tolerance", path, e)) c.early_tolerance = *d;
  if (auto v = get_number(o, "max_factor", path, e, 1, 1e6)) c.max_factor = *v;
  if (auto d = get_duration(o, "max_slack", path, e)) c.max_slack = *d;
  if (auto d = get_duration(o, "honored_up_to", path, e)) c.honored_up_to = *d;
  if (auto v = get_uint(o, "min_retries", path, e, 0, 1000)) c.min_retries = static_cast<uint32_t>(*v);
  if (auto v = get_uint(o, "max_retries", path, e, 0, 1000)) c.max_retries = static_cast<uint32_t>(*v);
  if (auto d = get_duration(o, "min_gap", path, e)) c.min_gap = *d;
  if (auto v = get_number(o, "min_growth", path, e, 0, 1000)) c.min_growth = *v;
  if (auto b = get_bool(o, "require_jitter", path, e)) c.require_jitter = *b;
  if (auto s = parse_statuses(o, path, e)) c.statuses = std::move(*s);
  if (auto d = get_duration(o, "within", path, e)) {
    if (*d <= Duration::zero()) e.add(join(path, "within"), "must be more than 0");
    c.within = *d;
  }
}

// One entry of client.expect: "name" or {"check": "name", params…}. The profile's
// parameters for that check (if it has it) are the defaults.
void parse_check(const Json& v, const std::string& path, const ClientProfile* profile, ClientCheckSpec& s, Errors& e) {
  const Json entry = v.is_string() ? Json{{"check", v}} : v;
  if (!entry.is_object()) {
    e.add(path, "must be a check name or an object with \"check\" (got " + type_name(v) + ")");
    return;
  }
  const auto name = get_string(entry, "check", path, e);
  if (!name) {
    if (!entry.contains("check")) e.add(join(path, "check"), "required (a check name)");
    return;
  }
  const auto kind = client_check_from_name(*name);
  if (!kind) {
    std::string names;
    for (const auto& k : kKinds) names += (names.empty() ? "" : ", ") + std::string(k.name);
    e.add(join(path, "check"), "unknown check '" + *name + "' (known: " + names + ")");
    return;
  }
  std::vector<std::string_view> allowed{"check", "description"};
  for (auto p : info(*kind).params) allowed.push_back(p);
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      e.add(join(path, it.key()), "not a parameter of " + *name);
    }
  }
  ClientCheck c;
  c.kind = *kind;
  if (profile != nullptr) {
    for (const auto& pc : profile->checks) {
      if (pc.kind == *kind) c = pc;
    }
  }
  parse_params(entry, path, c, e);
  s.checks.push_back(std::move(c));
}

void parse_client(const Json& o, const std::string& path, ClientCheckSpec& s, Errors& e) {
  check_keys(o, path, {"profile", "expect"}, e);
  const ClientProfile* profile = nullptr;
  if (auto p = get_string(o, "profile", path, e)) {
    profile = find_client_profile(*p);
    if (profile == nullptr) {
      std::string names;
      for (const auto& bp : builtin_client_profiles()) names += (names.empty() ? "" : ", ") + bp.name;
      e.add(join(path, "profile"), "unknown profile '" + *p + "' (known: " + names + ")");
    } else {
      s.profile = *p;
    }
  }
  if (const Json* x = get_array(o, "expect", path, e)) {
    for (size_t i = 0; i < x->size(); ++i) parse_check((*x)[i], index_path(join(path, "expect"), i), profile, s, e);
    if (x->empty()) e.add(join(path, "expect"), "must list at least one check");
  } else if (profile != nullptr) {
    s.checks = profile->checks;
  } else if (!o.contains("expect") && !o.contains("profile")) {
    e.add(path, "needs \"expect\" (a list of checks), \"profile\" (an SDK's checks), or both");
  }
}

void parse_spec_root(const Json& root, ClientCheckSpec& s, Errors& e) {
  check_keys(root, "", {"name", "description", "seed", "latency", "timeout", "faults", "client"}, e);
  if (auto v = get_string(root, "name", "", e)) s.name = *v;
  if (auto v = get_string(root, "description", "", e)) s.description = *v;
  if (auto v = get_uint(root, "seed", "", e)) s.seed = *v;
  if (auto d = get_duration(root, "timeout", "", e)) s.timeout = *d;
  if (const Json* l = get_object(root, "latency", "", e)) {
    check_keys(*l, "latency", {"ttft", "tokens_per_second"}, e);
    if (auto d = get_duration(*l, "ttft", "latency", e)) s.ttft = *d;
    if (auto v = get_number(*l, "tokens_per_second", "latency", e, 0.001, 1e9)) s.tokens_per_second = *v;
  }
  if (const Json* f = get_array(root, "faults", "", e)) {
    const std::set<std::string> one{"simulator"};
    std::map<std::string, simulator::FaultPlan> plans;
    std::set<std::string> ids;
    for (size_t i = 0; i < f->size(); ++i) {
      const std::string fp = index_path("faults", i);
      if ((*f)[i].is_object() && (*f)[i].contains("provider")) {
        e.add(join(fp, "provider"), "not used in a check file (one simulator serves every protocol)");
        continue;
      }
      parse_fault((*f)[i], fp, i, one, plans, ids, e);
    }
    s.faults = std::move(plans["simulator"]);
  }
  if (const Json* c = get_object(root, "client", "", e)) {
    parse_client(*c, "client", s, e);
  } else if (!root.contains("client")) {
    e.add("client", "required (the checks: {\"profile\": …, \"expect\": […]})");
  }
}

}  // namespace

std::string_view client_check_name(ClientCheckKind k) { return info(k).name; }

std::optional<ClientCheckKind> client_check_from_name(std::string_view name) {
  for (const auto& i : kKinds) {
    if (i.name == name) return i.kind;
  }
  return std::nullopt;
}

const std::vector<ClientCheckKind>& all_client_checks() {
  static const std::vector<ClientCheckKind> all = [] {
    std::vector<ClientCheckKind> v;
    for (const auto& i : kKinds) v.push_back(i.kind);
    return v;
  }();
  return all;
}

const std::vector<ClientProfile>& builtin_client_profiles() {
  static const std::vector<ClientProfile> profiles = make_profiles();
  return profiles;
}

const ClientProfile* find_client_profile(std::string_view name) {
  for (const auto& p : builtin_client_profiles()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Duration ClientCheckSpec::hang_limit() const {
  Duration longest = seconds(30);
  bool any = false;
  for (const auto& c : checks) {
    if (c.kind != ClientCheckKind::kTimesOutHungRequests) continue;
    longest = any ? std::max(longest, c.within) : c.within;
    any = true;
  }
  return longest + seconds(1);
}

Result<ClientCheckSpec> parse_client_check(std::string_view text, std::string_view source_name) {
  Errors e("check file '" + std::string(source_name) + "'");
  Json root;
  ClientCheckSpec s;
  if (parse_root(text, root, e)) parse_spec_root(root, s, e);
  if (!e.empty()) return e.to_status();
  if (s.name.empty()) s.name = std::filesystem::path(std::string(source_name)).stem().string();
  return s;
}

Result<ClientCheckSpec> load_client_check_file(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return NotFoundError("check file '" + path + "': cannot be read (" + text.status().message() + ")");
  auto spec = parse_client_check(*text, path);
  if (spec.ok()) spec->file = path;
  return spec;
}

}  // namespace ploke::scenarios
