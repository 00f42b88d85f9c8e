// `ploke-sim record`: the recording reverse proxy on real sockets and the real clock.
#include <CLI/CLI.hpp>

#include "cmd_record.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli_checks.h"
#include "commands.h"
#include "log_flags.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/core/clock.h"
#include "ploke/recorder/recorder.h"

namespace ploke::cli {

CLI::App* add_record_command(CLI::App& app, RecordArgs& a) {
  auto* r = app.add_subcommand("record", "Recording reverse proxy: forward to --upstream, write a cassette");
  r->add_option("--upstream", a.upstream, "Upstream base URL: http(s)://host[:port][/prefix]");
  r->add_option("--cassette", a.cassette, "Cassette file to replay from / record into");
  r->add_option("--cassette-dir", a.cassette_dir,
                "Per-test cassettes: each request names NAME (header x-ploke-cassette or URL prefix "
                "/cassettes/NAME/) and --mode applies to DIR/NAME.json");
  r->add_option("--name", a.name, "With --cassette-dir: one cassette DIR/NAME.json for every request "
                                  "([A-Za-z0-9._-], '/' for subfolders)");
  r->add_option("--mode", a.mode, "once | new_episodes | all | none")->capture_default_str()
      ->check(CLI::IsMember({"once", "new_episodes", "all", "none"}));
  r->add_option("--host", a.host, "Address to bind (loopback by default)")->capture_default_str();
  r->add_option("--port", a.port, "Port to bind; 0 picks a free port")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  r->add_option("--flush-ms", a.flush_ms,
                "Write the cassette every N ms when something new was recorded (0 = only on exit)")
      ->capture_default_str()->check(CLI::Range(0, 86400000));
  r->add_option("--timing", a.timing, "Replay timing: recorded | none | xN")->capture_default_str();
  r->add_flag("--insecure", a.insecure, "Do not verify the upstream's TLS certificate");
  r->add_flag("--record-failures", a.record_failures, "Also record upstream connection failures");
  r->add_flag("--synthetic", a.synthetic, "Mark a new cassette as synthetic (recorded from the simulator)");
  r->add_option("--provider", a.provider, "Cassette metadata: provider");
  r->add_option("--protocol", a.protocol, "Cassette metadata: protocol");
  r->add_option("--redact-header", a.redact_headers, "Extra credential header to redact (repeatable)");
  r->add_option("--redact-field", a.redact_fields, "Extra JSON field / query parameter to redact (repeatable)");
  r->add_option("--redact-pattern", a.redact_patterns, "Extra regex to redact (repeatable)");
  r->add_flag("--quiet", a.quiet, "No per-request log lines");
  add_log_flags(*r, a.log);
  return r;
}
namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "ploke-sim record: %s\n", message.c_str());
  return code;
}

bool refuse(const std::string& message) {
  (void)fail(kExitUsage, message);
  return false;
}

/// Where recordings go: --cassette FILE; --cassette-dir DIR --name NAME (the file
/// DIR/NAME.json); or --cassette-dir DIR alone (each request names its cassette). False after
/// printing the error.
bool resolve_cassette(const RecordArgs& args, recorder::RecorderOptions* o) {
  if (args.cassette_dir.empty()) {
    if (!args.name.empty()) return refuse("--name needs --cassette-dir");
    if (args.cassette.empty()) return refuse("--cassette FILE or --cassette-dir DIR is required");
    o->cassette_path = args.cassette;
    return true;
  }
  if (!args.cassette.empty()) return refuse("--cassette and --cassette-dir exclude each other");
  if (args.name.empty()) {
    o->cassette_dir = args.cassette_dir;
    return true;
  }
  if (Status st = codec::check_cassette_name(args.name); !st.ok()) return refuse("--name: " + st.message());
  o->cassette_path = codec::cassette_path_in(args.cassette_dir, args.name);
  o->cassette_name = args.name;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(o->cassette_path).parent_path(), ec);
  if (ec) return refuse(o->cassette_path + ": " + ec.message());
  return true;
}

}  // namespace

