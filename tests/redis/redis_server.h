// File: tests/redis/redis_server.h
//
// A real redis-server for a test: started on a Unix socket in a temp dir (or a free
// loopback port), no persistence, DEBUG allowed; ready once it answers PING (polled with
// a deadline, no fixed sleep); stopped (SIGTERM, then SIGKILL past a deadline) at the end.
// kill() / start() again simulate a crash and a restart on the same address. command()
// is a tiny blocking RESP client for the test's own commands (DEBUG SLEEP, FLUSHALL…).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace ploke::testing {

class RedisServer {
 public:
  /// True when a redis-server binary is installed (scripts/install-deps.sh).
  static bool available();
  /// `tcp`: a free loopback port; else a Unix socket in the temp dir.
  explicit RedisServer(bool tcp = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  /// Starts the process and waits until it answers PING (false past 10 s).
  bool start();
  void stop();  ///< SIGTERM and wait
  void kill();  ///< SIGKILL and wait (a crash)
  bool running() const { return pid_ > 0; }

  /// `redis://127.0.0.1:PORT` or `unix:/tmp/…/redis.sock`.
  std::string url() const;
  /// Sends one command; returns the raw reply line(s) ("+OK", ":3", "$-1"…), or "" when
  /// the server could not be reached.
  std::string command(const std::vector<std::string>& argv) const;

 private:
  TempDir dir_;
  bool tcp_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// Polls `cond` every millisecond until it holds or `deadline` passes.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds deadline = std::chrono::seconds(5));

}  // namespace ploke::testing
