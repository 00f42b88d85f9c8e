// File: cli/log_flags.h
//
// The access-log flags of the commands that serve requests (gateway, serve) and the logger
// they open: --log-level, --log-format text|json, --log-file (else stderr).
#pragma once

#include <memory>
#include <string>

#include "commands.h"
#include "ploke/core/status.h"
#include "ploke/logging/logger.h"

namespace CLI {
class App;
}

namespace ploke::cli {

/// Adds --log-level / --log-format / --log-file to `app`, defaults from `a`.
void add_log_flags(CLI::App& app, LogArgs& a);

/// The logger the flags ask for, its lines labelled `component`; kInvalidRequest naming the
/// file when --log-file cannot be opened.
Result<std::unique_ptr<logging::Logger>> open_log(const LogArgs& a, std::string component);

}  // namespace ploke::cli
