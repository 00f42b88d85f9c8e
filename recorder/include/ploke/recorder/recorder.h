// File: ploke/recorder/recorder.h
//
// Recorder: the recording reverse proxy behind `ploke-sim record`. Clients point
// their base URL at the recorder; each request is either answered from the cassette
// (replay) or forwarded to the upstream provider (record), depending on the mode:
//
//   once          (default) the cassette file exists → replay only; absent → record all
//   new_episodes  replay requests the cassette knows (each recording used once), forward
//                 and record the rest, appended to the cassette
//   all           forward and record everything; the cassette is overwritten
//   none          replay only; never touches the network (unmatched → 404 near-miss report)
//
// Forwarding: method, path + query (joined to the upstream's path prefix), body and the
// request headers except hop-by-hop ones, Host and Accept-Encoding (the upstream is asked
// for identity encoding so the client and the cassette see the same plain bytes) go out
// through net::LoopHttpClient on the server's event loop, http:// and https:// alike (TLS
// on non-blocking OpenSSL; no thread per request, no hand-off). The server is
// ploke::net::HttpServer. The response is streamed to the client as it arrives: the
// upstream's on_body chunks go straight to the client's net::Responder (chunked when the
// upstream was chunked/SSE, else with the upstream's Content-Length), while every chunk is
// captured with its offset in ms from the request start (injected Clock). 4xx/5xx are recorded like any other response; a stream
// the upstream cuts is recorded with ending "reset" and cut on the client side too. A
// failure before any response byte is a 502 (504 on timeout) JSON error naming the
// upstream (redacted), recorded only with `record_upstream_failures` (as an empty reply).
// A client that disconnects mid-response aborts the upstream call; that exchange is not
// recorded (it would be a truncated recording).
//
// Secrets: every interaction goes through codec::redact_interaction() (deny-by-default
// plus RedactionOptions::extra) before it is stored; log lines and error messages go
// through the same rules' redact_text(). Live traffic is forwarded unredacted.
//
// Persistence: the cassette is written with ploke::write_file_atomic() (temp + fsync +
// rename) by a flusher thread, every `flush_interval` (a timer on the injected Clock) when
// something new was recorded, on flush() and on stop(). A kill -9 leaves the previous file
// or a complete newer one.
//
// Thread-safety: Start()/stop() from one owner thread; flush(), stats(), port(), url()
// from any thread. One event loop parses, answers replays and runs the upstream calls
// (non-blocking, http:// and https://).
//
// Example:
//   RealClock clock;
//   RecorderOptions o;
//   o.upstream = "https://api.openai.com";
//   o.cassette_path = "cassettes/openai.json";
//   PLOKE_ASSIGN_OR_RETURN(auto rec, Recorder::Create(o, clock));
//   PLOKE_RETURN_IF_ERROR(rec->Start());
//   // point the SDK at rec->url() + "/v1"; later:
//   PLOKE_RETURN_IF_ERROR(rec->stop());   // final flush
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/redact.h"
#include "ploke/codec/scripted.h"
#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::recorder {

enum class RecordMode : uint8_t {
  kOnce,         ///< record if the cassette file is absent, else replay only
  kNewEpisodes,  ///< replay known requests, record unknown ones
  kAll,          ///< re-record everything, overwriting the cassette
  kNone,         ///< replay only, never touch the network
};
std::string_view record_mode_name(RecordMode m);  // "once", "new_episodes", "all", "none"
std::optional<RecordMode> record_mode_from_name(std::string_view name);

/// One answered request, for an access log.
struct RecorderAccess {
  std::string method, path;  ///< path without the query
  int status = 0;            ///< sent to the client (0: none)
  Duration latency{0};       ///< arrival to the end of the answer (a replay: to its dispatch)
  std::string outcome;       ///< recorded | replayed | unmatched | upstream_error | cut | client_abort
};

