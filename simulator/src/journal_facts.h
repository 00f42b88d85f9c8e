// File: simulator/src/journal_facts.h (private to ploke::simulator)
//
// What a journal entry records about the client's side of an exchange, for judging client
// behaviour (`ploke-sim check`): which logical request it was (a hash of the body: an SDK's
// retries resend the same bytes), the wait the answer advertised, whether a stream broke
// after it had delivered events, and whether the request carried its own API key outside
// its auth header.
#pragma once

#include "ploke/core/scripted_response.h"
#include "ploke/core/transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan.h"

namespace ploke::simulator::detail {

/// Fills body_hash, retry_after, should_retry, broke_after_output and secret_in of `e`.
void add_client_facts(JournalEntry& e, const HttpRequest& request, const ScriptedResponse& r, const Fault* fault);

}  // namespace ploke::simulator::detail
