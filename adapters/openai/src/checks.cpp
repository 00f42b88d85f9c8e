// See ploke/adapters/openai/checks.h. Messages follow the OpenAI API's wording
// ("Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3
// instead.", code decimal_above_max_value).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ploke/adapters/inbound.h"
#include "ploke/adapters/openai/checks_json.h"
#include "check_rules.h"

namespace ploke::adapters::openai {
namespace rules {

using nlohmann::json;

// OpenAI's names for JSON types in "expected …, but got a(n) X instead".
std::string type_phrase(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    default: return "a decimal";
  }
}

namespace {

std::string number_text(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
  // Shortest form that reads back the same.
  for (int prec = 1; prec <= 17; ++prec) {
    char t[64];
    std::snprintf(t, sizeof t, "%.*g", prec, v.get<double>());
    if (std::strtod(t, nullptr) == v.get<double>()) return t;
  }
  return buf;
}

}  // namespace

RequestProblem problem(std::string message, std::string param, std::string code) {
  return RequestProblem{std::move(message), std::move(param), std::move(code)};
}

// The API's two commonest 400s: a required parameter absent, and a value of the wrong type
// (`expected`: "a string", "an object", "one of a string or array of objects", …).
RequestProblem missing(const std::string& path) {
  return problem("Missing required parameter: '" + path + "'.", path, "missing_required_parameter");
}
RequestProblem wrong_type(const std::string& path, const std::string& expected, const json& got) {
  return problem("Invalid type for '" + path + "': expected " + expected + ", but got " + type_phrase(got) + " instead.", path,
                 "invalid_type");
}

// A decimal within [lo, hi] (integers count as decimals).
std::optional<RequestProblem> check_decimal(const json& body, const char* key, double lo, double hi, const char* hi_text) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  const std::string k(key);
  if (!it->is_number()) {
    return wrong_type(k, "a decimal", *it);
  }
  const double v = it->get<double>();
  if (v < lo) {
    return problem("Invalid '" + k + "': decimal below minimum value. Expected a value >= 0, but got " + number_text(*it) + " instead.",
                   k, "decimal_below_min_value");
  }
  if (v > hi) {
    return problem("Invalid '" + k + "': decimal above maximum value. Expected a value <= " + hi_text + ", but got " +
                       number_text(*it) + " instead.",
                   k, "decimal_above_max_value");
  }
  return std::nullopt;
}

// An integer >= lo (and <= hi when hi > 0).
std::optional<RequestProblem> check_integer(const json& body, const char* key, int64_t lo, int64_t hi) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  const std::string k(key);
  if (!it->is_number_integer() && !it->is_number_unsigned()) {
    return wrong_type(k, "an integer", *it);
  }
  if (it->is_number_integer() && it->get<int64_t>() < lo) {
    return problem("Invalid '" + k + "': integer below minimum value. Expected a value >= " + std::to_string(lo) + ", but got " +
                       it->dump() + " instead.",
                   k, "integer_below_min_value");
  }
  if (hi > 0 && (it->is_number_unsigned() ? it->get<uint64_t>() > static_cast<uint64_t>(hi) : it->get<int64_t>() > hi)) {
    return problem("Invalid '" + k + "': integer above maximum value. Expected a value <= " + std::to_string(hi) + ", but got " +
                       it->dump() + " instead.",
                   k, "integer_above_max_value");
  }
  return std::nullopt;
}

// `v` (at `path`) is an object whose `field` is one of `values`: else OpenAI's problem for
// the first thing wrong (not an object, the field missing, a value not in the list).
// "Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'." for `got` at `path`.
RequestProblem invalid_value(const json& got, const std::string& path, std::span<const std::string_view> values) {
  std::string list;  // 'a' and 'b'; 'a', 'b', and 'c'
  for (size_t k = 0; k < values.size(); ++k) {
    if (k > 0) list += k + 1 < values.size() ? ", " : values.size() == 2 ? " and " : ", and ";
    list.append("'").append(values[k]).append("'");
  }
  return problem("Invalid value: '" + (got.is_string() ? got.get<std::string>() : got.dump()) + "'. Supported values are: " + list + ".",
                 path, "invalid_value");
}

bool one_of(const json& v, std::span<const std::string_view> values) {
  return v.is_string() && std::find(values.begin(), values.end(), v.get_ref<const std::string&>()) != values.end();
}

std::optional<RequestProblem> check_tagged_object(const json& v, const std::string& path, const std::string& field,
                                                  std::span<const std::string_view> values) {
  if (!v.is_object()) {
    return wrong_type(path, "an object", v);
  }
  const std::string fpath = path + "." + field;
  const auto t = v.find(field);
  if (t == v.end()) return missing(fpath);
  if (one_of(*t, values)) return std::nullopt;
  return invalid_value(*t, fpath, values);
}

std::optional<RequestProblem> check_enum(const json& obj, const char* key, const std::string& path,
                                         std::span<const std::string_view> values) {
  const auto v = obj.find(key);
  if (v == obj.end() || v->is_null() || one_of(*v, values)) return std::nullopt;
  if (!v->is_string()) return wrong_type(path, "a string", *v);
  return invalid_value(*v, path, values);
}

// A required string member `key` of `obj` (at `path`).
std::optional<RequestProblem> check_required_string(const json& obj, const std::string& path, const char* key) {
  const std::string kpath = path + "." + key;
  const auto v = obj.find(key);
  if (v == obj.end()) return missing(kpath);
  if (!v->is_string()) return wrong_type(kpath, "a string", *v);
  return std::nullopt;
}

