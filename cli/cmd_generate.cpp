// `ploke-sim __generate completion bash|zsh|fish [-o FILE]`, `__generate man DIR`,
// `__generate options [-o FILE]`: the shell completions, man pages and option dump made
// from the parser's own command tree (cli_spec.h, cli_docs.h). Hidden (not listed, not
// completed); the build runs it after linking (cli/CMakeLists.txt).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>

#include "cli_docs.h"
#include "cli_spec.h"
#include "commands.h"
#include "ploke/core/file_io.h"

namespace ploke::cli {

CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args) {
  CLI::App* g = app.add_subcommand("__generate", "Write the shell completions, man pages or option dump (build time)");
  g->group("");  // hidden: not in the help, the command list or the completions
  g->require_subcommand(1);
  CLI::App* completion = g->add_subcommand("completion", "A shell's completion script");
  completion->add_option("shell", args.shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->add_option("-o,--output", args.output, "Write here (atomic) instead of stdout");
  completion->callback([&args] { args.what = "completion"; });
  CLI::App* man = g->add_subcommand("man", "One man page per command, into DIR");
  man->add_option("dir", args.output, "Folder (created; stale ploke-sim*.1 pages removed)")->required();
  man->callback([&args] { args.what = "man"; });
  CLI::App* options = g->add_subcommand("options", "Every option of every command, tab-separated");
  options->add_option("-o,--output", args.output, "Write here (atomic) instead of stdout");
  options->callback([&args] { args.what = "options"; });
  return g;
}

namespace {

int emit(const std::string& output, const std::string& text) {
  if (output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
  }
  if (Status st = write_file_atomic(output, text); !st.ok()) {
    std::fprintf(stderr, "ploke-sim: %s\n", st.message().c_str());
    return kExitFailed;
  }
  return kExitOk;
}

int write_man_pages(const CommandSpec& root, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "ploke-sim: %s: %s\n", dir.c_str(), ec.message().c_str());
    return kExitFailed;
  }
  std::set<std::string> written;
  for (const ManPage& page : render_man_pages(root, PLOKE_VERSION)) {
    if (int rc = emit(dir + "/" + page.file, page.text); rc != kExitOk) return rc;
    written.insert(page.file);
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {  // pages of commands that are gone
    const std::string name = entry.path().filename().string();
    if (name.starts_with("ploke-sim") && name.ends_with(".1") && !written.contains(name)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  return kExitOk;
}

}  // namespace

int run_generate(const CLI::App& app, const GenerateArgs& args) {
  const CommandSpec root = read_command_tree(app);
  if (args.what == "man") return write_man_pages(root, args.output);
  if (args.what == "options") return emit(args.output, render_option_dump(root));
  const std::string text = args.shell == "bash"  ? render_bash_completion(root)
                           : args.shell == "zsh" ? render_zsh_completion(root)
                                                 : render_fish_completion(root);
  return emit(args.output, text);
}

}  // namespace ploke::cli
