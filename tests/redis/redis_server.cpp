// RedisServer: a redis-server process per test (see redis_server.h).
#include "redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

extern char** environ;

namespace ploke::testing {

namespace {
const char* kBinary = "/usr/bin/redis-server";

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

bool wait_exit(pid_t pid, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}
}  // namespace

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

bool RedisServer::available() { return access(kBinary, X_OK) == 0; }

RedisServer::RedisServer(bool tcp) : dir_("ploke-redis"), tcp_(tcp) {}

RedisServer::~RedisServer() { stop(); }

std::string RedisServer::url() const {
  return tcp_ ? "redis://127.0.0.1:" + std::to_string(port_) : "unix:" + dir_.file("redis.sock");
}

bool RedisServer::start() {
  if (tcp_ && port_ == 0) port_ = free_port();
  std::vector<std::string> args{kBinary, "--port", std::to_string(tcp_ ? port_ : 0), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", dir_.path(),
                                "--enable-debug-command", "yes", "--logfile", dir_.file("redis.log")};
  if (!tcp_) {
    args.insert(args.end(), {"--unixsocket", dir_.file("redis.sock"), "--unixsocketperm", "700"});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, kBinary, nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    return false;
  }
  return eventually([&] { return command({"PING"}) == "+PONG"; }, std::chrono::seconds(10));
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!wait_exit(pid_, std::chrono::seconds(5))) {
    ::kill(pid_, SIGKILL);
    wait_exit(pid_, std::chrono::seconds(5));
  }
  pid_ = -1;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exit(pid_, std::chrono::seconds(5));
  pid_ = -1;
}

std::string RedisServer::command(const std::vector<std::string>& argv) const {
  int fd = -1;
  if (tcp_) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return close(fd), "";
  } else {
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string path = dir_.file("redis.sock");
    path.copy(a.sun_path, sizeof a.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return close(fd), "";
  }
  std::string req = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& s : argv) req += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) out.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace ploke::testing
