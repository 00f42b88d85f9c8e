// The access-log flags and logger of `gateway` and `serve`. See log_flags.h.
#include "log_flags.h"

#include <CLI/CLI.hpp>

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

}  // namespace ploke::cli
