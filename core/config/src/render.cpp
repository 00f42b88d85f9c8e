// render_config / save_config: the whole file from its parsed settings (comments are not
// kept; the commands that change the config use the text-preserving edits of edit.cpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <initializer_list>
#include <utility>
#include <sstream>

#include <toml++/toml.h>

#include "ploke/config/config.h"
#include "ploke/core/file_io.h"

namespace ploke::config {
namespace {

toml::table params_to_toml(const Params& p) {
  toml::table t;
  if (p.temperature) t.insert("temperature", *p.temperature);
  if (p.top_p) t.insert("top_p", *p.top_p);
  if (p.max_tokens) t.insert("max_tokens", *p.max_tokens);
  if (p.presence_penalty) t.insert("presence_penalty", *p.presence_penalty);
  if (p.frequency_penalty) t.insert("frequency_penalty", *p.frequency_penalty);
  if (p.seed) t.insert("seed", *p.seed);
  if (p.tools) t.insert("tools", *p.tools);
  if (p.json_mode) t.insert("json_mode", *p.json_mode);
  if (p.stream) t.insert("stream", *p.stream);
  if (p.system_prompt) t.insert("system_prompt", *p.system_prompt);
  if (p.stop) {
    toml::array a;
    for (const auto& s : *p.stop) a.push_back(s);
    t.insert("stop", std::move(a));
  }
  if (p.timeout_ms) t.insert("timeout_ms", *p.timeout_ms);
  return t;
}

void put_str(toml::table& t, std::string_view k, const std::string& v) {
  if (!v.empty()) t.insert(k, v);
}
void put_i64(toml::table& t, std::string_view k, const std::optional<int64_t>& v) {
  if (v) t.insert(k, *v);
}
void put_f64(toml::table& t, std::string_view k, const std::optional<double>& v) {
  if (v) t.insert(k, *v);
}
void put_params(toml::table& t, const Params& p) {
  if (p != Params{}) t.insert("params", params_to_toml(p));
}
void put_table(toml::table& root, std::string_view k, toml::table&& t) {
  if (!t.empty()) root.insert(k, std::move(t));
}

// toml++ prints doubles with 17 significant digits (0.69999999999999996); rewrite a
// "key = <float>" line with the shortest text that round-trips.
std::string tidy_float_line(std::string line) {
  auto eq = line.find(" = ");
  if (eq == std::string::npos || line.find('.', eq) == std::string::npos) return line;
  const std::string num = line.substr(eq + 3);
  double v = 0;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc() || end != num.data() + num.size()) return line;
  char b[64];
  auto r = std::to_chars(b, b + sizeof b, v);
  std::string t(b, r.ptr);
  if (t.find_first_of(".en") == std::string::npos) t += ".0";
  return line.substr(0, eq + 3) + t;
}

std::string tidy_floats(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out += tidy_float_line(text.substr(pos, nl - pos));
    if (nl < text.size()) out += '\n';
    pos = nl + 1;
  }
  return out;
}

// One [section.NAME] table per entry of `entries`; `fill(entry, table)` writes its keys and
// returns false for an entry that is not written (a built-in one).
template <class Map, class Fill>
toml::table named_tables(const Map& entries, Fill fill) {
  toml::table out;
  for (const auto& [name, e] : entries) {
    toml::table t;
    if (fill(e, t)) out.insert(name, std::move(t));
  }
  return out;
}

toml::table providers_to_toml(const Config& c) {
  return named_tables(c.providers, [](const auto& p, toml::table& t) {
    if (p.builtin) return false;
    put_str(t, "kind", p.kind);
    put_str(t, "base_url", p.base_url);
    put_str(t, "credential", p.credential);
    put_params(t, p.params);
    return true;
  });
}

toml::table models_to_toml(const Config& c) {
  return named_tables(c.models, [](const auto& m, toml::table& t) {
    put_str(t, "id", m.id);
    put_str(t, "provider", m.provider);
    put_str(t, "preset", m.preset);
    put_params(t, m.params);
    if (!m.aliases.empty()) {
      toml::array a;
      for (const auto& s : m.aliases) a.push_back(s);
      t.insert("aliases", std::move(a));
    }
    if (!m.deployments.empty()) {
      toml::array a;
      for (const auto& d : m.deployments) {
        toml::table dt;
        dt.insert("provider", d.provider);
        dt.insert("id", d.id);
        put_f64(dt, "weight", d.weight);
        a.push_back(std::move(dt));
      }
      t.insert("deployments", std::move(a));
    }
    return true;
  });
}

