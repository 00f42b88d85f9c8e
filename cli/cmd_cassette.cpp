// `ploke-sim cassette lint|diff|har-export|har-import|redact` (the VCR/WireMock ones:
// cmd_cassette_interop.cpp) and the replay flags of `serve`.
// All logic lives in ploke::codec; this file maps it onto arguments, output and exit codes.
#include "cmd_cassette.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <utility>

#include "cli_checks.h"
#include "commands.h"
#include "plugins.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/matcher.h"
#include "ploke/codec/scripted.h"
#include "ploke/codec/tools.h"
#include "ploke/core/file_io.h"
#include "ploke/simulator/engine.h"

namespace ploke::cli {
namespace {

void print_error(std::string_view what, const std::string& message) {
  std::fprintf(stderr, "ploke-sim cassette %.*s: %s\n", static_cast<int>(what.size()), what.data(), message.c_str());
}

std::optional<codec::RedactionRules> rules_from(const CassetteArgs& args, std::string_view what) {
  codec::RedactionConfig config;
  config.patterns = args.patterns;
  auto rules = codec::RedactionRules::Create(std::move(config));
  if (!rules.ok()) {
    print_error(what, rules.status().message());
    return std::nullopt;
  }
  return std::move(rules).value();
}

int run_redact(const CassetteArgs& args) {
  auto c = codec::load_cassette_file(args.input);
  if (!c.ok()) {
    print_error("redact", c.status().message());
    return kExitUsage;
  }
  auto rules = rules_from(args, "redact");
  if (!rules) return kExitUsage;
  const std::string& out_path = args.second.empty() ? args.input : args.second;
  auto out = codec::redact_and_serialize(std::move(c).value(), *rules, out_path);
  if (!out.ok()) {
    print_error("redact", out.status().message());
    return kExitUsage;
  }
  Status st = ploke::write_file_atomic(out_path, *out);
  if (!st.ok()) {
    print_error("redact", out_path + ": " + st.message());
    return kExitFailed;
  }
  std::printf("%s: redacted\n", out_path.c_str());
  return kExitOk;
}

// `cassette lint --json`: {"file","parsed","ok","errors","warnings","findings":[{"severity","path","message"}]}.
void print_lint_json(const std::string& file, const codec::LintReport& rep) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const auto& f : rep.findings) {
    findings.push_back({{"severity", f.severity == codec::Finding::Severity::kError ? "error" : "warning"},
                        {"path", f.path},
                        {"message", f.message}});
  }
  const nlohmann::ordered_json j = {{"file", file},          {"parsed", rep.parsed},     {"ok", rep.parsed && rep.ok()},
                                    {"errors", rep.errors()}, {"warnings", rep.warnings()}, {"findings", std::move(findings)}};
  std::printf("%s\n", j.dump(2).c_str());
}

int run_lint(const CassetteArgs& args) {
  codec::RedactionConfig config;
  config.patterns = args.patterns;
  auto rules = codec::RedactionRules::Create(std::move(config));
  if (!rules.ok()) {
    print_error("lint", rules.status().message());
    return kExitUsage;
  }
  const codec::LintReport rep = codec::lint_cassette_file(args.input, *rules);
  const int rc = !rep.parsed ? kExitUsage : rep.ok() ? kExitOk : kExitFailed;
  if (args.json) {
    print_lint_json(args.input, rep);
    return rc;
  }
  if (!rep.parsed) {
    // Malformed or unreadable: every schema error with its field path.
    std::fputs(rep.to_string().c_str(), stderr);
    return kExitUsage;
  }
  if (rep.findings.empty()) {
    std::printf("%s: ok\n", args.input.c_str());
    return kExitOk;
  }
  std::fputs(rep.to_string().c_str(), stdout);
  return rc;
}

// `cassette diff --json`: {"same","metadata":[…],"interactions":[{"index","id_a","id_b","changes":[…]}]}.
void print_diff_json(const codec::CassetteDiff& d) {
  nlohmann::ordered_json inter = nlohmann::ordered_json::array();
  for (const auto& i : d.interactions) {
    inter.push_back({{"index", i.index}, {"id_a", i.id_a}, {"id_b", i.id_b}, {"changes", i.lines}});
  }
  const nlohmann::ordered_json j = {{"same", d.empty()}, {"metadata", d.metadata}, {"interactions", std::move(inter)}};
  std::printf("%s\n", j.dump(2).c_str());
}

int run_diff(const CassetteArgs& args) {
  auto a = codec::load_cassette_file(args.input);
  auto b = codec::load_cassette_file(args.second);
  if (!a.ok() || !b.ok()) {
    if (!a.ok()) print_error("diff", a.status().message());
    if (!b.ok()) print_error("diff", b.status().message());
    return kExitUsage;
  }
  codec::DiffOptions opts;
  if (args.timing_tolerance_ms >= 0) {
    opts.compare_timing = true;
    opts.timing_tolerance_ms = args.timing_tolerance_ms;
  }
  opts.compare_metadata = !args.no_metadata;
  const codec::CassetteDiff d = codec::redacted_diff(*a, *b, opts);  // never prints a credential
  if (args.json) {
    print_diff_json(d);
    return d.empty() ? kExitOk : kExitFailed;
  }
  std::string text = d.to_string();
  if (text.empty() || text.back() != '\n') text += '\n';
  std::fputs(text.c_str(), stdout);
  return d.empty() ? kExitOk : kExitFailed;
}

