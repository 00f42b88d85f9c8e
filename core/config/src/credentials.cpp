// Credential resolution (see ploke/config/credentials.h).
#include "ploke/config/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace ploke::config {
namespace {

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  size_t b = 0;
  while (b < line.size() && (line[b] == ' ' || line[b] == '\t')) ++b;
  return line.substr(b);
}

std::string mode_text(mode_t m) {
  char b[16];
  std::snprintf(b, sizeof b, "%04o", static_cast<unsigned>(m & 07777));
  return b;
}

}  // namespace

std::string conventional_key_env(std::string_view kind) {
  if (kind == "openai") return "OPENAI_API_KEY";
  if (kind == "openrouter") return "OPENROUTER_API_KEY";
  if (kind == "anthropic") return "ANTHROPIC_API_KEY";
  return "LLM_API_KEY";
}

Result<Secret> read_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status(StatusCode::kNotFound, "key file " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status(StatusCode::kPermission, "key file " + path + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status(StatusCode::kPermission, "key file " + path + ": mode " + mode_text(st.st_mode) +
                                               ", expected 0600; refusing to read it (chmod 600 " + path + ")");
  }
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status(StatusCode::kPermission, "key file " + path + ": " + std::strerror(errno));
  std::string data;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && data.size() < (1u << 20)) data.append(buf, n);
  std::fclose(f);
  std::string key = first_line(data);
  if (key.empty()) return Status(StatusCode::kAuth, "key file " + path + ": empty");
  return Secret(std::move(key));
}

namespace {

// A running `/bin/sh -c command`: its pid and the read ends of its stdout and stderr.
struct Child {
  pid_t pid = -1;
  int out = -1, err = -1;
};

// Starts the command in its own process group (a timeout kills the whole pipeline), stdin
// /dev/null, stdout and stderr to pipes.
Result<Child> spawn_shell(const std::string& command) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return InternalError("key command: pipe failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return InternalError("key command: pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  Child child;
  int rc = posix_spawn(&child.pid, "/bin/sh", &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return InternalError(std::string("key command: cannot start /bin/sh: ") + std::strerror(rc));
  }
  child.out = out[0];
  child.err = err[0];
  return child;
}

// Reads stdout and stderr (at most 1 MiB each) until both close or the deadline passes.
// Returns true when it timed out. Closes both pipes.
bool drain_until(Child& child, TimePoint deadline, Clock& clock, std::string& sout, std::string& serr) {
  bool out_open = true, err_open = true, timed_out = false;
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.now()).count();
    if (left <= 0) { timed_out = true; break; }
    pollfd fds[2] = {{out_open ? child.out : -1, POLLIN, 0}, {err_open ? child.err : -1, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) { timed_out = true; break; }  // waited the whole remaining time
    if (n < 0) break;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        std::string& dst = i == 0 ? sout : serr;
        if (dst.size() < (1u << 20)) dst.append(buf, static_cast<size_t>(r));
      }
    }
  }
  close(child.out);
  close(child.err);
  return timed_out;
}

}  // namespace

Result<Secret> run_key_command(const std::string& command, Duration timeout, Clock& clock) {
  PLOKE_ASSIGN_OR_RETURN(Child child, spawn_shell(command));
  std::string sout, serr;
  const bool timed_out = drain_until(child, clock.now() + timeout, clock, sout, serr);
  if (timed_out) ::kill(-child.pid, SIGKILL);
  int st = 0;
  while (::waitpid(child.pid, &st, 0) < 0 && errno == EINTR) {
  }
  const std::string err_text = redact_secrets(first_line(serr));
  if (timed_out) {
    return TimeoutError(TimeoutPhase::kTotal,
                        "key command timed out after " +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                            " ms (killed)");
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::string why = WIFEXITED(st) ? "exit status " + std::to_string(WEXITSTATUS(st))
                                    : "killed by signal " + std::to_string(WTERMSIG(st));
    // The key (stdout) is never included; stderr is redacted.
    return AuthError("key command failed (" + why + ")" + (err_text.empty() ? "" : ": stderr: " + err_text));
  }
  std::string key = first_line(sout);
  if (key.empty()) return AuthError("key command printed nothing on stdout");
  return Secret(std::move(key));
}

Result<ResolvedKey> resolve_credential(const CredentialSpec& spec, const EnvLookup& env, Clock& clock) {
  auto wrap = [&spec](const Status& s) {
    return Status(s.code(), "credential '" + spec.name + "': " + s.message());
  };
  if (!spec.env.empty()) {
    auto v = env(spec.env);
    if (v && !v->empty()) return ResolvedKey{Secret(*v), spec.name, "env:" + spec.env};
  }
  if (!spec.file.empty()) {
    auto k = read_key_file(spec.file);
    if (!k.ok()) return wrap(k.status());
    return ResolvedKey{std::move(k).value(), spec.name, "file:" + spec.file};
  }
  if (!spec.command.empty()) {
    auto k = run_key_command(spec.command, std::chrono::milliseconds(spec.command_timeout_ms), clock);
    if (!k.ok()) return wrap(k.status());
    return ResolvedKey{std::move(k).value(), spec.name, "command"};
  }
  if (!spec.key.empty()) return ResolvedKey{spec.key, spec.name, "inline"};
  return Status(StatusCode::kNotFound,
                "credential '" + spec.name + "': no key" + (spec.env.empty() ? "" : " ($" + spec.env + " is not set)"));
}

Result<ResolvedKey> resolve_provider_key(const Config& config, std::string_view provider, const EnvLookup& env,
                                         Clock& clock) {
  const std::string p(provider);
  auto pit = config.providers.find(p);
  std::string cred;
  if (const Profile* prof = config.active()) {
    auto c = prof->credentials.find(p);
    if (c != prof->credentials.end()) cred = c->second;
  }
  if (cred.empty() && pit != config.providers.end()) cred = pit->second.credential;
  if (!cred.empty()) {
    auto cit = config.credentials.find(cred);
    if (cit == config.credentials.end()) {
      return Status(StatusCode::kNotFound, "provider " + p + ": credential '" + cred + "' is not defined");
    }
    return resolve_credential(cit->second, env, clock);
  }
  const std::string var = conventional_key_env(pit == config.providers.end() ? p : pit->second.kind);
  auto v = env(var);
  if (v && !v->empty()) return ResolvedKey{Secret(*v), "", "env:" + var};
  return Status(StatusCode::kNotFound, "no credential for provider " + p + " (set " + var +
                                           " or name a credential in [providers." + p + "] or the active profile)");
}

}  // namespace ploke::config
