// libFuzzer harness: what the openai adapter parses from a provider (fuzz_client.h); 200
// bodies are read by both the single-pass reader and the DOM reader, which must agree.
#include "fuzz_client.h"
#include "ploke/adapters/openai/adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ploke::adapters::openai::OpenAiAdapter adapter;
  static const ploke::adapters::openai::OpenAiAdapter dom([] {
    ploke::adapters::openai::OpenAiAdapter::Options o;
    o.fast_json = false;
    return o;
  }());
  return ploke::fuzz::fuzz_client(adapter, data, size, &dom);
}
