// File: ploke/codec/cassette_json.h
//
// The cassette file format (spec: cassettes/README.md): strict parsing with field-path
// errors, stable pretty-printed serialization. Files are read and written atomically with
// ploke/core/file_io.h.
//
// parse_cassette() is strict: an unknown format/version, a wrong type, a missing required
// field, an unknown key (keys starting with "_" are reserved for comments/extensions and
// ignored) or a JSON syntax error gives kInvalidRequest. The message names the source and
// every problem found in one pass, e.g.
//   "cassettes/x.json: 2 errors: interactions[3].response.chunks[2].offset_ms: expected
//    number, got string; interactions[4].request.method: missing required field"
// or, for syntax errors, the byte offset with line and column.
//
// serialize_cassette() is deterministic: fixed key order, 2-space indent, one stream chunk
// per line, JSON bodies embedded as JSON. serialize(parse(serialize(c))) == serialize(c).
//
// Thread-safety: all functions are reentrant; no shared state.
//
// Example:
//   PLOKE_ASSIGN_OR_RETURN(Cassette c, codec::load_cassette_file("cassettes/openai-stream.json"));
//   c.interactions.push_back(std::move(recorded));
//   PLOKE_RETURN_IF_ERROR(write_file_atomic(path, codec::serialize_cassette(c)));  // core/file_io.h
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/core/field_errors.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::codec {

/// A problem found while reading a cassette is a ploke::FieldError (field_errors.h): a field
/// path ("interactions[3].request.path", empty for the document) and what is wrong with it.
using ploke::FieldError;

/// Parses cassette JSON text. `source_name` (usually the file path) prefixes error messages.
Result<Cassette> parse_cassette(std::string_view text, std::string_view source_name);

/// Like parse_cassette() but returns every field error instead of one Status (used by lint).
/// On a JSON syntax error the list holds one entry with an empty path.
std::vector<FieldError> validate_cassette_text(std::string_view text, Cassette* out = nullptr);

/// Pretty-printed, stable-order JSON text of `cassette` (ends with a newline). Never throws.
std::string serialize_cassette(const Cassette& cassette);

/// Reads and parses a cassette file. Errors: kNotFound (missing file), kInvalidRequest
/// (unreadable or malformed; message names the path and the field), kInternal (I/O).
Result<Cassette> load_cassette_file(const std::string& path);

/// Loads one cassette file, or every "*.json" file directly inside a directory (sorted by
/// file name, not recursive). Every file is read; the errors of all bad files are reported
/// together (kInvalidRequest), kNotFound when `path` does not exist or a directory holds no
/// cassette.
Result<std::vector<Cassette>> load_cassettes(const std::string& file_or_dir);

/// Per-test cassettes (spec: cassettes/README.md, "Per-test cassettes"): a cassette name is
/// 1..200 characters of [A-Za-z0-9._-] with `/` separating subfolders; no empty, `.` or `..`
/// segment, no leading or trailing `/`. OK, or kInvalidRequest saying what is wrong.
Status check_cassette_name(std::string_view name);
/// DIR/NAME.json for a valid name.
std::string cassette_path_in(const std::string& dir, std::string_view name);
/// Every *.json file under `dir`, recursively (sorted by relative path), each named by its
/// path relative to `dir` without ".json" ("chat/streams"), whatever its `name` field says.
/// Files whose relative name breaks the name rule are skipped. An empty or missing directory
/// is kNotFound; malformed files are reported together (kInvalidRequest).
Result<std::vector<Cassette>> load_cassette_dir(const std::string& dir);

/// Picks the file encoding for `bytes` that reproduces them exactly: kJson when the bytes
/// are a JSON object/array that re-serializes byte-identically (compact, or indent 2 or 4)
/// and `content_type` is JSON (or empty); else kText for valid UTF-8; else kBase64.
RecordedBody make_recorded_body(std::string bytes, std::string_view content_type = {});

/// A RecordedRequest from a live request: splits the query from the path, copies the
/// headers (unfiltered and unredacted — pass it through redact_request() before storing or
/// matching) and classifies the body.
RecordedRequest recorded_request_from_http(const HttpRequest& request);

/// The cheap variant for the replay hot path: same as recorded_request_from_http() but the
/// body is not classified (encoding kText or kEmpty; matching only looks at the bytes),
/// which saves up to three JSON parses per request.
RecordedRequest live_request_from_http(const HttpRequest& request);

/// True when `bytes` is valid UTF-8.
bool is_valid_utf8(std::string_view bytes);

}  // namespace ploke::codec
