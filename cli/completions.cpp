// bash, zsh and fish completions from the command tree (cli_docs.h).
#include <string>
#include <vector>

#include "cli_docs.h"

namespace ploke::cli {

namespace {

constexpr const char* kGeneratedBy = "Generated from the ploke-sim command definitions by "
                                     "`ploke-sim __generate completion`; do not edit.";

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

// 'text' for bash and zsh ( ' -> '\'' ).
std::string sq(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// 'text' for fish ( ' -> \' and \ -> \\ ).
std::string fish_q(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// How a value completes: "" (a flag), "choice:a b", "dir", "file" or "value" (nothing to offer).
std::string value_kind(const ArgSpec& a) {
  if (a.value.empty()) return "";
  if (!a.choices.empty()) return "choice:" + join(a.choices, " ");
  if (a.dir) return "dir";
  if (a.file) return "file";
  return "value";
}

std::vector<std::string> command_names(const CommandSpec& c) {
  std::vector<std::string> out;
  for (const CommandSpec& s : c.subcommands) out.push_back(s.path.back());
  return out;
}

std::vector<std::string> option_names(const CommandSpec& c) {
  std::vector<std::string> out;
  for (const ArgSpec& a : c.options) out.insert(out.end(), a.names.begin(), a.names.end());
  return out;
}

// ---- bash -------------------------------------------------------------------------------

constexpr const char* kBashMain = R"SH(
_ploke_sim_complete_value() {
  case "$1" in
    file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
    dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$2") ;;
    command) mapfile -t COMPREPLY < <(compgen -c -- "$2") ;;
    choice:*) mapfile -t COMPREPLY < <(compgen -W "${1#choice:}" -- "$2") ;;
    *) COMPREPLY=() ;;
  esac
}

_ploke_sim() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="" word kind="" npos=0 after=-1 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    if ((after >= 0)); then after=$((after + 1)); continue; fi
    if [[ "$word" == "=" ]]; then continue; fi  # --opt=VALUE, split at '=' (COMP_WORDBREAKS)
    if [[ -n "$kind" ]]; then kind=""; continue; fi  # the value of the option before
    case "$word" in
      --) if [[ "$(_ploke_sim_positional "$path" 0)" == command ]]; then after=0; fi ;;
      -*=*) ;;
      -*) kind="$(_ploke_sim_value "$path" "$word")" ;;
      *)
        if [[ " $(_ploke_sim_commands "$path") " == *" $word "* ]]; then
          path="${path:+$path }$word"; npos=0
        else
          npos=$((npos + 1))
        fi ;;
    esac
  done
  if ((after == 0)); then _ploke_sim_complete_value command "$cur"; return 0; fi
  if ((after > 0)); then _ploke_sim_complete_value file "$cur"; return 0; fi
  if [[ -n "$kind" ]]; then
    [[ "$cur" == "=" ]] && cur=""
    _ploke_sim_complete_value "$kind" "$cur"; return 0
  fi
  if [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_ploke_sim_options "$path")" -- "$cur"); return 0
  fi
  local subs
  subs="$(_ploke_sim_commands "$path")"
  if [[ -n "$subs" ]]; then mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur"); return 0; fi
  _ploke_sim_complete_value "$(_ploke_sim_positional "$path" "$npos")" "$cur"
}

complete -F _ploke_sim ploke-sim
)SH";

