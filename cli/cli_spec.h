// File: cli/cli_spec.h
//
// The ploke-sim command tree as plain data, read from the CLI11 App the binary parses with
// (never a hand-kept list): every visible command, option and positional argument. Hidden
// commands and options (CLI11 group "") are left out. The generators of the shell
// completions and man pages (cli_docs.h) and the flag-name dump (`__generate options`)
// read this, so what they describe is what the parser accepts.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ploke::cli {

/// One option (`-o,--output FILE`) or positional argument (`file`).
struct ArgSpec {
  std::vector<std::string> names;    ///< options: "-o", "--output"; positionals: the one name
  std::string description;
  std::string value;                 ///< the value's placeholder (TEXT, INT, FILE, ...); "" = a flag
  std::vector<std::string> choices;  ///< the allowed values (CLI::IsMember), if any
  bool file = false;                 ///< the value names a file
  bool dir = false;                  ///< the value names a folder
  bool repeatable = false;
  bool required = false;
  bool global = false;               ///< given to the root, accepted after any command
  std::string default_value;         ///< "" = none shown
};

struct CommandSpec {
  std::vector<std::string> path;  ///< {} for ploke-sim itself, {"cassette", "lint"}
  std::string description;
  std::vector<ArgSpec> options;      ///< -h,--help and the global options included
  std::vector<ArgSpec> positionals;  ///< in order
  std::vector<CommandSpec> subcommands;
  bool needs_subcommand = false;
  bool passthrough = false;          ///< takes a command after `--` (check)

  /// "ploke-sim cassette lint".
  std::string full_name() const;
  /// "ploke-sim-cassette-lint": the man page's name.
  std::string page_name() const;
  /// "cassette lint" ("" for the root).
  std::string joined_path() const;
};

/// The visible tree under `app` (the root: ploke-sim).
CommandSpec read_command_tree(const CLI::App& app);

/// Every command depth-first, the root first.
std::vector<const CommandSpec*> all_commands(const CommandSpec& root);

/// One line per option of every command, tab-separated: command path ("" for the root),
/// names (comma-separated), value placeholder ("" for a flag), description. Globals appear
/// once, under the root. The input of tests/cli/check_flag_names.py.
std::string render_option_dump(const CommandSpec& root);

}  // namespace ploke::cli
