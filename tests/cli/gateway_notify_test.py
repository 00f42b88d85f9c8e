#!/usr/bin/env python3
"""`ploke-sim gateway` under a service manager (systemd Type=notify, cli/service_notify.h),
without systemd: NOTIFY_SOCKET names a unix datagram socket this test binds in a temp dir.
The gateway (--sim, port 0) must send READY=1 with STATUS=listening on URL once it listens
(a connection to URL succeeds as soon as READY arrives), STOPPING=1 when SIGTERM starts the
drain, and exit 0. Exit 77 (skipped) when the binary was built without libsystemd.
Args: PLOKE_SIM HAVE_SYSTEMD(0|1)"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request


def fail(msg, proc=None):
    print("FAIL:", msg)
    if proc is not None:
        proc.kill()
        out, err = proc.communicate()
        print("stdout:", out, "\nstderr:", err)
    sys.exit(1)


def recv_state(sock, proc, want):
    """The next datagram; fails when none arrives in 20 s or it lacks `want`."""
    try:
        data = sock.recv(4096).decode()
    except socket.timeout:
        fail(f"no notification within 20 s (waiting for {want})", proc)
    lines = data.split("\n")
    if want not in lines:
        fail(f"expected {want} in {lines!r}", proc)
    return lines


def main():
    binary, have = sys.argv[1], sys.argv[2]
    if have != "1":
        print("SKIP: ploke-sim built without libsystemd (PLOKE_SYSTEMD=OFF or libsystemd-dev missing)")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(20)
        env = dict(os.environ, NOTIFY_SOCKET=path, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_CACHE_HOME=tmp)
        proc = subprocess.Popen([binary, "gateway", "--sim", "--port", "0"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            lines = recv_state(sock, proc, "READY=1")
            status = [l for l in lines if l.startswith("STATUS=listening on http://127.0.0.1:")]
            if not status:
                fail(f"READY without STATUS=listening on URL: {lines!r}", proc)
            url = status[0][len("STATUS=listening on "):]
            # Ready means listening: the port answers now, without any retry.
            with urllib.request.urlopen(url + "/__admin/health", timeout=10) as r:
                if r.status != 200:
                    fail(f"health answered {r.status} after READY=1", proc)
            proc.send_signal(signal.SIGTERM)
            recv_state(sock, proc, "STOPPING=1")
            out, err = proc.communicate(timeout=30)
        except BaseException:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            raise
        if proc.returncode != 0:
            fail(f"gateway exited {proc.returncode}: {err}")
        if f"listening on {url}" not in out:
            fail(f"stdout does not say listening on {url}: {out!r}")
    print("gateway notify: ok")


if __name__ == "__main__":
    main()