void bash_tables(const std::vector<const CommandSpec*>& cmds, std::string& out) {
  out += "\n# The commands under a command path (\"\" = ploke-sim itself).\n_ploke_sim_commands() {\n  case \"$1\" in\n";
  for (const CommandSpec* c : cmds) {
    if (!c->subcommands.empty()) out += "    " + sq(c->joined_path()) + ") echo " + sq(join(command_names(*c), " ")) + " ;;\n";
  }
  out += "  esac\n}\n\n# The option names of a command path.\n_ploke_sim_options() {\n  case \"$1\" in\n";
  for (const CommandSpec* c : cmds) out += "    " + sq(c->joined_path()) + ") echo " + sq(join(option_names(*c), " ")) + " ;;\n";
  out += "  esac\n}\n\n# How the value of option $2 of command path $1 completes (\"\" = a flag).\n"
         "_ploke_sim_value() {\n  case \"$1|$2\" in\n";
  for (const CommandSpec* c : cmds) {
    for (const ArgSpec& a : c->options) {
      const std::string kind = value_kind(a);
      if (kind.empty()) continue;
      for (const std::string& n : a.names) out += "    " + sq(c->joined_path() + "|" + n) + ") echo " + sq(kind) + " ;;\n";
    }
  }
  out += "  esac\n}\n\n# How positional argument $2 (from 0) of command path $1 completes.\n"
         "_ploke_sim_positional() {\n  case \"$1|$2\" in\n";
  for (const CommandSpec* c : cmds) {
    for (size_t i = 0; i < c->positionals.size(); ++i) {
      const ArgSpec& p = c->positionals[i];
      const std::string kind = c->passthrough && p.names[0] == "command" ? "command" : value_kind(p);
      out += "    " + sq(c->joined_path() + "|") + (p.repeatable ? "*" : sq(std::to_string(i))) + ") echo " + sq(kind) + " ;;\n";
    }
  }
  out += "  esac\n}\n";
}

// ---- zsh --------------------------------------------------------------------------------

std::string zsh_function(const CommandSpec& c) {
  std::string name = "_ploke-sim";
  for (const std::string& p : c.path) name += "_" + p;
  return name;
}

