#!/usr/bin/env python3
"""Helpers for bench/load.sh.

  loadreport.py parse NAME WRK_OUTPUT_FILE [LOAD1 [SERVER_CPU_S]]  -> one JSON object
  loadreport.py report RESULTS_JSON ROW_JSON...      -> writes RESULTS_JSON, prints a table,
                                                        exit 0 (targets are reported, not enforced)
Parses the text of `wrk --latency` (wrk 4.x).
"""
import json
import re
import sys

_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"bad latency value {text!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]


def parse(name, path, load1=None, cpu_s=None):
    text = open(path, encoding="utf-8", errors="replace").read()
    out = {"name": name}
    if load1 is not None:
        out["loadavg1_before"] = float(load1)
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not m:
        raise SystemExit(f"{path}: no 'Requests/sec' in wrk output:\n{text}")
    out["req_per_s"] = float(m.group(1))
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    if m:
        out["latency_avg_ms"] = _ms(m.group(1))
        out["latency_stdev_ms"] = _ms(m.group(2))
        out["latency_max_ms"] = _ms(m.group(3))
    pct = {}
    for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M):
        pct[p] = _ms(v)
    if "99" not in pct:
        raise SystemExit(f"{path}: no latency distribution (was --latency passed?)")
    out.update({f"p{p}_ms": v for p, v in pct.items()})
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", text)
    if m:
        out["requests"] = int(m.group(1))
        out["duration"] = m.group(2) + m.group(3)
        out["read"] = m.group(4) + m.group(5)
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m else {}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"^Transfer/sec:\s+(\S+)", text, re.M)
    if m:
        out["transfer_per_s"] = m.group(1)
    if cpu_s is not None and out.get("requests"):
        # Server CPU (user+sys, all threads/workers) per request: insensitive to how much
        # CPU other jobs on the machine take, unlike req/s.
        out["server_cpu_s"] = float(cpu_s)
        out["server_cpu_us_per_req"] = round(float(cpu_s) * 1e6 / out["requests"], 2)
    return out


def best_of_rounds(rows):
    """Rows named NAME#k are rounds of NAME: keep the best (highest req/s) as NAME."""
    out, groups = [], {}
    for r in rows:
        base = r["name"].split("#", 1)[0]
        if "#" in r["name"]:
            if base not in groups:
                groups[base] = []
                out.append(base)
            groups[base].append(r)
        else:
            out.append(r)
    res = []
    for item in out:
        if isinstance(item, str):
            rounds = groups[item]
            best = dict(max(rounds, key=lambda x: x["req_per_s"]))
            best["best_round"] = best["name"]
            best["name"] = item
            best["rounds"] = [{k: x.get(k) for k in ("name", "req_per_s", "p50_ms", "p99_ms", "loadavg1_before",
                                                     "server_cpu_us_per_req")}
                              for x in rounds]
            res.append(best)
        else:
            res.append(item)
    return res


def report(results_path, meta_path, rows):
    meta = json.load(open(meta_path))
    rows = best_of_rounds(rows)
    by = {r["name"]: r for r in rows}
    sim, ngx = by.get("simulator"), by.get("nginx")
    targets = {}
    if sim and ngx:
        ratio = sim["req_per_s"] / ngx["req_per_s"]
        meta["sim_over_nginx"] = round(ratio, 3)
        targets["throughput_ge_0.9x_nginx"] = ratio >= 0.9
        if sim.get("server_cpu_us_per_req") and ngx.get("server_cpu_us_per_req"):
            meta["nginx_cpu_over_sim_cpu_per_req"] = round(ngx["server_cpu_us_per_req"] / sim["server_cpu_us_per_req"], 3)
    if sim:
        targets["sim_p99_le_3ms"] = sim["p99_ms"] <= 3.0
        targets["sim_no_errors"] = sim["non_2xx"] == 0 and not any(sim["socket_errors"].values())
    meta["targets"] = targets
    meta["results"] = rows
    with open(results_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    hdr = (f"{'server':<22}{'req/s':>11}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'non2xx':>8}{'sockerr':>8}"
           f"{'cpu us/req':>11}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        se = sum(r["socket_errors"].values()) if r["socket_errors"] else 0
        print(f"{r['name']:<22}{r['req_per_s']:>11.0f}{r['p50_ms']:>9.3f}{r.get('p90_ms', float('nan')):>9.3f}"
              f"{r['p99_ms']:>9.3f}{r.get('latency_max_ms', float('nan')):>9.2f}{r['non_2xx']:>8}{se:>8}"
              f"{r.get('server_cpu_us_per_req', float('nan')):>11.1f}")
    for r in rows:
        if "rounds" in r:
            rs = ", ".join(f"{x['req_per_s']:.0f} (p99 {x['p99_ms']:.2f} ms, cpu {x.get('server_cpu_us_per_req')} us/req,"
                           f" load {x.get('loadavg1_before')})" for x in r["rounds"])
            print(f"  {r['name']} rounds: {rs}")
    if "sim_over_nginx" in meta:
        print(f"\nsimulator / nginx throughput: {meta['sim_over_nginx']:.3f}x (target >= 0.9)")
        if "nginx_cpu_over_sim_cpu_per_req" in meta:
            print(f"nginx CPU per request / simulator CPU per request: {meta['nginx_cpu_over_sim_cpu_per_req']:.3f}"
                  " (load-independent efficiency ratio; 1.0 = as cheap as nginx)")
    for k, v in targets.items():
        print(f"target {k}: {'PASS' if v else 'MISS'}")
    print(f"results: {results_path}")


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "parse":
        print(json.dumps(parse(sys.argv[2], sys.argv[3], *sys.argv[4:6])))
    elif len(sys.argv) >= 4 and sys.argv[1] == "report":
        rows = [json.load(open(p)) for p in sys.argv[4:]]
        report(sys.argv[2], sys.argv[3], rows)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
