// Internal: the TOML walker that turns config.toml into a Config, collecting every error
// with its field path and file:line:col. toml++ stays in the config sources.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "config_internal.h"
#include "ploke/config/config.h"

namespace ploke::config::internal {

using KeySet = std::set<std::string, std::less<>>;

/// "a table", "an integer", … for error messages.
std::string type_name(const toml::node& n);
/// Shortest text for a number in a message ("0.5", "2").
std::string fmt_num(double v);

// Walks the parsed document collecting every error into `out`.
class Parser {
 public:
  Parser(std::string file, LoadResult& out, const EnvLookup& env) : file_(std::move(file)), out_(out), env_(env) {}

  /// The whole document: every section (parse_sections.cpp, parse_routing.cpp).
  void parse(const toml::table& root);
  /// PLOKE_SIM_* overrides, validated like file values (path "env NAME").
  void apply_env();

  void error(const toml::source_region& where, const std::string& path, const std::string& msg);

 private:
  // Typed reads: each notes the node's location and reports a wrong type.
  void note(const toml::node& n, const std::string& path);
  const toml::table* table(const toml::node& n, const std::string& path);
  void unknown_keys(const toml::table& t, const std::string& path, const KeySet& allowed);
  static std::string join(const std::string& a, std::string_view b);
  std::optional<std::string> str(const toml::node& n, const std::string& path);
  std::optional<double> num(const toml::node& n, const std::string& path);
  std::optional<int64_t> integer(const toml::node& n, const std::string& path);
  std::optional<bool> boolean(const toml::node& n, const std::string& path);
  void range(const toml::node& n, const std::string& path, std::optional<double>& dst, double lo, double hi,
             bool lo_open = false);
  void positive(const toml::node& n, const std::string& path, std::optional<int64_t>& dst);
  void int_range(const toml::node& n, const std::string& path, std::optional<int64_t>& dst, int64_t lo, int64_t hi);
  /// A string key whose value must be one of `allowed` (message: "expected …").
  std::optional<std::string> choice(const toml::node& n, const std::string& path, const KeySet& allowed,
                                    const std::string& expected);

  // Parameters ([params], providers.X.params, presets …).
  bool param(std::string_view key, const toml::node& n, const std::string& path, Params& p);
  void stop_param(const toml::node& n, const std::string& path, Params& p);
  Params params_table(const toml::node& n, const std::string& path);
  std::string expand(const std::string& path);

  // Sections (parse_sections.cpp).
  void root_scalars(const toml::table& root);
  void provider(const std::string& name, const toml::node& n);
  void model(const std::string& name, const toml::node& n);
  void model_deployments(const toml::node& n, const std::string& path, ModelConfig& m);
  std::vector<std::string> string_list(const toml::node& n, const std::string& path);
  void preset(const std::string& name, const toml::node& n);
  void credential(const std::string& name, const toml::node& n);
  void credential_key(const toml::node& n, const std::string& path, CredentialSpec& cs);
  void profile(const std::string& name, const toml::node& n);
  void budgets(const toml::node& n);
  void budget(const toml::node& n, const std::string& path);
  /// Calls each(name, node) for every entry of the table `key` of `root`.
  template <typename Each>
  void each_entry(const toml::table& root, const char* key, Each each);

  // [routing] (parse_routing.cpp).
  void routing(const toml::node& n);
  void routing_policy(const toml::node& n);
  void routing_fallbacks(const toml::node& n);
  void routing_breaker(const toml::node& n);
  void routing_retry(const toml::node& n);
  void routing_lanes(const toml::node& n);
  // [shared] (parse_routing.cpp).
  void shared(const toml::node& n);
  void shared_url(const toml::node& n);
  // [plugins] (parse_routing.cpp).
  void plugins(const toml::node& n);

  void env_param(const char* var, const char* key);

  std::string file_;
  LoadResult& out_;
  const EnvLookup& env_;
};

template <typename Each>
void Parser::each_entry(const toml::table& root, const char* key, Each each) {
  const toml::node* n = root.get(key);
  if (!n) return;
  const toml::table* t = table(*n, key);
  if (!t) return;
  for (auto&& kv : *t) each(std::string(kv.first.str()), kv.second);
}

}  // namespace ploke::config::internal
