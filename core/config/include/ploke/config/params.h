// File: ploke/config/params.h
//
// Params: the request parameters a config layer may set (every field optional), and
// ResolvedParams: the merge of all layers with the layer each value came from.
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ploke::config {

struct Params {
  std::optional<double> temperature;        ///< [0, 2]
  std::optional<double> top_p;              ///< (0, 1]
  std::optional<int64_t> max_tokens;        ///< >= 1, <= the model's max output when known
  std::optional<double> presence_penalty;   ///< [-2, 2]
  std::optional<double> frequency_penalty;  ///< [-2, 2]
  std::optional<int64_t> seed;
  std::optional<bool> tools;                ///< send tools (model must support tools)
  std::optional<bool> json_mode;            ///< response_format json (model must support it)
  std::optional<bool> stream;               ///< model must support streaming
  std::optional<std::string> system_prompt;
  std::optional<std::vector<std::string>> stop;
  std::optional<int64_t> timeout_ms;        ///< >= 1
  friend bool operator==(const Params&, const Params&) = default;
};

/// The parameter names, in declaration order ("temperature", "top_p", …).
const std::vector<std::string_view>& param_names();
bool is_param_name(std::string_view name);

/// Copies every field set in `over` onto `base`.
void overlay(Params& base, const Params& over);

struct ResolvedParams {
  Params values;
  /// parameter name -> layer that set it: "request", "preset:NAME", "model:NAME",
  /// "provider:NAME", "profile:NAME", "env:PLOKE_SIM_X", "global".
  std::map<std::string, std::string> sources;
};

/// Overlays `over` on `into`, recording `layer` as the source of every field it sets.
void overlay_from(ResolvedParams& into, const Params& over, const std::string& layer);

/// "temperature=0.2 (preset:precise)" one per line, in param_names() order.
std::string render_resolved(const ResolvedParams& r);

}  // namespace ploke::config
