// File: core/logging/src/linger_sink.h (private to ploke::logging)
//
// The spdlog sink behind Logger::Open(): lines gather in a buffer that one writer thread
// sends to the file descriptor with one write(2) per batch. A line costs its producer a
// mutex and an append. The writer, once woken, lingers: it writes a batch every kLinger
// for as long as lines keep coming, and goes idle after a kLinger with none. Only the first
// line for an idle writer (or a batch that reached 64 KiB) wakes it. A busy server so pays
// one timer wake-up and one syscall per kLinger instead of a wake-up per line, and an idle
// server's line is on disk within kLinger. At most `max_lines` lines wait; newer lines
// are dropped and counted while the writer is behind (a slow terminal or disk never blocks
// a request).
#pragma once

#include <spdlog/sinks/sink.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace ploke::logging::detail {

class LingerFdSink final : public spdlog::sinks::sink {
 public:
  static constexpr std::chrono::milliseconds kLinger{2};
  static constexpr size_t kBatchBytes = 64u << 10;

  /// Writes to `fd` (closed on destruction when `owned`).
  LingerFdSink(int fd, bool owned, size_t max_lines);
  /// Stops the writer and writes every line still waiting.
  ~LingerFdSink() override;
  LingerFdSink(const LingerFdSink&) = delete;
  LingerFdSink& operator=(const LingerFdSink&) = delete;

  void log(const spdlog::details::log_msg& msg) override;
  /// Writes what waits now, from the caller's thread (ordered with the writer's batches).
  void flush() override;
  void set_pattern(const std::string&) override {}  // lines arrive formatted
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  uint64_t dropped() const;

 private:
  void run();
  void drain();

  const int fd_;
  const bool owned_;
  const size_t max_lines_;
  mutable std::mutex mu_;       // buf_, lines_, dropped_, stop_
  std::condition_variable cv_;
  std::string buf_;
  size_t lines_ = 0;
  uint64_t dropped_ = 0;
  bool stop_ = false;
  bool writer_idle_ = false;     // waiting with no deadline: the next line must wake it
  std::mutex write_mu_;          // one batch on the descriptor at a time, in order
  std::thread writer_;
};

}  // namespace ploke::logging::detail
