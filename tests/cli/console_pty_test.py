#!/usr/bin/env python3
"""`ploke-sim console` through a pseudo-terminal, against `ploke-sim gateway --sim`.

Usage: console_pty_test.py PATH/TO/ploke-sim

Types into the console as a user would (libedit line editing on a pty): slash commands read
and switch the running gateway's state (the admin API confirms the switch), Tab completes
commands and their arguments, the history survives a restart (up arrow), a line holding a key
never reaches the history file, an unknown command or a gateway that went away prints an
error and the console goes on, Ctrl-D exits 0. Then the piped mode (no prompt), start-up
failures (nothing listening, a bad --base-url, a gateway that wants its master key) and the master
key from the environment. Temp XDG dirs; loopback only; port 0; every wait has a deadline
(no fixed sleeps); every process started is stopped. Prints "ok NAME" / "FAIL NAME" and
"N passed, N failed"; exit 1 when anything failed.
"""
import fcntl
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.request

BIN = sys.argv[1]
DEADLINE_S = 20
PLANTED_KEY = "sk-proj-FAKE-CONSOLEHISTORYPLANTED0123456789abcdef"
passed = 0
failed = 0
procs = []


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + detail[-1500:] if detail else ""))


ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r|\x07|\x08")


def clean(text):
    return ANSI.sub("", text)


