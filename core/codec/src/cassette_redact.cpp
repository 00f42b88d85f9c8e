// Redaction of whole cassettes (har-import, `cassette redact`) and of diff output.
#include <algorithm>
#include <string>
#include <vector>

#include "ploke/codec/cassette_json.h"
#include "ploke/codec/tools.h"
#include "ploke/core/secret.h"

namespace ploke::codec {

Result<std::string> redact_and_serialize(Cassette cassette, const RedactionRules& rules, std::string_view source_name) {
  for (Interaction& i : cassette.interactions) i = redact_interaction(std::move(i), rules);
  cassette.upstream = rules.redact_text(cassette.upstream);
  std::string text = serialize_cassette(cassette);
  const LintReport rep = lint_cassette(text, source_name, rules);
  if (!rep.parsed || !rep.ok()) {
    std::string why = "the redacted cassette does not pass lint";
    for (const Finding& f : rep.findings) {
      if (f.severity == Finding::Severity::kError) {
        why += ": " + f.to_string();
        break;
      }
    }
    return Status(StatusCode::kInvalidRequest, std::string(source_name) + ": " + why);
  }
  return text;
}

namespace {

/// Replaces each of `values` (longest first) in `text` with kRedacted.
std::string replace_values(std::string text, std::vector<std::string> values) {
  std::sort(values.begin(), values.end(), [](const std::string& x, const std::string& y) { return x.size() > y.size(); });
  for (const std::string& v : values) {
    if (v.empty()) continue;
    size_t pos = 0;
    while ((pos = text.find(v, pos)) != std::string::npos) {
      text.replace(pos, v.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return text;
}

}  // namespace

CassetteDiff redacted_diff(const Cassette& a, const Cassette& b, const DiffOptions& options,
                           const RedactionRules& rules) {
  std::vector<std::string> values;
  for (const Cassette* c : {&a, &b}) {
    for (const Interaction& i : c->interactions) {
      for (std::string& v : credential_values(i, rules)) values.push_back(std::move(v));
    }
  }
  CassetteDiff d = diff_cassettes(a, b, options);
  auto clean = [&](std::string& line) { line = rules.redact_text(replace_values(line, values)); };
  for (std::string& line : d.metadata) clean(line);
  for (InteractionDiff& i : d.interactions) {
    for (std::string& line : i.lines) clean(line);
  }
  return d;
}

std::string redacted_diff_text(const Cassette& a, const Cassette& b, const DiffOptions& options,
                               const RedactionRules& rules) {
  return redacted_diff(a, b, options, rules).to_string();
}

}  // namespace ploke::codec
