// File: ploke/adapters/openai_adapter.h
//
// Forwarding header for code outside the adapters that still includes the OpenAI adapter by
// its former path and names it in namespace `ploke` (scenarios/runner). The adapter is
// ploke::adapters::openai::OpenAiAdapter in ploke/adapters/openai/adapter.h; include that.
#pragma once

#include "ploke/adapters/openai/adapter.h"

namespace ploke {

using adapters::openai::make_custom_openai_adapter;
using adapters::openai::make_openai_adapter;
using adapters::openai::OpenAiAdapter;

}  // namespace ploke
