// File: simulator/src/responses_wire.h (internal)
//
// The simulator's OpenAI Responses API: `POST /v1/responses` (non-stream and stream) and
// `GET /v1/responses/{id}`. The OpenAI package reads and validates the request and renders
// the bytes (ploke/adapters/openai/responses.h); the content is planned by the Chat
// Completions planner (openai_wire.h: plan_choices()), so text, tool calls, structured output
// and pacing follow the same options. Responses created with `store` (the default) are kept
// for the engine's life, up to kMaxStored (the oldest are dropped first): `GET` returns them,
// and `previous_response_id` continues them (their context counts in `input_tokens`; the
// function calls they made must be answered by function_call_output items).
//
// Thread-safety: thread-safe (the store has its own mutex).
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "openai_wire.h"
#include "ploke/adapters/openai/responses_served.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::simulator::detail {

inline constexpr std::string_view kResponsesPath = "/v1/responses";

/// `/v1/responses` or `/v1/responses/{id}`.
bool is_responses_path(std::string_view path);

class ResponsesSim {
 public:
  static constexpr size_t kMaxStored = 100000;

  enum class Method : uint8_t { kPost, kGet, kDelete, kOther };
  /// Answers a request on a responses path (create on POST /v1/responses, retrieve on GET
  /// and delete on DELETE /v1/responses/{id}; anything else is OpenAI's 404 for an unknown
  /// URL). `body` is null when the body was not JSON.
  ScriptedResponse route(std::string_view path, Method method, const Json* body, const SimOptions& opts,
                         const RequestContext& ctx, Random& rng, double slow) const;

 private:
  struct Stored {
    std::string body;                 ///< the final Response object
    uint64_t context_chars = 0;       ///< input and output text of the conversation so far
    std::vector<std::string> calls;   ///< call ids of its function calls
  };

  ScriptedResponse create(const Json* body, const SimOptions& opts, const RequestContext& ctx, Random& rng,
                          double slow) const;
  /// GET (the stored Response) or DELETE (forgets it) of a stored id; the API's 404 when unknown.
  ScriptedResponse retrieve(std::string_view id, bool erase, const SimOptions& opts, const RequestContext& ctx) const;
  /// previous_response_id and the call ids against the store; adds the previous context's size.
  std::optional<ErrorSpec> check_context(const adapters::openai::ServedResponsesRequest& req,
                                         uint64_t& prior_chars) const;
  void keep(const std::string& id, Stored s) const;

  mutable Mutex mu_;
  mutable std::unordered_map<std::string, Stored> by_id_ PLOKE_GUARDED_BY(mu_);
  mutable std::deque<std::string> order_ PLOKE_GUARDED_BY(mu_);  ///< insertion order, for the cap
};

}  // namespace ploke::simulator::detail
