// File: acme_sim_protocol.h
//
// "acme": Acme AI's wire protocol as a ploke-sim simulator protocol (ploke/core/sim_protocol.h),
// so `ploke-sim serve` answers Acme requests and acme.json runs against Acme's own wire
// format. Acme is OpenAI Chat Completions under /acme/ with two quirks, and so is this:
//   * every request must carry `X-Acme-Client` (without it: 400, code "missing_client_header");
//   * rate limits are HTTP 420 "enhance your calm": an injected 429 (or 420) answers 420 with
//     {"error":{"message":"Enhance your calm.","type":"rate_limit_error","code":"enhance_your_calm"}}
//     and the fault's retry-after / retry-after-ms headers. Other injected errors keep their
//     status, with type "acme_error" and code "acme_<status>".
// Everything else is answered by the simulator's built-in OpenAI protocol (SimCall::answer_as)
// on the path without its "/acme" prefix: POST /acme/v1/chat/completions, GET /acme/v1/models.
#pragma once

#include "ploke/core/sim_protocol.h"

namespace acme {

ploke::SimProtocolPtr make_acme_sim_protocol();

}  // namespace acme
