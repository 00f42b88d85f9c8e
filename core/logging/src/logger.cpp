// Structured logs over spdlog. See ploke/logging/logger.h.
#include "ploke/logging/logger.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <filesystem>
#include <mutex>

#include "ploke/core/secret.h"
#include "ploke/json/escape.h"
#include "linger_sink.h"

namespace ploke::logging {
namespace {

// 2026-12-05T01:02:03.456Z
std::string iso_utc(SystemTime at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  // A busy log formats many lines per second: the date and time up to the second is reused.
  thread_local std::time_t cached_secs = -1;
  thread_local char cached[32];
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  const int milli = static_cast<int>(ms % 1000);
  std::string out(cached);
  out += '.';
  out += static_cast<char>('0' + milli / 100);
  out += static_cast<char>('0' + milli / 10 % 10);
  out += static_cast<char>('0' + milli % 10);
  out += 'Z';
  return out;
}

// printf's %.6g, without printf.
std::string number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  return std::string(buf, r.ptr);
}

// key=value pairs (logfmt: values with spaces, quotes or '=' quoted) or one JSON object.
class LineWriter {
 public:
  explicit LineWriter(Format f) : json_(f == Format::kJson) {
    line_.reserve(320);  // an access line, without a reallocation
    if (json_) line_.push_back('{');
  }
  LineWriter& str(std::string_view key, std::string_view v) {
    if (v.empty()) return *this;
    begin(key);
    if (json_ || needs_quotes(v)) {
      json::append_quoted(line_, v);
    } else {
      line_ += v;
    }
    return *this;
  }
  LineWriter& num(std::string_view key, std::string_view v) {
    begin(key);
    line_ += v;
    return *this;
  }
  std::string take() && {
    if (json_) line_ += '}';
    return std::move(line_);
  }

 private:
  static bool needs_quotes(std::string_view v) {
    for (char c : v) {
      if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
    }
    return false;
  }
  void begin(std::string_view key) {
    if (line_.size() > (json_ ? 1u : 0u)) line_ += json_ ? "," : " ";
    if (json_) {
      json::append_quoted(line_, key);
      line_ += ':';
    } else {
      line_ += key;
      line_ += '=';
    }
  }
  bool json_;
  std::string line_;
};

LineWriter head(Format f, Level l, std::string_view component, SystemTime at, std::string_view event) {
  LineWriter w(f);
  w.str("ts", iso_utc(at)).str("level", level_name(l)).str("component", component).str("event", event);
  return w;
}

spdlog::level::level_enum spd_level(Level l) {
  switch (l) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

std::optional<Level> parse_level(std::string_view s) {
  static constexpr std::pair<std::string_view, Level> kLevels[] = {
      {"trace", Level::kTrace}, {"debug", Level::kDebug}, {"info", Level::kInfo},
      {"warn", Level::kWarn},   {"error", Level::kError}, {"off", Level::kOff}};
  for (const auto& [name, l] : kLevels) {
    if (s == name) return l;
  }
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view s) {
  if (s == "text") return Format::kText;
  if (s == "json") return Format::kJson;
  return std::nullopt;
}

std::string_view level_name(Level l) {
  static constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
  return kNames[static_cast<size_t>(l)];
}

Level access_level(const AccessRecord& r) {
  return r.status >= 500 || !r.fault.empty() || !r.ending.empty() ? Level::kWarn : Level::kInfo;
}

std::string format_access(const AccessRecord& r, Format f, std::string_view component, SystemTime at) {
  LineWriter w = head(f, access_level(r), component, at, "access");
  w.str("trace_id", r.trace_id).str("protocol", r.protocol).str("method", r.method).str("path", r.path);
  w.str("model", r.model).str("provider", r.provider).str("key_id", r.key_id);
  if (r.attempts > 0) w.num("attempts", std::to_string(r.attempts));
  w.num("status", std::to_string(r.status)).num("latency_ms", number(r.latency_ms));
  if (r.input_tokens + r.output_tokens > 0) {
    w.num("input_tokens", std::to_string(r.input_tokens)).num("output_tokens", std::to_string(r.output_tokens));
  }
  if (r.cost_usd) w.num("cost_usd", number(*r.cost_usd));
  w.str("error", r.error).str("error_detail", r.error_detail).str("fault", r.fault).str("ending", r.ending).str("outcome", r.outcome);
  return redact_secrets(std::move(w).take());  // key patterns and registered values
}

std::string format_event(Level l, std::string_view message, Format f, std::string_view component, SystemTime at) {
  LineWriter w = head(f, l, component, at, "message");
  w.str("message", message);
  return redact_secrets(std::move(w).take());  // key patterns and registered values
}

namespace {

// stderr, or `path` opened for appending (missing folders are made).
Result<std::shared_ptr<detail::LingerFdSink>> open_sink(const std::string& path, size_t max_lines) {
  if (path.empty()) return std::make_shared<detail::LingerFdSink>(STDERR_FILENO, false, max_lines);
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return InvalidRequestError("log file '" + path + "': cannot open (" + std::strerror(errno) + ")");
  return std::make_shared<detail::LingerFdSink>(fd, true, max_lines);
}

}  // namespace

struct Logger::Impl {
  std::shared_ptr<detail::LingerFdSink> sink;  // null: synchronous (ToStream)
  std::shared_ptr<spdlog::logger> log;
};

Logger::Logger(LogOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), level_(options_.level), impl_(std::move(impl)) {}

Logger::~Logger() {
  if (impl_->log) impl_->log->flush();
  impl_->log.reset();
  impl_->sink.reset();  // joins the writer thread after the waiting lines
}

Result<std::unique_ptr<Logger>> Logger::Open(const LogOptions& options) {
  auto impl = std::make_unique<Impl>();
  auto sink = open_sink(options.path, std::max<size_t>(options.queue, 16));
  if (!sink.ok()) return sink.status();
  impl->sink = *sink;
  impl->log = std::make_shared<spdlog::logger>(options.component, impl->sink);
  impl->log->set_level(spdlog::level::trace);
  return std::unique_ptr<Logger>(new Logger(options, std::move(impl)));
}

std::unique_ptr<Logger> Logger::ToStream(std::ostream& out, const LogOptions& options) {
  auto impl = std::make_unique<Impl>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out, /*force_flush=*/true);
  sink->set_pattern("%v");
  impl->log = std::make_shared<spdlog::logger>(options.component, sink);
  impl->log->set_level(spdlog::level::trace);
  return std::unique_ptr<Logger>(new Logger(options, std::move(impl)));
}

void Logger::write(Level l, std::string line) { impl_->log->log(spd_level(l), spdlog::string_view_t(line)); }

void Logger::access(const AccessRecord& r, SystemTime at) {
  const Level l = access_level(r);
  if (!enabled(l)) return;
  write(l, format_access(r, options_.format, options_.component, at));
}

void Logger::event(Level l, std::string_view message, SystemTime at) {
  if (!enabled(l) || l == Level::kOff) return;
  write(l, format_event(l, message, options_.format, options_.component, at));
}

void Logger::flush() { impl_->log->flush(); }

uint64_t Logger::dropped() const { return impl_->sink ? impl_->sink->dropped() : 0; }

}  // namespace ploke::logging
