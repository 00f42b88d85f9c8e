// File: ploke/core/status.h
//
// Status and Result<T>: errors as values at every module boundary.
//
// A Status is either OK or carries a StatusCode whose meaning includes what a
// caller may do about it (retry, fall over, give up). Retry, routing and
// circuit-breaker policy decide on codes only, never on raw HTTP: adapters map a
// provider's status line, body and headers onto a code once (see
// ploke/adapters/openai_errors.h).
//
// Thread-safety: Status and Result are values; const access is safe from any
// thread, mutation needs external synchronisation.
//
// Example:
//   Result<ChatResponse> r = client.complete(req);
//   if (!r.ok()) { if (is_retryable(r.status().code())) ...; }
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ploke {

/// The error codes. Each comment states the retry meaning; see retry_class().
enum class StatusCode : uint8_t {
  kOk = 0,
  kRateLimited,             ///< 429: retry after retry_after (or backoff).
  kOverloaded,              ///< 529 / "overloaded": retry with backoff, prefer another provider.
  kServerError,             ///< 5xx: retry with backoff.
  kTimeout,                 ///< see TimeoutPhase; retry (the attempt may have been processed).
  kConnectionReset,         ///< RST / EOF before a complete response: retry.
  kMalformedResponse,       ///< unparsable body or stream: retry once, then fall over.
  kAuth,                    ///< 401: never retry; fix credentials.
  kPermission,              ///< 403: never retry.
  kNotFound,                ///< 404 (unknown model, no endpoint): fall over, never retry same.
  kInvalidRequest,          ///< 400/422: never retry; the request is wrong.
  kContextLengthExceeded,   ///< 400 context_length_exceeded: fall over to a longer-context model.
  kContentFilter,           ///< refused by moderation: never retry same.
  kInsufficientCredits,     ///< 402 / insufficient_quota: never retry; fall over.
  kCancelled,               ///< the caller cancelled: never retry.
  kStreamInterrupted,       ///< stream failed after content reached the caller; see delivered.
  kInternal,                ///< a bug or impossible state inside ploke-sim.
};

/// Which phase of a call ran out of time (for kTimeout).
enum class TimeoutPhase : uint8_t { kNone, kConnect, kFirstByte, kIdle, kTotal };

/// What a caller may do about a failed attempt.
enum class RetryClass : uint8_t {
  kNone,           ///< success, nothing to do
  kRetry,          ///< transient: retry with backoff (honour retry_after when set)
  kFallOver,       ///< this provider/model cannot serve it: try another, do not retry here
  kFatal,          ///< the request or the caller is at fault: surface to the caller
};

std::string_view status_code_name(StatusCode code);
std::string_view timeout_phase_name(TimeoutPhase phase);
RetryClass retry_class(StatusCode code);
inline bool is_retryable(StatusCode code) { return retry_class(code) == RetryClass::kRetry; }

/// How much of a stream reached the caller before it failed (kStreamInterrupted).
struct Delivered {
  uint64_t events = 0;        ///< stream events handed to the caller
  uint64_t content_chars = 0; ///< bytes of text content handed to the caller
  uint64_t tool_call_fragments = 0;
  friend bool operator==(const Delivered&, const Delivered&) = default;
};

/// An error (or OK). Cheap to copy when OK; carries provider context otherwise.
class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Provider context. All optional; set by adapters and transports.
  const std::string& provider() const { return provider_; }
  int http_status() const { return http_status_; }
  /// A redacted excerpt (≤ 512 bytes) of the raw body that caused the error.
  const std::string& body_excerpt() const { return body_excerpt_; }
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  TimeoutPhase timeout_phase() const { return timeout_phase_; }
  const Delivered& delivered() const { return delivered_; }
  /// Provider's explicit retry hint (x-should-retry), if it sent one.
  std::optional<bool> should_retry() const { return should_retry_; }

  Status& with_provider(std::string p) & { provider_ = std::move(p); return *this; }
  Status&& with_provider(std::string p) && { provider_ = std::move(p); return std::move(*this); }
  Status& with_http_status(int s) & { http_status_ = s; return *this; }
  Status&& with_http_status(int s) && { http_status_ = s; return std::move(*this); }
  /// Stores a redacted, truncated copy of `raw`.
  Status& with_body_excerpt(std::string_view raw) &;
  Status&& with_body_excerpt(std::string_view raw) && { with_body_excerpt(raw); return std::move(*this); }
  Status& with_retry_after(std::chrono::milliseconds d) & { retry_after_ = d; return *this; }
  Status&& with_retry_after(std::chrono::milliseconds d) && { retry_after_ = d; return std::move(*this); }
  Status& with_timeout_phase(TimeoutPhase p) & { timeout_phase_ = p; return *this; }
  Status&& with_timeout_phase(TimeoutPhase p) && { timeout_phase_ = p; return std::move(*this); }
  Status& with_delivered(Delivered d) & { delivered_ = d; return *this; }
  Status&& with_delivered(Delivered d) && { delivered_ = d; return std::move(*this); }
  Status& with_should_retry(bool b) & { should_retry_ = b; return *this; }
  Status&& with_should_retry(bool b) && { should_retry_ = b; return std::move(*this); }

  /// "rate_limited: message (provider=openai http=429 retry_after=250ms)". Never contains a
  /// secret: message and excerpt are redacted when set through the factories below.
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string provider_;
  int http_status_ = 0;
  std::string body_excerpt_;
  std::optional<std::chrono::milliseconds> retry_after_;
  TimeoutPhase timeout_phase_ = TimeoutPhase::kNone;
  Delivered delivered_;
  std::optional<bool> should_retry_;
};