int run_har_export(const CassetteArgs& args) {
  auto c = codec::load_cassette_file(args.input);
  if (!c.ok()) {
    print_error("har-export", c.status().message());
    return kExitUsage;
  }
  Status st = ploke::write_file_atomic(args.second, codec::cassette_to_har(*c));
  if (!st.ok()) {
    print_error("har-export", args.second + ": " + st.message());
    return kExitFailed;
  }
  std::printf("%s: %zu entries\n", args.second.c_str(), c->interactions.size());
  return kExitOk;
}

int run_har_import(const CassetteArgs& args) {
  auto text = ploke::read_file(args.input);
  if (!text.ok()) {
    print_error("har-import", text.status().message());
    return kExitUsage;
  }
  auto c = codec::har_to_cassette(*text, args.input);
  if (!c.ok()) {
    print_error("har-import", c.status().message());
    return kExitUsage;
  }
  auto rules = rules_from(args, "har-import");
  if (!rules) return kExitUsage;
  auto out = codec::redact_and_serialize(*c, *rules, args.second);
  if (!out.ok()) {
    print_error("har-import", out.status().message());
    return kExitUsage;
  }
  Status st = ploke::write_file_atomic(args.second, *out);
  if (!st.ok()) {
    print_error("har-import", args.second + ": " + st.message());
    return kExitFailed;
  }
  std::printf("%s: %zu interactions\n", args.second.c_str(), c->interactions.size());
  return kExitOk;
}

}  // namespace

void add_redact_pattern_option(CLI::App& sub, CassetteArgs& args) {
  CLI::Option* opt = sub.add_option("--redact-pattern", args.patterns, "Extra secret regex (ECMAScript), repeatable");
  deprecated_alias(sub, opt, "--pattern");
}

CLI::App* add_cassette_command(CLI::App& app, CassetteArgs& args) {
  using Action = CassetteArgs::Action;
  CLI::App* cs = app.add_subcommand("cassette", "Tools around cassettes: lint, diff, HAR/VCR/WireMock export and import, redact");
  cs->require_subcommand(1);

  CLI::App* lint = cs->add_subcommand("lint", "Check a cassette: schema, consistency, secrets "
                                              "(exit 0 clean, 1 findings, 2 malformed)");
  lint->add_option("file", args.input, "Cassette file")->required();
  add_redact_pattern_option(*lint, args);
  lint->add_flag("--json", args.json, "Print the findings as JSON (same exit codes)");
  lint->callback([&args] { args.action = Action::kLint; });

  CLI::App* diff = cs->add_subcommand("diff", "Compare two cassettes (exit 0 same, 1 different, 2 malformed)");
  diff->add_option("a", args.input, "First cassette")->required();
  diff->add_option("b", args.second, "Second cassette")->required();
  diff->add_option("--timing-tolerance-ms", args.timing_tolerance_ms,
                   "Also compare timing; differences up to this are ignored")->check(CLI::NonNegativeNumber);
  diff->add_flag("--no-metadata", args.no_metadata, "Ignore cassette metadata (name, recorded_at, …)");
  diff->add_flag("--json", args.json, "Print the differences as JSON (same exit codes)");
  diff->callback([&args] { args.action = Action::kDiff; });

  CLI::App* hx = cs->add_subcommand("har-export", "Write a cassette as HAR 1.2 (lossless: _chunks, _ploke)");
  hx->add_option("file", args.input, "Cassette file")->required();
  hx->add_option("out", args.second, "Output .har file")->required();
  hx->callback([&args] { args.action = Action::kHarExport; });

  CLI::App* hi = cs->add_subcommand("har-import", "Make a cassette from a HAR 1.2 file");
  hi->add_option("har", args.input, "Input .har file")->required();
  hi->add_option("out", args.second, "Output cassette .json")->required();
  add_redact_pattern_option(*hi, args);
  hi->callback([&args] { args.action = Action::kHarImport; });

  CLI::App* rd = cs->add_subcommand("redact", "Redact a cassette from elsewhere as `record` does (atomic write)");
  rd->add_option("in", args.input, "Cassette file")->required();
  rd->add_option("-o,--output", args.second, "Output file (default: replace IN)");
  add_redact_pattern_option(*rd, args);
  rd->callback([&args] { args.action = Action::kRedact; });
  add_cassette_interop_commands(*cs, args);
  return cs;
}

