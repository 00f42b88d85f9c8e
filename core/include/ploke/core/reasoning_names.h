// File: ploke/core/reasoning_names.h
//
// The names of ReasoningOptions::Mode in data files (contract suites, scenarios):
// "enabled", "disabled", "adaptive". One spelling for every reader.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "ploke/core/chat.h"

namespace ploke {

/// "enabled" | "disabled" | "adaptive" (kUnset: "unset").
std::string_view reasoning_mode_name(ReasoningOptions::Mode m);
/// The mode of a name reasoning_mode_name() gives; nullopt for any other (and "unset").
std::optional<ReasoningOptions::Mode> reasoning_mode_from_name(std::string_view name);
/// For error messages: "enabled, disabled or adaptive".
inline constexpr std::string_view kReasoningModeNames = "enabled, disabled or adaptive";

}  // namespace ploke
