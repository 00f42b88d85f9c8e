// Params: merging and rendering (see ploke/config/params.h).
#include "ploke/config/params.h"

#include <algorithm>
#include <cstdio>

namespace ploke::config {
namespace {

template <typename F>
void for_each_field(Params& a, const Params& b, F&& f) {
  f("temperature", a.temperature, b.temperature);
  f("top_p", a.top_p, b.top_p);
  f("max_tokens", a.max_tokens, b.max_tokens);
  f("presence_penalty", a.presence_penalty, b.presence_penalty);
  f("frequency_penalty", a.frequency_penalty, b.frequency_penalty);
  f("seed", a.seed, b.seed);
  f("tools", a.tools, b.tools);
  f("json_mode", a.json_mode, b.json_mode);
  f("stream", a.stream, b.stream);
  f("system_prompt", a.system_prompt, b.system_prompt);
  f("stop", a.stop, b.stop);
  f("timeout_ms", a.timeout_ms, b.timeout_ms);
}

std::string fmt(double v) { char b[64]; std::snprintf(b, sizeof b, "%g", v); return b; }
std::string fmt(int64_t v) { return std::to_string(v); }
std::string fmt(bool v) { return v ? "true" : "false"; }
std::string fmt(const std::string& v) { return "\"" + v + "\""; }
std::string fmt(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + fmt(v[i]);
  return s + "]";
}

}  // namespace

const std::vector<std::string_view>& param_names() {
  static const std::vector<std::string_view> kNames = {
      "temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "seed",
      "tools", "json_mode", "stream", "system_prompt", "stop", "timeout_ms"};
  return kNames;
}

bool is_param_name(std::string_view name) {
  const auto& n = param_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

void overlay(Params& base, const Params& over) {
  for_each_field(base, over, [](const char*, auto& a, const auto& b) {
    if (b) a = b;
  });
}

void overlay_from(ResolvedParams& into, const Params& over, const std::string& layer) {
  for_each_field(into.values, over, [&into, &layer](const char* name, auto& a, const auto& b) {
    if (b) {
      a = b;
      into.sources[name] = layer;
    }
  });
}

std::string render_resolved(const ResolvedParams& r) {
  std::string out;
  Params copy = r.values;
  for_each_field(copy, r.values, [&out, &r](const char* name, auto&, const auto& b) {
    if (!b) return;
    auto it = r.sources.find(name);
    out += std::string(name) + "=" + fmt(*b) + " (" + (it == r.sources.end() ? "?" : it->second) + ")\n";
  });
  return out;
}

}  // namespace ploke::config
