// `ploke-sim cassette vcr-import|vcr-export|wiremock-import|wiremock-export`: VCR YAML and
// WireMock stub mappings to and from cassettes. The conversions live in ploke::codec
// (ploke/codec/interop.h); this file maps them onto arguments, files and exit codes.
// Imports are redacted and linted as `har-import` does; every output is written atomically.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "cmd_cassette.h"
#include "commands.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/interop.h"
#include "ploke/codec/tools.h"
#include "ploke/core/file_io.h"

namespace ploke::cli {
namespace {

int interop_error(std::string_view what, const std::string& message, int code) {
  std::fprintf(stderr, "ploke-sim cassette %.*s: %s\n", static_cast<int>(what.size()), what.data(), message.c_str());
  return code;
}

/// The cassette's name: the output file's stem ("tests/x/chat.json" → "chat").
std::string stem_of(const std::string& path) { return std::filesystem::path(path).stem().string(); }

/// Redacts, lints and writes an imported cassette (nothing is written on an error).
int write_imported(std::string_view what, codec::Cassette c, const CassetteArgs& args) {
  if (c.name.empty()) c.name = stem_of(args.second);
  codec::RedactionConfig config;
  config.patterns = args.patterns;
  auto rules = codec::RedactionRules::Create(std::move(config));
  if (!rules.ok()) return interop_error(what, rules.status().message(), kExitUsage);
  const size_t n = c.interactions.size();
  auto out = codec::redact_and_serialize(std::move(c), *rules, args.second);
  if (!out.ok()) return interop_error(what, out.status().message(), kExitUsage);
  Status st = ploke::write_file_atomic(args.second, *out);
  if (!st.ok()) return interop_error(what, args.second + ": " + st.message(), kExitFailed);
  std::printf("%s: %zu interactions\n", args.second.c_str(), n);
  return kExitOk;
}

int run_vcr_import(const CassetteArgs& args) {
  auto text = ploke::read_file(args.input);
  if (!text.ok()) return interop_error("vcr-import", text.status().message(), kExitUsage);
  auto c = codec::vcr_to_cassette(*text, args.input);
  if (!c.ok()) return interop_error("vcr-import", c.status().message(), kExitUsage);
  return write_imported("vcr-import", std::move(c).value(), args);
}

int run_wiremock_import(const CassetteArgs& args) {
  auto c = codec::load_wiremock(args.input);
  if (!c.ok()) return interop_error("wiremock-import", c.status().message(), kExitUsage);
  return write_imported("wiremock-import", std::move(c).value(), args);
}

int run_vcr_export(const CassetteArgs& args) {
  auto c = codec::load_cassette_file(args.input);
  if (!c.ok()) return interop_error("vcr-export", c.status().message(), kExitUsage);
  Status st = ploke::write_file_atomic(args.second, codec::cassette_to_vcr(*c));
  if (!st.ok()) return interop_error("vcr-export", args.second + ": " + st.message(), kExitFailed);
  std::printf("%s: %zu interactions\n", args.second.c_str(), c->interactions.size());
  return kExitOk;
}

// OUT ending in ".json": one {"mappings": [...]} file; else a directory (created) with one
// mapping file per interaction. Every text is built before the first write.
int run_wiremock_export(const CassetteArgs& args) {
  auto c = codec::load_cassette_file(args.input);
  if (!c.ok()) return interop_error("wiremock-export", c.status().message(), kExitUsage);
  const std::filesystem::path out(args.second);
  if (out.extension() == ".json") {
    Status st = ploke::write_file_atomic(args.second, codec::cassette_to_wiremock(*c));
    if (!st.ok()) return interop_error("wiremock-export", args.second + ": " + st.message(), kExitFailed);
    std::printf("%s: %zu mappings\n", args.second.c_str(), c->interactions.size());
    return kExitOk;
  }
  const std::vector<codec::WireMockDocument> files = codec::cassette_to_wiremock_files(*c);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return interop_error("wiremock-export", args.second + ": " + ec.message(), kExitFailed);
  for (const auto& f : files) {
    const std::string path = (out / f.source).string();
    Status st = ploke::write_file_atomic(path, f.text);
    if (!st.ok()) return interop_error("wiremock-export", path + ": " + st.message(), kExitFailed);
  }
  std::printf("%s: %zu mapping files\n", args.second.c_str(), files.size());
  return kExitOk;
}

}  // namespace

void add_cassette_interop_commands(CLI::App& cs, CassetteArgs& args) {
  using Action = CassetteArgs::Action;
  CLI::App* vi = cs.add_subcommand("vcr-import", "Make a cassette from a VCR YAML cassette (vcrpy or Ruby VCR)");
  vi->add_option("yaml", args.input, "Input .yaml/.yml cassette")->required();
  vi->add_option("out", args.second, "Output cassette .json")->required();
  add_redact_pattern_option(*vi, args);
  vi->callback([&args] { args.action = Action::kVcrImport; });

  CLI::App* vx = cs.add_subcommand("vcr-export", "Write a cassette as vcrpy YAML (streams joined into one body)");
  vx->add_option("file", args.input, "Cassette file")->required();
  vx->add_option("out", args.second, "Output .yaml file")->required();
  vx->callback([&args] { args.action = Action::kVcrExport; });

  CLI::App* wi = cs.add_subcommand("wiremock-import",
                                   "Make a cassette from WireMock stub mappings (a .json file or a mappings directory)");
  wi->add_option("in", args.input, "Mapping file, or a directory of them (or holding mappings/)")->required();
  wi->add_option("out", args.second, "Output cassette .json")->required();
  add_redact_pattern_option(*wi, args);
  wi->callback([&args] { args.action = Action::kWireMockImport; });

  CLI::App* wx = cs.add_subcommand("wiremock-export",
                                   "Write a cassette as WireMock stub mappings (OUT.json: one file; else a directory)");
  wx->add_option("file", args.input, "Cassette file")->required();
  wx->add_option("out", args.second, "Output .json file or directory")->required();
  wx->callback([&args] { args.action = Action::kWireMockExport; });
}

int run_cassette_interop(const CassetteArgs& args) {
  using Action = CassetteArgs::Action;
  switch (args.action) {
    case Action::kVcrImport: return run_vcr_import(args);
    case Action::kVcrExport: return run_vcr_export(args);
    case Action::kWireMockImport: return run_wiremock_import(args);
    case Action::kWireMockExport: return run_wiremock_export(args);
    default: break;
  }
  return kExitUsage;
}

}  // namespace ploke::cli
