// Registers the adapters this module provides.
#include "ploke/adapters/register.h"

#include <algorithm>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/responses_adapter.h"
#include "ploke/adapters/openrouter/adapter.h"

namespace ploke::adapters {

Status register_builtin_adapters(AdapterRegistry& registry) {
  PLOKE_RETURN_IF_ERROR(registry.add("openai", [] { return adapters::openai::make_openai_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("custom", [] { return adapters::openai::make_custom_openai_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("openai-responses", [] { return adapters::openai::make_openai_responses_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("openrouter", [] { return adapters::openrouter::make_openrouter_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("anthropic", [] { return adapters::anthropic::make_anthropic_adapter(); }));
  return Status::Ok();
}

std::vector<std::string> builtin_cassette_ignore_paths() {
  std::vector<std::string> out;
  auto add = [&](std::string_view p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.emplace_back(p);
  };
  for (std::string_view p : adapters::openai::kCassetteIgnoreFields) add(p);
  for (std::string_view p : adapters::anthropic::kCassetteIgnoreFields) add(p);
  return out;
}

}  // namespace ploke::adapters
