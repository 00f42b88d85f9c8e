// File: ploke/logging/logger.h
//
// Structured logs: one access-log line per request (gateway, serve, record) and free-text
// events, at a level, as logfmt text or JSON, to stderr, a file or a stream. Times come
// from the caller (its injected Clock), so lines are deterministic under a SimulatedClock.
// Every line is redacted (key patterns and registered secret values) before it is written.
//
// Writing is spdlog's (kept out of this header): Open() gathers lines in a bounded buffer that
// a background thread writes in batches (a line is written within 2 ms; while the writer is
// behind by LogOptions::queue lines, newer lines are dropped and dropped() counts them), so
// a slow terminal or disk never blocks a request; ToStream() writes synchronously (tests).
//
// Line (text):  ts=2026-12-05T01:02:03.456Z level=info component=gateway event=access
//               trace_id=gw-x-1 protocol=openai method=POST path=/v1/chat/completions
//               model=gpt-4o provider=sim-a attempts=1 status=200 latency_ms=12.3
//               input_tokens=10 output_tokens=20 cost_usd=0.000123
// Line (JSON):  the same keys in one object; numbers as numbers.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke::logging {

enum class Level : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class Format : uint8_t { kText, kJson };

/// "trace" | "debug" | "info" | "warn" | "error" | "off"; nullopt otherwise.
std::optional<Level> parse_level(std::string_view s);
/// "text" | "json"; nullopt otherwise.
std::optional<Format> parse_format(std::string_view s);
std::string_view level_name(Level l);

/// One request as its access-log line shows it. Empty strings and unset values are left
/// out of the line.
struct AccessRecord {
  std::string trace_id;
  std::string protocol;  ///< openai | anthropic | openrouter | responses | admin | …
  std::string method, path;  ///< path without the query
  std::string model;         ///< the model name the client asked for
  std::string provider;      ///< who served it (endpoint id), "" when nobody did
  std::string key_id;        ///< the gateway client key that was admitted (its id, or "master"; never the key)
  uint32_t attempts = 0;
  int status = 0;            ///< HTTP status sent (200 for a stream that ended in-band)
  double latency_ms = 0;     ///< arrival to the last byte
  uint64_t input_tokens = 0, output_tokens = 0;
  std::optional<double> cost_usd;
  std::string error;         ///< the StatusCode name when the request failed
  std::string error_detail;  ///< its message (already redacted), e.g. which certificate check failed
  std::string fault;         ///< a simulator's fault that fired (its id)
  std::string ending;        ///< a simulator's scripted ending when not "complete" (reset, hang, …)
  std::string outcome;       ///< what a recording proxy did (recorded, replayed, unmatched, …)
};

struct LogOptions {
  Level level = Level::kInfo;
  Format format = Format::kText;
  std::string path;                  ///< "" = stderr, else a file (appended)
  std::string component = "gateway";
  size_t queue = 8192;               ///< lines that may wait for the writer thread
};

/// An access line's level: warn for status ≥ 500, a fault that fired or an ending other
/// than complete; info otherwise.
Level access_level(const AccessRecord& r);
/// The line as written (no newline), at access_level().
std::string format_access(const AccessRecord& r, Format f, std::string_view component, SystemTime at);
std::string format_event(Level l, std::string_view message, Format f, std::string_view component, SystemTime at);

class Logger {
 public:
  /// Writes to stderr or `options.path` from a writer thread. kInvalidRequest naming the
  /// file when it cannot be opened.
  static Result<std::unique_ptr<Logger>> Open(const LogOptions& options);
  /// Writes synchronously to `out` (which must outlive the logger).
  static std::unique_ptr<Logger> ToStream(std::ostream& out, const LogOptions& options);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(Level l) const { return l >= level_ && level_ != Level::kOff; }
  void access(const AccessRecord& r, SystemTime at);
  void event(Level l, std::string_view message, SystemTime at);
  /// Writes what is queued (waits for the writer thread).
  void flush();
  /// Lines dropped because `queue` lines were already waiting.
  uint64_t dropped() const;
  const LogOptions& options() const { return options_; }

 private:
  struct Impl;
  Logger(LogOptions options, std::unique_ptr<Impl> impl);
  void write(Level l, std::string line);

  LogOptions options_;
  Level level_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ploke::logging
