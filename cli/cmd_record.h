// File: cli/cmd_record.h
//
// `ploke-sim record`: the recording reverse proxy (ploke::recorder) on the real clock.
// Exit codes: 0 ok (stopped by SIGINT/SIGTERM, cassette flushed), 1 the run failed
// (bind error, final cassette write failed), 2 usage or bad input (bad mode/URL, malformed
// existing cassette, mode none without a cassette).
#pragma once

#include <string>
#include <vector>

#include "commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace ploke::cli {

struct RecordArgs {
  std::string upstream;          ///< http(s)://host[:port][/prefix]
  std::string cassette;          ///< cassette file
  std::string cassette_dir;      ///< per-test cassettes: DIR/NAME.json (with `name`)
  std::string name;              ///< per-test cassette name (cassettes/README.md "Per-test cassettes")
  /// Request body paths replay matching ignores; empty = the built-in packages' (main.cpp
  /// passes those plus the plugins', cli/plugins.h cassette_ignore_paths()).
  std::vector<std::string> match_ignore_paths;
  std::string mode = "once";     ///< once | new_episodes | all | none
  std::string host = "127.0.0.1";
  int port = 8081;               ///< 0 = ephemeral (serve 8080, gateway 4000)
  int flush_ms = 1000;           ///< periodic flush; 0 = only on exit
  std::string timing = "recorded";  ///< replay timing: recorded | none | xN
  bool insecure = false;         ///< do not verify the upstream's TLS certificate
  bool record_failures = false;  ///< record upstream connection failures
  bool synthetic = false;        ///< mark a new cassette as synthetic (simulator upstream)
  std::string provider;          ///< cassette metadata for a new cassette
  std::string protocol;
  std::vector<std::string> redact_headers;  ///< extra credential headers
  std::vector<std::string> redact_fields;   ///< extra JSON body fields / query params
  std::vector<std::string> redact_patterns; ///< extra regexes
  bool quiet = false;            ///< no per-request log lines on stderr
  LogArgs log{"warn", "text", ""};  ///< access lines (info; upstream failures, cuts and aborts at warn)
};
CLI::App* add_record_command(CLI::App& app, RecordArgs& args);
int run_record(const RecordArgs& args);

}  // namespace ploke::cli
