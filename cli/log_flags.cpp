// The access-log flags and logger of `gateway` and `serve`. See log_flags.h.
#include "log_flags.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>

namespace ploke::cli {

void add_log_flags(CLI::App& app, LogArgs& a) {
  app.add_option("--log-level", a.level, "Access-log and event lines at or above this level: trace, debug, info, warn, error, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-format", a.format, "Log lines as logfmt text or one JSON object each: text, json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-file", a.file, "Append log lines to this file instead of stderr");
}

Result<std::unique_ptr<logging::Logger>> open_log(const LogArgs& a, std::string component) {
  logging::LogOptions lo;
  lo.level = logging::parse_level(a.level).value_or(logging::Level::kInfo);
  lo.format = logging::parse_format(a.format).value_or(logging::Format::kText);
  lo.path = a.file;
  lo.component = std::move(component);
  return logging::Logger::Open(lo);
}

void add_tls_flags(CLI::App& app, TlsArgs& a) {
  app.add_option("--tls-cert", a.cert, "Serve HTTPS: PEM certificate chain (with --tls-key)");
  app.add_option("--tls-key", a.key, "Serve HTTPS: PEM private key (with --tls-cert)");
}

bool check_tls_flags(const TlsArgs& a, const char* cmd) {
  if (a.cert.empty() != a.key.empty()) {
    std::fprintf(stderr, "%s: --tls-cert and --tls-key go together (HTTPS needs both)\n", cmd);
    return false;
  }
  for (const std::string* f : {&a.cert, &a.key}) {
    if (!f->empty() && !std::ifstream(*f).good()) {
      std::fprintf(stderr, "%s: %s: cannot open\n", cmd, f->c_str());
      return false;
    }
  }
  return true;
}

}  // namespace ploke::cli
