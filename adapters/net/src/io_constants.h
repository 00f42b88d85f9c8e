// Internal to ploke_net: the socket I/O constants the server and both clients share.
#pragma once

#include <chrono>
#include <cstddef>

#include "ploke/core/clock.h"

namespace ploke::net::detail {

/// Longest one blocking wait lasts before it re-checks cancellation and deadlines.
inline constexpr Duration kSlice = std::chrono::milliseconds(50);
/// Bytes asked of one recv().
inline constexpr size_t kReadChunk = 16 * 1024;

}  // namespace ploke::net::detail