toml::table presets_to_toml(const Config& c) {
  return named_tables(c.presets, [](const auto& p, toml::table& t) {
    if (p.builtin) return false;
    t = params_to_toml(p.params);
    put_str(t, "description", p.description);
    return true;
  });
}

toml::table credentials_to_toml(const Config& c, const SaveOptions& options) {
  return named_tables(c.credentials, [&](const auto& cs, toml::table& t) {
    put_str(t, "provider", cs.provider);
    put_str(t, "env", cs.env);
    put_str(t, "file", cs.file);
    put_str(t, "command", cs.command);
    if (cs.command_timeout_ms != 5000) t.insert("command_timeout_ms", static_cast<int64_t>(cs.command_timeout_ms));
    if (!cs.key.empty()) t.insert("key", options.with_keys ? cs.key.reveal() : std::string(kRedacted));
    return true;
  });
}

toml::table profiles_to_toml(const Config& c) {
  return named_tables(c.profiles, [](const auto& p, toml::table& t) {
    put_str(t, "model", p.model);
    put_str(t, "preset", p.preset);
    if (!p.credentials.empty()) {
      toml::table ct;
      for (const auto& [prov, cred] : p.credentials) ct.insert(prov, cred);
      t.insert("credentials", std::move(ct));
    }
    put_params(t, p.params);
    return true;
  });
}

// [routing.breaker], [routing.retry], [routing.lanes]: the keys that are set.
using IntKnob = std::pair<const char*, std::optional<int64_t> RoutingConfig::*>;
using RateKnob = std::pair<const char*, std::optional<double> RoutingConfig::*>;

toml::table knobs_to_toml(const RoutingConfig& r, std::initializer_list<IntKnob> ints,
                          std::initializer_list<RateKnob> rates) {
  toml::table t;
  for (const auto& [key, field] : ints) put_i64(t, key, r.*field);
  for (const auto& [key, field] : rates) put_f64(t, key, r.*field);
  return t;
}

toml::table breaker_to_toml(const RoutingConfig& r) {
  using R = RoutingConfig;
  return knobs_to_toml(r,
                       {{"window", &R::breaker_window}, {"minimum_calls", &R::breaker_minimum_calls},
                        {"consecutive_failures", &R::breaker_consecutive_failures},
                        {"slow_call_ms", &R::breaker_slow_call_ms}, {"open_ms", &R::breaker_open_ms},
                        {"open_max_ms", &R::breaker_open_max_ms}, {"half_open_trials", &R::breaker_half_open_trials}},
                       {{"failure_rate", &R::breaker_failure_rate}, {"slow_call_rate", &R::breaker_slow_call_rate}});
}

toml::table retry_to_toml(const RoutingConfig& r) {
  using R = RoutingConfig;
  toml::table re = knobs_to_toml(
      r,
      {{"per_endpoint", &R::retry_per_endpoint}, {"max_attempts", &R::retry_max_attempts},
       {"max_retry_after_ms", &R::retry_max_retry_after_ms}, {"backoff_base_ms", &R::backoff_base_ms},
       {"backoff_cap_ms", &R::backoff_cap_ms}},
      {{"budget_ratio", &R::retry_budget_ratio}});
  put_str(re, "jitter", r.backoff_jitter);
  return re;
}

toml::table lanes_to_toml(const RoutingConfig& r) {
  using R = RoutingConfig;
  return knobs_to_toml(r,
                       {{"max_in_flight", &R::max_in_flight}, {"interactive_capacity", &R::interactive_capacity},
                        {"normal_capacity", &R::normal_capacity}, {"bulk_capacity", &R::bulk_capacity},
                        {"short_prompt_chars", &R::short_prompt_chars},
                        {"short_output_tokens", &R::short_output_tokens}, {"long_output_tokens", &R::long_output_tokens}},
                       {});
}

