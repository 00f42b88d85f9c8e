# shellcheck shell=bash
# The checks every tests/cli/*_test.sh script uses (sourced, not run). Each check prints
# "ok   NAME" or "FAIL NAME: why" and counts; `finish` prints "N passed, N failed" and
# returns non-zero when anything failed.
#   check NAME WANT_CODE GOT_CODE [PATTERN FILE]   exit code, then (optional) an ERE in FILE
#   ok_if NAME SHELL_CONDITION                      the condition holds
#   absent NAME NEEDLE FILE...                      a planted value appears in none of the files
#   junit_valid NAME FILE                           FILE validates against the JUnit schemas (junit_schema.sh)
pass=0
fail=0

check() {
  local name="$1" want="$2" got="$3"
  if [[ "$got" != "$want" ]]; then
    echo "FAIL $name: exit $got, want $want"; [[ $# -ge 5 ]] && sed 's/^/    /' "$5" | head -20
    fail=$((fail+1)); return
  fi
  if [[ $# -ge 5 ]] && ! grep -qE -- "$4" "$5"; then
    echo "FAIL $name: output lacks /$4/:"; sed 's/^/    /' "$5" | head -20; fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}

ok_if() { if eval "$2"; then check "$1" 0 0; else check "$1" 0 1; fi; }

absent() {
  local name="$1" needle="$2"; shift 2
  if grep -qF -- "$needle" "$@"; then
    echo "FAIL $name: found the planted value in:"; grep -lF -- "$needle" "$@" | sed 's/^/    /'; fail=$((fail+1))
  else
    echo "ok   $name"; pass=$((pass+1))
  fi
}

# shellcheck source=tests/cli/junit_schema.sh
source "$(dirname "${BASH_SOURCE[0]}")/junit_schema.sh"

junit_valid() {
  if validate_junit "$2" 2>"${2}.schema-errors"; then
    echo "ok   $1"; pass=$((pass+1))
  else
    echo "FAIL $1:"; sed 's/^/    /' "${2}.schema-errors"; fail=$((fail+1))
  fi
  rm -f "${2}.schema-errors"
}

finish() {
  echo "$pass passed, $fail failed"
  [[ $fail -eq 0 ]]
}