// A tool's name: 1 to 64 of [a-zA-Z0-9_-] (inbound::tool_name_ok()), each failure worded as the API
// words it.
std::optional<RequestProblem> check_tool_name(const std::string& n, const std::string& path) {
  if (n.empty()) {
    return problem("Invalid '" + path + "': empty string. Expected a string with minimum length 1, but got an empty string instead.",
                   path, "empty_string");
  }
  if (n.size() > 64) {
    return problem("Invalid '" + path + "': string too long. Expected a string with maximum length 64, but got a string with length " +
                       std::to_string(n.size()) + " instead.",
                   path, "string_above_max_length");
  }
  if (!inbound::tool_name_ok(n)) {
    return problem("Invalid '" + path + "': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                   path, "invalid_value");
  }
  return std::nullopt;
}

}  // namespace rules

namespace {

using nlohmann::json;
using namespace rules;

// One element of `tools`: {"type":"function","function":{"name",…}} or
// {"type":"custom","custom":{"name",…}} (ChatCompletionTool / CustomToolChatCompletions).
std::optional<RequestProblem> check_tool(const json& t, size_t i) {
  static constexpr std::string_view kTypes[] = {"function", "custom"};
  const std::string path = "tools[" + std::to_string(i) + "]";
  if (auto p = check_tagged_object(t, path, "type", kTypes)) return p;
  const std::string& type = t["type"].get_ref<const std::string&>();
  const std::string mpath = path + "." + type;
  const auto m = t.find(type);
  if (m == t.end()) return missing(mpath);
  if (!m->is_object()) return wrong_type(mpath, "an object", *m);
  if (auto p = check_required_string(*m, mpath, "name")) return p;
  if (auto p = check_tool_name((*m)["name"].get_ref<const std::string&>(), mpath + ".name")) return p;
  if (const auto params = m->find("parameters"); type == "function" && params != m->end() && !params->is_null() &&
                                                 !params->is_object()) {
    return wrong_type(mpath + ".parameters", "an object", *params);
  }
  return std::nullopt;
}

std::optional<RequestProblem> check_tools(const json& body) {
  const auto tools = body.find("tools");
  if (tools == body.end() || tools->is_null()) return std::nullopt;
  if (!tools->is_array()) {
    return wrong_type("tools", "an array of objects", *tools);
  }
  for (size_t i = 0; i < tools->size(); ++i) {
    if (auto p = check_tool((*tools)[i], i)) return p;
  }
  return std::nullopt;
}

std::optional<RequestProblem> check_parts(const json& content, const std::string& path) {
  static constexpr std::string_view kTypes[] = {"text", "image_url", "input_audio", "refusal", "audio", "file"};
  for (size_t j = 0; j < content.size(); ++j) {
    if (auto p = check_tagged_object(content[j], path + "[" + std::to_string(j) + "]", "type", kTypes)) return p;
  }
  return std::nullopt;
}

std::optional<RequestProblem> check_message(const json& m, size_t i) {
  static constexpr std::string_view kRoles[] = {"system", "assistant", "user", "function", "tool", "developer"};
  const std::string path = "messages[" + std::to_string(i) + "]";
  if (auto p = check_tagged_object(m, path, "role", kRoles)) return p;
  const auto role = m.find("role");
  const std::string& r = role->get_ref<const std::string&>();
  if (r == "tool" && m.find("tool_call_id") == m.end()) {
    return missing(path + ".tool_call_id");
  }
  const auto c = m.find("content");
  if (c == m.end() || c->is_string()) return std::nullopt;
  if (c->is_null() && r == "assistant") return std::nullopt;
  if (c->is_array()) return check_parts(*c, path + ".content");
  return wrong_type(path + ".content", "one of a string or array of objects", *c);
}

}  // namespace

namespace checks {

std::optional<RequestProblem> check_parsed(const json& body) {
  if (!body.is_object()) return std::nullopt;
  if (auto p = check_decimal(body, "temperature", 0.0, 2.0, "2")) return p;
  if (auto p = check_decimal(body, "top_p", 0.0, 1.0, "1")) return p;
  if (auto p = check_integer(body, "n", 1, 128)) return p;
  if (auto p = check_integer(body, "max_tokens", 1, 0)) return p;
  if (auto p = check_integer(body, "max_completion_tokens", 1, 0)) return p;
  if (auto p = check_integer(body, "top_logprobs", 0, 20)) return p;
  if (auto p = check_enum(body, "reasoning_effort", "reasoning_effort", kReasoningEfforts)) return p;
  if (const auto msgs = body.find("messages"); msgs != body.end() && msgs->is_array()) {
    for (size_t i = 0; i < msgs->size(); ++i) {
      if (auto p = check_message((*msgs)[i], i)) return p;
    }
  }
  return check_tools(body);
}

std::optional<RequestProblem> check_completion_parsed(const json& body) {
  if (!body.is_object()) return std::nullopt;
  if (auto p = check_decimal(body, "temperature", 0.0, 2.0, "2")) return p;
  if (auto p = check_decimal(body, "top_p", 0.0, 1.0, "1")) return p;
  if (auto p = check_integer(body, "n", 1, 128)) return p;
  if (auto p = check_integer(body, "max_tokens", 0, 0)) return p;
  if (auto p = check_integer(body, "logprobs", 0, 5)) return p;
  if (auto p = check_integer(body, "best_of", 0, 20)) return p;
  if (const auto e = body.find("echo"); e != body.end() && !e->is_null() && !e->is_boolean()) {
    return wrong_type("echo", "a boolean", *e);
  }
  if (const auto s = body.find("suffix"); s != body.end() && !s->is_null() && !s->is_string()) {
    return wrong_type("suffix", "a string", *s);
  }
  return std::nullopt;
}

}  // namespace checks

std::optional<RequestProblem> check_openai_chat_request(std::string_view body) {
  const json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return checks::check_parsed(j);
}

}  // namespace ploke::adapters::openai
