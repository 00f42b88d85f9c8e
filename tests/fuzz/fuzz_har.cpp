// libFuzzer harness: HAR import (har_to_cassette). Any input must give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ploke/codec/tools.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ploke::codec::har_to_cassette(text, "fuzz.har");
  return 0;
}