toml::table routing_to_toml(const RoutingConfig& r) {
  toml::table t;
  put_str(t, "policy", r.policy);
  if (!r.fallbacks.empty()) {
    toml::array a;
    for (const auto& f : r.fallbacks) a.push_back(f);
    t.insert("fallbacks", std::move(a));
  }
  put_i64(t, "max_chain", r.max_chain);
  if (r.stream_continuation) t.insert("stream_continuation", *r.stream_continuation);
  put_i64(t, "max_rate_limit_wait_ms", r.max_rate_limit_wait_ms);
  put_table(t, "breaker", breaker_to_toml(r));
  put_table(t, "retry", retry_to_toml(r));
  put_table(t, "lanes", lanes_to_toml(r));
  return t;
}

toml::table shared_to_toml(const SharedConfig& sh) {
  toml::table t;
  put_str(t, "url", sh.url);
  put_str(t, "instance_id", sh.instance_id);
  put_i64(t, "timeout_ms", sh.timeout_ms);
  put_i64(t, "connect_timeout_ms", sh.connect_timeout_ms);
  put_i64(t, "heartbeat_ms", sh.heartbeat_ms);
  put_str(t, "rate_limits_on_failure", sh.rate_limits_on_failure);
  put_i64(t, "lease_ms", sh.lease_ms);
  return t;
}

toml::array budgets_to_toml(const Config& c) {
  toml::array a;
  for (const auto& b : c.budgets) {
    toml::table t;
    t.insert("scope", b.scope);
    put_str(t, "name", b.name);
    t.insert("period", b.period);
    t.insert("limit_usd", b.limit_usd);
    t.insert("action", b.action);
    a.push_back(std::move(t));
  }
  return a;
}

}  // namespace

std::string render_config(const Config& c, const SaveOptions& options) {
  toml::table root;
  put_str(root, "active_profile", c.file_active_profile);
  put_str(root, "default_model", c.file_default_model);
  put_str(root, "default_preset", c.file_default_preset);
  put_str(root, "ledger", c.file_ledger_path);
  put_params(root, c.params);
  put_table(root, "providers", providers_to_toml(c));
  put_table(root, "models", models_to_toml(c));
  put_table(root, "presets", presets_to_toml(c));
  put_table(root, "credentials", credentials_to_toml(c, options));
  put_table(root, "profiles", profiles_to_toml(c));
  if (c.routing != RoutingConfig{}) root.insert("routing", routing_to_toml(c.routing));
  if (c.shared != SharedConfig{}) root.insert("shared", shared_to_toml(c.shared));
  if (!c.budgets.empty()) root.insert("budgets", budgets_to_toml(c));
  if (!c.plugins_load.empty()) {
    toml::array load;
    for (const auto& p : c.plugins_load) load.push_back(p);
    toml::table plugins;
    plugins.insert("load", std::move(load));
    root.insert("plugins", std::move(plugins));
  }
  std::ostringstream os;
  os << "# ploke-sim config (see core/config/README.md). Written by ploke-sim"
     << (options.with_keys ? "; holds keys.\n" : "; inline keys redacted.\n");
  os << root << "\n";
  std::string out = tidy_floats(os.str());
  return options.with_keys ? out : redact_secrets(out);
}

Status save_config(const std::string& path, const Config& c, const SaveOptions& options) {
  const std::string text = render_config(c, options);
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    ::mkdir(dir.c_str(), 0700);  // best effort; write_file_atomic reports a real failure
  }
  bool has_keys = false;
  for (const auto& kv : c.credentials) has_keys = has_keys || !kv.second.key.empty();
  if (options.with_keys && has_keys) {
    // write_file_atomic keeps the existing file's mode: make it 0600 first, so the key is
    // never readable by others, not even between the write and a later chmod.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    ::chmod(path.c_str(), 0600);
  }
  return write_file_atomic(path, text);
}

std::string render_config_json(const Config& c) {
  const std::string text = render_config(c, {false});
  try {
    const toml::table root = toml::parse(text, std::string_view("rendered config"));
    std::ostringstream os;
    os << toml::json_formatter{root};
    return os.str();
  } catch (const toml::parse_error&) {
    return "{}";  // render_config always writes valid TOML; never reached
  }
}

}  // namespace ploke::config
