// OpenAI error mapping and header parsing. See ploke/adapters/openai/errors.h.
#include "json_guard.h"
#include "ploke/adapters/openai/errors.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string>

#include "error_status.h"
#include "header_values.h"
#include "ploke/adapters/openai/adapter.h"
#include "internal.h"

namespace ploke::adapters::openai {
namespace {

using detail::icontains;
using detail::json_text;
using detail::parse_double;
using detail::parse_u64;
using detail::trim;

using nlohmann::json;




StatusCode classify(int http_status, const openai::ErrorFields* f) {
  auto has = [&](std::string_view id) {
    return f != nullptr && (iequals(f->code, id) || iequals(f->type, id) || iequals(f->metadata_error_type, id));
  };
  const bool quota = has("insufficient_quota") || has("payment_required");
  const bool context = has("context_length_exceeded");
  const bool filter = has("content_filter") || has("content_policy_violation") ||
                      has("moderation_blocked") || has("content_filtered") || has("refusal");
  const bool overloaded = has("overloaded_error") || has("provider_overloaded") || has("overloaded") ||
                          (f != nullptr && icontains(f->message, "overloaded"));
  int s = http_status;
  if (s == 0 && f != nullptr && f->numeric_code && *f->numeric_code >= 100 && *f->numeric_code <= 599) {
    s = *f->numeric_code;
  }
  if (s == 0) {  // in-band error without a status: decide by code/type only
    if (quota) return StatusCode::kInsufficientCredits;
    if (context) return StatusCode::kContextLengthExceeded;
    if (filter) return StatusCode::kContentFilter;
    if (overloaded) return StatusCode::kOverloaded;
    if (has("rate_limit_exceeded") || has("rate_limit_error") || has("tokens") || has("requests")) {
      return StatusCode::kRateLimited;
    }
    if (has("invalid_request_error")) return StatusCode::kInvalidRequest;
    if (has("authentication_error") || has("invalid_api_key")) return StatusCode::kAuth;
    return StatusCode::kServerError;
  }
  switch (s) {
    case 429: return quota ? StatusCode::kInsufficientCredits : StatusCode::kRateLimited;
    case 401: return StatusCode::kAuth;
    case 402: return StatusCode::kInsufficientCredits;
    case 403: return filter ? StatusCode::kContentFilter : StatusCode::kPermission;
    case 404: return StatusCode::kNotFound;
    case 408: return StatusCode::kTimeout;
    case 409: return StatusCode::kServerError;
    case 503:
    case 529: return StatusCode::kOverloaded;
    default: break;
  }
  if (s >= 500) return overloaded ? StatusCode::kOverloaded : StatusCode::kServerError;
  if (s >= 400) {
    if (context) return StatusCode::kContextLengthExceeded;
    if (filter) return StatusCode::kContentFilter;
    if (quota) return StatusCode::kInsufficientCredits;
    return StatusCode::kInvalidRequest;
  }
  return StatusCode::kServerError;  // 1xx/2xx/3xx reaching the error path: unexpected
}

std::string describe(int http_status, const openai::ErrorFields* f) {
  std::string msg = http_status == 0 ? std::string("in-band error") : "HTTP " + std::to_string(http_status);
  if (f == nullptr) return msg + " (no JSON error body)";
  msg += ": ";
  msg += f->message.empty() ? std::string("(no message)") : f->message;
  std::string detail;
  auto add = [&](std::string_view k, const std::string& v) {
    if (v.empty()) return;
    if (!detail.empty()) detail += ", ";
    detail.append(k).append("=").append(v);
  };
  add("type", f->type);
  add("code", f->code);
  add("param", f->param);
  add("error_type", f->metadata_error_type);
  if (!detail.empty()) msg += " (" + detail + ")";
  return msg;
}

}  // namespace



bool truthy(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return false;
    case json::value_t::boolean: return v.get<bool>();
    case json::value_t::string: return !v.get_ref<const std::string&>().empty();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return v.get<double>() != 0.0;
    default: return true;  // objects and arrays are truthy in JS, even when empty
  }
}

