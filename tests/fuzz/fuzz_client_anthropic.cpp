// libFuzzer harness: what the anthropic adapter parses from a provider (fuzz_client.h).
#include "fuzz_client.h"
#include "ploke/adapters/anthropic/adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto adapter = ploke::adapters::anthropic::make_anthropic_adapter();
  return ploke::fuzz::fuzz_client(*adapter, data, size);
}
