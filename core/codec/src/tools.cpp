// lint_cassette and diff_cassettes.
#include "ploke/core/ascii.h"
#include "ploke/codec/tools.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "ploke/codec/cassette_json.h"
#include "ploke/codec/matcher.h"
#include "ploke/core/file_io.h"
#include "cassette_internal.h"
#include "json_util.h"

namespace ploke::codec {

// ------------------------------------------------------------------------------------------
// Lint
// ------------------------------------------------------------------------------------------

bool LintReport::ok() const { return errors() == 0; }

size_t LintReport::errors() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [](const Finding& f) { return f.severity == Finding::Severity::kError; }));
}

size_t LintReport::warnings() const { return findings.size() - errors(); }

std::string LintReport::to_string() const {
  std::string s;
  for (const auto& f : findings) s += source + ": " + f.to_string() + "\n";
  s += source + ": " + std::to_string(errors()) + " error(s), " + std::to_string(warnings()) + " warning(s)\n";
  return s;
}

namespace {

void warn(std::vector<Finding>* out, std::string path, std::string msg) {
  out->push_back(Finding{Finding::Severity::kWarning, std::move(path), std::move(msg)});
}

void consistency_checks(const Cassette& c, std::vector<Finding>* out) {
  if (c.interactions.empty()) warn(out, "interactions", "the cassette has no interactions");
  std::set<std::string> ids;
  for (size_t i = 0; i < c.interactions.size(); ++i) {
    const Interaction& in = c.interactions[i];
    const std::string base = "interactions[" + std::to_string(i) + "]";
    if (!in.id.empty() && !ids.insert(in.id).second) {
      out->push_back(Finding{Finding::Severity::kError, base + ".id", "duplicate id \"" + in.id + "\""});
    }
    const RecordedResponse& r = in.response;
    if (r.elapsed_ms > 0 && r.first_byte_ms > r.elapsed_ms) {
      warn(out, base + ".response.first_byte_ms", "is after elapsed_ms");
    }
    if (r.streamed) {
      const auto ct = r.headers.get("content-type");
      if (r.status < 300 && (!ct || ct->find("text/event-stream") == std::string_view::npos)) {
        warn(out, base + ".response.headers", "streamed response without content-type text/event-stream");
      }
      for (size_t k = 0; k < r.chunks.size(); ++k) {
        const double off = r.chunks[k].offset_ms;
        const std::string p = base + ".response.chunks[" + std::to_string(k) + "].offset_ms";
        if (off < r.first_byte_ms) warn(out, p, "is before first_byte_ms");
        if (r.elapsed_ms > 0 && off > r.elapsed_ms) warn(out, p, "is after elapsed_ms");
      }
    }
  }
}

}  // namespace

LintReport lint_cassette(std::string_view text, std::string_view source_name, const RedactionRules& rules) {
  LintReport rep;
  rep.source = std::string(source_name);
  Cassette c;
  const auto errors = validate_cassette_text(text, &c);
  for (const auto& e : errors) rep.findings.push_back(Finding{Finding::Severity::kError, e.path, e.message});
  if (!errors.empty()) {
    // The document is invalid, but a secret in it is still worth reporting: scan the raw text.
    if (rules.text_has_secret(text)) {
      rep.findings.push_back(Finding{Finding::Severity::kError, "", "the file contains something that looks like a secret"});
    }
    return rep;
  }
  rep.parsed = true;
  consistency_checks(c, &rep.findings);
  for (auto& f : scan_for_secrets(c, rules)) rep.findings.push_back(std::move(f));
  return rep;
}

LintReport lint_cassette_file(const std::string& path, const RedactionRules& rules) {
  auto text = read_file(path);
  if (!text.ok()) {
    LintReport rep;
    rep.source = path;
    rep.findings.push_back(Finding{Finding::Severity::kError, "", text.status().message()});
    return rep;
  }
  return lint_cassette(*text, path, rules);
}

// ------------------------------------------------------------------------------------------
// Diff
// ------------------------------------------------------------------------------------------

namespace {

std::string q(std::string_view s) { return internal::short_json(internal::Json(std::string(s))); }

std::map<std::string, std::vector<std::string>> header_map(const Headers& h) {
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& [k, v] : h.items()) m[ascii_lower(k)].push_back(v);
  return m;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + q(v[i]);
  return s;
}

void diff_headers(const std::string& what, const Headers& a, const Headers& b, std::vector<std::string>* lines) {
  const auto ma = header_map(a);
  const auto mb = header_map(b);
  for (const auto& [k, v] : ma) {
    auto it = mb.find(k);
    if (it == mb.end()) lines->push_back(what + " header removed " + k + ": " + join(v));
    else if (it->second != v) lines->push_back(what + " header changed " + k + ": " + join(v) + " -> " + join(it->second));
  }
  for (const auto& [k, v] : mb) {
    if (!ma.count(k)) lines->push_back(what + " header added " + k + ": " + join(v));
  }
}

void diff_timing(const std::string& what, double a, double b, const DiffOptions& o, std::vector<std::string>* lines) {
  if (!o.compare_timing || std::fabs(a - b) <= o.timing_tolerance_ms) return;
  std::string sa;
  std::string sb;
  internal::append_number(&sa, a);
  internal::append_number(&sb, b);
  lines->push_back(what + " changed: " + sa + " -> " + sb);
}

