// Config parsing, validation, resolution and saving (see ploke/config/config.h).
// toml++ stays in this file.
#include "ploke/config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "ploke/codec/cassette_json.h"
#include "ploke/resilience/router.h"

namespace ploke::config {
namespace {

const std::set<std::string, std::less<>> kTopKeys = {"active_profile", "default_model", "default_preset", "ledger",
                                                     "params", "providers", "models", "presets", "profiles",
                                                     "credentials", "budgets", "routing"};
const std::set<std::string, std::less<>> kRoutingKeys = {"policy", "fallbacks", "max_chain", "stream_continuation",
                                                         "max_rate_limit_wait_ms", "breaker", "retry", "lanes"};
const std::set<std::string, std::less<>> kBreakerKeys = {"window", "minimum_calls", "failure_rate",
                                                         "consecutive_failures", "slow_call_ms", "slow_call_rate",
                                                         "open_ms", "open_max_ms", "half_open_trials"};
const std::set<std::string, std::less<>> kRetryKeys = {"per_endpoint", "max_attempts", "max_retry_after_ms",
                                                       "backoff_base_ms", "backoff_cap_ms", "jitter", "budget_ratio"};
const std::set<std::string, std::less<>> kLaneKeys = {"max_in_flight", "interactive_capacity", "normal_capacity",
                                                      "bulk_capacity", "short_prompt_chars", "short_output_tokens",
                                                      "long_output_tokens"};
const std::set<std::string, std::less<>> kProviderKeys = {"kind", "base_url", "credential", "params"};
const std::set<std::string, std::less<>> kModelKeys = {"id", "provider", "preset", "params"};
const std::set<std::string, std::less<>> kProfileKeys = {"credentials", "model", "preset", "params"};
const std::set<std::string, std::less<>> kCredentialKeys = {"provider", "env", "file", "command",
                                                            "command_timeout_ms", "key"};
const std::set<std::string, std::less<>> kBudgetKeys = {"scope", "name", "period", "limit_usd", "action"};
const std::set<std::string, std::less<>> kKinds = {"openai", "openrouter", "anthropic", "custom"};

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

// Walks the parsed document collecting every error.
class Parser {
 public:
  Parser(std::string file, LoadResult& out, const EnvLookup& env) : file_(std::move(file)), out_(out), env_(env) {}

  void error(const toml::source_region& where, const std::string& path, const std::string& msg) {
    out_.errors.push_back({file_, where.begin.line, where.begin.column, path, redact_secrets(msg)});
  }
  void error_at(const std::string& path, const std::string& msg) {
    auto it = out_.config.locations.find(path);
    uint32_t l = 0, c = 0;
    if (it != out_.config.locations.end()) { l = it->second.first; c = it->second.second; }
    out_.errors.push_back({file_, l, c, path, redact_secrets(msg)});
  }
  void note(const toml::node& n, const std::string& path) {
    out_.config.locations[path] = {n.source().begin.line, n.source().begin.column};
  }

  // Checks keys against `allowed`; returns false for a non-table.
  const toml::table* table(const toml::node& n, const std::string& path) {
    note(n, path);
    const toml::table* t = n.as_table();
    if (!t) {
      error(n.source(), path, "expected a table, got " + type_name(n));
      return nullptr;
    }
    return t;
  }
  void unknown_keys(const toml::table& t, const std::string& path, const std::set<std::string, std::less<>>& allowed,
                    bool allow_params = false) {
    for (auto&& kv : t) {
      const std::string k(kv.first.str());
      if (allowed.count(k) || (allow_params && is_param_name(k))) continue;
      std::string hint;
      if (is_param_name(k)) hint = " (parameters go under " + path + ".params)";
      error(kv.first.source(), join(path, k), "unknown key '" + k + "'" + hint);
    }
  }
  static std::string join(const std::string& a, std::string_view b) {
    return a.empty() ? std::string(b) : a + "." + std::string(b);
  }

  std::optional<std::string> str(const toml::node& n, const std::string& path) {
    note(n, path);
    if (auto* s = n.as_string()) return s->get();
    error(n.source(), path, "expected a string, got " + type_name(n));
    return std::nullopt;
  }
  std::optional<double> num(const toml::node& n, const std::string& path) {
    note(n, path);
    if (auto* f = n.as_floating_point()) return f->get();
    if (auto* i = n.as_integer()) return static_cast<double>(i->get());
    error(n.source(), path, "expected a number, got " + type_name(n));
    return std::nullopt;
  }
  std::optional<int64_t> integer(const toml::node& n, const std::string& path) {
    note(n, path);
    if (auto* i = n.as_integer()) return i->get();
    error(n.source(), path, "expected an integer, got " + type_name(n));
    return std::nullopt;
  }
  std::optional<bool> boolean(const toml::node& n, const std::string& path) {
    note(n, path);
    if (auto* b = n.as_boolean()) return b->get();
    error(n.source(), path, "expected true or false, got " + type_name(n));
    return std::nullopt;
  }

  void range(const toml::node& n, const std::string& path, std::optional<double>& dst, double lo, double hi,
             bool lo_open = false) {
    auto v = num(n, path);
    if (!v) return;
    if (!std::isfinite(*v) || *v > hi || (lo_open ? *v <= lo : *v < lo)) {
      error(n.source(), path, "value " + fmt_num(*v) + " out of range " + (lo_open ? "(" : "[") + fmt_num(lo) + ", " +
                                  fmt_num(hi) + "]");
      return;
    }
    dst = v;
  }
  void positive(const toml::node& n, const std::string& path, std::optional<int64_t>& dst) {
    auto v = integer(n, path);
    if (!v) return;
    if (*v < 1) {
      error(n.source(), path, "value " + std::to_string(*v) + " must be >= 1");
      return;
    }
    dst = v;
  }

