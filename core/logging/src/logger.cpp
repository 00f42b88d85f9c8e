// Structured logs over spdlog. See ploke/logging/logger.h.
#include "ploke/logging/logger.h"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "ploke/core/secret.h"
#include "ploke/json/escape.h"

namespace ploke::logging {
namespace {

// 2026-12-05T01:02:03.456Z
std::string iso_utc(SystemTime at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// key=value pairs (logfmt: values with spaces, quotes or '=' quoted) or one JSON object.
class LineWriter {
 public:
  explicit LineWriter(Format f) : json_(f == Format::kJson) {
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

// The writer thread's sink: lines gather in a buffer that leaves in one write(2) once no
// line is queued behind them (or 64 KiB wait), so a busy server pays one syscall per batch
// instead of one per line, and an idle one still writes each line at once.
class BatchingFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BatchingFdSink(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~BatchingFdSink() override {
    write_out();
    if (owned_) ::close(fd_);
  }
  /// The pool whose (only) writer thread calls this sink; it outlives every call.
  void set_pool(spdlog::details::thread_pool* pool) { pool_ = pool; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    buf_.append(msg.payload.data(), msg.payload.size());
    buf_.push_back('\n');
    if (buf_.size() >= (64u << 10) || pool_ == nullptr || pool_->queue_size() == 0) write_out();
  }
  void flush_() override { write_out(); }

 private:
  void write_out() {
    size_t done = 0;
    while (done < buf_.size()) {
      const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a log that cannot be written drops the batch, never the server
      done += static_cast<size_t>(n);
    }
    buf_.clear();
  }
  int fd_;
  bool owned_;
  std::string buf_;
  spdlog::details::thread_pool* pool_ = nullptr;
};

// stderr, or `path` opened for appending (missing folders are made).
Result<std::shared_ptr<BatchingFdSink>> open_sink(const std::string& path) {
  if (path.empty()) return std::make_shared<BatchingFdSink>(STDERR_FILENO, false);
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return InvalidRequestError("log file '" + path + "': cannot open (" + std::strerror(errno) + ")");
  return std::make_shared<BatchingFdSink>(fd, true);
}

}  // namespace

struct Logger::Impl {
  std::shared_ptr<spdlog::details::thread_pool> pool;  // null: synchronous
  std::shared_ptr<spdlog::logger> log;
};

Logger::Logger(LogOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), level_(options_.level), impl_(std::move(impl)) {}

Logger::~Logger() {
  if (impl_->log) impl_->log->flush();
  impl_->log.reset();
  impl_->pool.reset();  // joins the writer thread after the queued lines
}

Result<std::unique_ptr<Logger>> Logger::Open(const LogOptions& options) {
  auto impl = std::make_unique<Impl>();
  auto sink = open_sink(options.path);
  if (!sink.ok()) return sink.status();
  try {
    (*sink)->set_pattern("%v");
    impl->pool = std::make_shared<spdlog::details::thread_pool>(std::max<size_t>(options.queue, 16), 1);
    (*sink)->set_pool(impl->pool.get());
    impl->log = std::make_shared<spdlog::async_logger>(options.component, *sink, impl->pool,
                                                       spdlog::async_overflow_policy::overrun_oldest);
  } catch (const std::exception& e) {
    return InvalidRequestError("log file '" + options.path + "': cannot open (" + e.what() + ")");
  }
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

uint64_t Logger::dropped() const { return impl_->pool ? impl_->pool->overrun_counter() : 0; }

}  // namespace ploke::logging
