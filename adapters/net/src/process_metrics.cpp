// Process metrics from /proc. See ploke/net/process_metrics.h.
#include "ploke/net/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#ifndef PLOKE_VERSION
#define PLOKE_VERSION "unknown"
#endif

namespace ploke::net {
namespace {

void metric(std::string& o, const char* name, const char* type, const char* help, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  o += "# HELP ";
  o += name;
  o += ' ';
  o += help;
  o += "\n# TYPE ";
  o += name;
  o += ' ';
  o += type;
  o += '\n';
  o += name;
  o += ' ';
  o += buf;
  o += '\n';
}

// The fields of /proc/self/stat after the command name (field 3 onwards), as text.
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> f;
  for (std::string s; rest >> s;) f.push_back(s);
  return f;
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    std::string skip;
    std::getline(in, skip);
  }
  return 0;
}

int open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the directory's own descriptor
}

}  // namespace

std::string_view ploke_version() { return PLOKE_VERSION; }

std::string process_metrics_text(std::string_view component) {
  std::string o;
  const std::vector<std::string> f = stat_fields();  // f[0] = state (field 3)
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (f.size() > 21 && ticks > 0) {
    metric(o, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
           (std::stod(f[11]) + std::stod(f[12])) / ticks);
    metric(o, "process_threads", "gauge", "Number of OS threads in the process.", std::stod(f[17]));
    if (const double boot = boot_time_seconds(); boot > 0) {
      metric(o, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
             boot + std::stod(f[19]) / ticks);
    }
    metric(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", std::stod(f[20]));
    metric(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", std::stod(f[21]) * page);
  }
  if (const int fds = open_fds(); fds >= 0) {
    metric(o, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
  }
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    metric(o, "process_max_fds", "gauge", "Maximum number of open file descriptors.", static_cast<double>(rl.rlim_cur));
  }
  o += "# HELP ploke_build_info The running ploke-sim build (always 1).\n# TYPE ploke_build_info gauge\n";
  o += "ploke_build_info{version=\"";
  o += ploke_version();
  o += "\",component=\"";
  o += component;
  o += "\"} 1\n";
  return o;
}

}  // namespace ploke::net
