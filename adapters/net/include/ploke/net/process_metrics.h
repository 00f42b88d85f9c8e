// File: ploke/net/process_metrics.h
//
// The Prometheus process collector's metrics for this process (read from /proc, Linux) and
// a build-info gauge, for the /metrics pages of `gateway` and `serve`:
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds, process_threads,
//   ploke_build_info{version,component} 1.
// A value /proc does not give is left out.
//
// Thread-safety: free functions, any thread.
#pragma once

#include <string>
#include <string_view>

namespace ploke::net {

/// The project's version ("0.2.0").
std::string_view ploke_version();

/// The metrics above in the Prometheus text format (HELP and TYPE lines included).
std::string process_metrics_text(std::string_view component);

}  // namespace ploke::net
