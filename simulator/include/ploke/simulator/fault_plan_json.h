// File: ploke/simulator/fault_plan_json.h
//
// The JSON form of a FaultPlan (ploke/simulator/fault_plan.h), specified in
// simulator/README.md ("Fault plan format"). Parsing collects every error with its
// field path (`faults[2].trigger.probability: must be in [0,1]`) so an author fixes all
// mistakes in one pass; unknown keys are errors too (a typo never silently disables a
// fault). Durations are `*_ms` numbers, except `retry_after_s` (the retry-after header is
// in seconds).
//
// Thread-safety: pure functions.
//
// Example:
//   auto plan = parse_fault_plan(R"({"faults":[{"kind":"http_error","status":429,
//                                    "retry_after_ms":10,"trigger":{"nth":1}}]})", "inline");
//   if (!plan.ok()) std::cerr << plan.status().message();   // lists every bad field
//   std::string text = fault_plan_to_json(*plan);           // round-trips
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ploke/core/field_errors.h"
#include "ploke/core/status.h"
#include "ploke/simulator/fault_plan.h"

namespace ploke::simulator {

/// Parses a plan. `source_name` (a file name, "admin", "inline") prefixes the error
/// message. Errors: kInvalidRequest in FieldErrors' format (one error per line).
Result<FaultPlan> parse_fault_plan(std::string_view json, std::string_view source_name);

/// The same parse for loaders that embed a plan (scenarios): every problem is pushed into
/// `errors` with its path from the plan's root ("faults[0].status"); returns what it read.
FaultPlan parse_fault_plan(std::string_view json, FieldErrors& errors);

/// Reads and parses a plan file (the file name is the error's source name). kNotFound when
/// the file cannot be read.
Result<FaultPlan> load_fault_plan_file(const std::string& path);

/// Renders `plan` as JSON that parse_fault_plan() accepts (unset optionals omitted).
std::string fault_plan_to_json(const FaultPlan& plan);

/// "http_error" → kHttpError, …; nullopt for unknown names. (Names: fault_kind_name().)
std::optional<FaultKind> fault_kind_from_name(std::string_view name);

}  // namespace ploke::simulator
