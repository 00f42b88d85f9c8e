// W3C Trace Context headers. See ploke/core/trace_context.h.
#include "ploke/core/trace_context.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace ploke {
namespace {

// 1 for the lower-case hex digits (the tail of a string shorter than a word).
constexpr std::array<uint8_t, 256> kLowerHex = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = 1;
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = 1;
  return t;
}();

// The high bit of each byte of `x` that is not a lower-case hex digit, eight bytes at
// once: a byte below 0x80 plus (0x80 - bound) sets its high bit exactly when it is at
// least `bound`, with no carry into the next byte. A traceparent is checked several times
// per request; this is a few instructions per word where a table costs one load per byte.
constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
constexpr uint64_t at_least(uint64_t low7, uint8_t bound) { return (low7 + kOnes * (0x80u - bound)) & kHigh; }
constexpr uint64_t not_hex_bytes(uint64_t x) {
  const uint64_t low7 = x & ~kHigh;
  const uint64_t digit = at_least(low7, '0') & ~at_least(low7, '9' + 1);
  const uint64_t letter = at_least(low7, 'a') & ~at_least(low7, 'f' + 1);
  return ~(digit | letter) | (x & kHigh);
}
static_assert((not_hex_bytes(0x3039616630396166ULL) & kHigh) == 0);  // "09af09af"
static_assert((not_hex_bytes(0x2f3a606730396166ULL) & kHigh) == 0x8080808000000000ULL);  // "/:`g" + "09af"

bool lower_hex(std::string_view s) {
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    bad |= not_hex_bytes(w);
  }
  uint8_t ok = (bad & kHigh) == 0 ? 1 : 0;
  for (; i < s.size(); ++i) ok &= kLowerHex[static_cast<unsigned char>(s[i])];
  return ok != 0;
}

bool all_zeros(std::string_view s) {
  uint8_t any = 0;
  for (char c : s) any |= static_cast<uint8_t>(c ^ '0');
  return any == 0;
}

}  // namespace

bool valid_traceparent(std::string_view v) {
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  const std::string_view version = v.substr(0, 2), trace = v.substr(3, 32), parent = v.substr(36, 16),
                         flags = v.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace) || !lower_hex(parent) || !lower_hex(flags)) return false;
  if (all_zeros(trace) || all_zeros(parent)) return false;
  if (version == "00") return v.size() == 55;
  return v.size() == 55 || v[55] == '-';
}

void add_trace_context(Headers& headers, std::string_view traceparent, std::string_view tracestate) {
  if (!valid_traceparent(traceparent)) return;
  headers.add("traceparent", std::string(traceparent));
  if (!tracestate.empty() && tracestate.size() <= 512) headers.add("tracestate", std::string(tracestate));
}

std::string child_traceparent(std::string_view parent, std::string_view span_id) {
  if (!valid_traceparent(parent) || span_id.size() != 16 || !lower_hex(span_id) || all_zeros(span_id)) return {};
  std::string out = "00-";
  out.append(parent.substr(3, 32)).push_back('-');
  out.append(span_id).push_back('-');
  out.append(parent.substr(53, 2));
  return out;
}

void span_id_hex(uint64_t v, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kHex[v & 0xf];
}

std::string span_id_hex(uint64_t v) {
  std::string out(16, '0');
  span_id_hex(v, out.data());
  return out;
}

}  // namespace ploke
