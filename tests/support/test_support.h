// File: tests/support/test_support.h
// Test-only helpers: EXPECT_OK/ASSERT_OK, a recording ResponseHandler, test seeds, a
// temporary directory removed with everything in it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"

#define EXPECT_OK(expr)                                          \
  do {                                                           \
    const auto& _st = (expr);                                    \
    EXPECT_TRUE(::ploke::testing::status_of(_st).ok())           \
        << ::ploke::testing::status_of(_st).to_string();         \
  } while (0)
#define ASSERT_OK(expr)                                          \
  do {                                                           \
    const auto& _st = (expr);                                    \
    ASSERT_TRUE(::ploke::testing::status_of(_st).ok())           \
        << ::ploke::testing::status_of(_st).to_string();         \
  } while (0)

namespace ploke::testing {

inline const Status& status_of(const Status& s) { return s; }
template <typename T>
const Status& status_of(const Result<T>& r) { return r.status(); }

/// The seed for randomized tests: GoogleTest's --gtest_random_seed when given, else a
/// fixed value. Printed by tests on failure so a run can be repeated.
uint64_t test_seed();

/// Polls `pred` on `clock` (1 ms apart) until it holds or `limit` passes; false on time-out.
/// For loopback tests waiting on another thread (a RealClock); never a fixed sleep.
bool wait_until(Clock& clock, const std::function<bool()>& pred, Duration limit = std::chrono::seconds(10));

/// A fresh directory under the system temp dir (`prefix` + random suffix), removed with its
/// contents at destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ploke-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The path of `name` inside the directory.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Writes `content` to `name` with `mode` and returns its path.
  std::string file(const std::string& name, const std::string& content, unsigned mode = 0600) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Collects everything a Transport reports. The status and the counters are atomic: a test
/// may poll them while the transport's thread calls the handler; the headers, body and
/// final status are read once the call is over.
class RecordingHandler : public ResponseHandler {
 public:
  void on_head(int status, const Headers& headers) override { status_ = status; headers_ = headers; heads_++; }
  bool on_body(std::string_view bytes) override { body_ += bytes; chunks_++; return !abort_after_first_chunk_; }
  void on_complete(Status status) override { final_ = std::move(status); completes_++; }

  std::atomic<int> status_{0};
  Headers headers_;
  std::string body_;
  std::atomic<int> heads_{0};
  std::atomic<int> chunks_{0};
  std::atomic<int> completes_{0};
  Status final_;
  bool abort_after_first_chunk_ = false;
};

}  // namespace ploke::testing
