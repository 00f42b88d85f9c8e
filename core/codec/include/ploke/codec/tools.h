// File: ploke/codec/tools.h
//
// Tools around cassettes, as functions (the CLI wires them to `ploke-sim cassette ...`):
//   lint_cassette()   — schema errors (with field paths), consistency warnings (duplicate
//                       ids, timing out of order, stream without text/event-stream) and
//                       the secret scan (scan_for_secrets) as one list of findings;
//   diff_cassettes()  — per-interaction request/response differences, human-readable;
//   cassette_to_har() / har_to_cassette() — HAR 1.2 export/import. Streams become text
//                       bodies in HAR, with the chunk timing kept in a custom `_chunks` field
//                       and cassette-only details in `_ploke`, so a round trip is lossless.
//
// Thread-safety: pure functions.
//
// Example:
//   LintReport rep = lint_cassette_file("cassettes/openai-stream.json");
//   if (!rep.ok()) { std::cerr << rep.to_string(); return 2; }
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/codec/redact.h"
#include "ploke/core/status.h"

namespace ploke::codec {

struct LintReport {
  std::string source;
  std::vector<Finding> findings;
  bool parsed = false;  ///< the schema was valid (consistency + secret checks ran)
  /// No error-severity findings (warnings allowed).
  bool ok() const;
  size_t errors() const;
  size_t warnings() const;
  /// One finding per line, prefixed with the source, then a summary line.
  std::string to_string() const;
};

LintReport lint_cassette(std::string_view text, std::string_view source_name,
                         const RedactionRules& rules = RedactionRules::Defaults());
/// Reads the file first; an unreadable file is one error finding.
LintReport lint_cassette_file(const std::string& path, const RedactionRules& rules = RedactionRules::Defaults());

struct DiffOptions {
  bool compare_timing = false;      ///< also report first_byte/elapsed/chunk offset changes
  double timing_tolerance_ms = 0;   ///< differences up to this are not reported
  bool compare_metadata = true;     ///< name/provider/protocol/upstream/recorded_at/synthetic
};

struct InteractionDiff {
  size_t index = 0;
  std::string id_a;
  std::string id_b;
  std::vector<std::string> lines;  ///< "request body: changed messages[0].content: \"a\" -> \"b\""
};

struct CassetteDiff {
  std::vector<std::string> metadata;           ///< cassette-level differences
  std::vector<InteractionDiff> interactions;   ///< only interactions that differ
  bool empty() const { return metadata.empty() && interactions.empty(); }
  std::string to_string() const;               ///< "no differences" when empty
};

CassetteDiff diff_cassettes(const Cassette& a, const Cassette& b, const DiffOptions& options = {});

/// HAR 1.2 JSON text (pretty-printed).
std::string cassette_to_har(const Cassette& cassette);
/// Imports a HAR 1.2 log (ours, or a browser/mitmproxy export: then a text/event-stream
/// response becomes one chunk, and bodies are classified with make_recorded_body()).
/// Errors: kInvalidRequest naming `source_name` and the field path.
Result<Cassette> har_to_cassette(std::string_view har_text, std::string_view source_name);

/// Redacts every interaction as `ploke-sim record` does (redact_interaction), serializes the
/// cassette and lints the text; kInvalidRequest "<source>: <first lint error>" when the result
/// would still not pass lint (nothing is written by the caller then). Used by har-import and
/// `cassette redact`.
Result<std::string> redact_and_serialize(Cassette cassette, const RedactionRules& rules, std::string_view source_name);
/// diff_cassettes(a, b) with every line redacted as redacted_diff_text() redacts its text.
CassetteDiff redacted_diff(const Cassette& a, const Cassette& b, const DiffOptions& options,
                           const RedactionRules& rules = RedactionRules::Defaults());
/// diff_cassettes(a, b).to_string() with every credential value of either cassette (as
/// credential_values() finds them) and every secret pattern shown as "[REDACTED]".
std::string redacted_diff_text(const Cassette& a, const Cassette& b, const DiffOptions& options,
                               const RedactionRules& rules = RedactionRules::Defaults());

}  // namespace ploke::codec
