// Anthropic error mapping and rate-limit headers. See ploke/adapters/anthropic/errors.h.
#include "json_guard.h"
#include "ploke/adapters/anthropic/errors.h"
#include "ploke/adapters/anthropic/adapter.h"

#include <charconv>
#include <chrono>
#include <string>

#include "internal.h"
#include "error_status.h"
#include "header_values.h"
#include "ploke/adapters/retry_after.h"

namespace ploke::adapters::anthropic {
namespace {

using detail::icontains;
using detail::json_text;
using detail::parse_u64;
using detail::trim;

using nlohmann::json;





bool context_message(std::string_view m) {
  return icontains(m, "prompt is too long") || icontains(m, "exceed context limit") ||
         icontains(m, "context window") || icontains(m, "context length");
}

/// The code for an error.type alone (in-band errors, and refinement of 4xx/5xx).
StatusCode code_for_type(const ErrorFields& f) {
  const std::string& t = f.type;
  if (t == "overloaded_error") return StatusCode::kOverloaded;
  if (t == "rate_limit_error") {
    return f.detail_code == "enforced_spend_limit_reached" ? StatusCode::kInsufficientCredits
                                                             : StatusCode::kRateLimited;
  }
  if (t == "invalid_request_error" || t == "request_too_large") {
    return context_message(f.message) ? StatusCode::kContextLengthExceeded : StatusCode::kInvalidRequest;
  }
  if (t == "authentication_error") return StatusCode::kAuth;
  if (t == "permission_error") return StatusCode::kPermission;
  if (t == "not_found_error") return StatusCode::kNotFound;
  if (t == "billing_error") return StatusCode::kInsufficientCredits;
  if (t == "timeout_error") return StatusCode::kTimeout;
  return StatusCode::kServerError;  // api_error and anything new
}

StatusCode classify(int s, const ErrorFields* f) {
  if (s == 0) return f != nullptr ? code_for_type(*f) : StatusCode::kServerError;
  const bool overloaded = f != nullptr && f->type == "overloaded_error";
  switch (s) {
    case 401: return StatusCode::kAuth;
    case 402: return StatusCode::kInsufficientCredits;
    case 403: return StatusCode::kPermission;
    case 404: return StatusCode::kNotFound;
    case 408: return StatusCode::kTimeout;
    case 409: return StatusCode::kServerError;
    case 429:
      return (f != nullptr && f->detail_code == "enforced_spend_limit_reached") ? StatusCode::kInsufficientCredits
                                                                                : StatusCode::kRateLimited;
    case 503:
    case 529: return StatusCode::kOverloaded;
    default: break;
  }
  if (s >= 500) return overloaded ? StatusCode::kOverloaded : StatusCode::kServerError;
  if (s >= 400) {
    if (f != nullptr && context_message(f->message)) return StatusCode::kContextLengthExceeded;
    return StatusCode::kInvalidRequest;
  }
  return StatusCode::kServerError;  // 1xx/2xx/3xx reaching the error path
}

std::string describe(int http_status, const ErrorFields* f, std::string_view request_id) {
  std::string msg = http_status == 0 ? std::string("in-band error") : "HTTP " + std::to_string(http_status);
  std::string detail;
  auto add = [&](std::string_view k, std::string_view v) {
    if (v.empty()) return;
    if (!detail.empty()) detail += ", ";
    detail.append(k).append("=").append(v);
  };
  if (f == nullptr) {
    msg += " (no JSON error body)";
  } else {
    msg += ": ";
    msg += f->message.empty() ? std::string("(no message)") : f->message;
    add("type", f->type);
    add("error_code", f->detail_code);
  }
  add("request_id", request_id);
  if (!detail.empty()) msg += " (" + detail + ")";
  return msg;
}

}  // namespace


ErrorFields extract_error_fields(const json& error) {
  ErrorFields f;
  if (!detail::read_error_message_and_type(error, f.message, f.type)) return f;
  if (auto d = error.find("details"); d != error.end() && d->is_object()) {
    if (auto c = d->find("error_code"); c != d->end()) f.detail_code = json_text(*c);
  }
  return f;
}

Status make_error_status(int http_status, const ErrorFields* fields, std::string_view raw_body,
                         const Headers& headers, std::string_view provider, std::string_view request_id) {
  const StatusCode code = classify(http_status, fields);
  const std::string msg = describe(http_status, fields, request_id);
  return detail::provider_error_status(code, msg, http_status, raw_body, headers, provider);
}


std::optional<SystemTime> parse_rfc3339(std::string_view text) {
  std::string_view s = trim(text);
  // YYYY-MM-DDTHH:MM:SS
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
    if (ec != std::errc() || p != s.data() + pos + len) return std::nullopt;
    return v;
  };
  auto year = num(0, 4), month = num(5, 2), day = num(8, 2), hh = num(11, 2), mm = num(14, 2), ss = num(17, 2);
  if (!year || !month || !day || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60) return std::nullopt;
  // SystemTime counts nanoseconds in an int64: only 1677..2262 fit. A reset time is near now.
  if (*year < 1970 || *year > 2200) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  size_t i = 19;
  Duration frac{0};
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100'000'000;  // ns per first fractional digit
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac += Duration(static_cast<int64_t>(s[i] - '0') * scale);
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;  // the offset is required
  std::chrono::minutes offset{0};
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    if (s.size() != i + 6 || s[i + 3] != ':') return std::nullopt;
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = std::chrono::minutes(*oh * 60 + *om);
    if (s[i] == '-') offset = -offset;
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(*hh) + std::chrono::minutes(*mm) +
                  std::chrono::seconds(*ss) - offset;
  return SystemTime(std::chrono::duration_cast<Duration>(tp.time_since_epoch()) + frac);
}

