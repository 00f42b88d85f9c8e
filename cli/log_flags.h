// File: cli/log_flags.h
//
// The flags of the commands that serve requests (gateway, serve): the access log and the
// logger they open (--log-level, --log-format text|json, --log-file, else stderr), and
// HTTPS on the listener (--tls-cert, --tls-key).
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

/// Adds --tls-cert / --tls-key to `app`.
void add_tls_flags(CLI::App& app, TlsArgs& a);

/// Both or neither, and both readable; else a message on stderr naming the flag or file
/// (prefixed `cmd`) and false (the caller exits 2). The PEM contents are checked when the
/// server starts (kInvalidRequest naming the file).
bool check_tls_flags(const TlsArgs& a, const char* cmd);

}  // namespace ploke::cli
