// ploke::net::process_metrics_text(): the process collector's names with values read from
// /proc (threads, open descriptors follow what the process does) and the build-info gauge.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "ploke/net/process_metrics.h"

namespace ploke::net {
namespace {

// name → value of each sample line (HELP / TYPE lines skipped).
std::map<std::string, double> process_samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

TEST(ProcessMetrics, ReadsTheProcessAndNamesTheBuild) {
  auto m = process_samples(process_metrics_text("gateway"));
  EXPECT_EQ(m.at("ploke_build_info{version=\"" + std::string(ploke_version()) + "\",component=\"gateway\"}"), 1);
  EXPECT_EQ(ploke_version(), "0.2.0");
  EXPECT_GT(m.at("process_resident_memory_bytes"), 1e5);
  EXPECT_GE(m.at("process_virtual_memory_bytes"), m.at("process_resident_memory_bytes"));
  EXPECT_GT(m.at("process_start_time_seconds"), 1.6e9);
  EXPECT_GT(m.at("process_max_fds"), 0);
  EXPECT_GE(m.at("process_cpu_seconds_total"), 0);
  const double fds = m.at("process_open_fds");
  const double threads = m.at("process_threads");
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  std::promise<void> release;
  std::thread t([f = release.get_future()]() mutable { f.wait(); });  // alive while we read
  auto after = process_samples(process_metrics_text("serve"));
  EXPECT_EQ(after.at("process_open_fds"), fds + 1);
  EXPECT_GE(after.at("process_threads"), threads + 1);
  EXPECT_EQ(after.count("ploke_build_info{version=\"0.2.0\",component=\"serve\"}"), 1u);
  release.set_value();
  t.join();
  ::close(fd);
}

}  // namespace
}  // namespace ploke::net
