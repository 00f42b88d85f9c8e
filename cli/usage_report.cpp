// `ploke-sim usage`: time forms, ledger location, totals and renderings (usage_report.h).
#include "usage_report.h"

#include "ploke/json/escape.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace ploke::cli {

namespace lg = ploke::ledger;

std::optional<SystemTime> parse_when(const std::string& s, SystemTime now) {
  if (s == "today") return lg::period_start(now, "day");
  if (s == "month") return lg::period_start(now, "month");
  if (auto t = lg::parse_time(s)) return t;
  if (s.size() >= 2) {
    char unit = s.back();
    char* end = nullptr;
    const std::string num = s.substr(0, s.size() - 1);
    long n = std::strtol(num.c_str(), &end, 10);
    if (end && *end == '\0' && n >= 0) {
      using namespace std::chrono;
      if (unit == 'm') return now - minutes(n);
      if (unit == 'h') return now - hours(n);
      if (unit == 'd') return now - hours(24 * n);
    }
  }
  return std::nullopt;
}

std::string default_ledger_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  std::string base = xdg && *xdg ? std::string(xdg) : std::string(home ? home : ".") + "/.local/share";
  return base + "/ploke-sim/ledger.db";
}

lg::AggregateRow total_of(const std::vector<lg::AggregateRow>& rows) {
  lg::AggregateRow total;
  for (const auto& r : rows) {
    total.requests += r.requests;
    total.attempts += r.attempts;
    total.failed += r.failed;
    total.probes += r.probes;
    total.prompt_tokens += r.prompt_tokens;
    total.completion_tokens += r.completion_tokens;
    total.cost_usd += r.cost_usd;
    total.reported_usd += r.reported_usd;
    total.spend_usd += r.spend_usd;
    total.unpriced += r.unpriced;
  }
  return total;
}

namespace {

using ull = unsigned long long;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string json_str(const std::string& s) { return ploke::json::quote(s); }

// The counters of one row as JSON members (no braces).
std::string row_members(const lg::AggregateRow& r) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\"requests\":%llu,\"attempts\":%llu,\"failed\":%llu,\"probes\":%llu,\"prompt_tokens\":%llu,"
                "\"completion_tokens\":%llu,\"cost_usd\":%.10g,\"reported_usd\":%.10g,\"spend_usd\":%.10g,\"unpriced\":%llu",
                (ull)r.requests, (ull)r.attempts, (ull)r.failed, (ull)r.probes, (ull)r.prompt_tokens,
                (ull)r.completion_tokens, r.cost_usd, r.reported_usd, r.spend_usd, (ull)r.unpriced);
  return buf;
}

std::string table_line(const lg::AggregateRow& r, const std::string& key) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-40s %9llu %9llu %7llu %7llu %12llu %12llu %12.6f %12.6f%s\n", key.c_str(),
                (ull)r.requests, (ull)r.attempts, (ull)r.failed, (ull)r.probes, (ull)r.prompt_tokens,
                (ull)r.completion_tokens, r.cost_usd, r.spend_usd,
                r.unpriced ? (" (" + std::to_string(r.unpriced) + " unpriced)").c_str() : "");
  return buf;
}

}  // namespace

std::string usage_json(const UsageReport& r) {
  std::string out = "{\"ledger\":" + json_str(r.ledger) + ",\"by\":" + json_str(r.by) +
                    ",\"since\":" + (r.since ? json_str(lg::format_time(*r.since)) : "null") +
                    ",\"until\":" + (r.until ? json_str(lg::format_time(*r.until)) : "null") + ",\"rows\":[";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    out += std::string(i ? "," : "") + "{\"key\":" + json_str(r.rows[i].key) + "," + row_members(r.rows[i]) + "}";
  }
  out += "],\"total\":{" + row_members(total_of(r.rows)) + "},\"budgets\":[";
  for (size_t i = 0; i < r.budget_lines.size(); ++i) out += std::string(i ? "," : "") + json_str(r.budget_lines[i]);
  out += "]}\n";
  return out;
}

std::string usage_csv(const UsageReport& r) {
  std::string out =
      r.by + ",requests,attempts,failed,probes,prompt_tokens,completion_tokens,cost_usd,reported_usd,spend_usd,unpriced\n";
  char buf[512];
  for (const auto& row : r.rows) {
    std::snprintf(buf, sizeof buf, ",%llu,%llu,%llu,%llu,%llu,%llu,%.10g,%.10g,%.10g,%llu\n", (ull)row.requests,
                  (ull)row.attempts, (ull)row.failed, (ull)row.probes, (ull)row.prompt_tokens,
                  (ull)row.completion_tokens, row.cost_usd, row.reported_usd, row.spend_usd, (ull)row.unpriced);
    out += csv_field(row.key) + buf;
  }
  return out;
}

std::string usage_table(const UsageReport& r) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-40s %9s %9s %7s %7s %12s %12s %12s %12s\n", r.by.c_str(), "requests", "attempts",
                "failed", "probes", "prompt_tok", "compl_tok", "cost_usd", "spend_usd");
  std::string out = buf;
  for (const auto& row : r.rows) out += table_line(row, row.key);
  out += table_line(total_of(r.rows), "TOTAL");
  for (const auto& b : r.budget_lines) out += b + "\n";
  return out;
}

}  // namespace ploke::cli
