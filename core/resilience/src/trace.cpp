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

}  // namespace

void append_json_string(std::string& out, std::string_view s) { ploke::json::append_quoted(out, s); }

std::string render_trace_json(const RequestTrace& t) {
  std::string o;
  o.reserve(512 + 160 * (t.candidates.size() + t.attempts.size()));
  auto key = [&](std::string_view k) {
    if (o.back() != '{') o += ',';
    ploke::json::append_quoted(o, k);
    o += ':';
  };
  auto str = [&](std::string_view k, std::string_view v) { key(k); ploke::json::append_quoted(o, v); };
  o += '{';
  str("request_id", t.request_id);
  str("policy", t.policy);
  str("pin", t.pin);
  str("sticky_key", t.sticky_key);
  key("sticky_hit"); o += t.sticky_hit ? "true" : "false";
  str("lane", t.lane);
  key("queue_wait_ms"); ms(o, t.queue_wait);
  key("candidates"); o += '[';
  for (size_t i = 0; i < t.candidates.size(); ++i) {
    const auto& c = t.candidates[i];
    if (i) o += ',';
    o += '{';
    str("endpoint", c.endpoint_id);
    str("provider", c.provider);
    str("model", c.model);
    key("removed_by");
    if (c.removed_by.empty()) o += "null"; else ploke::json::append_quoted(o, c.removed_by);
    key("score"); if (c.removed_by.empty()) num(o, c.score); else o += "null";
    key("est_cost_usd"); num(o, c.est_cost_usd);
    key("chain_position"); if (c.chain_position >= 0) num(o, c.chain_position); else o += "null";
    o += '}';
  }
  o += ']';
  key("attempts"); o += '[';
  for (size_t i = 0; i < t.attempts.size(); ++i) {
    const auto& a = t.attempts[i];
    if (i) o += ',';
    o += '{';
    key("n"); num(o, a.number);
    str("endpoint", a.endpoint_id);
    key("start_ms"); ms(o, a.start);
    key("duration_ms"); ms(o, a.duration);
    key("ttft_ms"); if (a.ttft) ms(o, *a.ttft); else o += "null";
    str("outcome", status_code_name(a.outcome));
    key("error"); if (a.error.empty()) o += "null"; else ploke::json::append_quoted(o, a.error);
    str("decision", a.decision);
    key("backoff_ms"); ms(o, a.backoff);
    key("prompt_tokens"); num(o, static_cast<double>(a.prompt_tokens));
    key("completion_tokens"); num(o, static_cast<double>(a.completion_tokens));
    key("cost_usd"); num(o, a.cost_usd);
    o += '}';
  }
  o += ']';
  key("notes"); o += '[';
  for (size_t i = 0; i < t.notes.size(); ++i) {
    if (i) o += ',';
    ploke::json::append_quoted(o, t.notes[i]);
  }
  o += ']';
  str("outcome", status_code_name(t.final_code));
  key("error"); if (t.final_error.empty()) o += "null"; else ploke::json::append_quoted(o, t.final_error);
  key("served_by"); if (t.served_by.empty()) o += "null"; else ploke::json::append_quoted(o, t.served_by);
  key("total_ms"); ms(o, t.total);
  key("total_cost_usd"); num(o, t.total_cost_usd);
  key("forecast"); o += '{';
  key("prompt_tokens"); num(o, static_cast<double>(t.est_prompt_tokens));
  key("max_output_tokens"); num(o, static_cast<double>(t.est_output_tokens));
  key("usd"); num(o, t.forecast_usd);
  o += '}';
  key("budget_warnings"); o += '[';
  for (size_t i = 0; i < t.budget_warnings.size(); ++i) {
    if (i) o += ',';
    ploke::json::append_quoted(o, t.budget_warnings[i]);
  }
  o += ']';
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
