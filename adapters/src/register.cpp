// Registers the adapters this module provides.
#include "ploke/adapters/register.h"

#include "ploke/adapters/openai_adapter.h"

namespace ploke {

Status register_builtin_adapters(AdapterRegistry& registry) {
  PLOKE_RETURN_IF_ERROR(registry.add("openai", [] { return make_openai_adapter(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("custom", [] { return make_custom_openai_adapter(); }));
  return Status::Ok();
}

}  // namespace ploke
