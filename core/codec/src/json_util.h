// Internal: nlohmann helpers shared by the codec sources (never included by public headers).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/matcher.h"

namespace ploke::codec::internal {

using Json = nlohmann::ordered_json;   // keeps key order: byte-exact bodies, stable files
using SortedJson = nlohmann::json;     // sorted keys: canonical forms and diffs

std::string_view json_type_name(nlohmann::detail::value_t t);
template <typename J>
std::string_view json_type_name(const J& j) { return json_type_name(j.type()); }

/// dump() that never throws (invalid UTF-8 is replaced).
template <typename J>
std::string dump_safe(const J& j, int indent = -1) {
  return j.dump(indent, ' ', false, J::error_handler_t::replace);
}

/// Compact rendering cut to about `max` bytes (at a UTF-8 boundary) with "…".
std::string shorten(std::string s, size_t max = 60);
template <typename J>
std::string short_json(const J& j, size_t max = 60) { return shorten(dump_safe(j), max); }

/// Parses without throwing. nullopt on any error.
std::optional<Json> try_parse(std::string_view text);
std::optional<SortedJson> try_parse_sorted(std::string_view text);

/// If `bytes` is a JSON object or array whose dump with indent -1, 2 or 4 reproduces
/// `bytes` exactly, returns that indent.
std::optional<int> json_roundtrip_indent(std::string_view bytes);

// ---- Paths: "a.b[2].c", "messages[*].name", "*".
struct PathSeg {
  bool is_index = false;
  bool wildcard = false;
  std::string key;
  size_t index = 0;
};
std::optional<std::vector<PathSeg>> parse_json_path(std::string_view path);

/// Appends ".key" (or "key" at the root) / "[i]" to a rendered path.
void path_append_key(std::string* path, std::string_view key);
void path_append_index(std::string* path, size_t index);

/// Calls fn(parent_container, key_or_index_value&) for every node matched by `segs`.
/// fn receives the node reference; used to erase (via parent) or replace.
template <typename J, typename Fn>
void for_each_at_path(J& node, const std::vector<PathSeg>& segs, size_t pos, Fn&& fn) {
  if (pos == segs.size()) {
    fn(node);
    return;
  }
  const PathSeg& s = segs[pos];
  if (s.is_index || (s.wildcard && node.is_array())) {
    if (!node.is_array()) return;
    if (s.wildcard) {
      for (auto& child : node) for_each_at_path(child, segs, pos + 1, fn);
    } else if (s.index < node.size()) {
      for_each_at_path(node[s.index], segs, pos + 1, fn);
    }
    return;
  }
  if (!node.is_object()) return;
  if (s.wildcard) {
    for (auto& [k, child] : node.items()) for_each_at_path(child, segs, pos + 1, fn);
    return;
  }
  auto it = node.find(s.key);
  if (it != node.end()) for_each_at_path(*it, segs, pos + 1, fn);
}

/// Removes every node matched by `segs` (array elements are removed, shifting the rest).
template <typename J>
void erase_at_path(J& node, const std::vector<PathSeg>& segs, size_t pos = 0) {
  if (segs.empty() || pos >= segs.size()) return;
  const PathSeg& s = segs[pos];
  const bool last = pos + 1 == segs.size();
  if (node.is_array() && (s.is_index || s.wildcard)) {
    if (last) {
      if (s.wildcard) node = J::array();
      else if (s.index < node.size()) node.erase(s.index);
      return;
    }
    if (s.wildcard) {
      for (auto& child : node) erase_at_path(child, segs, pos + 1);
    } else if (s.index < node.size()) {
      erase_at_path(node[s.index], segs, pos + 1);
    }
    return;
  }
  if (!node.is_object() || s.is_index) return;
  if (s.wildcard) {
    if (last) {
      node = J::object();
      return;
    }
    for (auto& [k, child] : node.items()) erase_at_path(child, segs, pos + 1);
    return;
  }
  if (last) {
    node.erase(s.key);
    return;
  }
  auto it = node.find(s.key);
  if (it != node.end()) erase_at_path(*it, segs, pos + 1);
}

/// Structural difference a (recorded) vs b (actual), appended to `out`. Numbers compare
/// by value (1 == 1.0).
void diff_json(const SortedJson& a, const SortedJson& b, const std::string& path,
               std::vector<DiffEntry>* out);

}  // namespace ploke::codec::internal
