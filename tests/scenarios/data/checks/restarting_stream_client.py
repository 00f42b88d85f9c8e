#!/usr/bin/env python3
"""A deliberately wrong client for `ploke-sim check` tests: streams chat completions over
plain http.client and, when a stream breaks after text has been shown, sends the same
request again from the start (the user sees the answer begin twice). Otherwise it behaves:
it waits what Retry-After asks, backs off with jitter, has a timeout, keeps its key in the
header."""
import http.client, json, os, random, time, urllib.parse

base = urllib.parse.urlparse(os.environ["OPENAI_BASE_URL"])
key = os.environ["OPENAI_API_KEY"]

def attempt(body):
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
    conn.request("POST", base.path + "/chat/completions", body=body,
                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        return resp.status, resp.getheader("retry-after"), ""
    shown = ""
    try:
        for line in resp:
            line = line.decode().strip()
            if line.startswith("data: ") and line != "data: [DONE]":
                delta = json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
                shown += delta
                print(delta, end="", flush=True)
    except (ConnectionError, http.client.IncompleteRead):
        return "broken", None, shown
    return 200, None, shown

for call in range(3):
    body = json.dumps({"model": "gpt-4o-mini", "stream": True,
                       "messages": [{"role": "user", "content": f"call {call}"}]})
    for n in range(4):
        status, retry_after, shown = attempt(body)
        print(f"\ncall {call} attempt {n}: {status}")
        if status == 200:
            break
        if status == "broken":
            continue        # the bug: start over although part of the answer was shown
        if status not in (429, 500, 502, 503, 529):
            break
        time.sleep(float(retry_after) if retry_after else 0.3 * 2 ** n * random.uniform(0.75, 1.0))
