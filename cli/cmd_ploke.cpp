// ploke-sim ploke import (ploke/config/ploke_import.h; docs/ploke.md).
//
//   ploke import [--from FILE] [-o,--output FILE] [--openrouter-base-url URL] [--cache FILE]
//                [--no-catalog] [--json]
//     Reads ploke's config.toml (default $XDG_CONFIG_HOME/ploke/config.toml, else
//     ~/.config/ploke/config.toml) and writes a ploke-sim config.toml whose [models] are
//     ploke's models (to --output, atomically; else stdout), so `ploke-sim gateway --config OUT`
//     serves them. Models the catalog does not know are added to the models cache's
//     discovered pool (--cache, default as `models`; --no-catalog: leave the cache alone) so
//     `config validate` accepts them. Keys in ploke's file are never copied. What was not
//     imported is listed on stderr ("note: PATH: …"; in --json, "notes").
//
// Exit codes: 0 ok, 1 a file could not be written, 2 a missing or bad ploke config (every
// error as FILE:LINE:COL: PATH: MESSAGE; nothing written).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "ploke/catalog/catalog.h"
#include "ploke/config/ploke_import.h"
#include "ploke/core/file_io.h"
#include "ploke/core/secret.h"

namespace ploke::cli {
namespace {

constexpr const char* kPlokeCmd = "ploke-sim ploke import";

std::string ploke_cache_path(const PlokeArgs& a) {
  if (!a.cache.empty()) return a.cache;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg ? std::string(xdg) : std::string(home ? home : ".") + "/.cache";
  return base + "/ploke-sim/models-cache.json";
}

// Adds the imported models the catalog (curated + the cache's pool) lacks to the cache's
// discovered pool. Returns the ids added, or an error message.
Result<std::vector<std::string>> add_to_catalog(const PlokeArgs& a, const config::PlokeImport& imported) {
  const std::string path = ploke_cache_path(a);
  auto cache = catalog::load_cache(path);
  if (!cache.ok()) return cache.status();
  auto curated = catalog::parse_curated(catalog::builtin_curated_json(), "builtin curated.json");
  catalog::Catalog cat(curated.ok() ? std::move(curated).value() : std::vector<catalog::ModelRecord>{}, cache->discovered);
  std::vector<std::string> added;
  for (auto& r : config::unknown_model_records(imported, cat)) {
    added.push_back(r.id);
    cache->discovered.push_back(std::move(r));
  }
  if (added.empty()) return added;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (Status st = catalog::save_cache(path, *cache); !st.ok()) return st;
  return added;
}

void print_json(const PlokeArgs& a, const std::string& from, const config::PlokeImport& imported,
                const std::vector<std::string>& added, const std::string& text) {
  nlohmann::json j{{"from", from}, {"out", a.out}, {"catalog_added", added}, {"notes", imported.notes}};
  j["models"] = nlohmann::json::array();
  for (const auto& [name, m] : imported.config.models) {
    j["models"].push_back({{"name", name}, {"id", m.id}, {"provider", m.provider}, {"aliases", m.aliases}});
  }
  j["default_model"] = imported.config.default_model;
  if (a.out.empty()) j["config"] = text;
  std::printf("%s\n", redact_secrets(j.dump(2)).c_str());
}

}  // namespace

CLI::App* add_ploke_command(CLI::App& app, PlokeArgs& args) {
  auto* p = app.add_subcommand("ploke", "Use ploke-sim with ploke (the Rust coding TUI): docs/ploke.md");
  p->require_subcommand(1);
  auto* imp = p->add_subcommand("import", "Turn ploke's config.toml (its model list) into a ploke-sim config");
  imp->add_option("--from", args.from, "ploke's config.toml (default $XDG_CONFIG_HOME/ploke/config.toml, else ~/.config/ploke/config.toml)");
  deprecated_alias(*imp, imp->add_option("-o,--output", args.out, "Write the ploke-sim config here (atomic; default: stdout)"), "--out");
  imp->add_option("--openrouter-base-url", args.openrouter_base_url,
                  "Point the openrouter provider here, e.g. a `ploke-sim serve`: http://127.0.0.1:8080/api/v1");
  imp->add_option("--cache", args.cache, "Models cache to add unknown models to (default $XDG_CACHE_HOME/ploke-sim/models-cache.json)");
  imp->add_flag("--no-catalog", args.no_catalog, "Do not add unknown models to the models cache");
  imp->add_flag("--json", args.json, "Print a JSON summary (models, catalog additions, notes; the config when no --output)");
  imp->callback([&args] { args.action = "import"; });
  return p;
}

int run_ploke(const PlokeArgs& a) {
  const std::string from = a.from.empty() ? config::default_ploke_config_path(config::process_env()) : a.from;
  auto text = ploke::read_file(from);
  if (!text.ok()) {
    std::fprintf(stderr, "%s: %s: cannot read ploke's config: %s\n", kPlokeCmd, from.c_str(), text.status().message().c_str());
    return kExitUsage;
  }
  config::PlokeImportOptions o;
  o.openrouter_base_url = a.openrouter_base_url;
  auto imported = config::import_ploke_config(*text, from, o);
  if (!imported.ok()) {
    std::fprintf(stderr, "%s: %s\n", kPlokeCmd, redact_secrets(imported.status().message()).c_str());
    return kExitUsage;
  }
  for (const auto& n : imported->notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  const std::string out = config::render_ploke_import(*imported, from);
  if (!a.out.empty()) {
    if (Status st = write_file_atomic(a.out, out); !st.ok()) {
      std::fprintf(stderr, "%s: cannot write %s: %s\n", kPlokeCmd, a.out.c_str(), st.message().c_str());
      return kExitFailed;
    }
  }
  std::vector<std::string> added;
  if (!a.no_catalog) {
    auto r = add_to_catalog(a, *imported);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: models cache: %s\n", kPlokeCmd, r.status().message().c_str());
      return kExitFailed;
    }
    added = std::move(r).value();
  }
  if (a.json) {
    print_json(a, from, *imported, added, out);
  } else if (a.out.empty()) {
    std::fputs(out.c_str(), stdout);
  } else {
    std::printf("imported %zu models from %s into %s (%zu added to the models cache)\n", imported->config.models.size(),
                from.c_str(), a.out.c_str(), added.size());
  }
  return kExitOk;
}

}  // namespace ploke::cli
