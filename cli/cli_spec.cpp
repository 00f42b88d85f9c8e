// The command tree read from CLI11 (cli_spec.h).
#include "cli_spec.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <string_view>

namespace ploke::cli {

namespace {

bool visible(const CLI::App* app) { return !app->get_group().empty(); }

// "TEXT:{a,b,c}" -> {a, b, c}: the set CLI::IsMember describes itself with.
std::vector<std::string> choices_of(const std::string& type_name) {
  std::vector<std::string> out;
  const size_t open = type_name.find('{');
  const size_t close = type_name.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return out;
  const std::string set = type_name.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (start <= set.size()) {
    size_t comma = set.find(',', start);
    if (comma == std::string::npos) comma = set.size();
    std::string item = set.substr(start, comma - start);
    if (item.find("->") != std::string::npos) item = item.substr(0, item.find("->"));  // a map's keys
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

// Names whose value is a file, beyond the ones a CLI::ExistingFile check marks (the option
// may name a file that does not exist yet): one of the dash-separated words is a file word.
bool names_a_file(const std::string& name) {
  static constexpr std::array<std::string_view, 15> kFileWords = {
      "file", "output", "out", "config", "ledger", "cassette", "junit", "report",
      "suite", "faults", "cert", "cache", "scenario", "from", "har"};
  if (name == "tls-key") return true;
  size_t start = 0;
  while (start < name.size()) {
    size_t dash = name.find('-', start);
    if (dash == std::string::npos) dash = name.size();
    const std::string_view word(name.data() + start, dash - start);
    if (std::find(kFileWords.begin(), kFileWords.end(), word) != kFileWords.end()) return true;
    start = dash + 1;
  }
  return false;
}

bool names_a_positional_file(const std::string& name) {
  static constexpr std::array<std::string_view, 6> kWords = {"in", "a", "b", "path", "yaml", "dir"};
  return names_a_file(name) || std::find(kWords.begin(), kWords.end(), name) != kWords.end();
}

ArgSpec read_arg(const CLI::Option& opt) {
  ArgSpec a;
  if (opt.get_positional()) {
    a.names.push_back(opt.get_name(true));
  } else {
    for (const std::string& s : opt.get_snames()) a.names.push_back("-" + s);
    for (const std::string& l : opt.get_lnames()) a.names.push_back("--" + l);
  }
  a.description = opt.get_description();
  const std::string type = opt.get_type_name();
  a.choices = choices_of(type);
  if (opt.get_items_expected_max() > 0) {
    a.value = type.substr(0, type.find(':'));
    if (a.value.empty()) a.value = "VALUE";
  }
  const bool file_check = type.find(":FILE") != std::string::npos || type.find(":PATH") != std::string::npos;
  const std::string probe = opt.get_positional() ? a.names[0] : a.names.back().substr(a.names.back().find_first_not_of('-'));
  a.dir = type.find(":DIR") != std::string::npos || probe == "dir" || probe.ends_with("-dir");
  a.file = !a.value.empty() && !a.dir && a.choices.empty() &&
           (file_check || (opt.get_positional() ? names_a_positional_file(probe) : names_a_file(probe)));
  if (!a.value.empty() && a.dir) a.value = "DIR";
  if (a.file && (a.value == "TEXT" || a.value == "PATH(existing)")) a.value = "FILE";
  a.repeatable = opt.get_expected_max() > 1 || opt.get_items_expected_max() > 1;
  a.required = opt.get_required();
  a.default_value = opt.get_default_str();
  return a;
}

CommandSpec read_command(const CLI::App& app, std::vector<std::string> path, const std::vector<ArgSpec>& globals) {
  CommandSpec c;
  c.path = std::move(path);
  c.description = app.get_description();
  c.needs_subcommand = app.get_require_subcommand_min() > 0;
  for (const CLI::Option* opt : app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); })) {
    ArgSpec a = read_arg(*opt);
    if (opt->get_positional()) {
      if (a.names[0] == "command" && a.repeatable) c.passthrough = true;
      c.positionals.push_back(std::move(a));
    } else {
      c.options.push_back(std::move(a));
    }
  }
  for (const ArgSpec& g : globals) c.options.push_back(g);
  std::vector<ArgSpec> inherited = globals;  // the root's options reach every command (CLI11 fallthrough)
  for (const ArgSpec& a : c.path.empty() ? c.options : std::vector<ArgSpec>{}) {
    if (a.names.back() == "--help" || a.names.back() == "--version") continue;
    inherited.push_back(a);
    inherited.back().global = true;
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return visible(s); })) {
    std::vector<std::string> sub_path = c.path;
    sub_path.push_back(sub->get_name());
    c.subcommands.push_back(read_command(*sub, std::move(sub_path), inherited));
  }
  return c;
}

void collect(const CommandSpec& c, std::vector<const CommandSpec*>& out) {
  out.push_back(&c);
  for (const CommandSpec& s : c.subcommands) collect(s, out);
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\t', ' ');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

std::string CommandSpec::joined_path() const {
  std::string out;
  for (const std::string& p : path) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::string CommandSpec::full_name() const { return path.empty() ? "ploke-sim" : "ploke-sim " + joined_path(); }

std::string CommandSpec::page_name() const {
  std::string out = "ploke-sim";
  for (const std::string& p : path) out += "-" + p;
  return out;
}

CommandSpec read_command_tree(const CLI::App& app) { return read_command(app, {}, {}); }

std::vector<const CommandSpec*> all_commands(const CommandSpec& root) {
  std::vector<const CommandSpec*> out;
  collect(root, out);
  return out;
}

std::string render_option_dump(const CommandSpec& root) {
  std::string out;
  for (const CommandSpec* c : all_commands(root)) {
    for (const ArgSpec& a : c->options) {
      if (a.global) continue;
      std::string names;
      for (const std::string& n : a.names) names += (names.empty() ? "" : ",") + n;
      out += c->joined_path() + "\t" + names + "\t" + a.value + "\t" + one_line(a.description) + "\n";
    }
  }
  return out;
}

}  // namespace ploke::cli