// Factories. Messages pass through redact_secrets().
Status RateLimitedError(std::string_view msg);
Status OverloadedError(std::string_view msg);
Status ServerError(std::string_view msg);
Status TimeoutError(TimeoutPhase phase, std::string_view msg);
Status ConnectionResetError(std::string_view msg);
Status MalformedResponseError(std::string_view msg);
Status AuthError(std::string_view msg);
Status PermissionError(std::string_view msg);
Status NotFoundError(std::string_view msg);
Status InvalidRequestError(std::string_view msg);
Status ContextLengthExceededError(std::string_view msg);
Status ContentFilterError(std::string_view msg);
Status InsufficientCreditsError(std::string_view msg);
Status CancelledError(std::string_view msg);
Status StreamInterruptedError(std::string_view msg, Delivered delivered);
Status InternalError(std::string_view msg);

/// A value or an error. REQUIRES: constructed from a non-OK Status when holding an error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                     // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {               // NOLINT(implicit)
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "Result from OK status");
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ploke

#define PLOKE_CONCAT_INNER_(a, b) a##b
#define PLOKE_CONCAT_(a, b) PLOKE_CONCAT_INNER_(a, b)

/// Returns the Status from the enclosing function if `expr` is not OK.
#define PLOKE_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::ploke::Status _ploke_st = (expr);        \
    if (!_ploke_st.ok()) return _ploke_st;     \
  } while (0)

/// `PLOKE_ASSIGN_OR_RETURN(auto x, MakeX());`
#define PLOKE_ASSIGN_OR_RETURN(lhs, expr) \
  PLOKE_ASSIGN_OR_RETURN_IMPL_(PLOKE_CONCAT_(_ploke_r_, __LINE__), lhs, expr)
#define PLOKE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

/// Invariant check that stays on in every build (bugs, not world errors).
#define PLOKE_ASSERT(cond)                                                    \
  do {                                                                        \
    if (!(cond)) ::ploke::detail::assert_fail(#cond, __FILE__, __LINE__);    \
  } while (0)

namespace ploke::detail {
[[noreturn]] void assert_fail(const char* cond, const char* file, int line);
}