ErrorFields extract_error_fields(const json& error) {
  ErrorFields f;
  if (!detail::read_error_message_and_type(error, f.message, f.type)) return f;
  if (auto it = error.find("param"); it != error.end()) f.param = json_text(*it);
  if (auto it = error.find("code"); it != error.end()) {
    f.code = json_text(*it);
    if (it->is_number_integer()) f.numeric_code = it->get<int>();
  }
  if (auto md = error.find("metadata"); md != error.end() && md->is_object()) {
    if (auto et = md->find("error_type"); et != md->end()) f.metadata_error_type = json_text(*et);
  }
  return f;
}

Status make_error_status(int http_status, const ErrorFields* fields, std::string_view raw_body,
                         const Headers& headers, std::string_view provider) {
  const StatusCode code = classify(http_status, fields);
  const std::string msg = describe(http_status, fields);
  return detail::provider_error_status(code, msg, http_status, raw_body, headers, provider);
}


std::optional<Duration> parse_go_duration(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty() || s.front() == '-') return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  if (auto bare = parse_double(s)) {
    if (!std::isfinite(*bare) || *bare < 0 || *bare > 9e9) return std::nullopt;  // int64 nanoseconds
    return Duration(static_cast<int64_t>(std::llround(*bare * 1e9)));
  }
  if (s == "0") return Duration(0);
  double total_ns = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
    if (n == 0) return std::nullopt;
    auto value = parse_double(s.substr(0, n));
    if (!value) return std::nullopt;
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && !((s[u] >= '0' && s[u] <= '9') || s[u] == '.')) ++u;
    const std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    double scale = 0;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else return std::nullopt;
    total_ns += *value * scale;
  }
  if (!std::isfinite(total_ns) || total_ns > 9e18) return std::nullopt;
  return Duration(static_cast<int64_t>(std::llround(total_ns)));
}


RateLimitInfo parse_openai_rate_limit_headers(const Headers& headers) {
  RateLimitInfo info;
  auto u64 = [&](std::string_view name) -> std::optional<uint64_t> {
    auto v = headers.get(name);
    return v ? parse_u64(*v) : std::nullopt;
  };
  auto dur = [&](std::string_view name) -> std::optional<Duration> {
    auto v = headers.get(name);
    return v ? parse_go_duration(*v) : std::nullopt;
  };
  info.limit_requests = u64("x-ratelimit-limit-requests");
  info.limit_tokens = u64("x-ratelimit-limit-tokens");
  info.remaining_requests = u64("x-ratelimit-remaining-requests");
  info.remaining_tokens = u64("x-ratelimit-remaining-tokens");
  info.reset_requests = dur("x-ratelimit-reset-requests");
  info.reset_tokens = dur("x-ratelimit-reset-tokens");
  return info;
}

Status map_openai_error(int http_status, std::string_view body, const Headers& headers,
                        std::string_view provider) {
  json doc = ploke::adapters::detail::check_json_input(body).ok()
                 ? json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false)
                 : json(json::value_t::discarded);
  if (!doc.is_discarded() && doc.is_object()) {
    if (auto it = doc.find("error"); it != doc.end() && openai::truthy(*it)) {
      const openai::ErrorFields f = openai::extract_error_fields(*it);
      return openai::make_error_status(http_status, &f, body, headers, provider);
    }
    // Some servers put message/type/code at the top level.
    if (doc.contains("message") || doc.contains("code")) {
      const openai::ErrorFields f = openai::extract_error_fields(doc);
      return openai::make_error_status(http_status, &f, body, headers, provider);
    }
  }
  return openai::make_error_status(http_status, nullptr, body, headers, provider);
}

RateLimitObservation OpenAiAdapter::observe_rate_limits(const Headers& headers, SystemTime system_now) const {
  const RateLimitInfo rl = parse_openai_rate_limit_headers(headers);
  RateLimitObservation o;
  o.limit_requests = rl.limit_requests;
  o.remaining_requests = rl.remaining_requests;
  o.limit_tokens = rl.limit_tokens;
  o.remaining_tokens = rl.remaining_tokens;
  o.reset_requests = rl.reset_requests;
  o.reset_tokens = rl.reset_tokens;
  if (auto ra = parse_retry_after(headers, system_now)) o.retry_after = Duration(*ra);
  return o;
}

}  // namespace ploke::adapters::openai