  // One parameter key into `p`. Returns false when `key` is not a parameter name.
  bool param(std::string_view key, const toml::node& n, const std::string& path, Params& p) {
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
    else if (key == "stop") {
      note(n, path);
      const toml::array* a = n.as_array();
      if (!a) {
        error(n.source(), path, "expected an array of strings, got " + type_name(n));
        return true;
      }
      std::vector<std::string> v;
      bool ok = true;
      for (size_t i = 0; i < a->size(); ++i) {
        auto s = str((*a)[i], path + "[" + std::to_string(i) + "]");
        if (s) v.push_back(*s); else ok = false;
      }
      if (v.size() > 4) error(n.source(), path, "at most 4 stop sequences, got " + std::to_string(v.size()));
      else if (ok) p.stop = std::move(v);
    } else {
      return false;
    }
    return true;
  }

  Params params_table(const toml::node& n, const std::string& path) {
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

  std::string expand(const std::string& path) {
    if (path.rfind("~/", 0) == 0) {
      auto home = env_("HOME");
      if (home) return *home + path.substr(1);
    }
    return path;
  }

  void parse(const toml::table& root) {
    Config& c = out_.config;
    unknown_keys(root, "", kTopKeys);
    if (auto* n = root.get("active_profile")) if (auto v = str(*n, "active_profile")) c.file_active_profile = *v;
    if (auto* n = root.get("default_model")) if (auto v = str(*n, "default_model")) c.file_default_model = *v;
    if (auto* n = root.get("default_preset")) if (auto v = str(*n, "default_preset")) c.file_default_preset = *v;
    if (auto* n = root.get("ledger")) if (auto v = str(*n, "ledger")) c.file_ledger_path = expand(*v);
    if (auto* n = root.get("params")) c.params = params_table(*n, "params");

    if (auto* n = root.get("providers")) {
      if (const toml::table* t = table(*n, "providers")) {
        for (auto&& kv : *t) {
          const std::string name(kv.first.str()), path = "providers." + name;
          ProviderConfig p;
          auto bit = c.providers.find(name);
          if (bit != c.providers.end()) p = bit->second;
          p.name = name;
          p.builtin = false;
          const toml::table* pt = table(kv.second, path);
          if (!pt) continue;
          unknown_keys(*pt, path, kProviderKeys);
          if (auto* x = pt->get("kind")) {
            if (auto v = str(*x, path + ".kind")) {
              if (!kKinds.count(*v)) error(x->source(), path + ".kind", "unknown kind '" + *v +
                                                                           "' (openai, openrouter, anthropic, custom)");
              else p.kind = *v;
            }
          }
          if (auto* x = pt->get("base_url")) {
            if (auto v = str(*x, path + ".base_url")) {
              if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
                error(x->source(), path + ".base_url", "expected an http:// or https:// URL");
              } else {
                p.base_url = *v;
              }
            }
          }
          if (auto* x = pt->get("credential")) if (auto v = str(*x, path + ".credential")) p.credential = *v;
          if (auto* x = pt->get("params")) p.params = params_table(*x, path + ".params");
          if (p.base_url.empty() && !pt->get("base_url")) error(kv.second.source(), path + ".base_url", "missing (required for a new provider)");
          c.providers[name] = std::move(p);
        }
      }
    }
    if (auto* n = root.get("models")) {
      if (const toml::table* t = table(*n, "models")) {
        for (auto&& kv : *t) {
          const std::string name(kv.first.str()), path = "models." + name;
          ModelConfig m;
          m.name = name;
          const toml::table* mt = table(kv.second, path);
          if (!mt) continue;
          unknown_keys(*mt, path, kModelKeys);
          if (auto* x = mt->get("id")) if (auto v = str(*x, path + ".id")) m.id = *v;
          if (auto* x = mt->get("provider")) if (auto v = str(*x, path + ".provider")) m.provider = *v;
          if (auto* x = mt->get("preset")) if (auto v = str(*x, path + ".preset")) m.preset = *v;
          if (auto* x = mt->get("params")) m.params = params_table(*x, path + ".params");
          if (m.id.empty()) m.id = name;
          if (m.provider.empty()) m.provider = "openrouter";
          c.models[name] = std::move(m);
        }
      }
    }
    if (auto* n = root.get("presets")) {
      if (const toml::table* t = table(*n, "presets")) {
        for (auto&& kv : *t) {
          const std::string name(kv.first.str()), path = "presets." + name;
          Preset p;
          p.name = name;
          const toml::table* pt = table(kv.second, path);
          if (!pt) continue;
          for (auto&& f : *pt) {
            const std::string k(f.first.str());
            if (k == "description") {
              if (auto v = str(f.second, path + ".description")) p.description = *v;
            } else if (!param(k, f.second, path + "." + k, p.params)) {
              error(f.first.source(), path + "." + k, "unknown key '" + k + "' (a preset holds description and parameters)");
            }
          }
          c.presets[name] = std::move(p);  // replaces a built-in preset of the same name
        }
      }
    }
    if (auto* n = root.get("credentials")) {
      if (const toml::table* t = table(*n, "credentials")) {
        for (auto&& kv : *t) {
          const std::string name(kv.first.str()), path = "credentials." + name;
          CredentialSpec cs;
          cs.name = name;
          const toml::table* ct = table(kv.second, path);
          if (!ct) continue;
          unknown_keys(*ct, path, kCredentialKeys);
          if (auto* x = ct->get("provider")) if (auto v = str(*x, path + ".provider")) cs.provider = *v;
          if (auto* x = ct->get("env")) if (auto v = str(*x, path + ".env")) cs.env = *v;
          if (auto* x = ct->get("file")) if (auto v = str(*x, path + ".file")) cs.file = expand(*v);
          if (auto* x = ct->get("command")) if (auto v = str(*x, path + ".command")) cs.command = *v;
          if (auto* x = ct->get("command_timeout_ms")) {
            std::optional<int64_t> v;
            positive(*x, path + ".command_timeout_ms", v);
            if (v) cs.command_timeout_ms = static_cast<uint32_t>(std::min<int64_t>(*v, 600000));
          }
          if (auto* x = ct->get("key")) {
            if (auto v = str(*x, path + ".key")) {
              if (*v == kRedacted || v->empty()) {
                out_.warnings.push_back(path + ".key: redacted placeholder ignored (the key was not saved)");
              } else {
                cs.key = Secret(*v);
                out_.warnings.push_back(path + ".key: inline key in the config file; prefer env, file or command");
              }
            }
          }
          if (cs.env.empty() && cs.file.empty() && cs.command.empty() && cs.key.empty() && !ct->get("key")) {
            error(kv.second.source(), path, "no key source: set env, file, command or key");
          }
          c.credentials[name] = std::move(cs);
        }
      }
    }
    if (auto* n = root.get("profiles")) {
      if (const toml::table* t = table(*n, "profiles")) {
        for (auto&& kv : *t) {
          const std::string name(kv.first.str()), path = "profiles." + name;
          Profile p;
          p.name = name;
          const toml::table* pt = table(kv.second, path);
          if (!pt) continue;
          unknown_keys(*pt, path, kProfileKeys);
          if (auto* x = pt->get("model")) if (auto v = str(*x, path + ".model")) p.model = *v;
          if (auto* x = pt->get("preset")) if (auto v = str(*x, path + ".preset")) p.preset = *v;
          if (auto* x = pt->get("params")) p.params = params_table(*x, path + ".params");
          if (auto* x = pt->get("credentials")) {
            if (const toml::table* ct = table(*x, path + ".credentials")) {
              for (auto&& e : *ct) {
                const std::string prov(e.first.str());
                if (auto v = str(e.second, path + ".credentials." + prov)) p.credentials[prov] = *v;
              }
            }
          }
          c.profiles[name] = std::move(p);
        }
      }
    }
    if (auto* n = root.get("routing")) routing(*n);
    if (auto* n = root.get("budgets")) {
      note(*n, "budgets");
      const toml::array* a = n->as_array();
      if (!a) {
        error(n->source(), "budgets", "expected an array of tables ([[budgets]]), got " + type_name(*n));
      } else {
        for (size_t i = 0; i < a->size(); ++i) {
          const std::string path = "budgets[" + std::to_string(i) + "]";
          const toml::table* bt = table((*a)[i], path);
          if (!bt) continue;
          unknown_keys(*bt, path, kBudgetKeys);
          BudgetConfig b;
          if (auto* x = bt->get("scope")) {
            if (auto v = str(*x, path + ".scope")) {
              if (*v != "global" && *v != "provider" && *v != "profile") {
                error(x->source(), path + ".scope", "expected global, provider or profile");
              }
              b.scope = *v;
            }
          }
          if (auto* x = bt->get("name")) if (auto v = str(*x, path + ".name")) b.name = *v;
          if (auto* x = bt->get("period")) {
            if (auto v = str(*x, path + ".period")) {
              if (*v != "day" && *v != "month") error(x->source(), path + ".period", "expected day or month");
              b.period = *v;
            }
          }
          if (auto* x = bt->get("action")) {
            if (auto v = str(*x, path + ".action")) {
              if (*v != "warn" && *v != "stop") error(x->source(), path + ".action", "expected warn or stop");
              b.action = *v;
            }
          }
          if (auto* x = bt->get("limit_usd")) {
            std::optional<double> v;
            range(*x, path + ".limit_usd", v, 0, 1e12);
            if (v) b.limit_usd = *v;
          } else {
            error((*a)[i].source(), path + ".limit_usd", "missing");
          }
          if (b.scope != "global" && b.name.empty()) error((*a)[i].source(), path + ".name", "missing (needed for scope " + b.scope + ")");
          c.budgets.push_back(std::move(b));
        }
      }
    }
  }

