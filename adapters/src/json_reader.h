// File: adapters/src/json_reader.h (internal)
//
// JsonReader: reads fields of a parsed (nlohmann) response body and collects the first
// problem as "path: what", so a malformed provider response becomes one
// kMalformedResponse naming the field instead of an exception. Shared by the adapters.
//
// Thread-safety: a plain value, one per body being read.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace ploke::adapters::detail {

struct JsonReader {
  using json = nlohmann::json;
  std::string problem;

  bool fail(const std::string& path, std::string_view what) {
    if (problem.empty()) problem = path + ": " + std::string(what);
    return false;
  }
  static const json* find(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  /// Optional string (absent/null → untouched).
  bool opt_string(const json& obj, const char* key, const std::string& path, std::string& out) {
    const json* v = find(obj, key);
    if (v == nullptr || v->is_null()) return true;
    if (!v->is_string()) return fail(path + key, "expected string");
    out = v->get_ref<const std::string&>();
    return true;
  }
  /// Required string.
  bool req_string(const json& obj, const char* key, const std::string& path, std::string& out) {
    const json* v = find(obj, key);
    if (v == nullptr) return fail(path + key, "missing");
    if (!v->is_string()) return fail(path + key, "expected string");
    out = v->get_ref<const std::string&>();
    return true;
  }
  /// Optional non-negative integer (absent/null → untouched, `seen` left false). Floats
  /// are rounded (some providers send 12.0).
  bool opt_u64(const json& obj, const char* key, const std::string& path, uint64_t& out, bool* seen = nullptr) {
    const json* v = find(obj, key);
    if (v == nullptr || v->is_null()) return true;
    if (seen != nullptr) *seen = true;
    if (v->is_number_unsigned()) {
      out = v->get<uint64_t>();
      return true;
    }
    if (v->is_number_integer()) {
      if (v->get<int64_t>() < 0) return fail(path + key, "negative count");
      out = static_cast<uint64_t>(v->get<int64_t>());
      return true;
    }
    if (v->is_number_float() && v->get<double>() >= 0 && std::isfinite(v->get<double>())) {
      out = static_cast<uint64_t>(std::llround(v->get<double>()));
      return true;
    }
    return fail(path + key, "expected a non-negative integer");
  }
};

}  // namespace ploke::adapters::detail
