// File: cli/console_input.h
//
// The console's line input (`ploke-sim console`). On a terminal: libedit (BSD editline)
// through its readline-compatible API — a prompt, line editing, history recalled with the
// arrow keys and kept in a file, tab completion from a Completer. Otherwise (stdin piped):
// plain line reading, no prompt, no echo, no history, so scripts can feed commands.
//
// History: bounded to kHistoryLines, saved after every remembered line (temp file + rename,
// mode 0600); a line that holds something redact_secrets() would replace
// (contains_secret()) is never kept.
//
// Thread-safety: one instance at a time per process (libedit's readline state is global),
// used from one thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ploke::cli {

/// The candidates for the word being completed, given the words before it on the line
/// (empty for the first word). The input keeps those starting with what was typed.
using Completer = std::function<std::vector<std::string>(const std::vector<std::string>& words_before)>;

inline constexpr int kHistoryLines = 1000;

/// $XDG_STATE_HOME/ploke-sim/console_history, else $HOME/.local/state/ploke-sim/console_history.
std::string default_history_path();

class ConsoleInput {
 public:
  /// `history_file` "" = no history file. Reads the history file when interactive.
  ConsoleInput(std::string history_file, Completer completer);
  ~ConsoleInput();
  ConsoleInput(const ConsoleInput&) = delete;
  ConsoleInput& operator=(const ConsoleInput&) = delete;

  /// stdin is a terminal.
  bool interactive() const { return interactive_; }
  /// The next line without its newline; nullopt at the end of input (Ctrl-D).
  std::optional<std::string> read(const std::string& prompt);
  /// Interactive only: adds `line` to the history and saves the file, unless it is blank,
  /// repeats the previous line or holds a secret.
  void remember(const std::string& line);

 private:
  void save_history();

  bool interactive_ = false;
  std::string history_file_;
  std::string last_;
};

}  // namespace ploke::cli
