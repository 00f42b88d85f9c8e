// File: ploke/adapters/retry_after.h
//
// The retry delay a provider response asks for, shared by every protocol package:
// `retry-after-ms` (float milliseconds) wins over `retry-after` (float seconds, or an
// HTTP-date, converted only when the caller passes `now`: without a clock an HTTP-date is
// left unset). Negative, non-finite or absurd values (10^12 ms or more, which a nanosecond
// Duration could not hold with room to spare) are ignored.
//
// Thread-safety: pure function.
#pragma once

#include <chrono>
#include <optional>

#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

namespace ploke::adapters {

std::optional<std::chrono::milliseconds> parse_retry_after(const Headers& headers,
                                                           std::optional<SystemTime> now = std::nullopt);

}  // namespace ploke::adapters
