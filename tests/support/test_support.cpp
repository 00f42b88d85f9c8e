#include "support/test_support.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace ploke::testing {

uint64_t test_seed() {
  const int s = ::testing::UnitTest::GetInstance()->random_seed();
  return s == 0 ? 20261124ULL : static_cast<uint64_t>(s);
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  const char* p = mkdtemp(tmpl.data());
  if (p == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name, const std::string& content, unsigned mode) const {
  const std::string p = file(name);
  std::ofstream(p) << content;
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
  return p;
}

bool wait_until(Clock& clock, const std::function<bool()>& pred, Duration limit) {
  const TimePoint end = clock.now() + limit;
  while (!pred()) {
    if (clock.now() > end) return false;
    std::this_thread::yield();
    clock.sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace ploke::testing
