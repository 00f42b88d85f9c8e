#!/usr/bin/env python3
"""Lists C++ functions over 70 lines and files over 800 lines.

usage: scripts/check-size.py [--strict] [--max-function N] [--max-file N] [PATH ...]

PATH is a file or a folder (searched for .cpp/.cc/.h/.hpp); default: the repository's
C++ module folders. A brace-aware heuristic: comments, string and character literals
(raw strings included) are skipped; namespace, class, struct, union, enum and extern "C"
bodies are transparent; any other top-level brace block whose head ends with ')' (plus
qualifiers, an initializer list or a trailing return type) is a function, and lambdas
inside it count toward it. Each finding prints as `file:line: name: N lines`.
Exit status: 0, or 1 with --strict when something is listed; 2 on a usage error.
"""
import argparse
import os
import re
import sys

DEFAULT_ROOTS = ["core", "adapters", "simulator", "recorder", "cassettes", "scenarios", "cli", "gateway", "bench", "tests"]
EXTENSIONS = (".cpp", ".cc", ".cxx", ".h", ".hpp")
TRANSPARENT = re.compile(r"\b(namespace|class|struct|union|enum)\b[^;()]*$|extern\s+\"C\"\s*$")


def strip(text):
    """Blanks out comments and literals, keeping newlines so line numbers hold."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            m = re.match(r'R"([^()\\\s]{0,16})\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def function_name(head):
    head = re.sub(r"\s+", " ", head).strip()
    depth, k = 0, len(head) - 1
    # find the parameter list's '(' : the last top-level ')' walking back
    close = head.rfind(")")
    while close >= 0:
        depth, k = 0, close
        while k >= 0:
            if head[k] == ")":
                depth += 1
            elif head[k] == "(":
                depth -= 1
                if depth == 0:
                    break
            k -= 1
        before = head[:k].rstrip()
        m = re.search(r"([~\w:<>,\s*&]*?[\w~]+(?:<[^()]*>)?|operator\s*\S+)$", before)
        if m and not re.search(r"\b(if|for|while|switch|catch|return)\s*$", before):
            name = m.group(0).strip().split(" ")[-1]
            if name:
                return name
        close = head.rfind(")", 0, k)
    return None


def scan(path, max_fn):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    code = strip(text)
    findings = []
    stack = []  # entries: ("transparent"|"function"|"block", name, start_line)
    head_start = 0
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c in ";":
            if not any(kind in ("function", "block") for kind, _, _ in stack):
                head_start = i + 1
        elif c == "{":
            inside = any(kind in ("function", "block") for kind, _, _ in stack)
            head = code[head_start:i]
            if inside:
                stack.append(("block", None, line))
            elif TRANSPARENT.search(head.strip().split("\n")[-1] if head.strip() else "") or TRANSPARENT.search(
                    re.sub(r"\s+", " ", head).strip()):
                stack.append(("transparent", None, line))
            else:
                name = function_name(head) if ")" in head else None
                stack.append(("function" if name else "block", name, line))
            head_start = i + 1
        elif c == "}":
            if stack:
                kind, name, start = stack.pop()
                if kind == "function":
                    length = line - start + 1
                    if length > max_fn:
                        findings.append((path, start, name, length))
            if not any(kind in ("function", "block") for kind, _, _ in stack):
                head_start = i + 1
    return findings, text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def files_under(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
        elif os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "build")
                for n in sorted(names):
                    if n.endswith(EXTENSIONS):
                        yield os.path.join(root, n)
        else:
            raise FileNotFoundError(p)


def main():
    ap = argparse.ArgumentParser(description="List C++ functions over N lines and files over M lines.")
    ap.add_argument("paths", nargs="*", help="files or folders (default: the module folders)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when anything is listed")
    ap.add_argument("--max-function", type=int, default=70)
    ap.add_argument("--max-file", type=int, default=800)
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = args.paths or [os.path.join(repo, d) for d in DEFAULT_ROOTS if os.path.isdir(os.path.join(repo, d))]
    listed = 0
    try:
        files = list(files_under(paths))
    except FileNotFoundError as e:
        print(f"check-size: no such file or folder: {e}", file=sys.stderr)
        return 2
    for path in files:
        findings, lines = scan(path, args.max_function)
        shown = os.path.relpath(path)
        if lines > args.max_file:
            print(f"{shown}:1: file: {lines} lines (max {args.max_file})")
            listed += 1
        for _, start, name, length in findings:
            print(f"{shown}:{start}: {name}: {length} lines (max {args.max_function})")
            listed += 1
    print(f"check-size: {listed} over the limits in {len(files)} files", file=sys.stderr)
    return 1 if args.strict and listed else 0


if __name__ == "__main__":
    sys.exit(main())
