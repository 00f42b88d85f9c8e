# shellcheck shell=bash
# validate_junit FILE: FILE is JUnit XML that CI systems accept — it validates (xmllint
# --schema) against every schema in tests/data/junit: the Apache Ant JUnit schema (what
# Jenkins and most CI reporters read; the strict one) and Jenkins xUnit's junit-10.xsd.
# Prints xmllint's complaints on failure; returns 0 when valid, 1 when not (or when xmllint,
# Debian package libxml2-utils from scripts/install-deps.sh, is missing). Sourced by
# tests/cli/lib.sh; any script producing JUnit can source this file alone.
JUNIT_SCHEMA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../data/junit" && pwd)"

validate_junit() {
  local file="$1" xsd out rc=0
  if ! command -v xmllint >/dev/null 2>&1; then
    echo "validate_junit: xmllint not found (install libxml2-utils: scripts/install-deps.sh)" >&2
    return 1
  fi
  for xsd in "$JUNIT_SCHEMA_DIR"/ant-junit.xsd "$JUNIT_SCHEMA_DIR"/jenkins-junit-10.xsd; do
    if ! out=$(xmllint --noout --schema "$xsd" "$file" 2>&1); then
      echo "validate_junit: $file does not validate against $(basename "$xsd"):" >&2
      printf '%s\n' "$out" | head -20 | sed 's/^/    /' >&2
      rc=1
    fi
  done
  return $rc
}
