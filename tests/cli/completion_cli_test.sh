#!/usr/bin/env bash
# Shell completions and man pages (`ploke-sim __generate`, cli/cmd_generate.cpp) as a user gets
# them: the build's copies are what the binary generates now; the bash function completes
# commands, nested commands, option names and values; zsh and fish parse (and fish completes);
# every page renders with groff without a warning; every command `--help` lists (walked
# recursively) has a page and completion entries, the hidden generator none; every option
# `serve --help` lists is in its page; `cmake --install --component ploke_cli` puts them where
# the shells and man look. Usage: completion_cli_test.sh BIN GENERATED_DIR CMAKE BUILD_DIR.
# Ends with "N passed, N failed".
set -u
BIN="$1"
BUILT="$2"
CMAKE="$3"
BUILD="$4"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
shown() {  # shown NAME CODE FILE: check CODE is 0, printing FILE when it is not
  check "$1" 0 "$2"; [[ "$2" == 0 ]] || sed 's/^/    /' "$3" | head -20
}

"$BIN" __generate completion bash -o "$TMP/ploke-sim"; check "generate bash" 0 $?
"$BIN" __generate completion zsh -o "$TMP/_ploke-sim"; check "generate zsh" 0 $?
"$BIN" __generate completion fish >"$TMP/ploke-sim.fish"; check "generate fish (stdout)" 0 $?
"$BIN" __generate man "$TMP/man1"; check "generate man pages" 0 $?
"$BIN" __generate completion tcsh >"$TMP/out" 2>&1; check "an unknown shell is a usage error" 2 $? "tcsh" "$TMP/out"
for f in completions/ploke-sim completions/_ploke-sim completions/ploke-sim.fish; do
  cmp -s "$BUILT/$f" "$TMP/$(basename "$f")"; check "the build generated $f" 0 $?
done
diff -r "$BUILT/man1" "$TMP/man1" >"$TMP/out" 2>&1; shown "the build generated the man pages" $? "$TMP/out"

# ---- installed with the ploke_cli component, at the standard places ----
"$CMAKE" --install "$BUILD" --prefix "$TMP/prefix" --component ploke_cli >"$TMP/install.log" 2>&1
shown "cmake --install --component ploke_cli" $? "$TMP/install.log"
S="$TMP/prefix/share"
cmp -s "$S/bash-completion/completions/ploke-sim" "$TMP/ploke-sim"; check "installed: bash completion" 0 $?
cmp -s "$S/zsh/vendor-completions/_ploke-sim" "$TMP/_ploke-sim"; check "installed: zsh completion" 0 $?
cmp -s "$S/fish/vendor_completions.d/ploke-sim.fish" "$TMP/ploke-sim.fish"; check "installed: fish completion" 0 $?
diff -r "$S/man/man1" "$TMP/man1" >"$TMP/out" 2>&1; shown "installed: every man page in share/man/man1" $? "$TMP/out"
MANPATH="$S/man" man -w ploke-sim-cassette-lint >"$TMP/out" 2>&1; shown "man finds an installed page by name" $? "$TMP/out"

# ---- bash: source the script, set COMP_WORDS/COMP_CWORD, call the function ----
complete_bash() {  # complete_bash WORD... -> COMPREPLY, one per line
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _ploke_sim
           printf "%s\n" "${COMPREPLY[@]}"' _ "$TMP/ploke-sim" "$@"
}
offers() {  # offers NAME WANT WORD...: WANT is among the completions
  local name="$1" want="$2"; shift 2
  complete_bash "$@" >"$TMP/reply"
  grep -qxF -- "$want" "$TMP/reply"; shown "$name" $? "$TMP/reply"
}
lacks() {  # lacks NAME UNWANTED WORD...
  local name="$1" unwanted="$2"; shift 2
  complete_bash "$@" >"$TMP/reply"
  ! grep -qxF -- "$unwanted" "$TMP/reply"; shown "$name" $? "$TMP/reply"
}
offers "bash: ploke-sim se -> serve" serve ploke-sim se
offers "bash: serve --po -> --port" --port ploke-sim serve --po
offers "bash: cassette l -> lint (nested)" lint ploke-sim cassette l
offers "bash: gateway keys cr -> create (two levels)" create ploke-sim gateway keys cr
offers "bash: after an option's value, options again" --host ploke-sim serve --port 8 --h
offers "bash: choices of serve --drift" numeric_prices ploke-sim serve --drift ""
offers "bash: global --plugin-dir after a command" --plugin-dir ploke-sim chat --plug
mkdir -p "$TMP/files/sub" && touch "$TMP/files/plan.json"
offers "bash: file names for --faults" "$TMP/files/plan.json" ploke-sim serve --faults "$TMP/files/pl"
offers "bash: --faults=VALUE (split at =)" "$TMP/files/plan.json" ploke-sim serve --faults = "$TMP/files/pl"
offers "bash: --drift= offers the choices" all ploke-sim serve --drift =
offers "bash: options again after --port=VALUE" --host ploke-sim serve --port = 8 --ho
offers "bash: file names for a positional" "$TMP/files/plan.json" ploke-sim cassette lint "$TMP/files/pl"
offers "bash: folders for --cassette-dir" "$TMP/files/sub" ploke-sim serve --cassette-dir "$TMP/files/s"
lacks "bash: no file names for --port" "$TMP/files/plan.json" ploke-sim serve --port "$TMP/files/pl"
offers "bash: the command after check --" bash ploke-sim check -- bas
lacks "bash: the hidden generator is not completed" __generate ploke-sim __
lacks "bash: a deprecated spelling is not completed" --pattern ploke-sim cassette lint --pat
lacks "bash: serve's options are not chat's" --base-url ploke-sim serve --base

