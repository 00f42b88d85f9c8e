// The console's line input over libedit's readline-compatible API (console_input.h).
#include "console_input.h"

#include <editline/readline.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "ploke/core/secret.h"

namespace ploke::cli {
namespace {

// libedit calls plain C functions: the one live input's completer and its current matches.
Completer g_completer;
std::vector<std::string> g_matches;

// Ctrl-C at the prompt: the read is interrupted (no SA_RESTART) and the line discarded.
volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// rl_completion_matches' generator: the state-th match (malloc'd, libedit frees it).
char* next_match(const char* /*text*/, int state) {
  static size_t i = 0;
  if (state == 0) i = 0;
  return i < g_matches.size() ? strdup(g_matches[i++].c_str()) : nullptr;
}

// rl_attempted_completion_function: the words before `start` pick the candidates; those
// starting with `text` are the matches. No file-name completion when none match.
char** complete(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;
  g_matches.clear();
  if (!g_completer) return nullptr;
  const std::string before(rl_line_buffer, static_cast<size_t>(std::max(start, 0)));
  const std::string typed(text);
  for (auto& c : g_completer(words_of(before))) {
    if (c.rfind(typed, 0) == 0) g_matches.push_back(std::move(c));
  }
  if (g_matches.empty()) return nullptr;
  return rl_completion_matches(text, next_match);
}

}  // namespace

std::string default_history_path() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg ? std::string(xdg) : std::string(home && *home ? home : ".") + "/.local/state";
  return base + "/ploke-sim/console_history";
}

ConsoleInput::ConsoleInput(std::string history_file, Completer completer)
    : interactive_(::isatty(STDIN_FILENO) == 1), history_file_(std::move(history_file)) {
  if (!interactive_) return;
  g_completer = std::move(completer);
  rl_readline_name = "ploke-sim";
  rl_catch_signals = 0;  // SIGINT at the prompt is read()'s own (see read())
  rl_basic_word_break_characters = " \t\n";
  rl_completion_append_character = ' ';
  rl_attempted_completion_function = complete;
  using_history();
  stifle_history(kHistoryLines);
  if (!history_file_.empty()) read_history(history_file_.c_str());  // missing file: empty history
}

ConsoleInput::~ConsoleInput() {
  if (interactive_) g_completer = nullptr;
}

std::optional<std::string> ConsoleInput::read(const std::string& prompt) {
  std::fflush(stdout);
  if (!interactive_) {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  // While the prompt waits, Ctrl-C discards the line (a fresh prompt follows); during a
  // command it has its default effect.
  struct sigaction sa {}, old {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old);
  g_interrupted = 0;
  char* raw = readline(prompt.c_str());
  ::sigaction(SIGINT, &old, nullptr);
  if (raw == nullptr && g_interrupted != 0) {
    std::printf("^C\n");
    return std::string();
  }
  if (raw == nullptr) return std::nullopt;
  std::string line(raw);
  std::free(raw);
  return line;
}

void ConsoleInput::remember(const std::string& line) {
  if (!interactive_ || line.find_first_not_of(" \t") == std::string::npos || line == last_) return;
  if (contains_secret(line)) return;  // never in the history, in memory or on disk
  last_ = line;
  add_history(line.c_str());
  save_history();
}

// The whole (bounded) history to a temp file next to it, then rename: never half a file.
void ConsoleInput::save_history() {
  if (history_file_.empty()) return;
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(history_file_).parent_path();
  if (!dir.empty()) {
    if (std::filesystem::create_directories(dir, ec)) ::chmod(dir.c_str(), 0700);  // made here: private
  }
  const std::string tmp = history_file_ + ".tmp." + std::to_string(::getpid());
  const mode_t old_mask = ::umask(077);
  const int rc = write_history(tmp.c_str());
  ::umask(old_mask);
  if (rc != 0 || std::rename(tmp.c_str(), history_file_.c_str()) != 0) {
    std::remove(tmp.c_str());
    static bool warned = false;
    if (!warned) std::fprintf(stderr, "warning: console history: cannot write %s\n", history_file_.c_str());
    warned = true;
  }
}

}  // namespace ploke::cli
