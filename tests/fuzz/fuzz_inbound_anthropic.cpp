// libFuzzer harness: the gateway's inbound Anthropic parsers (POST /v1/messages and
// /v1/messages/count_tokens). Byte 0 picks the parser. Any body must give a request or an
// error, never a crash; and whenever the single-pass path takes a Messages body, the DOM
// path must accept it too and read the same request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ploke/adapters/anthropic/server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ploke::adapters::anthropic::ParsePath;
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    (void)ploke::adapters::anthropic::parse_anthropic_count_tokens_request(body);
    return 0;
  }
  auto fast = ploke::adapters::anthropic::parse_anthropic_messages_request(body, ParsePath::kFastOnly);
  if (!fast.ok()) {
    (void)ploke::adapters::anthropic::parse_anthropic_messages_request(body);  // kAuto, as the gateway runs it
    return 0;
  }
  auto dom = ploke::adapters::anthropic::parse_anthropic_messages_request(body, ParsePath::kDomOnly);
  if (!dom.ok()) std::abort();  // the fast path took what the DOM path refuses
  if (!(fast->request == dom->request) || fast->hints.pin != dom->hints.pin) std::abort();
  return 0;
}
