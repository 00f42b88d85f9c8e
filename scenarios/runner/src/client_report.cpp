// Client checks: the report as a table, JSON and JUnit XML (ploke/scenarios/client_check.h).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "ploke/core/junit.h"
#include "ploke/core/secret.h"
#include "ploke/scenarios/client_check.h"

namespace ploke::scenarios {
namespace {

std::string verdict_word(const ClientVerdict& v) { return !v.judged ? "n/a" : v.passed ? "pass" : "FAIL"; }

std::string command_line(const ClientCheckReport& r) {
  std::string s;
  for (const auto& a : r.command) s += (s.empty() ? "" : " ") + a;
  return redact_secrets(s);
}

std::string seconds_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double>(d).count());
  return buf;
}

std::string outcome_text(const CommandOutcome& o) {
  if (o.timed_out) return "stopped at the time limit";
  return "exit " + std::to_string(o.exit_code);
}

size_t count(const ClientCheckReport& r, bool judged, bool passed) {
  size_t n = 0;
  for (const auto& v : r.verdicts) n += v.judged == judged && (!judged || v.passed == passed);
  return n;
}

}  // namespace

std::string client_report_text(const ClientCheckReport& r) {
  std::string o = "check " + r.name + (r.profile.empty() ? "" : " (profile " + r.profile + ")") + ": `" +
                  command_line(r) + "` " + outcome_text(r.outcome) + " after " + seconds_text(r.outcome.run_time) +
                  " s, " + std::to_string(r.requests) + " requests\n";
  for (const auto& f : r.faults) {
    o += "  fault " + f.id + " (" + std::string(simulator::fault_kind_name(f.kind)) + "): fired " +
         std::to_string(f.fired) + " of " + std::to_string(f.matched) + " matching requests" +
         (f.fired > 0     ? ""
          : f.matched == 0 ? "  <- never fired: no request matched it"
                           : "  <- never fired: its trigger was not reached (too few matching requests)") +
         "\n";
  }
  size_t width = 0;
  for (const auto& v : r.verdicts) width = std::max(width, client_check_name(v.kind).size());
  for (const auto& v : r.verdicts) {
    std::string name(client_check_name(v.kind));
    name.resize(width, ' ');
    o += "  " + verdict_word(v) + std::string(5 - verdict_word(v).size(), ' ') + name + "  " + redact_secrets(v.summary) + "\n";
    if (v.judged && !v.passed) {
      for (const auto& e : v.evidence) o += "        - " + redact_secrets(e) + "\n";
    }
  }
  o += r.passed() ? "PASS" : "FAIL";
  o += ": " + std::to_string(count(r, true, true)) + " passed, " + std::to_string(count(r, true, false)) + " failed, " +
       std::to_string(count(r, false, false)) + " not exercised\n";
  return o;
}

std::string client_report_json(const ClientCheckReport& r) {
  using Json = nlohmann::ordered_json;
  Json cmd = Json::array();
  for (const auto& a : r.command) cmd.push_back(redact_secrets(a));
  Json faults = Json::array();
  for (const auto& f : r.faults) {
    faults.push_back({{"id", f.id}, {"kind", std::string(simulator::fault_kind_name(f.kind))}, {"matched", f.matched},
                      {"fired", f.fired}});
  }
  Json checks = Json::array();
  for (const auto& v : r.verdicts) {
    Json ev = Json::array();
    for (const auto& e : v.evidence) ev.push_back(redact_secrets(e));
    checks.push_back({{"check", std::string(client_check_name(v.kind))}, {"judged", v.judged}, {"passed", v.passed},
                      {"summary", redact_secrets(v.summary)}, {"evidence", std::move(ev)}});
  }
  Json j = {{"name", r.name},
            {"file", r.file},
            {"profile", r.profile.empty() ? Json(nullptr) : Json(r.profile)},
            {"command", std::move(cmd)},
            {"exit_code", r.outcome.exit_code},
            {"timed_out", r.outcome.timed_out},
            {"run_time_ms", std::chrono::duration<double, std::milli>(r.outcome.run_time).count()},
            {"requests", r.requests},
            {"faults", std::move(faults)},
            {"passed", r.passed()},
            {"checks", std::move(checks)}};
  return j.dump(2) + "\n";
}

std::string client_report_junit(const ClientCheckReport& r, const JunitRun& run) {
  JunitSuite suite;
  suite.name = r.name;
  suite.package = "ploke-sim.check";
  suite.tests = r.verdicts.size();
  suite.failures = count(r, true, false);
  suite.skipped = count(r, false, false);
  suite.seconds = std::chrono::duration<double>(r.outcome.run_time).count();
  suite.properties = {{"file", r.file}, {"profile", r.profile}, {"command", command_line(r)},
                      {"outcome", outcome_text(r.outcome)}, {"requests", std::to_string(r.requests)}};
  std::string o = junit_document_open() + junit_suite_open(suite, run);
  for (const auto& v : r.verdicts) {
    JunitCase c;
    c.classname = "check." + r.name;
    c.name = std::string(client_check_name(v.kind));
    if (!v.judged) {
      c.skipped = true;
      c.skipped_message = v.summary;
    } else if (!v.passed) {
      c.failure_type = "client_check";
      c.failure_message = v.summary;
      for (const auto& e : v.evidence) c.failure_text += e + "\n";
    }
    o += junit_testcase(c);
  }
  return o + junit_suite_close() + junit_document_close();
}

std::string client_profiles_text() {
  std::string o;
  for (const auto& p : builtin_client_profiles()) {
    o += p.name + "\n  " + p.describes + "\n  " + p.summary + "\n  checks:";
    for (const auto& c : p.checks) o += " " + std::string(client_check_name(c.kind));
    o += "\n";
  }
  return o;
}

}  // namespace ploke::scenarios
