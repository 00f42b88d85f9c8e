// File: acme_adapter.h
//
// "acme": an adapter for a fictional provider, Acme AI, written outside the ploke-sim
// tree against the installed SDK. Acme speaks OpenAI Chat Completions with two quirks:
//   * every request must carry `X-Acme-Client: ploke` (and its key as a bearer token);
//   * it rate-limits with HTTP 420 "enhance your calm" instead of 429, with retry-after.
// So AcmeAdapter composes the built-in OpenAI adapter (no wire code copied) and changes
// only those two things. Registration is an explicit function; nothing in ploke's core/
// is touched.
#pragma once

#include "ploke/core/adapter.h"
#include "ploke/core/registry.h"
#include "ploke/core/status.h"

namespace acme {

ploke::ProviderAdapterPtr make_acme_adapter();

/// Adds "acme" to `registry` (kInvalidRequest if the name is taken).
ploke::Status register_acme_adapter(ploke::AdapterRegistry& registry);

}  // namespace acme