struct RecorderOptions {
  /// http(s)://host[:port][/prefix]. Required unless mode is kNone (or kOnce with an
  /// existing cassette).
  std::string upstream;
  /// The cassette file (created, with its directory's existing permissions, on first flush).
  std::string cassette_path;
  /// Per-test cassettes (cassettes/README.md "Per-test cassettes"): when set, cassette_path
  /// is unused and every request names its cassette (header `x-ploke-cassette: NAME`, or
  /// the path prefix `/cassettes/NAME/`, removed before forwarding); the mode applies per
  /// cassette DIR/NAME.json, each recorded and flushed on its own. A request naming no
  /// cassette, an invalid name, or (mode none) a missing file is answered 400
  /// `cassette_not_found` naming it.
  std::string cassette_dir;
  RecordMode mode = RecordMode::kOnce;
  std::string host = "127.0.0.1";
  int port = 0;  ///< 0 = ephemeral (see port())
  /// Extra redaction rules on top of the defaults (which always apply).
  codec::RedactionConfig redaction;
  /// Periodic flush of new recordings; zero = only on flush()/stop().
  Duration flush_interval = std::chrono::seconds(1);
  /// Upstream call limits (on the loop for http://: re-checked every 50 ms). Total is unset
  /// by default: streams may run long.
  CallOptions upstream_timeouts{std::chrono::seconds(10), std::chrono::minutes(10),
                                std::chrono::minutes(10), std::nullopt};
  bool verify_tls = true;
  /// Record connection failures (refused, reset before a byte, timeout) as empty replies.
  bool record_upstream_failures = false;
  /// Replay: chunk timing (recorded offsets by default) and what happens after the last
  /// recording of a request in the replay-only modes (new_episodes always records anew).
  codec::Timing replay_timing = codec::Timing::Recorded();
  bool repeat_last = true;
  /// Request body paths replay matching ignores; empty = adapters::builtin_cassette_ignore_paths().
  std::vector<std::string> match_ignore_paths;
  /// Requests that do not ask for a stream ("stream": true in the body or Accept:
  /// text/event-stream) are answered once the upstream's response is complete, with one
  /// respond() (head + body in one send(); the c1 latency target). false = every response
  /// goes through the streaming path.
  bool inline_non_stream = true;
  /// Idle keep-alive connections (TLS sessions included) kept per upstream origin.
  size_t max_idle_upstream = 64;
  /// Bytes of upstream body queued for a slow client before the upstream read stops until
  /// the queue is down to half (backpressure; streams): the call on the loop is paused
  /// (LoopHttpClient::set_paused).
  size_t max_queued_bytes = 1 << 20;
  /// Cassette metadata for a new cassette (kept from the file when it exists).
  std::string cassette_name;  ///< default: the file name without ".json" (with cassette_dir: NAME)
  std::string provider;
  std::string protocol;
  bool synthetic = false;
  /// Receives one redacted line per request and per flush error. Null = silent.
  std::function<void(std::string_view line)> log;
  /// Called once per request when its answer ends (not for requests cut by stop()), on the
  /// thread that ends it: it must not block. Null = none.
  std::function<void(const RecorderAccess& access)> on_access;
};

struct RecorderStats {
  uint64_t requests = 0;
  uint64_t replayed = 0;
  uint64_t forwarded = 0;
  uint64_t recorded = 0;
  uint64_t unmatched = 0;           ///< replay-only misses (404)
  uint64_t upstream_failures = 0;   ///< 502/504 answers
  uint64_t client_aborts = 0;       ///< clients that left mid-response (not recorded)
  uint64_t flushes = 0;             ///< successful cassette writes
  uint64_t flush_errors = 0;
};

class Recorder {
 public:
  /// Validates options, parses the upstream URL and loads the cassette when the mode
  /// replays. Errors: kInvalidRequest (bad option, malformed cassette: the message names
  /// the file and the field path), kNotFound (mode none without a cassette file).
  /// `clock` must outlive the recorder.
  static Result<std::unique_ptr<Recorder>> Create(const RecorderOptions& options, Clock& clock);

  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  ~Recorder();  ///< stop()

  /// Binds (listening when this returns) and serves on background threads (with
  /// cassette_dir: two more per cassette used). kInternal when
  /// the address cannot be bound; kInvalidRequest when already started.
  Status Start();
  int port() const;
  /// "http://host:port".
  std::string url() const;
  /// True when requests may be forwarded (once without a cassette, new_episodes, all).
  bool records() const;
  /// Writes the cassette now if anything was recorded since the last write.
  Status flush();
  /// Stops serving (cancels upstream calls in flight), stops the flush timer and writes
  /// the cassette a last time. Idempotent; returns the last flush's status.
  Status stop();
  RecorderStats stats() const;
  /// Interactions currently in the cassette (loaded + recorded; with cassette_dir: in every
  /// cassette used so far).
  size_t interaction_count() const;

  struct Impl;

 private:
  explicit Recorder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ploke::recorder
