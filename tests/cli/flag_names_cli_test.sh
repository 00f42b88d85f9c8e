#!/usr/bin/env bash
# One long name per meaning across every command (cli/README.md "Flag names"): the option
# dump of `ploke-sim __generate options` passes check_flag_names.py; the checker fails on a
# dump with two spellings of one meaning or a name that is a flag here and takes a value
# there; renamed spellings are hidden from the dump and still parse. Ends with
# "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
CHECKER="$(dirname "$0")/check_flag_names.py"

"$BIN" __generate options -o "$TMP/options.tsv"; check "dump every option" 0 $?
ok_if "the dump has every command's options" "grep -qP '^serve\t--port\tINT\t' '$TMP/options.tsv' && grep -qP '^gateway keys create\t--name\t' '$TMP/options.tsv'"
python3 "$CHECKER" "$TMP/options.tsv" >"$TMP/out" 2>&1; check "one long name per meaning" 0 $? "^check-flag-names: ok" "$TMP/out"
ok_if "renamed spellings are not in the dump" "! grep -qP '\t(--pattern|--out|--url)(\t|,)' '$TMP/options.tsv'"

# The checker can fail: planted dumps.
{ cat "$TMP/options.tsv"; printf 'demo\t--out\tTEXT\tWrite here\n'; } >"$TMP/synonym.tsv"
python3 "$CHECKER" "$TMP/synonym.tsv" >"$TMP/out" 2>&1
check "a command with --out next to -o,--output fails" 1 $? "--output in cassette redact, ploke import; --out in demo: use --output" "$TMP/out"
{ cat "$TMP/options.tsv"; printf 'demo\t--workers\tINT\tWorker threads\n'; } >"$TMP/workers.tsv"
python3 "$CHECKER" "$TMP/workers.tsv" >"$TMP/out" 2>&1; check "--workers next to --threads fails" 1 $? "use --threads" "$TMP/out"
{ grep -vP '\t--redact-pattern\t' "$TMP/options.tsv"; printf 'cassette lint\t--pattern\tTEXT\tregex\n'; } >"$TMP/alone.tsv"
python3 "$CHECKER" "$TMP/alone.tsv" >"$TMP/out" 2>&1; check "a group's other spelling alone fails too" 1 $? "use --redact-pattern" "$TMP/out"
{ cat "$TMP/options.tsv"; printf 'demo\t--json\tTEXT\tJSON file\n'; } >"$TMP/kind.tsv"
python3 "$CHECKER" "$TMP/kind.tsv" >"$TMP/out" 2>&1; check "--json taking a value in one command fails" 1 $? "--json is a flag in .* but takes a value in demo" "$TMP/out"
printf 'not a dump\n' >"$TMP/bad.tsv"
python3 "$CHECKER" "$TMP/bad.tsv" >"$TMP/out" 2>&1; check "an unreadable dump is exit 2" 2 $? "line 1" "$TMP/out"

# Renamed spellings still parse, warn once, and are in no help text.
"$BIN" cassette lint --help >"$TMP/help" 2>&1
ok_if "--help shows --redact-pattern, not --pattern" "grep -q -- '--redact-pattern' '$TMP/help' && ! grep -qE -- '--pattern( |$)' '$TMP/help'"
"$BIN" llm queue status --url "ftp://x" >"$TMP/out" 2>&1
check "--url reaches --base-url's check" 2 $? "--base-url: must start with http" "$TMP/out"
ok_if "with one deprecation line" "[[ \$(grep -c 'warning: --url is deprecated, use --base-url' '$TMP/out') -eq 1 ]]"
finish