class Pty:
    """A process on a pseudo-terminal: send keys, wait for output matching a pattern."""

    def __init__(self, argv, env):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        def controlling_terminal():  # a session of its own with the pty as its terminal: Ctrl-C is SIGINT
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     preexec_fn=controlling_terminal, close_fds=True)
        procs.append(self.proc)
        os.close(slave)
        self.buf = ""  # everything read and not yet consumed by expect()

    def send(self, keys):
        os.write(self.master, keys.encode())

    def raw_mode(self, timeout=DEADLINE_S):
        """Waits until libedit has the terminal in raw mode (keys typed before that are the line
        discipline's: a Ctrl-D would be an end-of-file the editor never sees)."""
        end = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ICANON:
            if time.monotonic() > end:
                return False
            select.select([], [], [], 0.002)  # poll the terminal's mode
        return True

    def type_line(self, keys):
        """Waits for the prompt and libedit's raw mode, then types."""
        if self.expect(r"ploke> ") is None or not self.raw_mode():
            return check("prompt before " + keys.strip(), False, self.buf)
        self.send(keys)

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed the terminal
            return None
        if not data:
            return None
        self.buf += data.decode(errors="replace")
        return True

    def expect(self, pattern, timeout=DEADLINE_S):
        """The output up to the first match of `pattern` (ANSI stripped), or None at the deadline."""
        end = time.monotonic() + timeout
        while True:
            text = clean(self.buf)
            m = re.search(pattern, text, re.S)
            if m:
                self.buf = text[m.end():]
                return text[:m.end()]
            left = end - time.monotonic()
            if left <= 0 or self._read(left) is None:
                return None

    def wait_exit(self, timeout=DEADLINE_S):
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            if self._read(max(0.0, min(0.2, end - time.monotonic()))) is None:
                try:
                    return self.proc.wait(timeout=max(0.0, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    return None
        return self.proc.poll()

    def close(self):
        os.close(self.master)


def start_gateway(env, *extra):
    """`ploke-sim gateway --sim` on port 0: (process, URL) once it prints `listening on URL`."""
    p = subprocess.Popen([BIN, "gateway", "--sim", "--sim-fast", "--port", "0", *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env)
    procs.append(p)
    out = b""
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        m = re.search(rb"listening on (http://\S+)\n", out)
        if m:
            return p, m.group(1).decode()
        r, _, _ = select.select([p.stdout], [], [], max(0.0, end - time.monotonic()))
        data = os.read(p.stdout.fileno(), 4096) if r else b""
        if not data:
            break
        out += data
    raise SystemExit("gateway did not print its listening line")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def admin_policy(url):
    with urllib.request.urlopen(url + "/__admin/routing/policy", timeout=DEADLINE_S) as r:
        return json.load(r)["policy"]


def console(env, url, config):
    return Pty([BIN, "console", "--base-url", url, "--config", config], env)


def interactive(env, url, config, state):
    c = console(env, url, config)
    check("banner names the gateway", c.expect(r"attached to " + re.escape(url)) is not None, c.buf)
    c.type_line("/llm queue status\r")
    out = c.expect(r"bulk [^\n]*\n")
    check("/llm queue status: the lanes", out is not None and "interactive" in out and "normal" in out, str(out) + c.buf)
    c.type_line("/provider health\r")
    out = c.expect(r"sim-b/\S+[^\n]*\n")
    check("/provider health: the gateway's endpoints", out is not None and "sim-a/" in out, str(out) + c.buf)
    c.type_line("/routing policy cost\r")
    check("/routing policy cost switches the gateway", c.expect(r"routing policy cost \(was reliability\)") is not None, c.buf)
    c.type_line("/routing policy\r")
    check("/routing policy shows the new one", c.expect(r"gateway \S+: routing policy cost \(registered") is not None, c.buf)
    check("the gateway's admin API confirms", admin_policy(url) == "cost")
    check("saved in the config", 'policy = "cost"' in open(config).read())
    c.type_line("/rou\t")
    check("Tab completes /rou to /routing", c.expect(r"/routing ") is not None, c.buf)
    c.send("pol\tlat\t\r")
    check("Tab completes the subcommand and the policy", c.expect(r"routing policy latency \(was cost\)") is not None, c.buf)
    check("the gateway runs the completed policy", admin_policy(url) == "latency")
    c.type_line("/provider profile wee\t\r")
    check("Tab completes a profile name from the config; the switch is saved",
          c.expect(r"active profile: weekday") is not None and 'active_profile = "weekday"' in open(config).read(), c.buf)
    check("the console says a profile applies on restart", c.expect(r"applies when it restarts") is not None, c.buf)
    c.type_line("/model promote openai/gpt-4o-m\t\r")
    check("Tab completes a catalog model id; /model promote runs `models promote`",
          c.expect(r"promoted openai/gpt-4o-mini") is not None and '[models."openai/gpt-4o-mini"]' in open(config).read(),
          c.buf)
    c.type_line("/nope\r")
    check("unknown command: an error", c.expect(r"unknown command '/nope'") is not None, c.buf)
    c.type_line("/models search " + PLANTED_KEY + "\r")
    check("a line with a key runs", c.expect(r"0 matches") is not None, c.buf)
    c.type_line("/llm qu\x03")
    check("Ctrl-C at the prompt discards the line", c.expect(r"\^C\n") is not None and c.proc.poll() is None, c.buf)
    c.type_line("/help\r")
    check("the console keeps running", c.expect(r"/llm queue status\s+the gateway") is not None, c.buf)
    c.type_line("\x04")
    check("Ctrl-D exits 0", c.wait_exit() == 0, c.buf)
    c.close()
    history = os.path.join(state, "ploke-sim", "console_history")
    text = open(history).read() if os.path.exists(history) else ""
    check("history file written", "/help" in text and "/rou" in text, text)
    check("no key in the history file", PLANTED_KEY not in text and "CONSOLEHISTORYPLANTED" not in text, text)
    check("history file is private", os.path.exists(history) and (os.stat(history).st_mode & 0o077) == 0)


def history_and_gateway_gone(env, url, config, gw):
    c = console(env, url, config)
    c.type_line("\x1b[A")
    check("up arrow recalls the last command after a restart", c.expect(r"/help", timeout=10) is not None, c.buf)
    c.send("\r")
    check("the recalled command runs", c.expect(r"/routing policy \[NAME\]") is not None, c.buf)
    stop(gw)
    c.type_line("/llm queue status\r")
    check("gateway gone: a clear error", c.expect(r"no gateway answered at " + re.escape(url)) is not None, c.buf)
    c.type_line("/provider health\r")
    check("gateway gone: /provider health too", c.expect(r"no gateway answered at") is not None, c.buf)
    c.type_line("/help\r")
    check("gateway gone: the console keeps running", c.expect(r"/quit\s+leave") is not None, c.buf)
    c.type_line("/quit\r")
    check("/quit exits 0", c.wait_exit() == 0, c.buf)
    c.close()


def piped(env, url, config):
    r = subprocess.run([BIN, "console", "--base-url", url, "--config", config], input="/llm queue status\n/provider health\n/model search gpt mini\n",
                       capture_output=True, text=True, env=env, timeout=DEADLINE_S)
    check("piped: exit 0", r.returncode == 0, r.stdout + r.stderr)
    check("piped: lanes and endpoints on stdout", "bulk" in r.stdout and "sim-a/" in r.stdout, r.stdout)
    check("piped: no prompt", "ploke>" not in r.stdout + r.stderr, r.stdout)
    check("piped: /model search as in ploke runs `models search`", "openai/gpt-4o-mini" in r.stdout, r.stdout)
    r = subprocess.run([BIN, "console", "--base-url", url, "--config", config], input="/nope\n/llm queue status\n",
                       capture_output=True, text=True, env=env, timeout=DEADLINE_S)
    check("piped: a failed command sets the exit code, the rest runs", r.returncode == 2 and "bulk" in r.stdout,
          r.stdout + r.stderr)
    r = subprocess.run([BIN, "console", "--base-url", url, "--config", config],
                       input="/provider\n/routing policy --bogus\n/provider profile --help\n",
                       capture_output=True, text=True, env=env, timeout=DEADLINE_S)
    check("piped: a missing subcommand is named, a bad flag is the verb's usage error (exit 2)",
          r.returncode == 2 and "/provider needs one of: profile, health" in r.stderr and "--bogus" in r.stderr,
          r.stdout + r.stderr)
    check("piped: --help after a command prints the verb's help", "Usage: ploke-sim provider profile" in r.stdout,
          r.stdout)


def start_failures(env):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = "http://127.0.0.1:%d" % s.getsockname()[1]
    s.close()
    r = subprocess.run([BIN, "console", "--base-url", dead], capture_output=True, text=True, env=env, timeout=DEADLINE_S,
                       stdin=subprocess.DEVNULL)
    check("nothing listening: exit 1 naming the URL", r.returncode == 1 and "no gateway answered at " + dead in r.stderr,
          r.stderr)
    r = subprocess.run([BIN, "console", "--base-url", "ftp://x"], capture_output=True, text=True, env=env, timeout=DEADLINE_S,
                       stdin=subprocess.DEVNULL)
    check("bad --base-url: exit 2", r.returncode == 2 and "--base-url" in r.stderr, r.stderr)


def master_key(env, config):
    master = "sk-ploke-FAKE-consolemasterkey0123456789abcd"
    genv = dict(env, PLOKE_GATEWAY_MASTER_KEY=master)
    gw, url = start_gateway(genv, "--auth", "on")
    try:
        r = subprocess.run([BIN, "console", "--base-url", url], capture_output=True, text=True, env=env, timeout=DEADLINE_S,
                           stdin=subprocess.DEVNULL)
        check("auth on, no key: exit 2 naming the variable", r.returncode == 2 and "PLOKE_GATEWAY_MASTER_KEY" in r.stderr,
              r.stderr)
        kenv = dict(env, CONSOLE_KEY=master)
        r = subprocess.run([BIN, "console", "--base-url", url, "--config", config, "--master-key-env", "CONSOLE_KEY"],
                           input="/llm queue status\n/routing policy cost\n", capture_output=True, text=True, env=kenv,
                           timeout=DEADLINE_S)
        check("auth on, --master-key-env: commands run", r.returncode == 0 and "bulk" in r.stdout, r.stdout + r.stderr)
        check("the master key is never printed", master not in r.stdout + r.stderr)
        r = subprocess.run([BIN, "llm", "queue", "status", "--base-url", url], capture_output=True, text=True, env=genv,
                           timeout=DEADLINE_S)
        check("llm queue status sends $PLOKE_GATEWAY_MASTER_KEY", r.returncode == 0 and "bulk" in r.stdout, r.stderr)
    finally:
        stop(gw)


def main():
    tmp = tempfile.mkdtemp(prefix="ploke-console-")
    state = os.path.join(tmp, "state")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLOKE_", "XDG_"))}
    env.update(HOME=tmp, XDG_STATE_HOME=state, XDG_CONFIG_HOME=os.path.join(tmp, "cfg"),
               XDG_CACHE_HOME=os.path.join(tmp, "cache"), TERM="xterm")
    config = os.path.join(tmp, "config.toml")
    open(config, "w").write('# console test\n[profiles.weekday]\npreset = "creative"\n[profiles.night]\npreset = "creative"\n')
    try:
        gw, url = start_gateway(env)
        interactive(env, url, config, state)
        piped(env, url, config)
        history_and_gateway_gone(env, url, config, gw)
        start_failures(env)
        master_key(env, config)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
