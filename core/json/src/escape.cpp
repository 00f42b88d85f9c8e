// The one JSON string escaper (the rule is in escape.h).
#include "ploke/json/escape.h"

#include "ploke/json/utf8.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace ploke::json {
namespace {

// The escape of each byte below 0x20, and of " and \ (by their own index).
struct Escape {
  char text[7];
  uint8_t len;
};

constexpr std::array<Escape, 128> kEscapes = [] {
  std::array<Escape, 128> t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int c = 0; c < 0x20; ++c) t[c] = {{'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15], 0}, 6};
  t['\b'] = {{'\\', 'b'}, 2};
  t['\f'] = {{'\\', 'f'}, 2};
  t['\n'] = {{'\\', 'n'}, 2};
  t['\r'] = {{'\\', 'r'}, 2};
  t['\t'] = {{'\\', 't'}, 2};
  t['"'] = {{'\\', '"'}, 2};
  t['\\'] = {{'\\', '\\'}, 2};
  return t;
}();

}  // namespace

size_t utf8_sequence(std::string_view s, size_t i) {
  const int k = scan_utf8(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i);
  return k > 0 ? static_cast<size_t>(k) : 0;
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) != 0) break;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const int k = scan_utf8(p + i, n - i);
    if (k < 0) return false;
    i += static_cast<size_t>(k);
  }
  return true;
}

void append_escaped(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // start of the pending run of bytes copied as they are
  size_t i = next_string_special(p, 0, n);
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      do {  // a run of non-ASCII characters (CJK text is all of them)
        const int k = scan_utf8(p + i, n - i);
        if (k > 0) {
          i += static_cast<size_t>(k);
        } else {
          out.append(s.data() + run, i - run);
          out.append("\xEF\xBF\xBD", 3);
          i += static_cast<size_t>(-k);
          run = i;
        }
      } while (i < n && p[i] >= 0x80);
      i = next_string_special(p, i, n);
      continue;
    }
    out.append(s.data() + run, i - run);
    const Escape& e = kEscapes[c];
    if (e.len == 2) {
      const char two[2] = {'\\', e.text[1]};
      out.append(two, 2);
    } else {
      out.append(e.text, 6);
    }
    run = i + 1;
    i = next_string_special(p, run, n);
  }
  out.append(s.data() + run, n - run);
}

void append_quoted(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  append_escaped(out, s);
  out.push_back('"');
}

std::string quote(std::string_view s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

}  // namespace ploke::json
