// Scenario JSON: the "workload" object (format: scenarios/README.md).
#include "scenario_fields.h"

#include "ploke/core/reasoning_names.h"

namespace ploke::scenarios::fields {

namespace {

// "reasoning": {"mode": "enabled|disabled|adaptive", "budget_tokens": N, "effort": "…", "exclude": bool}.
void parse_reasoning(const Json& r, const std::string& path, ReasoningOptions& out, Errors& e) {
  check_keys(r, path, {"mode", "budget_tokens", "effort", "exclude"}, e);
  if (auto m = get_string(r, "mode", path, e)) {
    if (auto mode = reasoning_mode_from_name(*m)) out.mode = *mode;
    else e.add(join(path, "mode"), "unknown mode '" + *m + "' (expected " + std::string(kReasoningModeNames) + ")");
  }
  if (auto v = get_uint(r, "budget_tokens", path, e, 0, UINT32_MAX)) out.budget_tokens = static_cast<uint32_t>(*v);
  if (auto s = get_string(r, "effort", path, e)) out.effort = *s;
  if (auto b = get_bool(r, "exclude", path, e)) out.exclude = *b;
}

// "arrival": {"process": constant|poisson|bursts, "rate_per_s", "bursts": [{at, count, over}]}.
void parse_arrival(const Json& a, const std::string& ap, WorkloadSpec& w, Errors& e) {
  check_keys(a, ap, {"process", "rate_per_s", "bursts"}, e);
  if (auto s = get_string(a, "process", ap, e)) {
    if (*s == "constant") w.arrival = ArrivalProcess::kConstant;
    else if (*s == "poisson") w.arrival = ArrivalProcess::kPoisson;
    else if (*s == "bursts") w.arrival = ArrivalProcess::kBursts;
    else e.add(join(ap, "process"), "unknown arrival process '" + *s + "' (expected constant, poisson or bursts)");
  }
  if (auto v = get_number(a, "rate_per_s", ap, e, 0, 1e6)) w.rate_per_s = *v;
  if (const Json* b = get_array(a, "bursts", ap, e)) {
    for (size_t i = 0; i < b->size(); ++i) {
      const std::string bp = ap + ".bursts[" + std::to_string(i) + "]";
      const Json& bj = (*b)[i];
      if (!bj.is_object()) {
        e.add(bp, "must be an object (got " + type_name(bj) + ")");
        continue;
      }
      check_keys(bj, bp, {"at", "count", "over"}, e);
      Burst burst;
      if (auto d = get_duration(bj, "at", bp, e)) burst.at = *d;
      else if (!bj.contains("at")) e.add(join(bp, "at"), "required");
      if (auto v = get_uint(bj, "count", bp, e, 1, 10'000'000)) burst.count = *v;
      else if (!bj.contains("count")) e.add(join(bp, "count"), "required");
      if (auto d = get_duration(bj, "over", bp, e)) burst.over = *d;
      w.bursts.push_back(burst);
    }
  }
  if (w.arrival == ArrivalProcess::kBursts && w.bursts.empty() && !a.contains("bursts")) {
    e.add(join(ap, "bursts"), "required for process 'bursts'");
  }
}

}  // namespace

void parse_workload(const Json& o, const std::string& path, WorkloadSpec& w, Errors& e) {
  check_keys(o, path,
             {"arrival", "requests", "model", "prompt_chars", "max_output_tokens", "stream_share", "tool_share",
              "embed_share", "embed_model", "reasoning", "cached_system_chars", "cache_ttl", "priorities", "deadline",
              "policy"},
             e);
  if (const Json* a = get_object(o, "arrival", path, e)) parse_arrival(*a, join(path, "arrival"), w, e);
  if (auto v = get_uint(o, "requests", path, e, 1, 100'000'000)) w.max_requests = *v;
  if (auto s = get_string(o, "model", path, e)) w.model = *s;
  if (const Json* pc = get_object(o, "prompt_chars", path, e)) {
    const std::string pp = join(path, "prompt_chars");
    check_keys(*pc, pp, {"min", "max"}, e);
    if (auto v = get_uint(*pc, "min", pp, e, 1, 10'000'000)) w.prompt_chars_min = static_cast<uint32_t>(*v);
    if (auto v = get_uint(*pc, "max", pp, e, 1, 10'000'000)) w.prompt_chars_max = static_cast<uint32_t>(*v);
    if (w.prompt_chars_min > w.prompt_chars_max) e.add(pp, "min must be <= max");
  }
  if (auto it = o.find("max_output_tokens"); it != o.end() && it->is_null()) {
    w.max_output_tokens.reset();
  } else if (auto v = get_uint(o, "max_output_tokens", path, e, 1, 1'000'000)) {
    w.max_output_tokens = static_cast<uint32_t>(*v);
  }
  if (auto v = get_number(o, "stream_share", path, e, 0, 1)) w.stream_share = *v;
  if (auto v = get_number(o, "tool_share", path, e, 0, 1)) w.tool_share = *v;
  if (auto v = get_number(o, "embed_share", path, e, 0, 1)) w.embed_share = *v;
  if (auto s = get_string(o, "embed_model", path, e)) w.embed_model = *s;
  if (const Json* pr = get_object(o, "priorities", path, e)) {
    const std::string pp = join(path, "priorities");
    check_keys(*pr, pp, {"low", "normal", "high", "critical"}, e);
    const std::pair<const char*, Priority> names[] = {{"low", Priority::kLow},
                                                      {"normal", Priority::kNormal},
                                                      {"high", Priority::kHigh},
                                                      {"critical", Priority::kCritical}};
    for (const auto& np : names) {
      if (auto v = get_number(*pr, np.first, pp, e, 0, 1e9)) w.priorities[np.second] = *v;
    }
  }
  if (const Json* r = get_object(o, "reasoning", path, e)) parse_reasoning(*r, join(path, "reasoning"), w.reasoning, e);
  if (auto v = get_uint(o, "cached_system_chars", path, e, 1, 10'000'000)) w.cached_system_chars = static_cast<uint32_t>(*v);
  if (auto s = get_string(o, "cache_ttl", path, e)) {
    if (*s == "5m") w.cache_ttl = CacheControl::kEphemeral5m;
    else if (*s == "1h") w.cache_ttl = CacheControl::kEphemeral1h;
    else e.add(join(path, "cache_ttl"), "unknown TTL '" + *s + "' (expected 5m or 1h)");
  }
  if (auto d = get_duration(o, "deadline", path, e)) w.deadline = *d;
  if (auto s = get_string(o, "policy", path, e)) w.policy = *s;
}

}  // namespace ploke::scenarios::fields