  // An integer in [lo, hi] (or nothing, with an error naming the path and the range).
  void int_range(const toml::node& n, const std::string& path, std::optional<int64_t>& dst, int64_t lo, int64_t hi) {
    auto v = integer(n, path);
    if (!v) return;
    if (*v < lo || *v > hi) {
      error(n.source(), path, "value " + std::to_string(*v) + " out of range [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
      return;
    }
    dst = v;
  }

  void routing(const toml::node& n) {
    RoutingConfig& r = out_.config.routing;
    const toml::table* t = table(n, "routing");
    if (!t) return;
    unknown_keys(*t, "routing", kRoutingKeys);
    if (auto* x = t->get("policy")) {
      if (auto v = str(*x, "routing.policy")) {
        const auto names = builtin_policy_names();
        if (std::find(names.begin(), names.end(), *v) == names.end()) {
          std::string known;
          for (const auto& k : names) known += (known.empty() ? "" : ", ") + k;
          error(x->source(), "routing.policy", "unknown policy '" + *v + "' (known: " + known + ")");
        } else {
          r.policy = *v;
        }
      }
    }
    if (auto* x = t->get("fallbacks")) {
      note(*x, "routing.fallbacks");
      if (const toml::array* a = x->as_array()) {
        for (size_t i = 0; i < a->size(); ++i) {
          // "" keeps the indices of later entries (the config has an error anyway).
          auto v = str((*a)[i], "routing.fallbacks[" + std::to_string(i) + "]");
          r.fallbacks.push_back(v.value_or(""));
        }
      } else {
        error(x->source(), "routing.fallbacks", "expected an array of model names, got " + type_name(*x));
      }
    }
    if (auto* x = t->get("max_chain")) int_range(*x, "routing.max_chain", r.max_chain, 1, 16);
    if (auto* x = t->get("stream_continuation")) r.stream_continuation = boolean(*x, "routing.stream_continuation");
    if (auto* x = t->get("max_rate_limit_wait_ms")) int_range(*x, "routing.max_rate_limit_wait_ms", r.max_rate_limit_wait_ms, 0, 3600000);
    if (auto* x = t->get("breaker")) {
      if (const toml::table* b = table(*x, "routing.breaker")) {
        unknown_keys(*b, "routing.breaker", kBreakerKeys);
        const std::string p = "routing.breaker.";
        if (auto* y = b->get("window")) int_range(*y, p + "window", r.breaker_window, 1, 100000);
        if (auto* y = b->get("minimum_calls")) int_range(*y, p + "minimum_calls", r.breaker_minimum_calls, 1, 100000);
        if (auto* y = b->get("failure_rate")) range(*y, p + "failure_rate", r.breaker_failure_rate, 0, 1, true);
        if (auto* y = b->get("consecutive_failures")) int_range(*y, p + "consecutive_failures", r.breaker_consecutive_failures, 0, 100000);
        if (auto* y = b->get("slow_call_ms")) int_range(*y, p + "slow_call_ms", r.breaker_slow_call_ms, 1, 3600000);
        if (auto* y = b->get("slow_call_rate")) range(*y, p + "slow_call_rate", r.breaker_slow_call_rate, 0, 2, true);
        if (auto* y = b->get("open_ms")) int_range(*y, p + "open_ms", r.breaker_open_ms, 1, 86400000);
        if (auto* y = b->get("open_max_ms")) int_range(*y, p + "open_max_ms", r.breaker_open_max_ms, 1, 86400000);
        if (auto* y = b->get("half_open_trials")) int_range(*y, p + "half_open_trials", r.breaker_half_open_trials, 1, 1000);
        if (r.breaker_minimum_calls && r.breaker_window && *r.breaker_minimum_calls > *r.breaker_window) {
          error(b->get("minimum_calls")->source(), p + "minimum_calls",
                "minimum_calls " + std::to_string(*r.breaker_minimum_calls) + " exceeds window " +
                    std::to_string(*r.breaker_window) + " (the failure rate could never trip)");
        }
        if (r.breaker_open_ms && r.breaker_open_max_ms && *r.breaker_open_ms > *r.breaker_open_max_ms) {
          error(b->get("open_max_ms")->source(), p + "open_max_ms", "open_max_ms is below open_ms");
        }
      }
    }
    if (auto* x = t->get("retry")) {
      if (const toml::table* b = table(*x, "routing.retry")) {
        unknown_keys(*b, "routing.retry", kRetryKeys);
        const std::string p = "routing.retry.";
        if (auto* y = b->get("per_endpoint")) int_range(*y, p + "per_endpoint", r.retry_per_endpoint, 0, 100);
        if (auto* y = b->get("max_attempts")) int_range(*y, p + "max_attempts", r.retry_max_attempts, 1, 100);
        if (auto* y = b->get("max_retry_after_ms")) int_range(*y, p + "max_retry_after_ms", r.retry_max_retry_after_ms, 0, 3600000);
        if (auto* y = b->get("backoff_base_ms")) int_range(*y, p + "backoff_base_ms", r.backoff_base_ms, 0, 3600000);
        if (auto* y = b->get("backoff_cap_ms")) int_range(*y, p + "backoff_cap_ms", r.backoff_cap_ms, 0, 3600000);
        if (auto* y = b->get("budget_ratio")) range(*y, p + "budget_ratio", r.retry_budget_ratio, 0, 100);
        if (auto* y = b->get("jitter")) {
          if (auto v = str(*y, p + "jitter")) {
            if (*v != "decorrelated" && *v != "full" && *v != "none") {
              error(y->source(), p + "jitter", "expected decorrelated, full or none");
            } else {
              r.backoff_jitter = *v;
            }
          }
        }
        if (r.backoff_base_ms && r.backoff_cap_ms && *r.backoff_base_ms > *r.backoff_cap_ms) {
          error(b->get("backoff_cap_ms")->source(), p + "backoff_cap_ms", "backoff_cap_ms is below backoff_base_ms");
        }
      }
    }
    if (auto* x = t->get("lanes")) {
      if (const toml::table* b = table(*x, "routing.lanes")) {
        unknown_keys(*b, "routing.lanes", kLaneKeys);
        const std::string p = "routing.lanes.";
        if (auto* y = b->get("max_in_flight")) int_range(*y, p + "max_in_flight", r.max_in_flight, 1, 1000000);
        if (auto* y = b->get("interactive_capacity")) int_range(*y, p + "interactive_capacity", r.interactive_capacity, 0, 10000000);
        if (auto* y = b->get("normal_capacity")) int_range(*y, p + "normal_capacity", r.normal_capacity, 0, 10000000);
        if (auto* y = b->get("bulk_capacity")) int_range(*y, p + "bulk_capacity", r.bulk_capacity, 0, 10000000);
        if (auto* y = b->get("short_prompt_chars")) int_range(*y, p + "short_prompt_chars", r.short_prompt_chars, 0, 100000000);
        if (auto* y = b->get("short_output_tokens")) int_range(*y, p + "short_output_tokens", r.short_output_tokens, 0, 100000000);
        if (auto* y = b->get("long_output_tokens")) int_range(*y, p + "long_output_tokens", r.long_output_tokens, 1, 100000000);
      }
    }
  }

  // PLOKE_SIM_* overrides. Values are validated like file values (path "env NAME").
  void apply_env() {
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
    struct NumVar { const char* var; const char* key; };
    static const NumVar kVars[] = {{"PLOKE_SIM_TEMPERATURE", "temperature"}, {"PLOKE_SIM_TOP_P", "top_p"},
                                   {"PLOKE_SIM_MAX_TOKENS", "max_tokens"}, {"PLOKE_SIM_TIMEOUT_MS", "timeout_ms"}};
    for (const auto& nv : kVars) {
      auto v = env_(nv.var);
      if (!v || v->empty()) continue;
      // Parse the value as a TOML value so the same checks and messages apply.
      try {
        toml::table t = toml::parse(std::string(nv.key) + " = " + *v, std::string_view("env"));
        const toml::node* n = t.get(nv.key);
        const size_t before = out_.errors.size();
        param(nv.key, *n, std::string("env ") + nv.var, c.env_params);
        for (size_t i = before; i < out_.errors.size(); ++i) {
          out_.errors[i].file = "environment";
          out_.errors[i].line = out_.errors[i].column = 0;
        }
        if (out_.errors.size() == before) c.env_overrides_applied.push_back(nv.var);
      } catch (const toml::parse_error&) {
        out_.errors.push_back({"environment", 0, 0, std::string("env ") + nv.var, "not a number"});
      }
    }
  }

 private:
  std::string file_;
  LoadResult& out_;
  const EnvLookup& env_;
};

void check_refs(LoadResult& r, Parser& p) {
  const Config& c = r.config;
  auto has_model = [&c](const std::string& m) { return c.models.count(m) > 0; };
  (void)has_model;
  if (!c.file_active_profile.empty() && !c.profiles.count(c.file_active_profile)) {
    p.error_at("active_profile", "unknown profile '" + c.file_active_profile + "'");
  }
  if (!c.active_profile.empty() && c.active_profile != c.file_active_profile && !c.profiles.count(c.active_profile)) {
    r.errors.push_back({"environment", 0, 0, "env PLOKE_SIM_PROFILE", "unknown profile '" + c.active_profile + "'"});
  }
  if (!c.file_default_preset.empty() && !c.presets.count(c.file_default_preset)) {
    p.error_at("default_preset", "unknown preset '" + c.file_default_preset + "'");
  }
  if (!c.default_preset.empty() && c.default_preset != c.file_default_preset && !c.presets.count(c.default_preset)) {
    bool from_profile = c.active() && c.active()->preset == c.default_preset;
    if (!from_profile) r.errors.push_back({"environment", 0, 0, "env PLOKE_SIM_PRESET", "unknown preset '" + c.default_preset + "'"});
  }
  for (const auto& [name, pr] : c.providers) {
    if (!pr.credential.empty() && !c.credentials.count(pr.credential)) {
      p.error_at("providers." + name + ".credential", "unknown credential '" + pr.credential + "'");
    }
  }
  for (const auto& [name, m] : c.models) {
    if (!c.providers.count(m.provider)) p.error_at("models." + name + ".provider", "unknown provider '" + m.provider + "'");
    if (!m.preset.empty() && !c.presets.count(m.preset)) p.error_at("models." + name + ".preset", "unknown preset '" + m.preset + "'");
  }
  for (const auto& [name, cs] : c.credentials) {
    if (!cs.provider.empty() && !c.providers.count(cs.provider)) {
      p.error_at("credentials." + name + ".provider", "unknown provider '" + cs.provider + "'");
    }
  }
  for (const auto& [name, pf] : c.profiles) {
    if (!pf.preset.empty() && !c.presets.count(pf.preset)) p.error_at("profiles." + name + ".preset", "unknown preset '" + pf.preset + "'");
    for (const auto& [prov, cred] : pf.credentials) {
      const std::string path = "profiles." + name + ".credentials." + prov;
      if (!c.providers.count(prov)) p.error_at(path, "unknown provider '" + prov + "'");
      auto it = c.credentials.find(cred);
      if (it == c.credentials.end()) {
        p.error_at(path, "unknown credential '" + cred + "'");
      } else if (!it->second.provider.empty() && it->second.provider != prov) {
        p.error_at(path, "credential '" + cred + "' is for provider " + it->second.provider + ", not " + prov);
      }
    }
  }
  for (size_t i = 0; i < c.budgets.size(); ++i) {
    const auto& b = c.budgets[i];
    const std::string path = "budgets[" + std::to_string(i) + "].name";
    if (b.scope == "provider" && !b.name.empty() && !c.providers.count(b.name)) p.error_at(path, "unknown provider '" + b.name + "'");
    if (b.scope == "profile" && !b.name.empty() && !c.profiles.count(b.name)) p.error_at(path, "unknown profile '" + b.name + "'");
  }
}

// Maps a ResolvedParams source layer to the field path of `param` in the file.
std::string layer_path(const std::string& layer, const std::string& param) {
  auto colon = layer.find(':');
  const std::string kind = layer.substr(0, colon), name = colon == std::string::npos ? "" : layer.substr(colon + 1);
  if (kind == "preset") return "presets." + name + "." + param;
  if (kind == "model") return "models." + name + ".params." + param;
  if (kind == "provider") return "providers." + name + ".params." + param;
  if (kind == "profile") return "profiles." + name + ".params." + param;
  if (kind == "env") return "env " + name;
  return "params." + param;
}

const ModelConfig* find_model(const Config& c, std::string_view model) {
  auto it = c.models.find(std::string(model));
  return it == c.models.end() ? nullptr : &it->second;
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  return s + ": " + path + ": " + message;
}

const Profile* Config::active() const {
  auto it = profiles.find(active_profile);
  return it == profiles.end() ? nullptr : &it->second;
}

Status LoadResult::status() const {
  if (errors.empty()) return Status::Ok();
  std::string msg = std::to_string(errors.size()) + (errors.size() == 1 ? " error" : " errors") + " in config:";
  for (const auto& e : errors) msg += "\n  " + e.to_string();
  return InvalidRequestError(msg);
}

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup fixed_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string default_config_path(const EnvLookup& env) {
  auto xdg = env("XDG_CONFIG_HOME");
  if (xdg && !xdg->empty()) return *xdg + "/ploke-sim/config.toml";
  auto home = env("HOME");
  return (home ? *home : std::string(".")) + "/.config/ploke-sim/config.toml";
}

std::string config_path(const std::string& explicit_path, const EnvLookup& env) {
  if (!explicit_path.empty()) return explicit_path;
  auto v = env("PLOKE_SIM_CONFIG");
  if (v && !v->empty()) return *v;
  return default_config_path(env);
}

std::vector<std::string> builtin_policy_names() {
  static const std::vector<std::string> names = resilience::Router(resilience::RouterConfig{}, 0).policy_names();
  return names;
}

std::map<std::string, Preset> builtin_presets() {
  std::map<std::string, Preset> m;
  Preset creative{"creative", "more varied wording", {}, true};
  creative.params.temperature = 1.0;
  creative.params.top_p = 0.95;
  Preset precise{"precise", "focused, repeatable answers", {}, true};
  precise.params.temperature = 0.2;
  precise.params.top_p = 0.9;
  Preset economical{"economical", "short answers, fewer tokens", {}, true};
  economical.params.temperature = 0.5;
  economical.params.max_tokens = 512;
  m["creative"] = creative;
  m["precise"] = precise;
  m["economical"] = economical;
  return m;
}

std::map<std::string, ProviderConfig> builtin_providers() {
  std::map<std::string, ProviderConfig> m;
  m["openai"] = {"openai", "openai", "https://api.openai.com/v1", "", {}, true};
  m["openrouter"] = {"openrouter", "openrouter", "https://openrouter.ai/api/v1", "", {}, true};
  m["anthropic"] = {"anthropic", "anthropic", "https://api.anthropic.com/v1", "", {}, true};
  return m;
}

LoadResult parse_config(std::string_view text, std::string_view source, const LoadOptions& options) {
  LoadResult r;
  EnvLookup env = options.env ? options.env : process_env();
  r.path = std::string(source);
  r.config.source = std::string(source);
  r.config.providers = builtin_providers();
  r.config.presets = builtin_presets();
  Parser p(std::string(source), r, env);
  try {
    toml::table root = toml::parse(text, source);
    p.parse(root);
  } catch (const toml::parse_error& e) {
    r.errors.push_back({std::string(source), e.source().begin.line, e.source().begin.column, "(syntax)",
                        redact_secrets(std::string(e.description()))});
    return r;  // nothing else can be trusted
  }
  Config& c = r.config;
  c.active_profile = c.file_active_profile;
  c.ledger_path = c.file_ledger_path;
  p.apply_env();
  if (const Profile* prof = c.active()) {
    if (c.default_model.empty() && !prof->model.empty()) c.default_model = prof->model;
    if (c.default_preset.empty() && !prof->preset.empty()) c.default_preset = prof->preset;
  }
  if (c.default_model.empty()) c.default_model = c.file_default_model;
  if (c.default_preset.empty()) c.default_preset = c.file_default_preset;
  if (c.ledger_path.empty()) c.ledger_path = c.file_ledger_path;
  check_refs(r, p);
  if (options.catalog) {
    auto more = validate(c, *options.catalog);
    r.errors.insert(r.errors.end(), more.begin(), more.end());
  }
  std::stable_sort(r.errors.begin(), r.errors.end(), [](const ConfigError& a, const ConfigError& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  return r;
}

std::vector<ConfigError> validate(const Config& c, const catalog::Catalog& cat) {
  std::vector<ConfigError> errs;
  std::set<std::string> seen;
  auto add = [&errs, &seen, &c](const std::string& path, const std::string& msg) {
    if (!seen.insert(path + "\n" + msg).second) return;
    auto it = c.locations.find(path);
    ConfigError e{c.source, 0, 0, path, redact_secrets(msg)};
    if (path.rfind("env ", 0) == 0) e.file = "environment";
    if (it != c.locations.end()) { e.line = it->second.first; e.column = it->second.second; }
    errs.push_back(std::move(e));
  };
  // (model name or id, preset, where the pairing comes from)
  struct Use { std::string model, preset, via; };
  std::vector<Use> uses;
  for (const auto& [name, m] : c.models) uses.push_back({name, m.preset.empty() ? c.default_preset : m.preset, "models." + name});
  if (!c.default_model.empty()) uses.push_back({c.default_model, "", "default_model"});
  for (const auto& [name, pf] : c.profiles) {
    if (!pf.model.empty()) uses.push_back({pf.model, pf.preset, "profiles." + name});
  }
  for (const auto& [name, m] : c.models) {
    const auto* prov = c.providers.count(m.provider) ? &c.providers.at(m.provider) : nullptr;
    if (!cat.find(m.id) && !(prov && prov->kind == "custom")) {
      add(c.locations.count("models." + name + ".id") ? "models." + name + ".id" : "models." + name,
          "unknown model '" + m.id + "' (not in the catalog; run `ploke-sim models refresh` or use a custom provider)");
    }
  }
  for (size_t i = 0; i < c.routing.fallbacks.size(); ++i) {
    const std::string& f = c.routing.fallbacks[i];
    if (f.empty()) continue;  // not a string: reported by the parser
    const ModelConfig* mc = find_model(c, f);
    if (!mc && !cat.find(f)) {
      add(c.locations.count("routing.fallbacks[" + std::to_string(i) + "]") ? "routing.fallbacks[" + std::to_string(i) + "]"
                                                                             : "routing.fallbacks",
          "unknown model '" + f + "' (neither a [models] entry nor in the catalog)");
    }
  }
  for (const auto& u : uses) {
    for (auto& e : check_model(c, cat, u.model, u.preset, u.via)) {
      if (seen.insert(e.path + "\n" + e.message).second) errs.push_back(std::move(e));
    }
  }
  return errs;
}

std::vector<ConfigError> check_model(const Config& c, const catalog::Catalog& cat, std::string_view model,
                                     std::string_view preset, std::string_view via_sv) {
  std::vector<ConfigError> errs;
  const std::string via(via_sv);
  auto add = [&errs, &c](const std::string& path, const std::string& msg) {
    auto it = c.locations.find(path);
    ConfigError e{c.source, 0, 0, path, redact_secrets(msg)};
    if (path.rfind("env ", 0) == 0) e.file = "environment";
    if (it != c.locations.end()) { e.line = it->second.first; e.column = it->second.second; }
    errs.push_back(std::move(e));
  };
  const ModelConfig* mc = find_model(c, model);
  const std::string id = mc ? mc->id : std::string(model);
  const catalog::ModelRecord* rec = cat.find(id);
  if (!rec) {
    if (!mc) add(via == "default_model" ? via : via + (via.rfind("profiles.", 0) == 0 ? ".model" : ""),
                 "unknown model '" + std::string(model) + "'");
    return errs;
  }
  if (!preset.empty() && !c.presets.count(std::string(preset))) return errs;  // reported elsewhere
  auto rp = resolve_params(c, model, preset);
  if (!rp.ok()) return errs;
  const Params& v = rp->values;
  auto src = [&rp](const char* k) {
    auto it = rp->sources.find(k);
    return it == rp->sources.end() ? std::string("global") : it->second;
  };
  const std::string who = "model " + rec->id + " (" + via + (preset.empty() ? "" : ", preset " + std::string(preset)) + ")";
  if (v.tools.value_or(false) && rec->tools.known() && !rec->tools.value) {
    add(layer_path(src("tools"), "tools"), "tools = true, but " + who + " does not support tools");
  }
  if (v.json_mode.value_or(false) && rec->json_mode.known() && !rec->json_mode.value) {
    add(layer_path(src("json_mode"), "json_mode"), "json_mode = true, but " + who + " does not support JSON mode");
  }
  if (v.stream.value_or(false) && rec->streaming.known() && !rec->streaming.value) {
    add(layer_path(src("stream"), "stream"), "stream = true, but " + who + " does not support streaming");
  }
  if (v.max_tokens && rec->max_output_tokens.known() && rec->max_output_tokens.value > 0 &&
      static_cast<uint64_t>(*v.max_tokens) > rec->max_output_tokens.value) {
    add(layer_path(src("max_tokens"), "max_tokens"),
        "max_tokens = " + std::to_string(*v.max_tokens) + " exceeds " + who + "'s maximum output of " +
            std::to_string(rec->max_output_tokens.value));
  }
  return errs;
}

LoadResult load_config(const LoadOptions& options) {
  EnvLookup env = options.env ? options.env : process_env();
  const std::string path = config_path(options.explicit_path, env);
  auto text = codec::read_file(path);
  if (!text.ok()) {
    const bool explicit_file = !options.explicit_path.empty() || env("PLOKE_SIM_CONFIG").has_value();
    if (text.status().code() == StatusCode::kNotFound && !explicit_file) {
      LoadResult r = parse_config("", "", options);  // built-ins + env only
      r.path.clear();
      return r;
    }
    LoadResult r;
    r.path = path;
    r.errors.push_back({path, 0, 0, "(file)", "cannot read: " + text.status().message()});
    return r;
  }
  LoadResult r = parse_config(*text, path, options);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    for (const auto& [name, cs] : r.config.credentials) {
      if (!cs.key.empty()) {
        r.warnings.push_back(path + ": holds an inline key (credentials." + name + ".key) but is readable by others; chmod 600 it");
        break;
      }
    }
  }
  return r;
}

Result<ResolvedParams> resolve_params(const Config& c, std::string_view model, std::string_view preset,
                                      const Params& request) {
  ResolvedParams r;
  overlay_from(r, c.params, "global");
  if (const Profile* prof = c.active()) overlay_from(r, prof->params, "profile:" + prof->name);
  for (const auto& var : c.env_overrides_applied) (void)var;
  {
    // Env params carry their variable name as the source.
    Params one;
    auto env_layer = [&r](const Params& p, const char* var) { overlay_from(r, p, std::string("env:") + var); };
    one = {}; one.temperature = c.env_params.temperature; env_layer(one, "PLOKE_SIM_TEMPERATURE");
    one = {}; one.top_p = c.env_params.top_p; env_layer(one, "PLOKE_SIM_TOP_P");
    one = {}; one.max_tokens = c.env_params.max_tokens; env_layer(one, "PLOKE_SIM_MAX_TOKENS");
    one = {}; one.timeout_ms = c.env_params.timeout_ms; env_layer(one, "PLOKE_SIM_TIMEOUT_MS");
  }
  const ModelConfig* mc = find_model(c, model);
  const std::string provider = mc ? mc->provider : "openrouter";
  auto pit = c.providers.find(provider);
  if (pit != c.providers.end()) overlay_from(r, pit->second.params, "provider:" + provider);
  if (mc) overlay_from(r, mc->params, "model:" + mc->name);
  std::string pname(preset);
  if (pname.empty() && mc) pname = mc->preset;
  if (pname.empty()) pname = c.default_preset;
  if (!pname.empty()) {
    auto it = c.presets.find(pname);
    if (it == c.presets.end()) return Status(StatusCode::kNotFound, "unknown preset '" + pname + "'");
    overlay_from(r, it->second.params, "preset:" + pname);
  }
  overlay_from(r, request, "request");
  return r;
}

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

// toml++ prints doubles with 17 significant digits (0.69999999999999996); rewrite each
// "key = <float>" line with the shortest text that round-trips.
std::string tidy_floats(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    auto eq = line.find(" = ");
    if (eq != std::string::npos && line.find('.', eq) != std::string::npos) {
      const std::string num = line.substr(eq + 3);
      double v = 0;
      auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (ec == std::errc() && end == num.data() + num.size()) {
        char b[64];
        auto r = std::to_chars(b, b + sizeof b, v);
        std::string t(b, r.ptr);
        if (t.find_first_of(".en") == std::string::npos) t += ".0";
        line = line.substr(0, eq + 3) + t;
      }
    }
    out += line;
    if (nl < text.size()) out += '\n';
    pos = nl + 1;
  }
  return out;
}

}  // namespace

std::string render_config(const Config& c, const SaveOptions& options) {
  toml::table root;
  put_str(root, "active_profile", c.file_active_profile);
  put_str(root, "default_model", c.file_default_model);
  put_str(root, "default_preset", c.file_default_preset);
  put_str(root, "ledger", c.file_ledger_path);
  if (c.params != Params{}) root.insert("params", params_to_toml(c.params));
  toml::table providers, models, presets, creds, profiles;
  for (const auto& [name, p] : c.providers) {
    if (p.builtin) continue;
    toml::table t;
    put_str(t, "kind", p.kind);
    put_str(t, "base_url", p.base_url);
    put_str(t, "credential", p.credential);
    if (p.params != Params{}) t.insert("params", params_to_toml(p.params));
    providers.insert(name, std::move(t));
  }
  for (const auto& [name, m] : c.models) {
    toml::table t;
    put_str(t, "id", m.id);
    put_str(t, "provider", m.provider);
    put_str(t, "preset", m.preset);
    if (m.params != Params{}) t.insert("params", params_to_toml(m.params));
    models.insert(name, std::move(t));
  }
  for (const auto& [name, p] : c.presets) {
    if (p.builtin) continue;
    toml::table t = params_to_toml(p.params);
    put_str(t, "description", p.description);
    presets.insert(name, std::move(t));
  }
  for (const auto& [name, cs] : c.credentials) {
    toml::table t;
    put_str(t, "provider", cs.provider);
    put_str(t, "env", cs.env);
    put_str(t, "file", cs.file);
    put_str(t, "command", cs.command);
    if (cs.command_timeout_ms != 5000) t.insert("command_timeout_ms", static_cast<int64_t>(cs.command_timeout_ms));
    if (!cs.key.empty()) t.insert("key", options.with_keys ? cs.key.reveal() : std::string(kRedacted));
    creds.insert(name, std::move(t));
  }
  for (const auto& [name, p] : c.profiles) {
    toml::table t;
    put_str(t, "model", p.model);
    put_str(t, "preset", p.preset);
    if (!p.credentials.empty()) {
      toml::table ct;
      for (const auto& [prov, cred] : p.credentials) ct.insert(prov, cred);
      t.insert("credentials", std::move(ct));
    }
    if (p.params != Params{}) t.insert("params", params_to_toml(p.params));
    profiles.insert(name, std::move(t));
  }
  if (!providers.empty()) root.insert("providers", std::move(providers));
  if (!models.empty()) root.insert("models", std::move(models));
  if (!presets.empty()) root.insert("presets", std::move(presets));
  if (!creds.empty()) root.insert("credentials", std::move(creds));
  if (!profiles.empty()) root.insert("profiles", std::move(profiles));
  if (c.routing != RoutingConfig{}) {
    const RoutingConfig& r = c.routing;
    toml::table t, br, re, la;
    put_str(t, "policy", r.policy);
    if (!r.fallbacks.empty()) {
      toml::array a;
      for (const auto& f : r.fallbacks) a.push_back(f);
      t.insert("fallbacks", std::move(a));
    }
    auto i64 = [](toml::table& tt, std::string_view k, const std::optional<int64_t>& v) { if (v) tt.insert(k, *v); };
    auto f64 = [](toml::table& tt, std::string_view k, const std::optional<double>& v) { if (v) tt.insert(k, *v); };
    i64(t, "max_chain", r.max_chain);
    if (r.stream_continuation) t.insert("stream_continuation", *r.stream_continuation);
    i64(t, "max_rate_limit_wait_ms", r.max_rate_limit_wait_ms);
    i64(br, "window", r.breaker_window);
    i64(br, "minimum_calls", r.breaker_minimum_calls);
    f64(br, "failure_rate", r.breaker_failure_rate);
    i64(br, "consecutive_failures", r.breaker_consecutive_failures);
    i64(br, "slow_call_ms", r.breaker_slow_call_ms);
    f64(br, "slow_call_rate", r.breaker_slow_call_rate);
    i64(br, "open_ms", r.breaker_open_ms);
    i64(br, "open_max_ms", r.breaker_open_max_ms);
    i64(br, "half_open_trials", r.breaker_half_open_trials);
    i64(re, "per_endpoint", r.retry_per_endpoint);
    i64(re, "max_attempts", r.retry_max_attempts);
    i64(re, "max_retry_after_ms", r.retry_max_retry_after_ms);
    i64(re, "backoff_base_ms", r.backoff_base_ms);
    i64(re, "backoff_cap_ms", r.backoff_cap_ms);
    put_str(re, "jitter", r.backoff_jitter);
    f64(re, "budget_ratio", r.retry_budget_ratio);
    i64(la, "max_in_flight", r.max_in_flight);
    i64(la, "interactive_capacity", r.interactive_capacity);
    i64(la, "normal_capacity", r.normal_capacity);
    i64(la, "bulk_capacity", r.bulk_capacity);
    i64(la, "short_prompt_chars", r.short_prompt_chars);
    i64(la, "short_output_tokens", r.short_output_tokens);
    i64(la, "long_output_tokens", r.long_output_tokens);
    if (!br.empty()) t.insert("breaker", std::move(br));
    if (!re.empty()) t.insert("retry", std::move(re));
    if (!la.empty()) t.insert("lanes", std::move(la));
    root.insert("routing", std::move(t));
  }
  if (!c.budgets.empty()) {
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
    root.insert("budgets", std::move(a));
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
  return codec::write_file_atomic(path, text);
}

}  // namespace ploke::config