int run_cassette(const CassetteArgs& args) {
  using Action = CassetteArgs::Action;
  switch (args.action) {
    case Action::kLint: return run_lint(args);
    case Action::kDiff: return run_diff(args);
    case Action::kHarExport: return run_har_export(args);
    case Action::kHarImport: return run_har_import(args);
    case Action::kRedact: return run_redact(args);
    case Action::kVcrImport:
    case Action::kVcrExport:
    case Action::kWireMockImport:
    case Action::kWireMockExport: return run_cassette_interop(args);
    case Action::kNone: break;
  }
  std::fprintf(stderr, "ploke-sim cassette: a subcommand is required (lint, diff, har-export, har-import, vcr-export, vcr-import, "
               "wiremock-export, wiremock-import, redact)\n");
  return kExitUsage;
}

// ---- serve --cassette ----

void add_serve_cassette_flags(CLI::App& serve, ServeCassetteArgs& args) {
  serve.add_option("--cassette", args.cassettes,
                   "Replay recorded traffic from a cassette file or a directory of them (repeatable)");
  serve.add_option("--cassette-dir", args.cassette_dir,
                   "Per-test cassettes: a request naming NAME (header x-ploke-cassette: NAME, or URL prefix "
                   "/cassettes/NAME/) replays DIR/NAME.json only; a missing cassette is an error response");
  serve.add_option("--timing", args.timing, "Replay timing: recorded, none, or xN (x2 = twice as fast)")
      ->capture_default_str();
  serve.add_option("--after-last", args.after_last,
                   "After the last recorded response to a request: repeat (the last one) or fail")
      ->capture_default_str()
      ->check(CLI::IsMember({"repeat", "fail"}));
  serve.add_option("--match-ignore", args.ignore_paths,
                   "JSON body path ignored when matching (repeatable; replaces the defaults user, metadata, …)");
  serve.add_flag("--strict", args.strict,
                 "CI mode: at shutdown, exit 1 and print a report if a request was unmatched or an "
                 "interaction never used");
}

int apply_serve_cassette_flags(const ServeCassetteArgs& args, simulator::SimOptions& opts, const char* command) {
  const bool replay_flags = args.timing != "recorded" || args.after_last != "repeat" || args.strict ||
                            !args.ignore_paths.empty();
  if (!args.cassettes.empty() && !args.cassette_dir.empty()) {
    std::fprintf(stderr, "ploke-sim %s: --cassette and --cassette-dir exclude each other\n", command);
    return kExitUsage;
  }
  if (args.cassettes.empty() && args.cassette_dir.empty()) {
    if (!replay_flags) return kExitOk;
    std::fprintf(stderr, "ploke-sim %s: --timing, --after-last, --match-ignore and --strict need --cassette or "
                 "--cassette-dir\n", command);
    return kExitUsage;
  }
  auto timing = codec::Timing::Parse(args.timing);
  if (!timing.ok()) {
    std::fprintf(stderr, "ploke-sim %s: --timing: %s\n", command, timing.status().message().c_str());
    return kExitUsage;
  }
  simulator::ReplaySettings& r = opts.replay;
  r.timing = *timing;
  r.strict = args.strict;
  r.options.after_last = args.after_last == "fail" ? codec::AfterLast::kFail : codec::AfterLast::kRepeatLast;
  r.options.match.ignore_paths = !args.ignore_paths.empty() ? args.ignore_paths : cassette_ignore_paths();
  r.cassettes.clear();
  r.options.scope_by_cassette = !args.cassette_dir.empty();
  size_t interactions = 0;
  const std::vector<std::string> sources = r.options.scope_by_cassette ? std::vector{args.cassette_dir} : args.cassettes;
  for (const auto& path : sources) {
    auto loaded = r.options.scope_by_cassette ? codec::load_cassette_dir(path) : codec::load_cassettes(path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "ploke-sim %s: %s\n", command, loaded.status().message().c_str());
      return kExitUsage;
    }
    for (auto& c : *loaded) {
      interactions += c.interactions.size();
      r.cassettes.push_back(std::move(c));
    }
  }
  std::fprintf(stderr, "ploke-sim %s: replaying %zu interactions from %zu cassette(s)%s (timing %s, after-last %s%s)\n", command,
               interactions, r.cassettes.size(), r.options.scope_by_cassette ? ", one per test" : "",
               r.timing.to_string().c_str(), args.after_last.c_str(), args.strict ? ", strict" : "");
  return kExitOk;
}

int finish_serve_cassette(const ServeCassetteArgs& args, const simulator::SimEngine& engine) {
  if (!engine.replay_enabled()) return kExitOk;
  const codec::StrictReport rep = engine.strict_report();
  if (rep.ok()) return kExitOk;
  if (args.strict) {
    std::fprintf(stderr, "ploke-sim serve: strict replay failed\n%s\n", rep.to_string().c_str());
    return kExitFailed;
  }
  std::fprintf(stderr, "ploke-sim serve: replay: %zu requests, %zu unmatched, %zu unused interactions\n",
               rep.requests, rep.unmatched, rep.unused.size());
  return kExitOk;
}

}  // namespace ploke::cli