// The text inside _arguments' [...]: no newlines, brackets escaped.
std::string zsh_description(const std::string& d) {
  std::string out;
  for (char c : d) {
    if (c == '\n') c = ' ';
    if (c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_action(const ArgSpec& a) {
  if (!a.choices.empty()) return "(" + join(a.choices, " ") + ")";
  if (a.dir) return "_files -/";
  if (a.file) return "_files";
  return " ";
}

std::string zsh_option_specs(const ArgSpec& a) {
  std::string out;
  const std::string exclusion = a.repeatable ? "*" : a.names.size() > 1 ? "(" + join(a.names, " ") + ")" : "";
  for (const std::string& n : a.names) {
    std::string spec = exclusion + n + (a.value.empty() || n.size() == 2 ? "" : "=") + "[" + zsh_description(a.description) + "]";
    if (!a.value.empty()) spec += ":" + a.value + ":" + zsh_action(a);
    out += "    " + sq(spec) + " \\\n";
  }
  return out;
}

std::string zsh_positional_specs(const CommandSpec& c) {
  std::string out;
  for (const ArgSpec& p : c.positionals) {
    if (c.passthrough && p.names[0] == "command") {
      out += "    '*::command:_normal' \\\n";
      continue;
    }
    const std::string head = p.repeatable ? "*" : "";
    out += "    " + sq(head + (p.required ? ":" : "::") + p.names[0] + ":" + zsh_action(p)) + " \\\n";
  }
  return out;
}

std::string zsh_command(const CommandSpec& c) {
  std::string out = zsh_function(c) + "() {\n";
  if (c.subcommands.empty()) {
    out += "  _arguments -s -S \\\n";
    for (const ArgSpec& a : c.options) out += zsh_option_specs(a);
    out += zsh_positional_specs(c);
    return out + "    && return 0\n}\n\n";
  }
  out += "  local curcontext=\"$curcontext\" state line\n  _arguments -C \\\n";
  for (const ArgSpec& a : c.options) out += zsh_option_specs(a);
  out += "    ': :->command' \\\n    '*:: :->argument' && return 0\n  case $state in\n    command)\n"
         "      local -a commands\n      commands=(\n";
  for (const CommandSpec& s : c.subcommands) out += "        " + sq(s.path.back() + ":" + s.description) + "\n";
  out += "      )\n      _describe -t commands " + sq(c.full_name() + " command") + " commands ;;\n"
         "    argument)\n      case $words[1] in\n";
  for (const CommandSpec& s : c.subcommands) out += "        " + s.path.back() + ") " + zsh_function(s) + " ;;\n";
  return out + "      esac ;;\n  esac\n}\n\n";
}

// ---- fish -------------------------------------------------------------------------------

constexpr const char* kFishPath = R"FISH(
# The command path of the command line so far ("" = ploke-sim itself).
function __ploke_sim_path
    set -l path ''
    set -l skip 0
    set -l words (commandline -opc)
    set -e words[1]
    for word in $words
        if test $skip = 1
            set skip 0
        else if test "$word" = '--'
            break
        else if string match -q -- '-*=*' $word
            continue
        else if string match -q -- '-*' $word
            contains -- "$path|$word" $__ploke_sim_valued; and set skip 1
        else if contains -- "$path|$word" $__ploke_sim_subcommands
            set path (string trim -- "$path $word")
        end
    end
    echo $path
end

function __ploke_sim_is
    set -l path (__ploke_sim_path)
    test "$path" = "$argv[1]"
end

complete -c ploke-sim -f
)FISH";

std::string fish_option(const CommandSpec& c, const ArgSpec& a) {
  std::string line = "complete -c ploke-sim -n " + fish_q("__ploke_sim_is " + sq(c.joined_path()));
  for (const std::string& n : a.names) line += n.size() == 2 ? " -s " + n.substr(1) : " -l " + n.substr(2);
  line += " -d " + fish_q(a.description);
  if (!a.choices.empty()) {
    line += " -x -a " + fish_q(join(a.choices, " "));
  } else if (a.dir) {
    line += " -x -a '(__fish_complete_directories)'";
  } else if (a.file) {
    line += " -r -F";
  } else if (!a.value.empty()) {
    line += " -x";
  }
  return line + "\n";
}

void fish_lists(const std::vector<const CommandSpec*>& cmds, std::string& out) {
  out += "\nset -g __ploke_sim_subcommands";
  for (const CommandSpec* c : cmds) {
    for (const CommandSpec& s : c->subcommands) out += " " + fish_q(c->joined_path() + "|" + s.path.back());
  }
  out += "\nset -g __ploke_sim_valued";
  for (const CommandSpec* c : cmds) {
    for (const ArgSpec& a : c->options) {
      if (a.value.empty()) continue;
      for (const std::string& n : a.names) out += " " + fish_q(c->joined_path() + "|" + n);
    }
  }
  out += "\n";
}

}  // namespace

std::string render_bash_completion(const CommandSpec& root) {
  std::string out = "# bash completion for ploke-sim.\n# " + std::string(kGeneratedBy) + "\n";
  bash_tables(all_commands(root), out);
  return out + kBashMain;
}

std::string render_zsh_completion(const CommandSpec& root) {
  std::string out = "#compdef ploke-sim\n# zsh completion for ploke-sim.\n# " + std::string(kGeneratedBy) + "\n\n";
  const std::vector<const CommandSpec*> cmds = all_commands(root);
  for (auto it = cmds.rbegin(); it != cmds.rend(); ++it) out += zsh_command(**it);
  return out + "_ploke-sim \"$@\"\n";
}

std::string render_fish_completion(const CommandSpec& root) {
  std::string out = "# fish completion for ploke-sim.\n# " + std::string(kGeneratedBy) + "\n";
  const std::vector<const CommandSpec*> cmds = all_commands(root);
  fish_lists(cmds, out);
  out += kFishPath;
  for (const CommandSpec* c : cmds) {
    const std::string is = "complete -c ploke-sim -n " + fish_q("__ploke_sim_is " + sq(c->joined_path()));
    for (const CommandSpec& s : c->subcommands) out += is + " -a " + fish_q(s.path.back()) + " -d " + fish_q(s.description) + "\n";
    for (const ArgSpec& a : c->options) out += fish_option(*c, a);
    for (const ArgSpec& p : c->positionals) {
      if (c->passthrough && p.names[0] == "command") out += is + " -a '(__fish_complete_command)'\n";
      else if (p.dir) out += is + " -x -a '(__fish_complete_directories)'\n";
      else if (p.file) out += is + " -F\n";
      else if (!p.choices.empty()) out += is + " -x -a " + fish_q(join(p.choices, " ")) + "\n";
    }
  }
  return out;
}

}  // namespace ploke::cli
