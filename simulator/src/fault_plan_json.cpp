// Fault plan JSON: parsing with field-path error collection, and rendering.
#include "ploke/core/field_errors.h"
#include "ploke/json/limits.h"
#include "ploke/simulator/fault_plan_json.h"

#include <nlohmann/json.hpp>

#include <array>
#include <fstream>
#include <sstream>
#include <cmath>
#include <map>
#include <set>
#include <vector>

namespace ploke::simulator {
namespace {

using OJson = nlohmann::ordered_json;  // errors come out in document order

// Keys every fault may have, and the extra keys per kind.
const std::set<std::string> kCommonKeys = {"id", "kind", "match", "trigger", "delay_ms", "description"};
const std::map<FaultKind, std::set<std::string>> kKindKeys = {
    {FaultKind::kHttpError,
     {"status", "retry_after_ms", "retry_after_s", "should_retry", "error_type", "error_code", "message"}},
    {FaultKind::kHang, {"after_events"}},
    {FaultKind::kDelay, {}},
    {FaultKind::kReset, {}},
    {FaultKind::kEmptyReply, {}},
    {FaultKind::kMalformedJson, {"after_events"}},
    {FaultKind::kStreamCut, {"after_events"}},
    {FaultKind::kMidStreamError, {"status", "error_type", "error_code", "message", "after_events"}},
    {FaultKind::kSlowStream, {"factor"}},
};

using Errors = ploke::FieldErrors;

std::optional<uint64_t> get_uint(const OJson& v, const std::string& path, Errors& errs, uint64_t min_value) {
  if (!v.is_number_integer() && !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())) {
    errs.add(path, "must be an integer");
    return std::nullopt;
  }
  double d = v.get<double>();
  if (d < static_cast<double>(min_value)) {
    errs.add(path, "must be >= " + std::to_string(min_value));
    return std::nullopt;
  }
  if (d > 9.0e15) {
    errs.add(path, "is too large");
    return std::nullopt;
  }
  return static_cast<uint64_t>(d);
}

std::optional<Duration> get_ms(const OJson& v, const std::string& path, Errors& errs, double scale_to_ms = 1.0) {
  if (!v.is_number()) {
    errs.add(path, "must be a number (milliseconds)");
    return std::nullopt;
  }
  double ms = v.get<double>() * scale_to_ms;
  if (!(ms >= 0)) {
    errs.add(path, "must be >= 0");
    return std::nullopt;
  }
  if (ms > 1.0e12) {
    errs.add(path, "is too large");
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(std::llround(ms * 1e6)));
}

std::optional<std::string> get_string(const OJson& v, const std::string& path, Errors& errs) {
  if (!v.is_string()) {
    errs.add(path, "must be a string");
    return std::nullopt;
  }
  return v.get<std::string>();
}

std::optional<bool> get_bool(const OJson& v, const std::string& path, Errors& errs) {
  if (!v.is_boolean()) {
    errs.add(path, "must be a boolean");
    return std::nullopt;
  }
  return v.get<bool>();
}

void parse_match(const OJson& m, const std::string& path, Fault& f, Errors& errs) {
  if (!m.is_object()) {
    errs.add(path, "must be an object");
    return;
  }
  for (const auto& [key, v] : m.items()) {
    const std::string p = path + "." + key;
    if (key == "path") {
      if (auto s = get_string(v, p, errs)) {
        if (!s->empty() && s->front() != '/') errs.add(p, "must start with '/'");
        else f.match.path = *s;
      }
    } else if (key == "model") {
      if (auto s = get_string(v, p, errs)) f.match.model = *s;
    } else if (key == "stream") {
      if (auto b = get_bool(v, p, errs)) f.match.stream = *b;
    } else {
      errs.add(p, "unknown key (allowed: path, model, stream)");
    }
  }
}

void parse_trigger(const OJson& t, const std::string& path, Fault& f, Errors& errs) {
  if (!t.is_object()) {
    errs.add(path, "must be an object");
    return;
  }
  FaultTrigger& tr = f.trigger;
  for (const auto& [key, v] : t.items()) {
    const std::string p = path + "." + key;
    if (key == "nth") tr.nth = get_uint(v, p, errs, 1);
    else if (key == "every") tr.every = get_uint(v, p, errs, 1);
    else if (key == "from_ms") tr.from = get_ms(v, p, errs);
    else if (key == "until_ms") tr.until = get_ms(v, p, errs);
    else if (key == "times") tr.times = get_uint(v, p, errs, 1);
    else if (key == "probability") {
      if (!v.is_number()) errs.add(p, "must be a number in [0,1]");
      else if (!(v.get<double>() >= 0.0 && v.get<double>() <= 1.0)) errs.add(p, "must be in [0,1]");
      else tr.probability = v.get<double>();
    } else {
      errs.add(p, "unknown key (allowed: nth, every, from_ms, until_ms, probability, times)");
    }
  }
  if (t.contains("every") && !t.contains("nth")) errs.add(path + ".every", "requires nth");
  if (tr.from && tr.until && *tr.until <= *tr.from) errs.add(path + ".until_ms", "must be greater than from_ms");
}

std::string allowed_keys(FaultKind kind) {
  std::string out;
  std::set<std::string> all = kCommonKeys;
  all.insert(kKindKeys.at(kind).begin(), kKindKeys.at(kind).end());
  for (const auto& k : all) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::optional<FaultKind> parse_kind(const OJson& j, const std::string& path, Errors& errs) {
  std::optional<FaultKind> kind;
  if (auto k = j.find("kind"); k == j.end()) {
    errs.add(path + ".kind", "required");
  } else if (!k->is_string()) {
    errs.add(path + ".kind", "must be a string");
  } else if (!(kind = fault_kind_from_name(k->get<std::string>()))) {
    std::string names;
    for (FaultKind fk : kAllFaultKinds) names += (names.empty() ? "" : ", ") + std::string(fault_kind_name(fk));
    errs.add(path + ".kind", "unknown kind '" + k->get<std::string>() + "' (expected one of: " + names + ")");
  }
  return kind;
}

void parse_fault(const OJson& j, const std::string& path, Fault& f, Errors& errs) {
  if (!j.is_object()) {
    errs.add(path, "must be an object");
    return;
  }
  const std::optional<FaultKind> kind = parse_kind(j, path, errs);
  if (kind) f.kind = *kind;
  for (const auto& [key, v] : j.items()) {
    const std::string p = path + "." + key;
    if (kind && !kCommonKeys.count(key) && !kKindKeys.at(*kind).count(key)) {
      bool known_elsewhere = false;
      for (const auto& [k2, keys] : kKindKeys) known_elsewhere = known_elsewhere || keys.count(key) > 0;
      errs.add(p, std::string(known_elsewhere ? "not valid for kind '" : "unknown key for kind '") +
                      std::string(fault_kind_name(*kind)) + "' (allowed: " + allowed_keys(*kind) + ")");
      continue;
    }
    if (key == "kind") continue;
    if (key == "id") {
      if (auto s = get_string(v, p, errs)) {
        if (s->empty()) errs.add(p, "must not be empty");
        f.id = *s;
      }
    } else if (key == "description") {
      get_string(v, p, errs);
    } else if (key == "match") {
      parse_match(v, p, f, errs);
    } else if (key == "trigger") {
      parse_trigger(v, p, f, errs);
    } else if (key == "delay_ms") {
      if (auto d = get_ms(v, p, errs)) f.delay = *d;
    } else if (key == "status") {
      if (auto s = get_uint(v, p, errs, 0)) {
        if (*s < 400 || *s > 599) errs.add(p, "must be an HTTP error status in [400,599]");
        else f.status = static_cast<int>(*s);
      }
    } else if (key == "retry_after_ms") {
      f.retry_after_ms = get_ms(v, p, errs);
    } else if (key == "retry_after_s") {
      f.retry_after = get_ms(v, p, errs, 1000.0);
    } else if (key == "should_retry") {
      f.should_retry = get_bool(v, p, errs);
    } else if (key == "error_type") {
      if (auto s = get_string(v, p, errs)) f.error_type = *s;
    } else if (key == "error_code") {
      if (auto s = get_string(v, p, errs)) f.error_code = *s;
    } else if (key == "message") {
      if (auto s = get_string(v, p, errs)) f.message = *s;
    } else if (key == "factor") {
      if (!v.is_number() || !(v.get<double>() > 0.0) || v.get<double>() > 1e6) errs.add(p, "must be a number > 0");
      else f.factor = v.get<double>();
    } else if (key == "after_events") {
      if (auto n = get_uint(v, p, errs, 0)) {
        if (*n > 1'000'000) errs.add(p, "must be <= 1000000");
        else f.after_events = static_cast<uint32_t>(*n);
      }
    } else if (!kind) {
      bool known = kCommonKeys.count(key) > 0;
      for (const auto& [k2, keys] : kKindKeys) known = known || keys.count(key) > 0;
      if (!known) errs.add(p, "unknown key");
    }
  }
  if (kind == FaultKind::kDelay && f.delay <= Duration{0}) errs.add(path + ".delay_ms", "required (> 0) for kind 'delay'");
  if (kind == FaultKind::kSlowStream && !j.contains("factor")) errs.add(path + ".factor", "required for kind 'slow_stream'");
}

void parse_faults(const OJson& v, FaultPlan& plan, Errors& errs) {
  if (!v.is_array()) {
    errs.add("faults", "must be an array");
    return;
  }
  std::map<std::string, size_t> ids;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = index_path("faults", i);
    Fault f;
    parse_fault(v[i], p, f, errs);
    if (!f.id.empty()) {
      auto [it, inserted] = ids.emplace(f.id, i);
      if (!inserted) errs.add(p + ".id", "duplicate id '" + f.id + "' (also faults[" + std::to_string(it->second) + "])");
    }
    plan.faults.push_back(std::move(f));
  }
}

OJson ms_value(Duration d) {
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  if (std::floor(ms) == ms) return static_cast<int64_t>(ms);
  return ms;
}

}  // namespace

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (FaultKind k : kAllFaultKinds) {
    if (fault_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

FaultPlan parse_fault_plan(std::string_view json, Errors& errs) {
  FaultPlan plan;
  OJson root;
  if (Status st = ploke::json::check_json_limits(json); !st.ok()) {
    errs.add("", st.message());
    return plan;
  }
  try {
    root = OJson::parse(json.begin(), json.end());
  } catch (const OJson::parse_error& e) {
    errs.add("", "invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
    return plan;
  } catch (const std::exception& e) {
    errs.add("", std::string("invalid JSON: ") + e.what());
    return plan;
  }
  try {
    if (!root.is_object()) {
      errs.add("", "the top level must be an object with a 'faults' array");
      return plan;
    }
    for (const auto& [key, v] : root.items()) {
      if (key == "faults") parse_faults(v, plan, errs);
      else if (key != "description" && key != "$schema") errs.add(key, "unknown key (allowed: faults, description)");
    }
    if (!root.contains("faults")) errs.add("faults", "required");
  } catch (const std::exception& e) {
    errs.add("", std::string("internal parse error: ") + e.what());
  }
  return plan;
}

Result<FaultPlan> parse_fault_plan(std::string_view json, std::string_view source_name) {
  Errors errs("fault plan '" + std::string(source_name) + "'");
  FaultPlan plan = parse_fault_plan(json, errs);
  if (!errs.empty()) return errs.to_status();
  return plan;
}

Result<FaultPlan> load_fault_plan_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("fault plan '" + path + "': cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return NotFoundError("fault plan '" + path + "': read error");
  return parse_fault_plan(text.str(), path);
}

std::string fault_plan_to_json(const FaultPlan& plan) {
  OJson faults = OJson::array();
  for (const Fault& f : plan.faults) {
    OJson j = OJson::object();
    if (!f.id.empty()) j["id"] = f.id;
    j["kind"] = std::string(fault_kind_name(f.kind));
    OJson m = OJson::object();
    if (!f.match.path.empty()) m["path"] = f.match.path;
    if (!f.match.model.empty()) m["model"] = f.match.model;
    if (f.match.stream) m["stream"] = *f.match.stream;
    if (!m.empty()) j["match"] = std::move(m);
    OJson t = OJson::object();
    const FaultTrigger& tr = f.trigger;
    if (tr.nth) t["nth"] = *tr.nth;
    if (tr.every) t["every"] = *tr.every;
    if (tr.from) t["from_ms"] = ms_value(*tr.from);
    if (tr.until) t["until_ms"] = ms_value(*tr.until);
    if (tr.probability) t["probability"] = *tr.probability;
    if (tr.times) t["times"] = *tr.times;
    if (!t.empty()) j["trigger"] = std::move(t);
    if (f.delay > Duration{0}) j["delay_ms"] = ms_value(f.delay);
    const auto& keys = kKindKeys.at(f.kind);
    if (keys.count("status")) j["status"] = f.status;
    if (keys.count("retry_after_ms") && f.retry_after_ms) j["retry_after_ms"] = ms_value(*f.retry_after_ms);
    if (keys.count("retry_after_s") && f.retry_after) {
      j["retry_after_s"] = std::chrono::duration<double>(*f.retry_after).count();
    }
    if (keys.count("should_retry") && f.should_retry) j["should_retry"] = *f.should_retry;
    if (keys.count("error_type") && !f.error_type.empty()) j["error_type"] = f.error_type;
    if (keys.count("error_code") && !f.error_code.empty()) j["error_code"] = f.error_code;
    if (keys.count("message") && !f.message.empty()) j["message"] = f.message;
    if (keys.count("factor")) j["factor"] = f.factor;
    if (keys.count("after_events")) j["after_events"] = f.after_events;
    faults.push_back(std::move(j));
  }
  OJson root = OJson::object();
  root["faults"] = std::move(faults);
  return root.dump();
}

}  // namespace ploke::simulator
