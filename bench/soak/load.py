#!/usr/bin/env python3
"""Soak load: a steady mix of chat requests against a gateway, each ending classified.

usage: load.py URL SECONDS RATE CONCURRENCY OUT_JSON

Sends RATE requests/s (OpenAI and Anthropic protocols, streamed and not, with a 30 s client
timeout) from CONCURRENCY threads for SECONDS, and writes the count of each outcome class to
OUT_JSON. Classes: ok, ok_stream (finished with [DONE] / message_stop), http_<status>,
stream_error (an in-band error event), stream_truncated (the body ended early),
client_timeout, connection_error. "unclassified" counts anything else (a bug in the soak or
the gateway); the soak fails if it is not 0.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse
from collections import Counter

URL, SECONDS, RATE, CONC, OUT = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
HOST = urllib.parse.urlparse(URL)
counts = Counter()
lock = threading.Lock()

BODIES = [
    ("/v1/chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "soak"}]}),
    ("/v1/chat/completions", {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "soak"}]}),
    ("/v1/messages", {"model": "gpt-4o-mini", "max_tokens": 64, "messages": [{"role": "user", "content": "soak"}]}),
    ("/v1/messages", {"model": "gpt-4o-mini", "max_tokens": 64, "stream": True, "messages": [{"role": "user", "content": "soak"}]}),
]


def classify_stream(path, text):
    if '"error"' in text and ("event: error" in text or '"object":"error"' in text or "data: {\"error\"" in text):
        return "stream_error"
    done = "data: [DONE]" in text if path.endswith("completions") else "message_stop" in text
    return "ok_stream" if done else "stream_truncated"


def one(i):
    path, body = BODIES[i % len(BODIES)]
    try:
        c = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=30)
        c.request("POST", path, json.dumps(body), {"content-type": "application/json",
                                                  "authorization": "Bearer soak-key", "x-api-key": "soak-key",
                                                  "anthropic-version": "2023-06-01"})
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        c.close()
        if r.status != 200:
            return "http_%d" % r.status
        if body.get("stream"):
            return classify_stream(path, data)
        return "ok" if '"error"' not in data[:20] else "stream_error"
    except (TimeoutError, OSError) as e:
        if "timed out" in str(e):
            return "client_timeout"
        return "connection_error"
    except http.client.HTTPException:
        return "stream_truncated"
    except Exception:  # noqa: BLE001 - anything else is what the soak looks for
        return "unclassified"


def worker(k):
    n = k
    start = time.monotonic()
    while time.monotonic() - start < SECONDS:
        due = start + n / RATE
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        cls = one(n)
        with lock:
            counts[cls] += 1
        n += CONC


threads = [threading.Thread(target=worker, args=(k,)) for k in range(CONC)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(OUT + ".tmp", "w") as f:
    json.dump(dict(counts), f, sort_keys=True)
import os  # noqa: E402
os.replace(OUT + ".tmp", OUT)
