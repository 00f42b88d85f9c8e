#include "ploke/json/limits.h"
#include "json_util.h"

namespace ploke::codec::internal {

std::string_view json_type_name(nlohmann::detail::value_t t) {
  using V = nlohmann::detail::value_t;
  switch (t) {
    case V::null: return "null";
    case V::object: return "object";
    case V::array: return "array";
    case V::string: return "string";
    case V::boolean: return "boolean";
    case V::number_integer:
    case V::number_unsigned:
    case V::number_float: return "number";
    case V::binary: return "binary";
    case V::discarded: return "discarded";
  }
  return "unknown";
}

std::string shorten(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  s += "\xE2\x80\xA6";  // …
  return s;
}

std::optional<Json> try_parse(std::string_view text) {
  if (!ploke::json::check_json_limits(text).ok()) return std::nullopt;  // kept as text, never walked
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<SortedJson> try_parse_sorted(std::string_view text) {
  if (!ploke::json::check_json_limits(text).ok()) return std::nullopt;
  SortedJson j = SortedJson::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<int> json_roundtrip_indent(std::string_view bytes) {
  // Quick reject: must look like an object or array.
  size_t i = 0;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) ++i;
  if (i != 0 || bytes.empty() || (bytes[0] != '{' && bytes[0] != '[')) return std::nullopt;
  auto j = try_parse(bytes);
  if (!j) return std::nullopt;
  for (int indent : {-1, 2, 4}) {
    if (dump_safe(*j, indent) == bytes) return indent;
  }
  return std::nullopt;
}

std::optional<std::vector<PathSeg>> parse_json_path(std::string_view path) {
  std::vector<PathSeg> segs;
  if (path.empty()) return std::nullopt;
  size_t i = 0;
  bool expect_key = true;  // at start or after '.'
  while (i < path.size()) {
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos || close == i + 1) return std::nullopt;
      const std::string_view inner = path.substr(i + 1, close - i - 1);
      PathSeg s;
      s.is_index = true;
      if (inner == "*") {
        s.wildcard = true;
      } else {
        size_t v = 0;
        for (char c : inner) {
          if (c < '0' || c > '9') return std::nullopt;
          v = v * 10 + static_cast<size_t>(c - '0');
        }
        s.index = v;
      }
      segs.push_back(std::move(s));
      i = close + 1;
      expect_key = false;
      continue;
    }
    if (path[i] == '.') {
      if (expect_key) return std::nullopt;  // ".." or leading '.'
      ++i;
      expect_key = true;
      if (i == path.size()) return std::nullopt;
      continue;
    }
    if (!expect_key) return std::nullopt;  // "a[0]b"
    size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    PathSeg s;
    s.key = std::string(path.substr(i, end - i));
    if (s.key == "*") s.wildcard = true;
    segs.push_back(std::move(s));
    i = end;
    expect_key = false;
  }
  if (expect_key) return std::nullopt;
  return segs;
}

void path_append_key(std::string* path, std::string_view key) {
  if (!path->empty()) path->push_back('.');
  path->append(key);
}

void path_append_index(std::string* path, size_t index) {
  path->push_back('[');
  path->append(std::to_string(index));
  path->push_back(']');
}

namespace {
void add_entry(std::vector<DiffEntry>* out, DiffEntry::Kind kind, const std::string& path,
               const SortedJson* a, const SortedJson* b) {
  DiffEntry e;
  e.kind = kind;
  e.path = path.empty() ? "(root)" : path;
  if (a != nullptr) e.recorded = short_json(*a);
  if (b != nullptr) e.actual = short_json(*b);
  out->push_back(std::move(e));
}
}  // namespace

void diff_json(const SortedJson& a, const SortedJson& b, const std::string& path,
               std::vector<DiffEntry>* out) {
  if (a.is_object() && b.is_object()) {
    // Both sorted by key: merge walk.
    auto ia = a.begin();
    auto ib = b.begin();
    while (ia != a.end() || ib != b.end()) {
      std::string p = path;
      if (ib == b.end() || (ia != a.end() && ia.key() < ib.key())) {
        path_append_key(&p, ia.key());
        add_entry(out, DiffEntry::Kind::kRemoved, p, &ia.value(), nullptr);
        ++ia;
      } else if (ia == a.end() || ib.key() < ia.key()) {
        path_append_key(&p, ib.key());
        add_entry(out, DiffEntry::Kind::kAdded, p, nullptr, &ib.value());
        ++ib;
      } else {
        path_append_key(&p, ia.key());
        diff_json(ia.value(), ib.value(), p, out);
        ++ia;
        ++ib;
      }
    }
    return;
  }
  if (a.is_array() && b.is_array()) {
    const size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      std::string p = path;
      path_append_index(&p, i);
      if (i >= b.size()) {
        add_entry(out, DiffEntry::Kind::kRemoved, p, &a[i], nullptr);
      } else if (i >= a.size()) {
        add_entry(out, DiffEntry::Kind::kAdded, p, nullptr, &b[i]);
      } else {
        diff_json(a[i], b[i], p, out);
      }
    }
    return;
  }
  if (a != b) add_entry(out, DiffEntry::Kind::kChanged, path, &a, &b);
}

}  // namespace ploke::codec::internal
