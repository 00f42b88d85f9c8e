// ReasoningOptions::Mode names. See ploke/core/reasoning_names.h.
#include "ploke/core/reasoning_names.h"

namespace ploke {

std::string_view reasoning_mode_name(ReasoningOptions::Mode m) {
  switch (m) {
    case ReasoningOptions::Mode::kEnabled: return "enabled";
    case ReasoningOptions::Mode::kDisabled: return "disabled";
    case ReasoningOptions::Mode::kAdaptive: return "adaptive";
    case ReasoningOptions::Mode::kUnset: break;
  }
  return "unset";
}

std::optional<ReasoningOptions::Mode> reasoning_mode_from_name(std::string_view name) {
  for (auto m : {ReasoningOptions::Mode::kEnabled, ReasoningOptions::Mode::kDisabled, ReasoningOptions::Mode::kAdaptive}) {
    if (reasoning_mode_name(m) == name) return m;
  }
  return std::nullopt;
}

}  // namespace ploke
