// File: adapters/openai/src/check_rules.h (package-private)
//
// The wording rules of the OpenAI API's 400s, shared by the request checks of every route
// the package serves (Chat Completions in checks.cpp, Responses in responses_read.cpp):
// each builds the RequestProblem the API answers (message, `param` path, `code`).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ploke/adapters/openai/checks.h"

namespace ploke::adapters::openai::rules {

/// OpenAI's name for a JSON value's type in "expected …, but got X instead" ("a string",
/// "an integer", "a decimal", "null", …).
std::string type_phrase(const nlohmann::json& v);
RequestProblem problem(std::string message, std::string param, std::string code);
/// "Missing required parameter: 'path'." (missing_required_parameter).
RequestProblem missing(const std::string& path);
/// "Invalid type for 'path': expected EXPECTED, but got a(n) X instead." (invalid_type).
RequestProblem wrong_type(const std::string& path, const std::string& expected, const nlohmann::json& got);
/// A decimal member `key` of `body` within [lo, hi] (integers count; absent or null pass).
std::optional<RequestProblem> check_decimal(const nlohmann::json& body, const char* key, double lo, double hi,
                                            const char* hi_text);
/// An integer member `key` of `body` >= lo (and <= hi when hi > 0; absent or null pass).
std::optional<RequestProblem> check_integer(const nlohmann::json& body, const char* key, int64_t lo, int64_t hi);
/// `v` (at `path`) is an object whose `field` is one of `values` ("Invalid value: 'x'.
/// Supported values are: 'a', 'b', and 'c'." for another value).
std::optional<RequestProblem> check_tagged_object(const nlohmann::json& v, const std::string& path,
                                                  const std::string& field, std::span<const std::string_view> values);
/// An optional string member `key` of `obj` (at `path`) that is one of `values` (absent
/// or null pass; another string: the invalid-value wording; another type: wrong_type).
std::optional<RequestProblem> check_enum(const nlohmann::json& obj, const char* key, const std::string& path,
                                         std::span<const std::string_view> values);
/// The API's reasoning efforts (`reasoning_effort`, Responses `reasoning.effort`).
inline constexpr std::string_view kReasoningEfforts[] = {"none", "minimal", "low", "medium", "high", "xhigh", "max"};
/// A required string member `key` of `obj` (at `path`).
std::optional<RequestProblem> check_required_string(const nlohmann::json& obj, const std::string& path,
                                                    const char* key);
/// A tool's name: 1 to 64 of [a-zA-Z0-9_-].
std::optional<RequestProblem> check_tool_name(const std::string& n, const std::string& path);

}  // namespace ploke::adapters::openai::rules
