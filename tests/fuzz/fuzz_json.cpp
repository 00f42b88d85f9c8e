// libFuzzer harness: the JSON guard and readers. Checks, for any input:
//   * check_json_limits() never crashes; when it accepts, nlohmann (as the readers call it,
//     comments ignored) parses without crashing, and the DOM it builds has no number that
//     overflowed to infinity and no nesting deeper than the limit (the guard's promise);
//   * parse_fast_json() (cassettes, catalog) never crashes, guarded or not (it has its own
//     depth bound); when dump_like_nlohmann() says it reproduces nlohmann, its output is
//     byte-for-byte nlohmann::ordered_json's dump.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/codec/fast_json.h"
#include "ploke/json/limits.h"

namespace {

// Depth (a scalar is 0) and finiteness of a DOM, without recursion.
bool dom_within(const nlohmann::ordered_json& root, size_t max_depth) {
  std::vector<std::pair<const nlohmann::ordered_json*, size_t>> stack{{&root, 0}};
  while (!stack.empty()) {
    auto [v, d] = stack.back();
    stack.pop_back();
    if (v->is_number_float() && !std::isfinite(v->get<double>())) return false;
    if (!v->is_structured()) continue;
    if (d + 1 > max_depth) return false;
    for (const auto& child : *v) stack.emplace_back(&child, d + 1);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ploke::json::JsonLimits limits;
  limits.max_depth = 64;  // small, so the fuzzer reaches it
  const bool guarded = ploke::json::check_json_limits(text, limits).ok();
  if (guarded) {
    auto dom = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    if (!dom.is_discarded() && !dom_within(dom, limits.max_depth)) std::abort();
  }
  ploke::codec::internal::JValue v;
  ploke::codec::internal::JParseError err;
  if (!ploke::codec::internal::parse_fast_json(text, &v, &err)) return 0;
  (void)err.to_string();
  std::string fast;
  if (!ploke::codec::internal::dump_like_nlohmann(v, -1, &fast)) return 0;
  auto dom = nlohmann::ordered_json::parse(text, nullptr, false, false);
  if (dom.is_discarded()) return 0;  // fast_json accepted what nlohmann refuses: not a crash
  if (fast != dom.dump()) std::abort();
  return 0;
}
