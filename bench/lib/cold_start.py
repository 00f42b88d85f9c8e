#!/usr/bin/env python3
"""Cold-start timer for `ploke-sim serve` (and, for comparison, WireMock).

  cold_start.py sim BINARY RUNS OUT.json [EXTRA SERVE ARGS...]
      Per run: t0 = just before fork/exec of `BINARY serve --host 127.0.0.1 --port 0`;
      t_url = its "listening on URL" line read from stdout; t_resp = complete response
      to GET /v1/models over a fresh connection. Then SIGTERM and wait (exit code recorded).
  cold_start.py wiremock JAR OUT.json
      One run: t0 = before exec of `java -jar JAR --port P`; polls TCP connect + GET
      /__admin/health every 2 ms until it answers 200.
Times are time.perf_counter() deltas in ms. Loopback only.
"""
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def http_get(host, port, path, timeout=5.0):
    """Minimal HTTP/1.1 GET with Connection: close; returns (status, body_bytes)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            # Stop once a Content-Length body is complete (server may keep the socket).
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length" and len(body) >= int(v):
                        return int(head.split(b" ", 2)[1]), body
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def pct(sorted_vals, p):
    k = (len(sorted_vals) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def summarize(vals):
    v = sorted(vals)
    return {"min": round(v[0], 3), "median": round(statistics.median(v), 3), "p90": round(pct(v, 90), 3),
            "max": round(v[-1], 3), "n": len(v)}


def one_sim_run(binary, extra=()):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        buf = b""
        fd = p.stdout.fileno()
        deadline = t0 + 10
        while b"\n" not in buf:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise RuntimeError("no URL line within 10 s")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("server exited before printing its URL: " + p.stderr.read().decode(errors="replace"))
            buf += chunk
        t_url = time.perf_counter()
        line = buf.split(b"\n", 1)[0].decode()
        if not line.startswith("listening on http://"):
            raise RuntimeError(f"unexpected first line {line!r}")
        hostport = line.split("http://", 1)[1].rstrip("/")
        host, port = hostport.rsplit(":", 1)
        status, body = http_get(host, int(port), "/v1/models")
        t_resp = time.perf_counter()
        if status != 200 or b'"object":"list"' not in body.replace(b" ", b""):
            raise RuntimeError(f"GET /v1/models -> {status} {body[:200]!r}")
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        p.stdout.close()
        p.stderr.close()
    return {"exec_to_url_ms": (t_url - t0) * 1e3, "exec_to_first_response_ms": (t_resp - t0) * 1e3, "exit_code": rc}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wiremock_run(jar):
    port = free_port()
    root = tempfile.mkdtemp(prefix="ploke-wm-root.")  # WireMock creates mappings/ and __files/ there
    t0 = time.perf_counter()
    p = subprocess.Popen(["java", "-jar", jar, "--bind-address", "127.0.0.1", "--port", str(port),
                          "--root-dir", root, "--disable-banner", "--no-request-journal"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=root)
    try:
        deadline = t0 + 120
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"WireMock exited early ({p.returncode})")
            try:
                status, _ = http_get("127.0.0.1", port, "/__admin/health", timeout=2)
                if status == 200:
                    break
            except (ConnectionRefusedError, ConnectionResetError, socket.timeout, OSError):
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError("WireMock did not answer within 120 s")
            time.sleep(0.002)
        t_resp = time.perf_counter()
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        shutil.rmtree(root, ignore_errors=True)
    return {"exec_to_first_response_ms": (t_resp - t0) * 1e3}


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "sim":
        binary, runs, out, extra = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
        one_sim_run(binary, extra)  # discarded: pulls the binary and libraries into the page cache
        rows = [one_sim_run(binary, extra) for _ in range(runs)]
        res = {"binary": binary, "args": ["serve", "--host", "127.0.0.1", "--port", "0", *extra], "runs": rows,
               "exec_to_first_response_ms": summarize([r["exec_to_first_response_ms"] for r in rows]),
               "exec_to_url_ms": summarize([r["exec_to_url_ms"] for r in rows]),
               "exit_codes": sorted({r["exit_code"] for r in rows})}
    elif len(sys.argv) == 4 and sys.argv[1] == "wiremock":
        res = wiremock_run(sys.argv[2])
        res["jar"] = sys.argv[2]
    else:
        raise SystemExit(__doc__)
    with open(sys.argv[4] if sys.argv[1] == "sim" else sys.argv[3], "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
