// File: ploke/codec/cassette.h
//
// Cassette: recorded provider traffic as plain data — one file per cassette, a list of
// interactions, each a request (method, path, query, the headers that matter, body) and
// the response as it arrived (status, headers, and either a body or, for streams, the
// exact chunks with each chunk's offset in ms from the request start). The on-disk JSON
// format, its versioning and the matching/redaction/replay rules are specified in
// cassettes/README.md; reading and writing it is ploke/codec/cassette_json.h.
// This header has no JSON dependency: the recorder fills these structs, the codec turns
// them into files, the replay store turns them back into ScriptedResponses.
//
// Bodies always hold the exact bytes seen on the wire; `encoding` only says how the file
// stores them (embedded JSON, a text string, or base64). Use codec's make_recorded_body()
// to pick the encoding that reproduces the bytes exactly.
//
// Thread-safety: plain values.
//
// Example:
//   Cassette c;
//   c.name = "openai-stream"; c.provider = "openai"; c.protocol = "openai-chat";
//   Interaction& i = c.interactions.emplace_back();
//   i.request.method = "POST"; i.request.path = "/v1/chat/completions";
//   i.response.status = 200; i.response.streamed = true;
//   i.response.chunks.push_back({12.5, "data: {...}\n\n"});
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/scripted_response.h"
#include "ploke/core/transport.h"

namespace ploke::codec {

/// The cassette format version this build reads and writes.
inline constexpr int kCassetteVersion = 1;
/// The value of the top-level "format" field.
inline constexpr std::string_view kCassetteFormat = "ploke-cassette";

/// How a body is stored in the cassette file (the bytes in memory are always exact).
enum class BodyEncoding : uint8_t {
  kEmpty,   ///< no body; bytes is empty
  kJson,    ///< embedded as a JSON value; re-serialized with `json_indent` gives the bytes
  kText,    ///< a JSON string holding the (valid UTF-8) bytes
  kBase64,  ///< a base64 string (binary or non-UTF-8 bytes)
};
std::string_view body_encoding_name(BodyEncoding e);  // "empty", "json", "text", "base64"
std::optional<BodyEncoding> body_encoding_from_name(std::string_view name);

struct RecordedBody {
  BodyEncoding encoding = BodyEncoding::kEmpty;
  std::string bytes;     ///< exact bytes as sent/received (after redaction)
  int json_indent = -1;  ///< kJson only: -1 = compact, N = nlohmann-style indent of N spaces

  bool empty() const { return bytes.empty(); }
  friend bool operator==(const RecordedBody&, const RecordedBody&) = default;
};

/// One streamed chunk exactly as it arrived (chunk boundaries are preserved byte-exact).
struct RecordedChunk {
  double offset_ms = 0;  ///< from the request start; non-decreasing across chunks
  std::string data;      ///< raw bytes (stored as text when valid UTF-8, else base64)
  friend bool operator==(const RecordedChunk&, const RecordedChunk&) = default;
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct RecordedRequest {
  std::string method = "POST";
  std::string path;    ///< without the query string, e.g. "/v1/chat/completions"
  QueryParams query;   ///< decoded name/value pairs, in order
  Headers headers;     ///< only the headers that matter, redacted
  RecordedBody body;
  friend bool operator==(const RecordedRequest&, const RecordedRequest&) = default;
};

struct RecordedResponse {
  int status = 200;
  Headers headers;
  bool streamed = false;              ///< true: `chunks` hold the body; false: `body` does
  RecordedBody body;                  ///< non-streamed responses
  std::vector<RecordedChunk> chunks;  ///< streamed responses, exactly as received
  double first_byte_ms = 0;           ///< request start → status line/headers received
  double elapsed_ms = 0;              ///< request start → response complete (or cut)
  Ending ending = Ending::kComplete;  ///< kReset when the upstream cut the stream

  /// The whole body: `body.bytes`, or the concatenated chunks for a stream.
  std::string body_bytes() const;
  friend bool operator==(const RecordedResponse&, const RecordedResponse&) = default;
};

struct Interaction {
  std::string id;           ///< unique within the cassette (e.g. "0003"); may be empty
  std::string recorded_at;  ///< RFC 3339 UTC, e.g. "2026-11-24T01:54:10.123Z"; may be empty
  RecordedRequest request;
  RecordedResponse response;
  friend bool operator==(const Interaction&, const Interaction&) = default;
};

struct Cassette {
  int version = kCassetteVersion;
  std::string name;
  std::string provider;     ///< e.g. "openai", "anthropic", "openrouter"
  std::string protocol;     ///< e.g. "openai-chat", "anthropic-messages"
  std::string upstream;     ///< base URL recorded from, e.g. "https://api.openai.com"; may be empty
  std::string recorded_at;  ///< RFC 3339 UTC; may be empty
  bool synthetic = false;   ///< recorded from the simulator rather than a real provider
  std::vector<Interaction> interactions;
  friend bool operator==(const Cassette&, const Cassette&) = default;
};

/// RFC 3339 UTC with millisecond precision: "2026-11-24T01:54:10.123Z".
std::string format_rfc3339_utc(SystemTime t);

/// Splits "path?query" into the path and decoded query pairs ('+' and %XX decoded).
std::pair<std::string, QueryParams> split_path_query(std::string_view target);
/// Encodes query pairs back into "a=1&b=x%20y" (RFC 3986 unreserved characters kept).
std::string encode_query(const QueryParams& query);

}  // namespace ploke::codec
