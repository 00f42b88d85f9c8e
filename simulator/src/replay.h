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

/// The error code of a request naming no, an invalid or an unknown per-test cassette.
inline constexpr std::string_view kCassetteNotFound = "cassette_not_found";
/// The request header naming a per-test cassette.
inline constexpr std::string_view kCassetteHeader = "x-ploke-cassette";

/// HTTP 400 whose message is `miss.to_string()` (the near-miss report), with the header
/// `x-ploke-replay: miss`. `path` is the effective request path (picks the shape).
ScriptedResponse replay_miss_response(const codec::NearMiss& miss, const std::string& path,
                                      const RequestContext& ctx, const SimOptions& opts);
/// The same shape with `message` and error code `code`.
ScriptedResponse replay_error_response(const std::string& message, std::string_view code, const std::string& path,
                                       const RequestContext& ctx, const SimOptions& opts);

/// Per-test cassettes: the cassette a request names — the x-ploke-cassette header, else a
/// /cassettes/NAME/ prefix of `*path` (removed from it; the longest loaded name wins, else
/// the first segment). "" when it names none.
std::string take_cassette_scope(const HttpRequest& request, const codec::ReplayStore& store, std::string* path);
/// OK when `name` is a valid name of a loaded cassette; else the message for the client.
Status check_cassette_scope(const std::string& name, const codec::ReplayStore& store);

}  // namespace ploke::simulator::detail
