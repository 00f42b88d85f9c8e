// ploke::json::append_escaped (word-at-a-time scan, table-driven escapes and UTF-8 checks)
// against the byte-at-a-time escaper the adapters' JsonWriter used before (kept here as the
// baseline), on four kinds of text: English prose with a few escapes, code with many
// escapes, CJK (every character multi-byte), and short strings (keys, ids, model names).
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "ploke/json/escape.h"
#include "ploke/json/utf8.h"

namespace {

// ------------------------------------------------------------------ the former escaper
size_t old_utf8_sequence(std::string_view s, size_t i) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data()) + i;
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return k < left && (u[k] & 0xC0) == 0x80; };
  if (u[0] >= 0xC2 && u[0] <= 0xDF) return cont(1) ? 2 : 0;
  if (u[0] >= 0xE0 && u[0] <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (u[0] == 0xE0 && u[1] < 0xA0) return 0;
    if (u[0] == 0xED && u[1] > 0x9F) return 0;
    return 3;
  }
  if (u[0] >= 0xF0 && u[0] <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (u[0] == 0xF0 && u[1] < 0x90) return 0;
    if (u[0] == 0xF4 && u[1] > 0x8F) return 0;
    return 4;
  }
  return 0;
}

void old_append_escaped_body(std::string& o, std::string_view s) {
  size_t run = 0;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = old_utf8_sequence(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      o.append(s.data() + run, i - run);
      o += "\\ufffd";
      run = ++i;
      continue;
    }
    o.append(s.data() + run, i - run);
    run = ++i;
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      case '\b': o += "\\b"; break;
      case '\f': o += "\\f"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        o += "\\u00";
        o.push_back(kHex[c >> 4]);
        o.push_back(kHex[c & 0xF]);
      }
    }
  }
  o.append(s.data() + run, s.size() - run);
}

// ------------------------------------------------------------------ inputs
std::string repeat_to(std::string_view unit, size_t size) {
  std::string s;
  while (s.size() < size) s += unit;
  return s;
}

std::string input(int kind) {
  switch (kind) {
    case 0: return repeat_to("The quick brown fox \"jumps\" over the lazy dog; caf\xc3\xa9 au lait.\n", 4096);
    case 1: return repeat_to("if (x[\"k\"] == \"v\\n\") {\n\treturn \"\\\\\";\n}\n", 4096);
    case 2: return repeat_to("\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c\xef\xbc\x8c\xe8\xbf\x99\xe6\x98\xaf", 4096);
    default: return "gpt-4o-mini-2024";
  }
}

const char* kKindNames[] = {"prose_4k", "code_4k", "cjk_4k", "short_16"};

template <void (*Fn)(std::string&, std::string_view)>
void BM_Escape(benchmark::State& state) {
  const std::string in = input(static_cast<int>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    out.push_back('"');
    Fn(out, in);
    out.push_back('"');
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.SetLabel(kKindNames[state.range(0)]);
}

void new_escape(std::string& out, std::string_view s) { ploke::json::append_escaped(out, s); }

BENCHMARK(BM_Escape<new_escape>)->Name("BM_Escape/json")->DenseRange(0, 3);
BENCHMARK(BM_Escape<old_append_escaped_body>)->Name("BM_Escape/former_json_writer")->DenseRange(0, 3);

// Validating a run of multi-byte characters (what JsonCursor::skip_utf8 and is_valid_utf8 do
// on non-ASCII strings): the shared table-driven scan (ploke/json/utf8.h) against the
// branchy check JsonCursor carried before.
bool old_skip_utf8(const char*& p, const char* end) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  const ptrdiff_t left = end - p;
  auto cont = [&](int i) { return i < left && (u[i] & 0xC0) == 0x80; };
  if (u[0] >= 0xC2 && u[0] <= 0xDF) {
    if (!cont(1)) return false;
    p += 2;
  } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
    if (!cont(1) || !cont(2)) return false;
    if (u[0] == 0xE0 && u[1] < 0xA0) return false;
    if (u[0] == 0xED && u[1] > 0x9F) return false;
    p += 3;
  } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return false;
    if (u[0] == 0xF0 && u[1] < 0x90) return false;
    if (u[0] == 0xF4 && u[1] > 0x8F) return false;
    p += 4;
  } else {
    return false;
  }
  return true;
}

bool new_skip_utf8(const char*& p, const char* end) {
  const int n = ploke::json::scan_utf8(reinterpret_cast<const unsigned char*>(p), static_cast<size_t>(end - p));
  if (n < 0) return false;
  p += n;
  return true;
}

template <bool (*Skip)(const char*&, const char*)>
void BM_SkipUtf8(benchmark::State& state) {
  const std::string in = input(2) + "\xf0\x9f\x98\x80\xc3\xa9";
  for (auto _ : state) {
    const char* p = in.data();
    const char* end = p + in.size();
    bool ok = true;
    while (ok && p < end) ok = Skip(p, end);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}

BENCHMARK(BM_SkipUtf8<new_skip_utf8>)->Name("BM_SkipUtf8/json_utf8_h");
BENCHMARK(BM_SkipUtf8<old_skip_utf8>)->Name("BM_SkipUtf8/former_json_cursor");

}  // namespace

BENCHMARK_MAIN();
