// libFuzzer harness: the gateway's inbound Anthropic parsers (POST /v1/messages and
// /v1/messages/count_tokens). Byte 0 picks the parser. Any body must give a request or an
// error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ploke/adapters/anthropic/server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) (void)ploke::adapters::anthropic::parse_anthropic_count_tokens_request(body);
  else (void)ploke::adapters::anthropic::parse_anthropic_messages_request(body);
  return 0;
}
