// File: ploke/codec/interop.h
//
// Cassette interop with other record/replay tools (spec: cassettes/README.md, "Interop"):
//   vcr_to_cassette() / cassette_to_vcr()           — VCR YAML cassettes: vcrpy's
//       (`interactions:` + `version: 1`) and Ruby VCR's (`http_interactions:`) on import;
//       export writes vcrpy's layout (Ruby VCR's differs only in names it can map itself).
//   wiremock_to_cassette() / cassette_to_wiremock*() — WireMock stub mappings (JSON): one
//       mapping per file, `{"mappings": [...]}`, or a directory of mapping files.
//
// Both foreign formats keep a response body as one string: on export a stream's chunks are
// joined into one text/event-stream body, on import such a body is split back into one
// chunk per SSE event (split_sse_events) so that replay streams it. What is lost (chunk
// timing and boundaries inside an event, interaction ids, body encodings, endings other
// than complete) is listed in the spec.
//
// Imported cassettes are NOT redacted here: callers pass them through
// redact_and_serialize() (ploke/codec/tools.h) as `cassette har-import` does.
//
// Errors: kInvalidRequest "<source>: <path>: <what>" for a malformed document (YAML syntax
// errors name the line and column, JSON ones the line and column too), kNotFound / kInternal
// for files that cannot be read.
//
// Thread-safety: pure functions (the *_file/dir helpers only read files).
//
// Example:
//   PLOKE_ASSIGN_OR_RETURN(std::string text, ploke::read_file("fixtures/openai.yaml"));
//   PLOKE_ASSIGN_OR_RETURN(Cassette c, vcr_to_cassette(text, "fixtures/openai.yaml"));
//   std::string yaml = cassette_to_vcr(c);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/core/status.h"

namespace ploke::codec {

/// Parses a vcrpy or Ruby VCR YAML cassette. Interactions get ids "0001", "0002", …; the
/// first absolute URI's origin becomes the cassette's `upstream`.
Result<Cassette> vcr_to_cassette(std::string_view yaml_text, std::string_view source_name);
/// vcrpy YAML (`interactions:` … `version: 1`), ending with a newline. Never throws.
std::string cassette_to_vcr(const Cassette& cassette);

/// One WireMock mapping document: its name (for errors) and its JSON text.
struct WireMockDocument {
  std::string source;
  std::string text;
};
/// Imports the stub mappings of every document, in order (a document is one mapping or
/// `{"mappings": [...]}`). Only exact request matchers import (`url`, or `urlPath` with
/// `queryParameters` `equalTo`; headers `equalTo`; body patterns `equalToJson` / `equalTo`);
/// regex matchers, `bodyFileName` and templating are errors naming the field.
Result<Cassette> wiremock_to_cassette(const std::vector<WireMockDocument>& documents);
/// Reads a mapping file, or every *.json file of a directory (sorted by name; a directory
/// with a `mappings/` subdirectory reads that), and imports them.
Result<Cassette> load_wiremock(const std::string& file_or_dir);
/// `{"mappings": [...]}` with one stub mapping per interaction (pretty-printed).
std::string cassette_to_wiremock(const Cassette& cassette);
/// One mapping file per interaction: file names ("0001-post-v1-chat-completions.json")
/// and their texts, in interaction order.
std::vector<WireMockDocument> cassette_to_wiremock_files(const Cassette& cassette);

/// Splits a text/event-stream body into one chunk per event (each ends with its blank
/// line; a trailing partial event is one more chunk), all at `offset_ms`.
std::vector<RecordedChunk> split_sse_events(std::string_view body, double offset_ms);

}  // namespace ploke::codec
