// libFuzzer harness: the config loader (parse_config) with an empty environment.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ploke/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ploke::config::LoadOptions opt;
  opt.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  (void)ploke::config::parse_config(text, "fuzz.toml", opt);
  return 0;
}
