// File: simulator/src/replay.h (private)
//
// Cassette replay helpers for SimEngine: the protocol-shaped error answering an unmatched
// request (OpenAI shape, or Anthropic's for /v1/messages). The admin JSON renderers are
// public (engine.h) and live in replay.cpp too.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "openai_wire.h"
#include "ploke/codec/matcher.h"
#include "ploke/core/scripted_response.h"
#include "ploke/simulator/engine.h"

namespace ploke::simulator::detail {

/// The error code (OpenAI `error.code`) of an unmatched request.
inline constexpr std::string_view kCassetteNoMatch = "cassette_no_match";
/// The HTTP status of an unmatched request (400: surfaced by clients, never failed over).
inline constexpr int kCassetteMissStatus = 400;

/// HTTP 400 whose message is `miss.to_string()` (the near-miss report), with the header
/// `x-ploke-replay: miss`. `path` is the effective request path (picks the shape).
ScriptedResponse replay_miss_response(const codec::NearMiss& miss, const std::string& path,
                                      const RequestContext& ctx, const SimOptions& opts);

}  // namespace ploke::simulator::detail
