#!/usr/bin/env python3
"""Writes the generated part of the seed corpora in tests/fuzz/corpus/ from the repository's
own data (cassettes, contract cassettes, scenarios) plus a few hand-written shapes. Run from
the repository root: python3 tests/fuzz/make_seeds.py. Hand-written seeds (sse, http_request,
config, fault_plan, har, cassette, scenario) are kept as files; this script only adds."""
import glob, json, os

ROOT = "tests/fuzz/corpus"


def put(name, fname, data):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def body_text(msg):
    if msg.get("body_encoding") == "json":
        return json.dumps(msg["body"], separators=(",", ":"))
    return msg.get("body") or ""


def stream_text(resp):
    return "".join(c["data"] for c in resp.get("chunks", []))


def headers_text(resp):
    return "".join(f"{k}: {v}\n" for k, v in resp.get("headers", {}).items())


cassettes = sorted(glob.glob("cassettes/*/*.json") + glob.glob("adapters/contracts/cassettes/*.json"))
for path in cassettes:
    c = json.load(open(path))
    base = os.path.splitext(os.path.basename(path))[0]
    proto = "anthropic" if "anthropic" in c.get("provider", "") + base else "openai"
    for n, it in enumerate(c["interactions"]):
        tag = f"{base}-{n}"
        req, resp = it["request"], it["response"]
        if proto == "openai":
            put("inbound_openai", tag + ".json", body_text(req))
        else:
            put("inbound_anthropic", tag + ".json", b"\0" + body_text(req).encode())
        clients = ["client_openai", "client_openrouter"] if proto == "openai" else ["client_anthropic"]
        for cl in clients:
            if resp.get("streamed"):
                put(cl, tag + "-stream", b"\2\x10" + stream_text(resp).encode())
            elif resp["status"] == 200:
                put(cl, tag + "-body", b"\0\0" + body_text(resp).encode())
            else:
                put(cl, tag + "-error", b"\1\x09" + body_text(resp).encode())
            put(cl, tag + "-headers", b"\3\0" + headers_text(resp).encode())
        put("sse", tag, b"\x07" + stream_text(resp).encode()) if resp.get("streamed") else None
        put("json", tag + ".json", body_text(req))
    put("json", base + "-cassette.json", open(path, "rb").read())

for path in sorted(glob.glob("scenarios/*.json")):
    put("json", "scenario-" + os.path.basename(path), open(path, "rb").read())

# Hand-written shapes the cassettes lack.
put("json", "deep.json", "[" * 70 + "]" * 70)
put("json", "numbers.json", '{"a":1e308,"b":-1e-400,"c":123456789012345678901234567890,"d":[0.5e0,-0,1E+2]}')
put("json", "comments.json", '{"a": /* c */ 1, // x\n "b": "\\u00e9\\"\\\\"}')
put("inbound_openai", "openrouter.json",
    '{"model":"openai/gpt-4o","models":["a/b","c/d"],"provider":{"order":["OpenAI"],"allow_fallbacks":false},'
    '"route":"fallback","transforms":["middle-out"],"ploke":{"provider":"p","priority":"high","deadline_ms":500},'
    '"messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:x"}}]}],'
    '"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"b":{},"a":{}}}}}],'
    '"tool_choice":{"type":"function","function":{"name":"f"}},"response_format":{"type":"json_schema",'
    '"json_schema":{"name":"s","schema":{"type":"object"}}},"stream":true,"stream_options":{"include_usage":true},'
    '"temperature":0.7,"top_p":1,"max_tokens":16,"stop":["END"],"seed":-3,"n":1}')
put("inbound_openai", "tool-turn.json",
    '{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"x"},{"role":"assistant",'
    '"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"a\\":1}"}}]},'
    '{"role":"tool","tool_call_id":"c1","content":"42"}],"max_completion_tokens":8}')
put("inbound_anthropic", "rich.json", b"\0" + json.dumps({
    "model": "claude-sonnet-4-5", "max_tokens": 64, "system": [{"type": "text", "text": "terse"}],
    "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"},
                                              {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}]},
                 {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"}]}],
    "tools": [{"name": "f", "description": "d", "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "auto"}, "stream": True, "temperature": 0.5, "top_k": 4, "stop_sequences": ["X"],
    "thinking": {"type": "enabled", "budget_tokens": 1024}, "metadata": {"user_id": "u"}},
    separators=(",", ":")).encode())
put("inbound_anthropic", "count-tokens.json", b"\1" + b'{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}]}')
put("client_anthropic", "stream", b"\2\x05" + (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",'
    '"model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    'event: ping\ndata: {"type":"ping"}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \\u00e9"}}\n\n'
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":"}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}\n\n'
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n'
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":9}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n').encode())
put("client_anthropic", "error-overloaded", b"\1\x0e" + b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}')
put("client_anthropic", "error-in-stream", b"\2\x40" + b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n')
put("client_anthropic", "headers", b"\3\0" + b"retry-after: 7\nanthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 0\n"
    b"anthropic-ratelimit-requests-reset: 2026-12-04T05:00:00Z\nanthropic-ratelimit-tokens-remaining: 10\n")
put("client_openrouter", "body", b"\0\0" + (
    '{"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion","created":1756919214,'
    '"choices":[{"index":0,"finish_reason":"tool_calls","native_finish_reason":"tool_use","message":{"role":"assistant",'
    '"content":"","reasoning":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f",'
    '"arguments":"{\\"p\\":1}"}}]}}],"usage":{"prompt_tokens":101,"completion_tokens":18,"total_tokens":119,"cost":0.0000259}}').encode())
put("client_openrouter", "error-402", b"\1\x02" + b'{"error":{"code":402,"message":"Insufficient credits"}}')
put("client_openrouter", "error-in-200", b"\0\0" + b'{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"X","raw":"x"}}}')
put("client_openrouter", "stream-processing", b"\2\x03" + b': OPENROUTER PROCESSING\n\ndata: {"id":"gen-1","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    b'data: {"id":"gen-1","choices":[{"index":0,"delta":{},"finish_reason":"error"}],"error":{"code":502,"message":"x"}}\n\ndata: [DONE]\n\n')
put("client_openai", "headers", b"\3\0" + b"retry-after-ms: 1500\nx-ratelimit-reset-requests: 1m6.5s\nx-ratelimit-remaining-tokens: 0\nx-should-retry: false\n")
print("seeds written under", ROOT)
