#include "ploke/core/base64.h"

#include <array>
#include <cstdint>

namespace ploke {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kTable = make_table();
}  // namespace

char* base64_write(char* dest, std::string_view bytes) {
  char* p = dest;
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    p[0] = kAlphabet[(n >> 18) & 63];
    p[1] = kAlphabet[(n >> 12) & 63];
    p[2] = kAlphabet[(n >> 6) & 63];
    p[3] = kAlphabet[n & 63];
    p += 4;
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return p;
  const uint32_t n = (uint32_t{in[i]} << 16) | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0u);
  p[0] = kAlphabet[(n >> 18) & 63];
  p[1] = kAlphabet[(n >> 12) & 63];
  p[2] = rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
  p[3] = '=';
  return p + 4;
}

void base64_append(std::string& out, std::string_view bytes) {
  const size_t from = out.size();
  out.resize(from + base64_size(bytes.size()));
  base64_write(out.data() + from, bytes);
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_append(out, bytes);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=') {
        // Padding only in the last quartet, only in positions 2-3, and nothing after it.
        if (i + 4 != text.size() || k < 2) return std::nullopt;
        v[k] = 0;
        ++pad;
      } else {
        if (pad > 0) return std::nullopt;
        v[k] = kTable[static_cast<unsigned char>(c)];
        if (v[k] < 0) return std::nullopt;
      }
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

}  // namespace ploke