namespace {

// One access line per answered request: method, path, status, latency, what the proxy did;
// an upstream failure (5xx), a cut or a client that left is a warn line.
std::function<void(const recorder::RecorderAccess&)> record_access_log(logging::Logger& log, Clock& clock) {
  if (!log.enabled(logging::Level::kWarn)) return {};
  return [&log, &clock](const recorder::RecorderAccess& r) {
    logging::AccessRecord a;
    a.protocol = "record";
    a.method = r.method;
    a.path = r.path;
    a.status = r.status;
    a.latency_ms = std::chrono::duration<double, std::milli>(r.latency).count();
    a.outcome = r.outcome;
    if (r.outcome == "cut" || r.outcome == "client_abort") a.ending = r.outcome;
    log.access(a, clock.system_now());
  };
}

}  // namespace

int run_record(const RecordArgs& args) {
  sigset_t stop_signals = block_stop_signals();  // before any thread exists
  recorder::RecorderOptions o;
  const auto mode = recorder::record_mode_from_name(args.mode);
  if (!mode) return fail(kExitUsage, "--mode must be once, new_episodes, all or none (got \"" + args.mode + "\")");
  if (!resolve_cassette(args, &o)) return kExitUsage;
  const std::string cassette = o.cassette_dir.empty() ? o.cassette_path : o.cassette_dir + "/NAME.json";
  if (args.port < 0 || args.port > 65535) return fail(kExitUsage, "--port must be in [0,65535]");
  if (args.flush_ms < 0) return fail(kExitUsage, "--flush-ms must be >= 0");
  auto timing = codec::Timing::Parse(args.timing);
  if (!timing.ok()) return fail(kExitUsage, "--timing: " + timing.status().message());
  o.mode = *mode;
  o.upstream = args.upstream;
  o.host = args.host;
  o.port = args.port;
  o.flush_interval = std::chrono::milliseconds(args.flush_ms);
  o.replay_timing = *timing;
  o.verify_tls = !args.insecure;
  o.record_upstream_failures = args.record_failures;
  o.match_ignore_paths = args.match_ignore_paths;
  o.synthetic = args.synthetic;
  o.provider = args.provider;
  o.protocol = args.protocol;
  o.redaction.headers = args.redact_headers;
  o.redaction.body_fields = args.redact_fields;
  o.redaction.query_params = args.redact_fields;
  o.redaction.patterns = args.redact_patterns;
  if (!args.quiet) {
    o.log = [](std::string_view line) {  // lines arrive redacted
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
  }

  RealClock clock;
  auto logger = open_log(args.log, "record");  // before the recorder: it logs until stop()
  if (!logger.ok()) return fail(kExitUsage, logger.status().message());
  o.on_access = record_access_log(**logger, clock);
  auto rec = recorder::Recorder::Create(o, clock);
  if (!rec.ok()) {
    const StatusCode c = rec.status().code();
    const bool usage = c == StatusCode::kInvalidRequest || c == StatusCode::kNotFound;
    return fail(usage ? kExitUsage : kExitFailed, rec.status().message());
  }
  Status st = (*rec)->Start();
  if (!st.ok()) return fail(kExitFailed, st.message());
  std::printf("listening on %s\n", (*rec)->url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "ploke-sim record: %s received, flushing the cassette and stopping\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  st = (*rec)->stop();
  const recorder::RecorderStats s = (*rec)->stats();
  std::fprintf(stderr,
               "ploke-sim record: %llu requests (%llu replayed, %llu recorded, %llu unmatched, %llu upstream failures); "
               "cassette %s holds %zu interactions\n",
               static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.replayed),
               static_cast<unsigned long long>(s.recorded), static_cast<unsigned long long>(s.unmatched),
               static_cast<unsigned long long>(s.upstream_failures), cassette.c_str(), (*rec)->interaction_count());
  if (!st.ok()) return fail(kExitFailed, "final cassette write failed: " + st.message());
  return kExitOk;
}

}  // namespace ploke::cli