void diff_interaction(const Interaction& a, const Interaction& b, const DiffOptions& o, std::vector<std::string>* lines) {
  MatchOptions mo;
  mo.ignore_paths.clear();
  for (const auto& e : diff_requests(a.request, b.request, mo)) lines->push_back("request " + e.to_string());
  diff_headers("request", a.request.headers, b.request.headers, lines);
  const RecordedResponse& ra = a.response;
  const RecordedResponse& rb = b.response;
  if (ra.status != rb.status) {
    lines->push_back("response status changed: " + std::to_string(ra.status) + " -> " + std::to_string(rb.status));
  }
  diff_headers("response", ra.headers, rb.headers, lines);
  if (ra.ending != rb.ending) {
    lines->push_back("response ending changed: " + std::string(ending_name(ra.ending)) + " -> " +
                     std::string(ending_name(rb.ending)));
  }
  if (ra.streamed != rb.streamed) {
    lines->push_back(std::string("response streamed changed: ") + (ra.streamed ? "true" : "false") + " -> " +
                     (rb.streamed ? "true" : "false"));
  }
  if (ra.streamed && rb.streamed) {
    if (ra.chunks.size() != rb.chunks.size()) {
      lines->push_back("response chunk count changed: " + std::to_string(ra.chunks.size()) + " -> " +
                       std::to_string(rb.chunks.size()));
    }
    const size_t n = std::min(ra.chunks.size(), rb.chunks.size());
    size_t differing = 0;
    for (size_t k = 0; k < n; ++k) {
      if (ra.chunks[k].data != rb.chunks[k].data) {
        if (differing++ < 5) {
          lines->push_back("response chunks[" + std::to_string(k) + "] changed: " + q(ra.chunks[k].data) + " -> " +
                           q(rb.chunks[k].data));
        }
      }
      diff_timing("response chunks[" + std::to_string(k) + "].offset_ms", ra.chunks[k].offset_ms,
                  rb.chunks[k].offset_ms, o, lines);
    }
    if (differing > 5) lines->push_back("response … and " + std::to_string(differing - 5) + " more changed chunks");
    if (ra.chunks.size() != rb.chunks.size() && ra.body_bytes() == rb.body_bytes()) {
      lines->push_back("response stream bytes identical; only chunk boundaries differ");
    }
  } else {
    for (const auto& e : diff_json_text(ra.body_bytes(), rb.body_bytes())) lines->push_back("response body " + e.to_string());
  }
  diff_timing("response first_byte_ms", ra.first_byte_ms, rb.first_byte_ms, o, lines);
  diff_timing("response elapsed_ms", ra.elapsed_ms, rb.elapsed_ms, o, lines);
}

void diff_meta(const char* name, const std::string& a, const std::string& b, std::vector<std::string>* out) {
  if (a != b) out->push_back(std::string(name) + " changed: " + q(a) + " -> " + q(b));
}

}  // namespace

CassetteDiff diff_cassettes(const Cassette& a, const Cassette& b, const DiffOptions& o) {
  CassetteDiff d;
  if (o.compare_metadata) {
    diff_meta("name", a.name, b.name, &d.metadata);
    diff_meta("provider", a.provider, b.provider, &d.metadata);
    diff_meta("protocol", a.protocol, b.protocol, &d.metadata);
    diff_meta("upstream", a.upstream, b.upstream, &d.metadata);
    diff_meta("recorded_at", a.recorded_at, b.recorded_at, &d.metadata);
    if (a.synthetic != b.synthetic) d.metadata.push_back(std::string("synthetic changed: ") + (a.synthetic ? "true" : "false") + " -> " + (b.synthetic ? "true" : "false"));
  }
  const size_t n = std::max(a.interactions.size(), b.interactions.size());
  for (size_t i = 0; i < n; ++i) {
    InteractionDiff id;
    id.index = i;
    if (i < a.interactions.size()) id.id_a = a.interactions[i].id;
    if (i < b.interactions.size()) id.id_b = b.interactions[i].id;
    if (i >= b.interactions.size()) {
      const auto& r = a.interactions[i].request;
      id.lines.push_back("only in A: " + r.method + " " + r.path);
    } else if (i >= a.interactions.size()) {
      const auto& r = b.interactions[i].request;
      id.lines.push_back("only in B: " + r.method + " " + r.path);
    } else {
      if (a.interactions[i].id != b.interactions[i].id) id.lines.push_back("id changed: " + q(id.id_a) + " -> " + q(id.id_b));
      diff_interaction(a.interactions[i], b.interactions[i], o, &id.lines);
    }
    if (!id.lines.empty()) d.interactions.push_back(std::move(id));
  }
  return d;
}

std::string CassetteDiff::to_string() const {
  if (empty()) return "no differences\n";
  std::string s;
  for (const auto& m : metadata) s += m + "\n";
  for (const auto& i : interactions) {
    s += "interactions[" + std::to_string(i.index) + "]";
    if (!i.id_a.empty() || !i.id_b.empty()) s += " (id " + (i.id_a.empty() ? i.id_b : i.id_a) + ")";
    s += ":\n";
    for (const auto& l : i.lines) s += "  " + l + "\n";
  }
  return s;
}

}  // namespace ploke::codec
