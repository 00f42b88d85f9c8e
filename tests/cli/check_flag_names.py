#!/usr/bin/env python3
"""One long name per meaning across every ploke-sim command (cli/README.md "Flag names").

Reads the option dump of `ploke-sim __generate options` (one line per option: command path,
names, value placeholder, description; tab-separated) from a file or stdin and fails when
  - two spellings of one meaning are in use (SYNONYMS: the first of each group is the name;
    `--out` and `--output`, `--pattern` and `--redact-pattern`, `--url` and `--base-url`, ...),
    or a group's only spelling in use is not its name;
  - one long name takes a value in one command and is a flag in another.
Prints each problem naming the commands; exit 0 clean, 1 problems, 2 unreadable input.
"""
import sys

# Each group: the name to use, then spellings that mean the same. Only long names.
SYNONYMS = [
    ["output", "out", "output-file", "outfile", "out-file"],
    ["redact-pattern", "pattern", "secret-pattern", "redact-regex", "secret-regex"],
    ["base-url", "url", "base", "api-base", "server-url", "endpoint-url"],
    ["threads", "workers", "worker-threads", "jobs", "nthreads"],
    ["host", "bind", "addr", "address", "listen", "interface"],
    ["port", "listen-port"],
    ["config", "config-file", "conf", "cfg"],
    ["json", "json-output", "format-json"],
    ["seed", "random-seed", "rng-seed"],
    ["log-level", "loglevel", "verbosity", "level"],
    ["timeout-ms", "timeout", "deadline-ms"],
    ["api-key-env", "key-env", "api-key-var"],
    ["ledger", "ledger-file", "db"],
    ["cache", "cache-file"],
    ["model", "model-id"],
    ["junit", "junit-xml", "junit-file"],
    ["dry-run", "dryrun", "noop"],
    ["provider", "providers", "upstream-provider"],
]


def read_dump(lines):
    """{long name: [(command, takes_value)]}"""
    uses = {}
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise ValueError(f"line {n}: {len(fields)} tab-separated fields, want 4")
        command, names, value, _ = fields
        for name in names.split(","):
            if name.startswith("--"):
                uses.setdefault(name[2:], []).append((command or "ploke-sim", value != ""))
    return uses


def problems(uses):
    out = []
    for group in SYNONYMS:
        used = [n for n in group if n in uses]
        if len(used) > 1 or (used and used[0] != group[0]):
            where = "; ".join(f"--{n} in {', '.join(sorted({c for c, _ in uses[n]}))}" for n in used)
            out.append(f"same meaning, {len(used)} spelling(s): {where}: use --{group[0]} everywhere")
    for name, where in sorted(uses.items()):
        kinds = {v for _, v in where}
        if len(kinds) > 1:
            flags = sorted(c for c, v in where if not v)
            valued = sorted(c for c, v in where if v)
            out.append(f"--{name} is a flag in {', '.join(flags)} but takes a value in {', '.join(valued)}")
    return out


def main():
    try:
        text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
        uses = read_dump(text.splitlines())
    except (OSError, ValueError) as e:
        print(f"check-flag-names: {e}", file=sys.stderr)
        return 2
    found = problems(uses)
    for p in found:
        print(f"check-flag-names: {p}")
    if not found:
        print(f"check-flag-names: ok ({len(uses)} long names)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
