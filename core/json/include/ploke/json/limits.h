// File: ploke/json/limits.h
//
// check_json_limits(): the one guard every parse of external JSON goes through before the
// parser proper (nlohmann's DOM, the adapters' readers) sees the text. It rejects what a
// parser must never be handed, and names where:
//   * nesting deeper than JsonLimits::max_depth (default 256): deep input is how recursive
//     code overflows the stack;
//   * numbers whose magnitude overflows a double (1e400, -1e400, a 400-digit integer):
//     they would become infinities or abort a parser. Underflow (1e-400) is allowed and
//     reads as 0.
// The error message names the byte offset and the field path, e.g.
//   "byte 37 (workload.arrival.rate_per_s): number out of range: 1e400".
// Everything else (syntax, types) is the parser's business: the scan is a single
// iterative pass that skips strings (with escapes) and // and /* */ comments, allocates
// nothing unless it reports an error, and never recurses.
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string_view>

#include "ploke/core/status.h"

namespace ploke::json {

struct JsonLimits {
  size_t max_depth = 256;  ///< arrays and objects nested deeper than this are refused
};

/// Ok, or kInvalidRequest naming the byte offset and field path of the first problem.
Status check_json_limits(std::string_view text, const JsonLimits& limits = {});

/// True when the JSON number `token` (valid JSON number text) is too large in magnitude
/// for a double (1e400, a 400-digit integer). The one rule every reader applies.
bool number_overflows(std::string_view token);

}  // namespace ploke::json
