#include "ploke/resilience/trace.h"

#include <cmath>
#include <cstdio>

#include "ploke/json/escape.h"

namespace ploke::resilience {

namespace {


void num(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  out += buf;
}

void ms(std::string& out, Duration d) { num(out, to_ms(d)); }

std::string fmt_ms(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", to_ms(d));
  return buf;
}


// Appends one JSON object's members to `o` (the caller opens and closes it).
struct JsonMembers {
  std::string& o;
  void key(std::string_view k) {
    if (o.back() != '{') o += ',';
    ploke::json::append_quoted(o, k);
    o += ':';
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    ploke::json::append_quoted(o, v);
  }
  void str_or_null(std::string_view k, std::string_view v) {  // "" → null
    key(k);
    if (v.empty()) o += "null";
    else ploke::json::append_quoted(o, v);
  }
  void strings(std::string_view k, const std::vector<std::string>& v) {
    key(k);
    o += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) o += ',';
      ploke::json::append_quoted(o, v[i]);
    }
    o += ']';
  }
};

void candidate_json(std::string& o, const TraceCandidate& c) {
  JsonMembers j{o};
  o += '{';
  j.str("endpoint", c.endpoint_id);
  j.str("provider", c.provider);
  j.str("model", c.model);
  j.str_or_null("removed_by", c.removed_by);
  j.key("score"); if (c.removed_by.empty()) num(o, c.score); else o += "null";
  j.key("est_cost_usd"); num(o, c.est_cost_usd);
  j.key("chain_position"); if (c.chain_position >= 0) num(o, c.chain_position); else o += "null";
  o += '}';
}

void attempt_json(std::string& o, const TraceAttempt& a) {
  JsonMembers j{o};
  o += '{';
  j.key("n"); num(o, a.number);
  j.str("endpoint", a.endpoint_id);
  j.key("start_ms"); ms(o, a.start);
  j.key("duration_ms"); ms(o, a.duration);
  j.key("ttft_ms"); if (a.ttft) ms(o, *a.ttft); else o += "null";
  j.str("outcome", status_code_name(a.outcome));
  j.str_or_null("error", a.error);
  j.str("decision", a.decision);
  j.key("backoff_ms"); ms(o, a.backoff);
  j.key("prompt_tokens"); num(o, static_cast<double>(a.prompt_tokens));
  j.key("completion_tokens"); num(o, static_cast<double>(a.completion_tokens));
  j.key("cost_usd"); num(o, a.cost_usd);
  o += '}';
}

template <typename T, typename Fn>
void array_json(JsonMembers& j, std::string_view k, const std::vector<T>& items, Fn each) {
  j.key(k);
  j.o += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) j.o += ',';
    each(j.o, items[i]);
  }
  j.o += ']';
}

}  // namespace

std::string render_trace_json(const RequestTrace& t) {
  std::string o;
  o.reserve(512 + 160 * (t.candidates.size() + t.attempts.size()));
  JsonMembers j{o};
  o += '{';
  j.str("request_id", t.request_id);
  j.str("policy", t.policy);
  j.str("pin", t.pin);
  j.str("sticky_key", t.sticky_key);
  j.key("sticky_hit"); o += t.sticky_hit ? "true" : "false";
  j.str("lane", t.lane);
  j.key("queue_wait_ms"); ms(o, t.queue_wait);
  array_json(j, "candidates", t.candidates, candidate_json);
  array_json(j, "attempts", t.attempts, attempt_json);
  j.strings("notes", t.notes);
  j.str("outcome", status_code_name(t.final_code));
  j.str_or_null("error", t.final_error);
  j.str_or_null("served_by", t.served_by);
  j.key("total_ms"); ms(o, t.total);
  j.key("total_cost_usd"); num(o, t.total_cost_usd);
  j.key("forecast"); o += '{';
  j.key("prompt_tokens"); num(o, static_cast<double>(t.est_prompt_tokens));
  j.key("max_output_tokens"); num(o, static_cast<double>(t.est_output_tokens));
  j.key("usd"); num(o, t.forecast_usd);
  o += '}';
  j.strings("budget_warnings", t.budget_warnings);
  o += '}';
  return o;
}

std::string render_trace_text(const RequestTrace& t) {
  std::string o;
  char buf[512];
  o += "request " + (t.request_id.empty() ? std::string("-") : t.request_id) + "  policy=" + t.policy;
  if (!t.pin.empty()) o += "  pin=" + t.pin;
  if (!t.sticky_key.empty()) o += std::string("  sticky=") + (t.sticky_hit ? "hit" : "miss");
  o += "  lane=" + t.lane + "  queue_wait=" + fmt_ms(t.queue_wait) + "\n";
  o += "candidates:\n";
  for (const auto& c : t.candidates) {
    if (!c.removed_by.empty()) {
      std::snprintf(buf, sizeof buf, "  - %-28s removed by %s\n", c.endpoint_id.c_str(), c.removed_by.c_str());
    } else if (c.chain_position == 0) {
      std::snprintf(buf, sizeof buf, "  * %-28s score %.6g  est $%.6f  <- pick\n", c.endpoint_id.c_str(), c.score,
                    c.est_cost_usd);
    } else if (c.chain_position > 0) {
      std::snprintf(buf, sizeof buf, "  %d %-28s score %.6g  est $%.6f  (fallback)\n", c.chain_position,
                    c.endpoint_id.c_str(), c.score, c.est_cost_usd);
    } else {
      std::snprintf(buf, sizeof buf, "    %-28s score %.6g  est $%.6f\n", c.endpoint_id.c_str(), c.score,
                    c.est_cost_usd);
    }
    o += buf;
  }
  if (t.est_prompt_tokens || t.est_output_tokens) {
    std::snprintf(buf, sizeof buf, "forecast: $%.6f (~%llu prompt + %llu max output tokens on the pick)\n", t.forecast_usd,
                  static_cast<unsigned long long>(t.est_prompt_tokens), static_cast<unsigned long long>(t.est_output_tokens));
    o += buf;
  }
  for (const auto& w : t.budget_warnings) o += "budget: " + w + "\n";
  o += "attempts:\n";
  for (const auto& a : t.attempts) {
    std::snprintf(buf, sizeof buf, "  #%u %-24s +%s %s", a.number, a.endpoint_id.c_str(), fmt_ms(a.start).c_str(),
                  std::string(status_code_name(a.outcome)).c_str());
    o += buf;
    o += " in " + fmt_ms(a.duration);
    if (a.ttft) o += " (ttft " + fmt_ms(*a.ttft) + ")";
    if (a.outcome == StatusCode::kOk) {
      std::snprintf(buf, sizeof buf, " tokens %llu+%llu $%.6f", static_cast<unsigned long long>(a.prompt_tokens),
                    static_cast<unsigned long long>(a.completion_tokens), a.cost_usd);
      o += buf;
    }
    o += " -> " + a.decision + "\n";
    if (!a.error.empty()) o += "       " + a.error + "\n";
  }
  for (const auto& n : t.notes) o += "note: " + n + "\n";
  std::snprintf(buf, sizeof buf, "result: %s in %s, cost $%.6f", std::string(status_code_name(t.final_code)).c_str(),
                fmt_ms(t.total).c_str(), t.total_cost_usd);
  o += buf;
  if (!t.served_by.empty()) o += " (served by " + t.served_by + ")";
  o += "\n";
  if (!t.final_error.empty()) o += "error: " + t.final_error + "\n";
  return o;
}

}  // namespace ploke::resilience
