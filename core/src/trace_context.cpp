// W3C Trace Context headers. See ploke/core/trace_context.h.
#include "ploke/core/trace_context.h"

#include <array>
#include <cstdint>

namespace ploke {
namespace {

// 1 for the lower-case hex digits. The checks below run over every byte without an early
// exit (a traceparent is checked several times per request: branch-free loops the
// compiler vectorises).
constexpr std::array<uint8_t, 256> kLowerHex = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = 1;
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = 1;
  return t;
}();

bool lower_hex(std::string_view s) {
  uint8_t ok = 1;
  for (char c : s) ok &= kLowerHex[static_cast<unsigned char>(c)];
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

std::string span_id_hex(uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kHex[v & 0xf];
  return out;
}

}  // namespace ploke
