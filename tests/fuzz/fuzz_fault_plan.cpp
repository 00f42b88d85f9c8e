// libFuzzer harness: the fault-plan loader (parse_fault_plan). Any input must give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ploke/simulator/fault_plan_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ploke::simulator::parse_fault_plan(text, "fuzz.json");
  return 0;
}
