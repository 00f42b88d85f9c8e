// Shared body of the client-side protocol harnesses (fuzz_client_<protocol>.cpp): what an
// adapter parses from a provider. Input: byte 0 picks the parser, byte 1 a parameter, the
// rest is the payload:
//   0  parse_response(): a 200 JSON body; with a `reference` adapter (the same protocol
//      with its single-pass reader off) both must agree, as the adapters promise; the
//      same body through parse_embedding_response() (a value or an error)
//   1  map_error(): an error body, the status picked by byte 1
//   2  the stream decoder: the payload as an SSE body, fed in chunks of 1..64 bytes
//      (byte 1), then finish()
//   3  headers ("name: value" lines): observe_rate_limits() and map_error() of a 429
// Any input must give a value or an error, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/adapter.h"

namespace ploke::fuzz {

inline Headers header_lines(std::string_view text) {
  Headers h;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      h.add(std::string(line.substr(0, colon)), std::string(v));
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return h;
}

inline int fuzz_client(const ProviderAdapter& adapter, const uint8_t* data, size_t size,
                       const ProviderAdapter* reference = nullptr) {
  if (size < 2) return 0;
  const uint8_t mode = data[0] % 4;
  const uint8_t param = data[1];
  const std::string payload(reinterpret_cast<const char*>(data) + 2, size - 2);
  Endpoint ep;
  ep.provider = std::string(adapter.name());
  ep.base_url = "http://127.0.0.1:1/v1";
  HttpResponse r;
  r.headers.add("content-type", mode == 2 ? "text/event-stream" : "application/json");
  switch (mode) {
    case 0: {
      r.status = 200;
      r.body = payload;
      (void)adapter.parse_embedding_response(r, ep);
      auto got = adapter.parse_response(r, ep);
      if (reference == nullptr) break;
      auto want = reference->parse_response(r, ep);
      if (got.ok() != want.ok()) std::abort();
      if (got.ok() ? !(*got == *want) : got.status().code() != want.status().code()) std::abort();
      break;
    }
    case 1: {
      static constexpr int kStatus[] = {400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529, 200};
      r.status = kStatus[param % (sizeof kStatus / sizeof kStatus[0])];
      r.body = payload;
      (void)adapter.map_error(r, ep);
      break;
    }
    case 2: {
      auto decoder = adapter.new_stream_decoder(ep);
      std::vector<StreamEvent> out;
      const size_t step = param % 64 + 1;
      std::string_view rest(payload);
      bool ok = true;
      while (ok && !rest.empty()) {
        ok = decoder->feed(rest.substr(0, step), out).ok();
        rest.remove_prefix(std::min(step, rest.size()));
      }
      if (ok) (void)decoder->finish(out);
      (void)decoder->terminated();
      break;
    }
    default: {
      r.status = 429;
      r.headers = header_lines(payload);
      (void)adapter.observe_rate_limits(r.headers, SystemTime{} + std::chrono::hours(24 * 365 * 56));
      (void)adapter.map_error(r, ep);
      break;
    }
  }
  return 0;
}

}  // namespace ploke::fuzz
