// Header values and the retry delay shared by every protocol package. See
// ploke/adapters/retry_after.h and header_values.h.
#include "header_values.h"
#include "ploke/adapters/retry_after.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "ploke/core/transport.h"

namespace ploke::adapters {
namespace detail {

using nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string json_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump();
}

bool read_error_message_and_type(const json& error, std::string& message, std::string& type) {
  if (error.is_string()) {
    message = error.get<std::string>();
    return false;
  }
  if (!error.is_object()) {
    message = error.dump();
    return false;
  }
  if (auto it = error.find("message"); it != error.end()) message = json_text(*it);
  if (auto it = error.find("type"); it != error.end()) type = json_text(*it);
  return true;
}

std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<SystemTime> parse_http_date(std::string_view s) {
  s = trim(s);
  if (s.size() != 29 || s[3] != ',' || s.substr(26) != "GMT") return std::nullopt;
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto num = [&](size_t pos, size_t len) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
    if (ec != std::errc() || p != s.data() + pos + len) return std::nullopt;
    return v;
  };
  auto day = num(5, 2), year = num(12, 4), hh = num(17, 2), mm = num(20, 2), ss = num(23, 2);
  int month = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  if (!day || !year || !hh || !mm || !ss || month == 0) return std::nullopt;
  // SystemTime counts nanoseconds in an int64: only 1677..2262 fit. A retry date is near now.
  if (*year < 1970 || *year > 2200) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  const auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(*hh) + std::chrono::minutes(*mm) +
                  std::chrono::seconds(*ss);
  return SystemTime(std::chrono::duration_cast<Duration>(tp.time_since_epoch()));
}

}  // namespace detail

using detail::parse_double;
using detail::parse_http_date;

// The longest delay kept: 10^12 ms (about 31 years). A Duration counts nanoseconds in an
// int64, so this still fits with room to add it to any clock's time point; past it a
// header is absurd and ignored.
constexpr double kMaxRetryAfterMs = 1e12;

std::optional<std::chrono::milliseconds> parse_retry_after(const Headers& headers,
                                                           std::optional<SystemTime> now) {
  if (auto ms = headers.get("retry-after-ms")) {
    if (auto v = parse_double(*ms); v && *v >= 0 && *v < kMaxRetryAfterMs) {
      return std::chrono::milliseconds(static_cast<int64_t>(std::llround(*v)));
    }
  }
  if (auto ra = headers.get("retry-after")) {
    if (auto v = parse_double(*ra)) {
      if (*v >= 0 && *v * 1000 < kMaxRetryAfterMs) return std::chrono::milliseconds(static_cast<int64_t>(std::llround(*v * 1000)));
      return std::nullopt;
    }
    if (now) {
      if (auto when = parse_http_date(*ra)) {
        const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(*when - *now);
        return d.count() < 0 ? std::chrono::milliseconds(0) : d;
      }
    }
  }
  return std::nullopt;
}

}  // namespace ploke::adapters
