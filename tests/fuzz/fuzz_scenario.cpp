// libFuzzer harness: the scenario loader (parse_scenario). Any input must give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ploke/scenarios/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ploke::scenarios::parse_scenario(text, "fuzz.json");
  return 0;
}
