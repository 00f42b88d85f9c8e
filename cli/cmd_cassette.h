// File: cli/cmd_cassette.h
//
// `ploke-sim cassette …` (tools around cassettes, ploke::codec) and the cassette-replay flags
// of `ploke-sim serve` (--cassette, --cassette-dir, --timing, --after-last, --strict,
// --match-ignore).
// Kept out of commands.h (which may include this header for ServeArgs) so this header never
// includes it back.
//
//   cassette lint FILE [--redact-pattern REGEX]… [--json]   schema + consistency + secret scan.
//                                          Exit 0 clean (warnings allowed), 1 findings
//                                          (errors: e.g. a key that looks real), 2 malformed
//                                          or unreadable (message names the file and field path).
//   cassette diff A B [--timing-tolerance-ms X] [--no-metadata] [--json]
//                                          Exit 0 same, 1 different, 2 a malformed input.
//   cassette har-export FILE OUT.har       Exit 0, 2 malformed input, 1 write failed.
//   cassette har-import IN.har OUT.json [--redact-pattern REGEX]…
//                                          Redacts as `record` does and lints the result: exit 0,
//                                          2 malformed HAR or a result lint rejects (nothing
//                                          written), 1 write failed.
//   cassette redact IN [-o OUT] [--redact-pattern REGEX]…
//                                          The same redaction for a cassette from elsewhere;
//                                          without -o, IN is replaced (atomically). Exit codes
//                                          as har-import.
//   cassette vcr-import IN.yaml OUT.json [--redact-pattern REGEX]…
//   cassette wiremock-import IN.json|DIR OUT.json [--redact-pattern REGEX]…
//                                          VCR YAML (vcrpy or Ruby VCR) / WireMock stub mappings
//                                          to a cassette; redacted and linted as har-import
//                                          (exit codes as har-import).
//   cassette vcr-export FILE OUT.yaml      vcrpy YAML. Exit 0, 2 malformed input, 1 write failed.
//   cassette wiremock-export FILE OUT.json|DIR
//                                          {"mappings": [...]} (OUT.json) or one mapping file
//                                          per interaction in DIR. Exit codes as vcr-export.
// `cassette diff` shows credential values and secret patterns as [REDACTED].
// Outputs are written atomically (write_file_atomic): an error leaves no partial file
// and an existing OUT untouched.
//
// Thread-safety: single-threaded CLI code.
//
// Example (main.cpp):
//   CassetteArgs cassette;
//   CLI::App* cs = add_cassette_command(app, cassette);
//   …
//   if (cs->parsed()) return run_cassette(cassette);
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace ploke::simulator {
struct SimOptions;
class SimEngine;
}  // namespace ploke::simulator

namespace ploke::cli {

struct CassetteArgs {
  enum class Action {
    kNone, kLint, kDiff, kHarExport, kHarImport, kRedact,
    kVcrImport, kVcrExport, kWireMockImport, kWireMockExport
  };
  Action action = Action::kNone;
  std::string input;               ///< lint FILE, diff A, *-export FILE, *-import IN
  std::string second;              ///< diff B, *-export OUT, *-import OUT.json, redact -o OUT
  std::vector<std::string> patterns;  ///< lint, redact, har-import: extra secret regexes
  double timing_tolerance_ms = -1;    ///< diff: >= 0 also compares timing
  bool no_metadata = false;           ///< diff: ignore cassette metadata
  bool json = false;                  ///< lint, diff: --json
};

/// Registers `cassette` and its subcommands on `app`; returns the `cassette` subcommand.
CLI::App* add_cassette_command(CLI::App& app, CassetteArgs& args);
/// Runs the parsed cassette subcommand; returns the exit code.
int run_cassette(const CassetteArgs& args);
/// The interop subcommands (cmd_cassette_interop.cpp): vcr-import, vcr-export,
/// wiremock-import, wiremock-export.
void add_cassette_interop_commands(CLI::App& cassette, CassetteArgs& args);
/// `--redact-pattern REGEX` (repeatable; the deprecated `--pattern` still works) of the
/// subcommands that look for or redact secrets.
void add_redact_pattern_option(CLI::App& sub, CassetteArgs& args);
int run_cassette_interop(const CassetteArgs& args);

// ---- serve --cassette ----

struct ServeCassetteArgs {
  std::vector<std::string> cassettes;   ///< --cassette FILE|DIR (repeatable; load order kept)
  std::string timing = "recorded";      ///< --timing recorded|none|xN
  std::string after_last = "repeat";    ///< --after-last repeat|fail
  bool strict = false;                  ///< --strict: exit 1 at shutdown on misses/unused
  std::vector<std::string> ignore_paths;  ///< --match-ignore PATH (replaces the defaults)
  std::string cassette_dir;             ///< --cassette-dir DIR: per-test cassettes DIR/NAME.json
};

/// Adds the replay flags to the `serve` subcommand.
void add_serve_cassette_flags(CLI::App& serve, ServeCassetteArgs& args);
/// Loads the cassettes and fills `opts.replay`. Returns 0, or 2 after printing the error
/// (bad timing/after-last, missing or malformed cassette: file and field path).
/// `command` names the command in messages ("serve", "check").
int apply_serve_cassette_flags(const ServeCassetteArgs& args, simulator::SimOptions& opts, const char* command = "serve");
/// Call after the server stopped. With --strict and a failing strict report, prints the
/// report to stderr and returns 1; otherwise 0 (without --strict, a non-OK report is only
/// summarized on stderr).
int finish_serve_cassette(const ServeCassetteArgs& args, const simulator::SimEngine& engine);

}  // namespace ploke::cli
