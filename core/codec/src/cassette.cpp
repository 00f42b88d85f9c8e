#include "ploke/codec/cassette.h"

#include <cstdio>

namespace ploke::codec {

std::string_view body_encoding_name(BodyEncoding e) {
  switch (e) {
    case BodyEncoding::kEmpty: return "empty";
    case BodyEncoding::kJson: return "json";
    case BodyEncoding::kText: return "text";
    case BodyEncoding::kBase64: return "base64";
  }
  return "empty";
}

std::optional<BodyEncoding> body_encoding_from_name(std::string_view name) {
  if (name == "empty") return BodyEncoding::kEmpty;
  if (name == "json") return BodyEncoding::kJson;
  if (name == "text") return BodyEncoding::kText;
  if (name == "base64") return BodyEncoding::kBase64;
  return std::nullopt;
}

std::string RecordedResponse::body_bytes() const {
  if (!streamed) return body.bytes;
  std::string out;
  size_t n = 0;
  for (const auto& c : chunks) n += c.data.size();
  out.reserve(n);
  for (const auto& c : chunks) out += c.data;
  return out;
}

namespace {

// Howard Hinnant's civil_from_days: days since 1970-01-01 → y/m/d (proleptic Gregorian).
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void url_encode_to(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

}  // namespace

std::string format_rfc3339_utc(SystemTime t) {
  const auto ms_total =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  int64_t days = ms_total / 86'400'000;
  int64_t ms_of_day = ms_total % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(days, &y, &m, &d);
  const int64_t secs = ms_of_day / 1000;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>((secs / 60) % 60), static_cast<long long>(secs % 60),
                static_cast<long long>(ms_of_day % 1000));
  return buf;
}

std::pair<std::string, QueryParams> split_path_query(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {std::string(target), {}};
  QueryParams params;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        params.emplace_back(url_decode(part), "");
      } else {
        params.emplace_back(url_decode(part.substr(0, eq)), url_decode(part.substr(eq + 1)));
      }
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {std::string(target.substr(0, q)), std::move(params)};
}

std::string encode_query(const QueryParams& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out.push_back('&');
    url_encode_to(k, &out);
    out.push_back('=');
    url_encode_to(v, &out);
  }
  return out;
}

}  // namespace ploke::codec
