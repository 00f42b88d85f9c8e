// `ploke-sim scenario run FILE|DIR [--json] [--report FILE.html] [--seed N] [--real-time]`
//
// Runs scenario files (scenarios/README.md): the whole core against simulated providers
// in virtual time (or, with --real-time, over loopback HTTP against simulator servers on
// the real clock: the scenario's duration in wall time, no digest), then checks the
// expectations. Output: a terminal table (and a progress
// bar on stderr for long runs when stderr is a terminal), or JSON (--json), and an HTML
// report (--report). Exit codes: 0 every expectation of every scenario holds; 1 one fails
// (listed with by how much); 2 bad input (every bad field of every file is listed).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include "cli_checks.h"
#include "commands.h"
#include "data_dir.h"
#include "ploke/core/file_io.h"
#include "ploke/scenarios/html_report.h"
#include "ploke/scenarios/junit_report.h"
#include "ploke/scenarios/runner.h"

namespace ploke::cli {

CLI::App* add_scenario_command(CLI::App& app, ScenarioArgs& args) {
  auto* sc = app.add_subcommand("scenario", "Deterministic virtual-time scenarios: faults + workload + expectations");
  sc->require_subcommand(1);
  auto* run = sc->add_subcommand("run", "Run scenario files (a file or every *.json in a directory)");
  run->add_option("path", args.path, "Scenario file or directory (default: the scenarios/ library)");
  run->add_flag("--json", args.json, "Print the results as JSON");
  run->add_option("--report", args.report, "Write a self-contained HTML report to this file");
  run->add_option("--junit", args.junit, "Write JUnit XML to this file (a test per expectation, for CI)");
  run->add_option("--seed", args.seed, "Override every scenario's seed")->check(Uint64Value());
  run->add_flag("--real-time", args.real_time,
                "Over loopback HTTP against simulator servers on the real clock (takes the scenario's duration in "
                "wall time; no digest)");
  run->add_flag("--logs", args.logs, "With --json: include the per-request and per-attempt logs");
  run->callback([&args] { args.action = "run"; });
  return sc;
}

namespace {

void progress_bar(Duration done, Duration total) {
  static int last = -1;
  const double f = total.count() > 0 ? std::min(1.0, static_cast<double>(done.count()) / static_cast<double>(total.count())) : 1.0;
  const int pct = static_cast<int>(f * 100);
  if (pct == last) return;
  last = pct;
  const int width = 30;
  const int filled = static_cast<int>(f * width);
  std::fprintf(stderr, "\r  [%.*s%*s] %3d%%", filled, "##############################", width - filled, "", pct);
  if (pct >= 100) {
    std::fprintf(stderr, "\r%*s\r", width + 10, "");
    last = -1;
  }
  std::fflush(stderr);
}

namespace sc = ploke::scenarios;

// Parses every file first: every bad field of every file is printed; false if any was bad.
bool load_all(const std::vector<std::string>& files, std::vector<sc::Scenario>& scenarios) {
  bool bad = false;
  for (const auto& f : files) {
    auto s = sc::load_scenario_file(f);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().message().c_str());
      bad = true;
      continue;
    }
    scenarios.push_back(std::move(s).value());
  }
  return !bad;
}

// The run options of one scenario: --seed, --real-time, and a progress bar only for long
// runs (>= 10 min simulated, >= 10 s in real time) on a terminal.
sc::RunOptions run_options(const ScenarioArgs& args, const sc::Scenario& s, bool tty) {
  sc::RunOptions ro;
  if (args.seed) ro.seed = args.seed;
  ro.real_time = args.real_time;
  if (tty && s.duration >= (args.real_time ? std::chrono::seconds(10) : std::chrono::minutes(10))) {
    ro.progress = progress_bar;
  }
  return ro;
}

// Runs each scenario (its table printed unless --json); an exit code when one cannot run.
std::optional<int> run_all(const ScenarioArgs& args, const std::vector<sc::Scenario>& scenarios,
                           std::vector<sc::ScenarioResult>& results) {
  const bool tty = isatty(fileno(stderr)) != 0 && !args.json;
  for (const auto& s : scenarios) {
    if (args.real_time && !args.json) {
      std::fprintf(stderr, "%s: real time over loopback HTTP, about %.0f s of wall time\n", s.name.c_str(),
                   std::chrono::duration<double>(s.duration).count());
    }
    const auto w0 = std::chrono::steady_clock::now();
    auto r = sc::run_scenario(s, run_options(args, s, tty));
    const auto w1 = std::chrono::steady_clock::now();
    if (!r.ok()) {
      std::fprintf(stderr, "ploke-sim scenario run: %s: %s\n", s.file.c_str(), r.status().message().c_str());
      return kExitUsage;
    }
    r->wall_ms = std::chrono::duration<double, std::milli>(w1 - w0).count();
    if (!args.json) std::printf("%s\n", sc::result_to_text(*r).c_str());
    results.push_back(std::move(r).value());
  }
  return std::nullopt;
}

// One result as an object, several as an array.
void print_json(const std::vector<sc::ScenarioResult>& results, bool logs) {
  std::string out = results.size() == 1 ? sc::result_to_json(results[0], logs) : "[";
  if (results.size() != 1) {
    for (size_t i = 0; i < results.size(); ++i) out += (i ? ",\n" : "\n") + sc::result_to_json(results[i], logs);
    out += "\n]";
  }
  std::printf("%s\n", out.c_str());
}

// The failed scenarios' failed expectations on stderr; how many scenarios failed.
int report_failures(const std::vector<sc::ScenarioResult>& results) {
  int failed = 0;
  for (const auto& r : results) {
    if (r.passed()) continue;
    ++failed;
    for (const auto& e : r.expectations) {
      if (!e.passed) {
        std::fprintf(stderr, "FAILED %s %s: %s%s%s\n", r.name.c_str(), e.path.c_str(), e.description.c_str(),
                     e.detail.empty() ? "" : ": ", e.detail.c_str());
      }
    }
  }
  return failed;
}

}  // namespace

int run_scenario_command(const ScenarioArgs& args) {
  const std::string path = args.path.empty() ? data_path("scenarios", PLOKE_SCENARIOS_DIR) : args.path;
  auto files = sc::scenario_files(path);
  if (!files.ok()) {
    std::fprintf(stderr, "ploke-sim scenario run: %s\n", files.status().message().c_str());
    return kExitUsage;
  }
  std::vector<sc::Scenario> scenarios;
  if (!load_all(*files, scenarios)) return kExitUsage;
  std::vector<sc::ScenarioResult> results;
  if (auto rc = run_all(args, scenarios, results)) return *rc;
  if (args.json) print_json(results, args.logs);
  // Atomic: a failed write leaves the earlier file (or none), never half of one.
  const JunitRun run = junit_run_here();
  for (const auto& [file, junit] : {std::pair<const std::string&, bool>{args.report, false}, {args.junit, true}}) {
    if (file.empty()) continue;
    const std::string text = junit ? sc::render_junit_report(results, run) : sc::render_html_report(results);
    if (Status st = write_file_atomic(file, text); !st.ok()) {
      std::fprintf(stderr, "ploke-sim scenario run: cannot write %s: %s\n", file.c_str(), st.message().c_str());
      return kExitFailed;
    }
  }
  const int failed = report_failures(results);
  if (!args.json) {
    std::printf("%zu scenario(s), %zu passed, %d failed\n", results.size(), results.size() - failed, failed);
  }
  return failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace ploke::cli
