// The user's command under `ploke-sim check` (child_process.h).
#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>

extern char** environ;

namespace ploke::cli {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> child_environment(const ChildOptions& o) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : o.env) vars[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (auto& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

// posix_spawnp in a new process group, with an empty signal mask and default handlers.
Result<pid_t> spawn(const ChildOptions& o) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Not the terminal's foreground group: reading a terminal would stop it (SIGTTIN).
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (o.stdout_to_stderr) posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  std::vector<std::string> args = o.argv;
  std::vector<std::string> env = child_environment(o);
  std::vector<char*> argp = pointers(args);
  std::vector<char*> envp = pointers(env);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argp[0], &actions, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return NotFoundError("cannot run '" + o.argv[0] + "': " + std::strerror(rc));
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Waits for the child: its pidfd, our stop signals (forwarded to its group) and the time
// limit (SIGTERM to the group, SIGKILL after a 5 s grace).
ChildResult wait_child(Clock& clock, pid_t pid, int pidfd, int sigfd, milliseconds limit) {
  ChildResult r;
  TimePoint deadline = clock.now() + limit;
  bool killed = false;
  for (;;) {
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {sigfd, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock.now());
    const int n = poll(fds, sigfd >= 0 ? 2 : 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (n < 0 && errno == EINTR) continue;
    if (n > 0 && (fds[0].revents & POLLIN)) break;
    if (n > 0 && sigfd >= 0 && (fds[1].revents & POLLIN)) {
      signalfd_siginfo si{};
      if (read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        kill(-pid, static_cast<int>(si.ssi_signo));
        r.interrupted = true;
      }
      continue;
    }
    if (n == 0) {  // the limit (or the grace after it) is over
      r.timed_out = true;
      if (killed) {
        kill(-pid, SIGKILL);
        break;  // waitpid below reaps it
      }
      kill(-pid, SIGTERM);
      deadline = clock.now() + std::chrono::seconds(5);
      killed = true;
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = exit_code_of(status);
  return r;
}

}  // namespace

Result<ChildResult> run_child(Clock& clock, const ChildOptions& options) {
  if (options.argv.empty()) return InvalidRequestError("no command to run");
  auto pid = spawn(options);
  if (!pid.ok()) return pid.status();
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, *pid, 0));
  if (pidfd < 0) {
    kill(-*pid, SIGKILL);
    waitpid(*pid, nullptr, 0);
    return InternalError(std::string("pidfd_open: ") + std::strerror(errno));
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  const int sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
  ChildResult r = wait_child(clock, *pid, pidfd, sigfd, options.time_limit);
  close(pidfd);
  if (sigfd >= 0) close(sigfd);
  return r;
}

}  // namespace ploke::cli
