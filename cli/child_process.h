// File: cli/child_process.h
//
// Runs a user's command as a child process for `ploke-sim check`: in its own process group
// (so a time limit stops the command and everything it started, e.g. `npm test` → node),
// with extra environment variables, the caller's SIGINT/SIGTERM forwarded to the group, and
// a time limit after which the group gets SIGTERM, then SIGKILL 5 s later. Its stdin is
// /dev/null (a process outside the terminal's foreground group that read the terminal
// would be stopped); stdout and stderr are inherited.
//
// The caller must have blocked SIGINT and SIGTERM (block_stop_signals(), commands.h)
// before starting any thread; the child starts with an empty signal mask.
//
// Thread-safety: call from one thread.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke::cli {

struct ChildOptions {
  std::vector<std::string> argv;                               ///< argv[0] is looked up on PATH
  std::vector<std::pair<std::string, std::string>> env;        ///< set (or replaced) in the child
  std::chrono::milliseconds time_limit{std::chrono::minutes(5)};
  bool stdout_to_stderr = false;                               ///< keep our stdout for a report
};

struct ChildResult {
  int exit_code = 0;   ///< exit status, or 128 + the signal that ended it
  bool timed_out = false;
  bool interrupted = false;  ///< we received SIGINT/SIGTERM and forwarded it
};

/// Starts the command and waits for it. kNotFound (with the reason) when it cannot be
/// started (no such program, not executable); kInternal for system failures.
/// The time limit is measured on `clock` (the RealClock in the CLI).
Result<ChildResult> run_child(Clock& clock, const ChildOptions& options);

}  // namespace ploke::cli
