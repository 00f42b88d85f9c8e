// File: ploke/core/trace_context.h
//
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and
// `tracestate` headers a caller sends are passed on to the upstream of every attempt
// (RequestMeta::traceparent / tracestate, added by ChatClient), so a provider's or a
// collector's trace joins the caller's. The façade (resilience::LlmClient) gives each
// attempt a span of its own: the upstream gets the same trace id and flags with the
// attempt's span id as parent-id (child_traceparent(); TraceAttempt::span_id).
//
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ploke/core/transport.h"

namespace ploke {

/// `version-traceid-parentid-flags` as the spec's version 00 writes it: 2, 32, 16 and 2
/// lower-case hex digits, trace id and parent id not all zeros, version not ff. (A later
/// version's longer value is accepted on its first four fields, as the spec asks.)
bool valid_traceparent(std::string_view v);

/// Adds `traceparent` (when valid) and `tracestate` (only with a valid traceparent; at
/// most 512 bytes, as the spec lets a vendor cut it) to `headers`.
void add_trace_context(Headers& headers, std::string_view traceparent, std::string_view tracestate);

/// `parent`'s trace id and flags with `span_id` (16 lower-case hex digits, not all zeros)
/// as parent-id, version 00; "" when `parent` or `span_id` is not valid.
std::string child_traceparent(std::string_view parent, std::string_view span_id);

/// 16 lower-case hex digits of `v` (a span id; 0 is not a valid one).
std::string span_id_hex(uint64_t v);
/// The same written to out[0..16).
void span_id_hex(uint64_t v, char* out);

}  // namespace ploke
