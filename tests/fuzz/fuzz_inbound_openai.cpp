// libFuzzer harness: the gateway's inbound Chat Completions parser (OpenAI and OpenRouter
// clients), both paths. Any body must give a request or an error, never a crash; and
// whenever the single-pass fast path accepts a body, the nlohmann DOM path must accept it
// too and read the same request (tool parameters and schemas compared as JSON values: the
// fast path keeps the client's key order), as ploke/adapters/inbound.h promises.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ploke/adapters/openai/server.h"

namespace {

ploke::ChatRequest normalized(ploke::ChatRequest r) {
  auto norm = [](std::string& t) {
    if (t.empty()) return;
    auto v = nlohmann::json::parse(t, nullptr, false);
    if (v.is_discarded()) std::abort();  // a path kept text that is not JSON
    t = v.dump();
  };
  for (auto& t : r.tools) norm(t.parameters_json);
  norm(r.response_format.schema_json);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ploke::adapters::openai::ParsePath;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto fast = ploke::adapters::openai::parse_openai_chat_request(body, ParsePath::kFastOnly);
  auto dom = ploke::adapters::openai::parse_openai_chat_request(body, ParsePath::kDomOnly);
  if (!fast.ok()) {
    (void)ploke::adapters::openai::parse_openai_chat_request(body);  // kAuto: the fallback as the gateway runs it
    return 0;
  }
  if (!dom.ok()) std::abort();  // the fast path accepted what the DOM path refuses
  if (!(normalized(fast->request) == normalized(dom->request))) std::abort();
  if (fast->include_usage != dom->include_usage || fast->hints.pin != dom->hints.pin) std::abort();
  return 0;
}
