// Internal: a Responder that redacts by value (ploke/core/secret_registry.h) everything the
// gateway sends a client: whole answers (non-stream bodies, errors, /__admin JSON) and each
// streamed chunk. Values only, no key patterns: model text such as "Bearer authentication"
// stays as it is. The gateway's SSE chunks are whole frames made from decoded events, so a
// key split across upstream reads arrives here in one piece.
//
// Thread-safety: as the wrapped Responder.
#pragma once

#include "ploke/gateway/gateway.h"

namespace ploke::gateway::internal {

/// `out` itself when no secret is registered (nothing to redact), else a redacting wrapper.
ResponderPtr redacting_responder(ResponderPtr out);

}  // namespace ploke::gateway::internal
