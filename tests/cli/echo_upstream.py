#!/usr/bin/env python3
"""A loopback upstream that echoes the credentials it is sent (for redaction tests).

POST .../chat/completions: a streamed request gets SSE text deltas that spell the bearer
token, split in the middle across two writes; any other request gets a 401 whose error
message quotes the bearer token and the request body. Prints "port N" once listening.
"""
import http.server
import json
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0") or 0)).decode("utf-8", "replace")
        token = (self.headers.get("authorization") or "").split(" ", 1)[-1]
        if '"stream":true' in body.replace(" ", ""):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            half = len(token) // 2
            for piece in ("your key is ", token[:half], token[half:], " ok"):
                chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(("data: " + json.dumps(chunk) + "\n\n").encode())
                self.wfile.flush()
                time.sleep(0.02)
            done = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(("data: " + json.dumps(done) + "\n\ndata: [DONE]\n\n").encode())
            self.wfile.flush()
            self.close_connection = True
            return
        err = {"error": {"message": "Incorrect API key provided: " + token + ". Request: " + body[:300],
                         "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
        data = json.dumps(err).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("port %d" % server.server_address[1], flush=True)
server.serve_forever()