# ---- every command of the live parser, from --help (recursively) ----
commands_of() {  # commands_of WORD...: the subcommands `ploke-sim WORD... --help` lists, one per line
  "$BIN" "$@" --help 2>/dev/null | sed -n '/^Subcommands:/,/^$/p' | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}
walk() {  # walk PATH...: prints every command path under PATH, words joined by spaces
  local sub
  for sub in $(commands_of "$@"); do
    echo "$* $sub" | sed 's/^ //'
    walk "$@" "$sub"
  done
}
walk >"$TMP/commands"
ok_if "the --help walk finds the nested commands" "grep -qx 'gateway keys revoke' '$TMP/commands' && [[ \$(wc -l <'$TMP/commands') -ge 40 ]]"
missing_pages="" missing_completion=""
while read -r path; do
  page="ploke-sim-${path// /-}.1"
  [[ -f "$TMP/man1/$page" ]] || missing_pages+=" $page"
  # shellcheck disable=SC2086
  set -- $path
  last="${!#}"
  complete_bash ploke-sim "${@:1:$#-1}" "$last" | grep -qxF -- "$last" || missing_completion+=" [$path]"
done <"$TMP/commands"
ok_if "every command has a man page${missing_pages:+ (missing:$missing_pages)}" "[[ -z '$missing_pages' ]]"
ok_if "bash completes every command${missing_completion:+ (missing:$missing_completion)}" "[[ -z '$missing_completion' ]]"
ok_if "no page for a command --help does not list" \
  "[[ \$(ls '$TMP/man1' | wc -l) -eq \$((\$(wc -l <'$TMP/commands') + 1)) ]]"
"$BIN" >"$TMP/out" 2>&1
grep -q "serve, chat" "$TMP/out"; check "bare ploke-sim lists the commands" 0 $?
cat "$TMP/out" "$TMP/ploke-sim" "$TMP/_ploke-sim" "$TMP/ploke-sim.fish" | grep -v '^#' | grep -q __generate
check "the hidden generator is listed nowhere" 1 $?
! grep -rq __generate "$TMP/man1"; check "and has no man page" 0 $?

# ---- man pages: render without warnings; serve's page has every serve option ----
warned=""
for page in "$TMP"/man1/*.1; do
  groff -man -Tutf8 -ww -z "$page" >"$TMP/groff.err" 2>&1
  [[ -s "$TMP/groff.err" ]] && warned+=" $(basename "$page")"
done
ok_if "every page renders with groff -ww and no warning${warned:+ (warnings:$warned)}" "[[ -z '$warned' ]]"
MANWIDTH=200 man -l "$TMP/man1/ploke-sim-serve.1" >"$TMP/serve.txt" 2>"$TMP/man.err"; check "man -l renders ploke-sim-serve(1)" 0 $?
"$BIN" serve --help | grep -oE '^  (-[a-z],)?--[a-z0-9-]+' | sed 's/^ *//; s/^-[a-z],//' >"$TMP/serve-options"
absent_options=""
while read -r opt; do grep -qF -- "$opt" "$TMP/serve.txt" || absent_options+=" $opt"; done <"$TMP/serve-options"
ok_if "every serve option is in ploke-sim-serve(1)${absent_options:+ (missing:$absent_options)}" \
  "[[ -z '$absent_options' && \$(wc -l <'$TMP/serve-options') -ge 20 ]]"
grep -q 'Default: 8080' "$TMP/serve.txt"; check "serve(1) shows --port's default" 0 $?
MANWIDTH=200 man -l "$TMP/man1/ploke-sim.1" >"$TMP/root.txt" 2>&1
grep -q 'ploke-sim-cassette(1)' "$TMP/root.txt"; check "ploke-sim(1) points to the command pages" 0 $?

# ---- zsh and fish (when installed: scripts/install-deps.sh adds both) ----
if command -v zsh >/dev/null; then
  zsh -n "$TMP/_ploke-sim" >"$TMP/out" 2>&1; shown "zsh -n parses _ploke-sim" $? "$TMP/out"
  grep -q "^#compdef ploke-sim" "$TMP/_ploke-sim"; check "zsh: #compdef line" 0 $?
else
  echo "skip zsh checks: zsh is not installed (scripts/install-deps.sh installs it)"
fi
if command -v fish >/dev/null; then
  fish --no-execute "$TMP/ploke-sim.fish" >"$TMP/out" 2>&1; shown "fish --no-execute parses ploke-sim.fish" $? "$TMP/out"
  fish_complete() { fish --no-config -c "source '$TMP/ploke-sim.fish'; complete -C '$1'" | cut -f1; }
  fish_complete "ploke-sim cassette l" >"$TMP/out"; grep -qx lint "$TMP/out"; shown "fish: cassette l -> lint" $? "$TMP/out"
  fish_complete "ploke-sim serve --po" >"$TMP/out"; grep -qx -- --port "$TMP/out"; shown "fish: serve --po -> --port" $? "$TMP/out"
  fish_complete "ploke-sim serve --drift " >"$TMP/out"; grep -qx all "$TMP/out"; shown "fish: serve --drift choices" $? "$TMP/out"
  fish_complete "ploke-sim serve --" >"$TMP/out"; ! grep -qx -- --base-url "$TMP/out"; shown "fish: serve's options only" $? "$TMP/out"
else
  echo "skip fish checks: fish is not installed (scripts/install-deps.sh installs it)"
fi
finish
