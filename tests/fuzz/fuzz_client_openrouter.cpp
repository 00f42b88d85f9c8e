// libFuzzer harness: what the openrouter adapter parses from a provider (fuzz_client.h); 200
// bodies are read by both the single-pass reader and the DOM reader, which must agree.
#include "fuzz_client.h"
#include "ploke/adapters/openrouter/adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ploke::adapters::openrouter::OpenRouterAdapter adapter;
  static const ploke::adapters::openrouter::OpenRouterAdapter dom([] {
    ploke::adapters::openrouter::OpenRouterAdapter::Options o;
    o.fast_json = false;
    return o;
  }());
  return ploke::fuzz::fuzz_client(adapter, data, size, &dom);
}
