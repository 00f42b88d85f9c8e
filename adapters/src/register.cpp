// Registers the adapters this module provides.
#include "ploke/adapters/register.h"

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openrouter/adapter.h"

namespace ploke::adapters {

Status register_builtin_adapters(AdapterRegistry& registry) {
  PLOKE_RETURN_IF_ERROR(registry.add("openai", [] { return adapters::openai::make_openai_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("custom", [] { return adapters::openai::make_custom_openai_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("openrouter", [] { return adapters::openrouter::make_openrouter_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("anthropic", [] { return adapters::anthropic::make_anthropic_adapter(); }));
  return Status::Ok();
}

}  // namespace ploke::adapters
