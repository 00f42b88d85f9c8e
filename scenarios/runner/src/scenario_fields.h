// File: scenarios/runner/src/scenario_fields.h (private to ploke::scenarios)
//
// The field readers of the scenario parser: each reads one member of a JSON object, adding
// an error with its JSON path (and what was found) to the pass's FieldErrors when it is
// malformed, so every bad field of a file is reported in one pass. parse_workload() lives
// in workload_json.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>

#include "ploke/core/field_errors.h"
#include "ploke/scenarios/scenario.h"
#include "ploke/simulator/fault_plan.h"

namespace ploke::scenarios::fields {

using Errors = ploke::FieldErrors;
using Json = nlohmann::ordered_json;
using std::chrono::milliseconds;


inline std::string type_name(const Json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  return "null";
}

inline std::string join(const std::string& path, const std::string& key) { return field_path(path, key); }

// Checks that `obj` has only `allowed` keys.
inline void check_keys(const Json& obj, const std::string& path, std::initializer_list<std::string_view> allowed, Errors& e) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      std::string names;
      for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      e.add(join(path, it.key()), "unknown key (allowed: " + names + ")");
    }
  }
}

inline std::optional<std::string> get_string(const Json& o, const std::string& key, const std::string& path, Errors& e) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (!it->is_string()) {
    e.add(join(path, key), "must be a string (got " + type_name(*it) + ")");
    return std::nullopt;
  }
  return it->get<std::string>();
}

inline std::optional<double> get_number(const Json& o, const std::string& key, const std::string& path, Errors& e,
                                 double lo, double hi) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (!it->is_number()) {
    e.add(join(path, key), "must be a number (got " + type_name(*it) + ")");
    return std::nullopt;
  }
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    std::ostringstream os;
    os << "must be in [" << lo << ", " << hi << "] (got " << v << ")";
    e.add(join(path, key), os.str());
    return std::nullopt;
  }
  return v;
}

inline std::optional<uint64_t> get_uint(const Json& o, const std::string& key, const std::string& path, Errors& e,
                                 uint64_t lo = 0, uint64_t hi = UINT64_MAX) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (!it->is_number_integer() || (it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0)) {
    e.add(join(path, key), "must be a non-negative integer (got " + (it->is_number() ? it->dump() : type_name(*it)) + ")");
    return std::nullopt;
  }
  const uint64_t v = it->get<uint64_t>();
  if (v < lo || v > hi) {
    e.add(join(path, key), "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] (got " +
                               std::to_string(v) + ")");
    return std::nullopt;
  }
  return v;
}

inline std::optional<bool> get_bool(const Json& o, const std::string& key, const std::string& path, Errors& e) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (!it->is_boolean()) {
    e.add(join(path, key), "must be true or false (got " + type_name(*it) + ")");
    return std::nullopt;
  }
  return it->get<bool>();
}

inline std::optional<Duration> get_duration(const Json& o, const std::string& key, const std::string& path, Errors& e) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  std::optional<Duration> d;
  if (it->is_number() && it->get<double>() >= 0 && std::isfinite(it->get<double>())) {
    d = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(it->get<double>()));
  } else if (it->is_string()) {
    d = parse_duration_text(it->get<std::string>());
  }
  if (!d) {
    e.add(join(path, key), "must be a duration like \"250ms\", \"1.5s\", \"2m\", \"1h\" or a number of seconds (got " +
                               it->dump() + ")");
  }
  return d;
}

inline const Json* get_object(const Json& o, const std::string& key, const std::string& path, Errors& e) {
  auto it = o.find(key);
  if (it == o.end()) return nullptr;
  if (!it->is_object()) {
    e.add(join(path, key), "must be an object (got " + type_name(*it) + ")");
    return nullptr;
  }
  return &*it;
}

inline const Json* get_array(const Json& o, const std::string& key, const std::string& path, Errors& e) {
  auto it = o.find(key);
  if (it == o.end()) return nullptr;
  if (!it->is_array()) {
    e.add(join(path, key), "must be an array (got " + type_name(*it) + ")");
    return nullptr;
  }
  return &*it;
}


/// One fault of a schedule (the simulator's fault format plus "provider" and string
/// durations), added to plans[provider]; ids must be unique across the file.
void parse_fault(const Json& o, const std::string& path, size_t index, const std::set<std::string>& providers,
                 std::map<std::string, simulator::FaultPlan>& plans, std::set<std::string>& ids, Errors& e);

/// Size limits, then the parse (comments allowed); false (with the error) when either fails
/// or the top level is not an object.
bool parse_root(std::string_view text, Json& root, Errors& e);

/// "workload": arrival, size, shares, reasoning and prompt caching, priorities, deadline.
void parse_workload(const Json& o, const std::string& path, WorkloadSpec& w, Errors& e);

}  // namespace ploke::scenarios::fields
