// File: cli/service_notify.h
//
// Tells a service manager (systemd, `Type=notify`) how a long-running command is doing:
// `READY=1` once it listens, `STOPPING=1` when it begins to shut down. Sends through libsystemd's
// sd_notify() to $NOTIFY_SOCKET; without $NOTIFY_SOCKET, or in a binary built without libsystemd
// (-DPLOKE_SYSTEMD=OFF, or libsystemd-dev absent), it does nothing.
//
// Thread-safety: safe from any thread (one datagram per call).
#pragma once

#include <string_view>

namespace ploke::cli {

/// Sends `state` (newline-separated KEY=VALUE assignments, e.g. "READY=1\nSTATUS=…").
void notify_service_manager(std::string_view state);

/// True when this binary was built with libsystemd (notifications are sent).
bool service_notify_supported();

}  // namespace ploke::cli