AnthropicRateLimitInfo parse_anthropic_rate_limit_headers(const Headers& headers) {
  auto family = [&](std::string_view name) {
    AnthropicLimit l;
    const std::string base = "anthropic-ratelimit-" + std::string(name) + "-";
    if (auto v = headers.get(base + "limit")) l.limit = parse_u64(*v);
    if (auto v = headers.get(base + "remaining")) l.remaining = parse_u64(*v);
    if (auto v = headers.get(base + "reset")) l.reset = parse_rfc3339(*v);
    return l;
  };
  AnthropicRateLimitInfo info;
  info.requests = family("requests");
  info.tokens = family("tokens");
  info.input_tokens = family("input-tokens");
  info.output_tokens = family("output-tokens");
  return info;
}

Status map_anthropic_error(int http_status, std::string_view body, const Headers& headers,
                           std::string_view provider) {
  std::string request_id;
  if (auto rid = headers.get("request-id")) request_id = std::string(*rid);
  json doc = ploke::adapters::detail::check_json_input(body).ok()
                 ? json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false)
                 : json(json::value_t::discarded);
  if (!doc.is_discarded() && doc.is_object()) {
    if (request_id.empty()) {
      if (auto it = doc.find("request_id"); it != doc.end() && it->is_string()) request_id = it->get<std::string>();
    }
    if (auto it = doc.find("error"); it != doc.end() && !it->is_null()) {
      const ErrorFields f = extract_error_fields(*it);
      return make_error_status(http_status, &f, body, headers, provider, request_id);
    }
  }
  return make_error_status(http_status, nullptr, body, headers, provider, request_id);
}

namespace {

std::optional<Duration> until(const std::optional<SystemTime>& reset, SystemTime system_now) {
  if (!reset) return std::nullopt;
  const Duration left = *reset - system_now;
  return left.count() > 0 ? left : Duration(0);
}

}  // namespace

RateLimitObservation AnthropicAdapter::observe_rate_limits(const Headers& headers, SystemTime system_now) const {
  const AnthropicRateLimitInfo rl = parse_anthropic_rate_limit_headers(headers);
  RateLimitObservation o;
  o.limit_requests = rl.requests.limit;
  o.remaining_requests = rl.requests.remaining;
  o.reset_requests = until(rl.requests.reset, system_now);
  o.limit_tokens = rl.tokens.limit;
  o.remaining_tokens = rl.tokens.remaining;
  o.reset_tokens = until(rl.tokens.reset, system_now);
  if (auto ra = parse_retry_after(headers, system_now)) o.retry_after = Duration(*ra);
  return o;
}

}  // namespace ploke::adapters::anthropic
