// File: cli/cli_docs.h
//
// Shell completions and man pages generated from the command tree (cli_spec.h), so they
// cover exactly the commands and options the parser accepts. `ploke-sim __generate`
// (cmd_generate.cpp) writes them; the build runs it after linking and installs the output
// (cli/CMakeLists.txt). Pure functions of the tree: the same tree gives the same bytes.
#pragma once

#include <string>
#include <vector>

#include "cli_spec.h"

namespace ploke::cli {

/// bash: a `complete -F _ploke_sim ploke-sim` function completing nested commands, option
/// names, option values (choices, file and folder names) and positional file arguments.
std::string render_bash_completion(const CommandSpec& root);

/// zsh: `#compdef ploke-sim`, one function per command with `_arguments` specs.
std::string render_zsh_completion(const CommandSpec& root);

/// fish: `complete -c ploke-sim` lines, each under the command path it belongs to.
std::string render_fish_completion(const CommandSpec& root);

struct ManPage {
  std::string file;  ///< "ploke-sim-cassette-lint.1"
  std::string text;  ///< roff (man macros), ASCII only: other characters as \[uXXXX]
};

/// One page per command, git style: ploke-sim(1) lists every command, a command with
/// subcommands lists them (ploke-sim-cassette(1)), each leaf has its own page
/// (ploke-sim-cassette-lint(1)). `version` goes in the footer ("0.1.0").
std::vector<ManPage> render_man_pages(const CommandSpec& root, const std::string& version);

}  // namespace ploke::cli
