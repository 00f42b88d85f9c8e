#include "ploke/core/status.h"

#include <cstdio>
#include <cstdlib>

#include "ploke/core/secret.h"

namespace ploke {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kRateLimited: return "rate_limited";
    case StatusCode::kOverloaded: return "overloaded";
    case StatusCode::kServerError: return "server_error";
    case StatusCode::kTimeout: return "timeout";
    case StatusCode::kConnectionReset: return "connection_reset";
    case StatusCode::kMalformedResponse: return "malformed_response";
    case StatusCode::kAuth: return "auth";
    case StatusCode::kPermission: return "permission";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kInvalidRequest: return "invalid_request";
    case StatusCode::kContextLengthExceeded: return "context_length_exceeded";
    case StatusCode::kContentFilter: return "content_filter";
    case StatusCode::kInsufficientCredits: return "insufficient_credits";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kStreamInterrupted: return "stream_interrupted";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string_view timeout_phase_name(TimeoutPhase phase) {
  switch (phase) {
    case TimeoutPhase::kNone: return "none";
    case TimeoutPhase::kConnect: return "connect";
    case TimeoutPhase::kFirstByte: return "first_byte";
    case TimeoutPhase::kIdle: return "idle";
    case TimeoutPhase::kTotal: return "total";
  }
  return "unknown";
}

RetryClass retry_class(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return RetryClass::kNone;
    case StatusCode::kRateLimited:
    case StatusCode::kOverloaded:
    case StatusCode::kServerError:
    case StatusCode::kTimeout:
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
      return RetryClass::kRetry;
    case StatusCode::kNotFound:
    case StatusCode::kContextLengthExceeded:
    case StatusCode::kContentFilter:
    case StatusCode::kInsufficientCredits:
    case StatusCode::kPermission:
    case StatusCode::kAuth:
      // Another provider (other key, other model) may serve it; this one will not.
      return RetryClass::kFallOver;
    case StatusCode::kInvalidRequest:
    case StatusCode::kCancelled:
    case StatusCode::kStreamInterrupted:  // content already reached the caller
    case StatusCode::kInternal:
      return RetryClass::kFatal;
  }
  return RetryClass::kFatal;
}

Status& Status::with_body_excerpt(std::string_view raw) & {
  constexpr size_t kMaxExcerpt = 512;
  std::string red = redact_secrets(raw);
  if (red.size() > kMaxExcerpt) {
    red.resize(kMaxExcerpt);
    red += "…";
  }
  body_excerpt_ = std::move(red);
  return *this;
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string out(status_code_name(code_));
  out += ": ";
  out += redact_secrets(message_);
  std::string ctx;
  auto add = [&ctx](const std::string& kv) {
    if (!ctx.empty()) ctx += ' ';
    ctx += kv;
  };
  if (!provider_.empty()) add("provider=" + provider_);
  if (http_status_ != 0) add("http=" + std::to_string(http_status_));
  if (retry_after_) add("retry_after=" + std::to_string(retry_after_->count()) + "ms");
  if (timeout_phase_ != TimeoutPhase::kNone) add("phase=" + std::string(timeout_phase_name(timeout_phase_)));
  if (code_ == StatusCode::kStreamInterrupted) {
    add("delivered_events=" + std::to_string(delivered_.events) +
        " delivered_chars=" + std::to_string(delivered_.content_chars));
  }
  if (should_retry_) add(std::string("should_retry=") + (*should_retry_ ? "true" : "false"));
  if (!ctx.empty()) out += " (" + ctx + ")";
  return out;
}

namespace {
Status make(StatusCode code, std::string_view msg) { return Status(code, redact_secrets(msg)); }
}  // namespace

Status RateLimitedError(std::string_view msg) { return make(StatusCode::kRateLimited, msg); }
Status OverloadedError(std::string_view msg) { return make(StatusCode::kOverloaded, msg); }
Status ServerError(std::string_view msg) { return make(StatusCode::kServerError, msg); }
Status TimeoutError(TimeoutPhase phase, std::string_view msg) {
  return make(StatusCode::kTimeout, msg).with_timeout_phase(phase);
}
Status ConnectionResetError(std::string_view msg) { return make(StatusCode::kConnectionReset, msg); }
Status MalformedResponseError(std::string_view msg) { return make(StatusCode::kMalformedResponse, msg); }
Status AuthError(std::string_view msg) { return make(StatusCode::kAuth, msg); }
Status PermissionError(std::string_view msg) { return make(StatusCode::kPermission, msg); }
Status NotFoundError(std::string_view msg) { return make(StatusCode::kNotFound, msg); }
Status InvalidRequestError(std::string_view msg) { return make(StatusCode::kInvalidRequest, msg); }
Status ContextLengthExceededError(std::string_view msg) { return make(StatusCode::kContextLengthExceeded, msg); }
Status ContentFilterError(std::string_view msg) { return make(StatusCode::kContentFilter, msg); }
Status InsufficientCreditsError(std::string_view msg) { return make(StatusCode::kInsufficientCredits, msg); }
Status CancelledError(std::string_view msg) { return make(StatusCode::kCancelled, msg); }
Status StreamInterruptedError(std::string_view msg, Delivered delivered) {
  return make(StatusCode::kStreamInterrupted, msg).with_delivered(delivered);
}
Status InternalError(std::string_view msg) { return make(StatusCode::kInternal, msg); }

namespace detail {
void assert_fail(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "PLOKE_ASSERT failed: %s at %s:%d\n", cond, file, line);
  std::abort();
}
}  // namespace detail

}  // namespace ploke
