// Internal: helpers shared by the VCR and WireMock converters (vcr.cpp, wiremock.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "ploke/codec/cassette.h"

namespace ploke::codec::interop {

/// "scheme://host[:port]" and the rest ("/path?query", "/" when absent) of an absolute URL;
/// a relative URL has an empty origin.
std::pair<std::string, std::string> split_origin(std::string_view url);
/// Fills method-independent request fields from a URL: path and query, relative to the
/// cassette's upstream (set from the first absolute URL when still empty).
void set_request_target(std::string_view url, std::string* upstream, RecordedRequest* request);
/// upstream (or http://localhost) + path + "?" + query.
std::string request_url(const Cassette& cassette, const RecordedRequest& request);
/// 1-based line and column of byte `offset` in `text`: "line 3, column 7".
std::string line_column(std::string_view text, size_t offset);
/// content-length, transfer-encoding, connection, keep-alive: dropped on import and export
/// (the player frames the body; a joined or redacted body may have another length).
bool is_framing_header(std::string_view name);
/// True when the headers say text/event-stream.
bool is_event_stream(const Headers& headers);
/// Sets a response body read from a foreign format: an event stream becomes one chunk per
/// SSE event at `first_byte_ms` (streamed), anything else a classified body.
void set_response_body(std::string body, RecordedResponse* response);
/// The response body as one text for a foreign format; a stream without a content type
/// gets `content-type: text/event-stream` added to `headers`.
std::string joined_body(const RecordedResponse& response, Headers* headers);

}  // namespace ploke::codec::interop
