// Test fixtures for ploke::codec: small cassettes covering every field and encoding.
#pragma once

#include <string>

#include "ploke/codec/cassette.h"
#include "ploke/codec/cassette_json.h"

namespace ploke::codec::testing {

inline RecordedRequest chat_request(std::string body_json) {
  RecordedRequest r;
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.headers.add("content-type", "application/json");
  r.body = make_recorded_body(std::move(body_json), "application/json");
  return r;
}

inline RecordedResponse json_response(int status, std::string body) {
  RecordedResponse r;
  r.status = status;
  r.headers.add("content-type", "application/json");
  r.headers.add("x-request-id", "req_123");
  r.body = make_recorded_body(std::move(body), "application/json");
  r.first_byte_ms = 120.5;
  r.elapsed_ms = 121.25;
  return r;
}

inline RecordedResponse sse_response() {
  RecordedResponse r;
  r.status = 200;
  r.headers.add("content-type", "text/event-stream");
  r.streamed = true;
  r.first_byte_ms = 80;
  r.chunks.push_back({80.125, "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"});
  r.chunks.push_back({95.5, "data: {\"choices\":[{\"delta\":{\"content\":\"lo \xC3"});  // split UTF-8
  r.chunks.push_back({95.5, "\xA9t\xC3\xA9\"}}]}\n\ndata: [DONE]\n\n"});
  r.chunks.push_back({120, ""});
  r.elapsed_ms = 121;
  return r;
}

/// A cassette touching every encoding and field.
inline Cassette full_cassette() {
  Cassette c;
  c.name = "fixture";
  c.provider = "openai";
  c.protocol = "openai-chat";
  c.upstream = "https://api.openai.com";
  c.recorded_at = "2026-11-24T01:00:00.000Z";
  c.synthetic = true;

  Interaction a;
  a.id = "0001";
  a.recorded_at = "2026-11-24T01:00:00.100Z";
  a.request = chat_request(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})");
  a.request.headers.add("authorization", "[REDACTED:authorization]");
  a.response = json_response(200, "{\n  \"id\": \"chatcmpl-1\",\n  \"object\": \"chat.completion\",\n  \"n\": 1.5\n}");
  a.response.headers.add("set-cookie", "[REDACTED:set-cookie]");
  a.response.headers.add("set-cookie", "[REDACTED:set-cookie]");
  c.interactions.push_back(a);

  Interaction b;
  b.id = "0002";
  b.request = chat_request(R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"h\u00e9"}]})");
  b.response = sse_response();
  c.interactions.push_back(b);

  Interaction g;
  g.id = "0003";
  g.request.method = "GET";
  g.request.path = "/v1/models";
  g.request.query = {{"limit", "5"}, {"after", "a b&c"}};
  g.response.status = 429;
  g.response.headers.add("retry-after", "1");
  g.response.body = make_recorded_body("rate limited\n", "text/plain");
  g.response.ending = Ending::kComplete;
  c.interactions.push_back(g);

  Interaction bin;
  bin.id = "0004";
  bin.request.method = "POST";
  bin.request.path = "/v1/audio";
  bin.request.body = make_recorded_body(std::string("\x00\x01\xFF\xFE", 4), "application/octet-stream");
  bin.response.status = 500;
  bin.response.streamed = true;
  bin.response.ending = Ending::kReset;
  bin.response.chunks.push_back({1, std::string("\xFF\x00", 2)});
  c.interactions.push_back(bin);
  return c;
}

}  // namespace ploke::codec::testing
