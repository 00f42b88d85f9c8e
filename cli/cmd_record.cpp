// `ploke-sim record`: the recording reverse proxy on real sockets and the real clock.
#include "cmd_record.h"

#include <csignal>
#include <cstdio>
#include <string>

#include "commands.h"
#include "ploke/core/clock.h"
#include "ploke/recorder/recorder.h"

namespace ploke::cli {
namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "ploke-sim record: %s\n", message.c_str());
  return code;
}

}  // namespace

int run_record(const RecordArgs& args) {
  sigset_t stop_signals = block_stop_signals();  // before any thread exists
  recorder::RecorderOptions o;
  const auto mode = recorder::record_mode_from_name(args.mode);
  if (!mode) return fail(kExitUsage, "--mode must be once, new_episodes, all or none (got \"" + args.mode + "\")");
  if (args.cassette.empty()) return fail(kExitUsage, "--cassette is required");
  if (args.port < 0 || args.port > 65535) return fail(kExitUsage, "--port must be in [0,65535]");
  if (args.flush_ms < 0) return fail(kExitUsage, "--flush-ms must be >= 0");
  auto timing = codec::Timing::Parse(args.timing);
  if (!timing.ok()) return fail(kExitUsage, "--timing: " + timing.status().message());
  o.mode = *mode;
  o.upstream = args.upstream;
  o.cassette_path = args.cassette;
  o.host = args.host;
  o.port = args.port;
  o.flush_interval = std::chrono::milliseconds(args.flush_ms);
  o.replay_timing = *timing;
  o.verify_tls = !args.insecure;
  o.record_upstream_failures = args.record_failures;
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
               static_cast<unsigned long long>(s.upstream_failures), args.cassette.c_str(), (*rec)->interaction_count());
  if (!st.ok()) return fail(kExitFailed, "final cassette write failed: " + st.message());
  return kExitOk;
}

}  // namespace ploke::cli
