// The Parser's typed reads, parameters and environment overrides (see toml_parser.h).
#include "toml_parser.h"

#include <cmath>
#include <sstream>

namespace ploke::config::internal {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

std::string fmt_num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void Parser::error(const toml::source_region& where, const std::string& path, const std::string& msg) {
  out_.errors.add(config_error(file_, where.begin.line, where.begin.column, path, msg));
}

void Parser::note(const toml::node& n, const std::string& path) {
  out_.config.locations[path] = {n.source().begin.line, n.source().begin.column};
}

const toml::table* Parser::table(const toml::node& n, const std::string& path) {
  note(n, path);
  const toml::table* t = n.as_table();
  if (!t) error(n.source(), path, "expected a table, got " + type_name(n));
  return t;
}

void Parser::unknown_keys(const toml::table& t, const std::string& path, const KeySet& allowed) {
  for (auto&& kv : t) {
    const std::string k(kv.first.str());
    if (allowed.count(k)) continue;
    std::string hint;
    if (is_param_name(k)) hint = " (parameters go under " + path + ".params)";
    error(kv.first.source(), join(path, k), "unknown key '" + k + "'" + hint);
  }
}

std::string Parser::join(const std::string& a, std::string_view b) {
  return a.empty() ? std::string(b) : a + "." + std::string(b);
}

std::optional<std::string> Parser::str(const toml::node& n, const std::string& path) {
  note(n, path);
  if (auto* s = n.as_string()) return s->get();
  error(n.source(), path, "expected a string, got " + type_name(n));
  return std::nullopt;
}

std::optional<double> Parser::num(const toml::node& n, const std::string& path) {
  note(n, path);
  if (auto* f = n.as_floating_point()) return f->get();
  if (auto* i = n.as_integer()) return static_cast<double>(i->get());
  error(n.source(), path, "expected a number, got " + type_name(n));
  return std::nullopt;
}

std::optional<int64_t> Parser::integer(const toml::node& n, const std::string& path) {
  note(n, path);
  if (auto* i = n.as_integer()) return i->get();
  error(n.source(), path, "expected an integer, got " + type_name(n));
  return std::nullopt;
}

std::optional<bool> Parser::boolean(const toml::node& n, const std::string& path) {
  note(n, path);
  if (auto* b = n.as_boolean()) return b->get();
  error(n.source(), path, "expected true or false, got " + type_name(n));
  return std::nullopt;
}

void Parser::range(const toml::node& n, const std::string& path, std::optional<double>& dst, double lo, double hi,
                   bool lo_open) {
  auto v = num(n, path);
  if (!v) return;
  if (!std::isfinite(*v) || *v > hi || (lo_open ? *v <= lo : *v < lo)) {
    error(n.source(), path, "value " + fmt_num(*v) + " out of range " + (lo_open ? "(" : "[") + fmt_num(lo) + ", " +
                                fmt_num(hi) + "]");
    return;
  }
  dst = v;
}

void Parser::positive(const toml::node& n, const std::string& path, std::optional<int64_t>& dst) {
  auto v = integer(n, path);
  if (!v) return;
  if (*v < 1) {
    error(n.source(), path, "value " + std::to_string(*v) + " must be >= 1");
    return;
  }
  dst = v;
}

void Parser::int_range(const toml::node& n, const std::string& path, std::optional<int64_t>& dst, int64_t lo,
                       int64_t hi) {
  auto v = integer(n, path);
  if (!v) return;
  if (*v < lo || *v > hi) {
    error(n.source(), path, "value " + std::to_string(*v) + " out of range [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
    return;
  }
  dst = v;
}

std::optional<std::string> Parser::choice(const toml::node& n, const std::string& path, const KeySet& allowed,
                                          const std::string& expected) {
  auto v = str(n, path);
  if (v && !allowed.count(*v)) error(n.source(), path, expected);
  return v;
}

bool Parser::param(std::string_view key, const toml::node& n, const std::string& path, Params& p) {
  if (key == "temperature") range(n, path, p.temperature, 0, 2);
  else if (key == "top_p") range(n, path, p.top_p, 0, 1, true);
  else if (key == "presence_penalty") range(n, path, p.presence_penalty, -2, 2);
  else if (key == "frequency_penalty") range(n, path, p.frequency_penalty, -2, 2);
  else if (key == "max_tokens") positive(n, path, p.max_tokens);
  else if (key == "timeout_ms") positive(n, path, p.timeout_ms);
  else if (key == "seed") { if (auto v = integer(n, path)) p.seed = v; }
  else if (key == "tools") { if (auto v = boolean(n, path)) p.tools = v; }
  else if (key == "json_mode") { if (auto v = boolean(n, path)) p.json_mode = v; }
  else if (key == "stream") { if (auto v = boolean(n, path)) p.stream = v; }
  else if (key == "system_prompt") { if (auto v = str(n, path)) p.system_prompt = v; }
  else if (key == "stop") stop_param(n, path, p);
  else return false;
  return true;
}

void Parser::stop_param(const toml::node& n, const std::string& path, Params& p) {
  note(n, path);
  const toml::array* a = n.as_array();
  if (!a) {
    error(n.source(), path, "expected an array of strings, got " + type_name(n));
    return;
  }
  std::vector<std::string> v;
  bool ok = true;
  for (size_t i = 0; i < a->size(); ++i) {
    auto s = str((*a)[i], path + "[" + std::to_string(i) + "]");
    if (s) v.push_back(*s); else ok = false;
  }
  if (v.size() > 4) error(n.source(), path, "at most 4 stop sequences, got " + std::to_string(v.size()));
  else if (ok) p.stop = std::move(v);
}

Params Parser::params_table(const toml::node& n, const std::string& path) {
  Params p;
  const toml::table* t = table(n, path);
  if (!t) return p;
  for (auto&& kv : *t) {
    const std::string k(kv.first.str());
    if (!param(k, kv.second, join(path, k), p)) {
      error(kv.first.source(), join(path, k),
            "unknown parameter '" + k + "' (known: temperature, top_p, max_tokens, presence_penalty, "
            "frequency_penalty, seed, tools, json_mode, stream, system_prompt, stop, timeout_ms)");
    }
  }
  return p;
}

std::string Parser::expand(const std::string& path) {
  if (path.rfind("~/", 0) == 0) {
    auto home = env_("HOME");
    if (home) return *home + path.substr(1);
  }
  return path;
}

void Parser::apply_env() {
  Config& c = out_.config;
  auto take = [this, &c](const char* var, std::string& dst) {
    auto v = env_(var);
    if (v && !v->empty()) {
      dst = *v;
      c.env_overrides_applied.push_back(var);
    }
  };
  take("PLOKE_SIM_PROFILE", c.active_profile);
  take("PLOKE_SIM_MODEL", c.default_model);
  take("PLOKE_SIM_PRESET", c.default_preset);
  take("PLOKE_SIM_LEDGER", c.ledger_path);
  env_param("PLOKE_SIM_TEMPERATURE", "temperature");
  env_param("PLOKE_SIM_TOP_P", "top_p");
  env_param("PLOKE_SIM_MAX_TOKENS", "max_tokens");
  env_param("PLOKE_SIM_TIMEOUT_MS", "timeout_ms");
}

// One PLOKE_SIM_<PARAM>: parsed as a TOML value so the same checks and messages apply.
void Parser::env_param(const char* var, const char* key) {
  auto v = env_(var);
  if (!v || v->empty()) return;
  Config& c = out_.config;
  try {
    toml::table t = toml::parse(std::string(key) + " = " + *v, std::string_view("env"));
    const toml::node* n = t.get(key);
    const size_t before = out_.errors.size();
    param(key, *n, std::string("env ") + var, c.env_params);
    for (size_t i = before; i < out_.errors.size(); ++i) {
      FieldError& e = out_.errors.mutable_list()[i];
      e.file = "environment";
      e.line = e.column = 0;
    }
    if (out_.errors.size() == before) c.env_overrides_applied.push_back(var);
  } catch (const toml::parse_error&) {
    out_.errors.add(config_error("environment", 0, 0, std::string("env ") + var, "not a number"));
  }
}

}  // namespace ploke::config::internal
