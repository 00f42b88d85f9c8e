// Redaction: deny-by-default rules, span-based text scrubbing (so streamed chunks keep their
// boundaries even when a key straddles two chunks), and the secret scan used by lint.
#include "ploke/core/ascii.h"
#include "ploke/codec/redact.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "ploke/codec/cassette_json.h"
#include "ploke/core/secret.h"
#include "ploke/core/secret_registry.h"
#include "json_util.h"
#include "redact_internal.h"

namespace ploke::codec {

using internal::Json;

struct RedactionRules::Compiled {
  std::vector<std::regex> patterns;
  std::vector<std::pair<std::string, std::vector<internal::PathSeg>>> json_paths;
};

namespace {

constexpr std::string_view kCredentialHeaders[] = {
    "authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie",
    "set-cookie", "openai-organization", "openai-project", "anthropic-organization-id",
    "x-auth-token", "x-amz-security-token", "x-openrouter-api-key"};

constexpr std::string_view kKeptRequestHeaders[] = {
    "content-type", "accept", "anthropic-version", "anthropic-beta", "openai-beta",
    "http-referer", "x-title", "x-openrouter-title", "x-openrouter-metadata"};

// Normalized (lower case, '-' → '_') names of fields/params that hold credentials.
constexpr std::string_view kSensitiveNames[] = {
    "key", "api_key", "apikey", "x_api_key", "token", "access_token", "refresh_token", "id_token",
    "auth_token", "bearer_token", "session_token", "secret", "client_secret", "secret_key",
    "access_key", "private_key", "password", "passwd", "authorization", "credential", "credentials"};
constexpr std::string_view kSensitiveSuffixes[] = {
    "_api_key", "_apikey", "_secret", "_password", "_access_token", "_auth_token", "_private_key",
    "_secret_key"};

std::string normalize_name(std::string_view s) {
  std::string out = ascii_lower(s);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

bool in_list(std::string_view name, const std::vector<std::string>& list) {
  for (const auto& n : list) {
    if (iequals(n, name)) return true;
  }
  return false;
}

bool default_sensitive_name(std::string_view name) {
  const std::string n = normalize_name(name);
  for (std::string_view s : kSensitiveNames) {
    if (n == s) return true;
  }
  for (std::string_view suf : kSensitiveSuffixes) {
    if (n.size() > suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0) return true;
  }
  return false;
}

/// One replacement in a text.
struct Span {
  size_t begin;
  size_t end;
  std::string replacement;
};

/// Literal values removed structurally (a header's token, a body field's value), replaced
/// wherever else they appear.
struct KnownSecrets {
  std::vector<std::pair<std::string, std::string>> values;  // value, placeholder
  void add(std::string_view value, std::string_view name) {
    if (value.size() < 8 || is_redaction_placeholder(value)) return;
    for (const auto& [v, p] : values) {
      if (v == value) return;
    }
    values.emplace_back(std::string(value), redaction_placeholder(name));
  }
  void add_credential(std::string_view value, std::string_view name) {
    add(value, name);
    // "Bearer <token>" / "Basic <b64>": the token alone; "a=1; b=2" cookies: each value.
    const size_t sp = value.find(' ');
    if (sp != std::string_view::npos) add(value.substr(sp + 1), name);
    size_t pos = 0;
    while ((pos = value.find('=', pos)) != std::string_view::npos) {
      ++pos;
      const size_t end = value.find(';', pos);
      add(value.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos), name);
    }
  }
};

/// Cheap pre-check for ploke::find_secrets(): every pattern it knows starts with "sk-",
/// "AKIA" or "bearer " (any case). Most strings have none of these; skipping the
/// per-byte scan for them keeps redaction off the replay hot path.
bool might_hold_key_pattern(std::string_view t) {
  const size_t n = t.size();
  for (size_t i = 0; i + 3 <= n; ++i) {
    const char c = t[i];
    if (c == 's') {
      if (t[i + 1] == 'k' && t[i + 2] == '-') return true;
    } else if (c == 'A') {
      if (t.compare(i, 4, "AKIA") == 0) return true;
    } else if ((c | 0x20) == 'b') {
      if (i + 7 <= n && iequals(t.substr(i, 7), "bearer ")) return true;
    }
  }
  return false;
}

std::vector<Span> find_spans(std::string_view text, const RedactionRules& rules, const KnownSecrets& known) {
  std::vector<Span> spans;
  for (const auto& [value, placeholder] : known.values) {
    size_t pos = 0;
    while ((pos = text.find(value, pos)) != std::string_view::npos) {
      spans.push_back({pos, pos + value.size(), placeholder});
      pos += value.size();
    }
  }
  if (might_hold_key_pattern(text)) {
    for (const SecretSpan& s : find_secrets(text)) spans.push_back({s.begin, s.end, std::string(kRedacted)});
  } else if (contains_registered_secret(text)) {  // (find_secrets() includes them)
    for (const SecretSpan& s : find_registered_secrets(text)) spans.push_back({s.begin, s.end, std::string(kRedacted)});
  }
  for (const auto& re : rules.compiled().patterns) {
    for (auto it = std::cregex_iterator(text.data(), text.data() + text.size(), re); it != std::cregex_iterator(); ++it) {
      const auto b = static_cast<size_t>(it->position(0));
      const size_t e = b + static_cast<size_t>(it->length(0));
      if (e > b) spans.push_back({b, e, std::string(kRedacted)});
    }
  }
  if (spans.size() <= 1) return spans;
  // Merge overlaps; the earliest-starting (then longest, then known-secret) span wins.
  std::stable_sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<Span> merged;
  for (auto& s : spans) {
    if (!merged.empty() && s.begin < merged.back().end) {
      merged.back().end = std::max(merged.back().end, s.end);
    } else {
      merged.push_back(std::move(s));
    }
  }
  return merged;
}

std::string apply_spans(std::string_view text, const std::vector<Span>& spans) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const auto& s : spans) {
    out.append(text.substr(pos, s.begin - pos));
    out.append(s.replacement);
    pos = s.end;
  }
  out.append(text.substr(pos));
  return out;
}

std::string scrub(std::string_view text, const RedactionRules& rules, const KnownSecrets& known) {
  const auto spans = find_spans(text, rules, known);
  if (spans.empty()) return std::string(text);
  return apply_spans(text, spans);
}

/// Redacts the chunk sequence as one text, then cuts it back at the original boundaries: a
/// span's placeholder goes into the chunk where the span starts, the rest of the span is
/// removed from the chunks it covers. The number of chunks never changes.
void scrub_chunks(std::vector<RecordedChunk>* chunks, const RedactionRules& rules, const KnownSecrets& known) {
  std::string all;
  std::vector<size_t> starts;
  for (const auto& c : *chunks) {
    starts.push_back(all.size());
    all += c.data;
  }
  const auto spans = find_spans(all, rules, known);
  if (spans.empty()) return;
  for (size_t i = 0; i < chunks->size(); ++i) {
    const size_t cb = starts[i];
    const size_t ce = cb + (*chunks)[i].data.size();
    std::string out;
    size_t pos = cb;
    for (const auto& s : spans) {
      if (s.end <= cb || s.begin >= ce) continue;
      const size_t b = std::max(s.begin, cb);
      out.append(all, pos, b - pos);
      if (s.begin >= cb) out.append(s.replacement);
      pos = std::min(s.end, ce);
    }
    out.append(all, pos, ce - pos);
    (*chunks)[i].data = std::move(out);
  }
}

/// A credential is a string or number, or a list of them. Objects under a sensitive name
/// are walked, not replaced: a tool's JSON schema may well have a property named "password"
/// or "key", and its definition is no secret.
bool holds_credential_value(const Json& v) {
  if (v.is_string() || v.is_number()) return true;
  if (!v.is_array() || v.empty()) return false;
  for (const auto& e : v) {
    if (!e.is_string() && !e.is_number()) return false;
  }
  return true;
}

/// Walks a JSON body. collect: only gathers known secrets. Otherwise replaces sensitive
/// fields and scrubs every string. Returns true if anything changed.
bool walk_json(Json& j, const RedactionRules& rules, KnownSecrets* known, bool collect) {
  bool changed = false;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      Json& v = it.value();
      if (rules.is_sensitive_body_field(it.key()) && holds_credential_value(v)) {
        const bool already = v.is_string() && is_redaction_placeholder(v.get_ref<const std::string&>());
        if (already) continue;
        if (collect) {
          if (v.is_string()) known->add(v.get_ref<const std::string&>(), it.key());
          else if (v.is_number()) known->add(internal::dump_safe(v), it.key());
        } else {
          v = redaction_placeholder(it.key());
          changed = true;
        }
      } else {
        changed = walk_json(v, rules, known, collect) || changed;
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) changed = walk_json(v, rules, known, collect) || changed;
  } else if (j.is_string() && !collect) {
    const std::string& s = j.get_ref<const std::string&>();
    std::string r = scrub(s, rules, *known);
    if (r != s) {
      j = std::move(r);
      changed = true;
    }
  }
  return changed;
}

bool apply_json_paths(Json& j, const RedactionRules& rules, KnownSecrets* known, bool collect) {
  bool changed = false;
  for (const auto& entry : rules.compiled().json_paths) {
    const std::string& text = entry.first;
    internal::for_each_at_path(j, entry.second, 0, [&](Json& node) {
      if (node.is_string() && is_redaction_placeholder(node.get_ref<const std::string&>())) return;
      if (collect) {
        if (node.is_string()) known->add(node.get_ref<const std::string&>(), text);
      } else {
        node = redaction_placeholder(text);
        changed = true;
      }
    });
  }
  return changed;
}

}  // namespace

std::optional<Json> parse_body_json(const RecordedBody& body) {
  if (body.bytes.empty()) return std::nullopt;
  const char c = body.bytes[0];
  if (c != '{' && c != '[') return std::nullopt;
  return internal::try_parse(body.bytes);
}

namespace {

void collect_body(std::optional<Json>* j, const RedactionRules& rules, KnownSecrets* known) {
  if (*j) {
    apply_json_paths(**j, rules, known, true);
    walk_json(**j, rules, known, true);
  }
}

/// `j` is the parsed body (or nullopt); it is redacted in place and left describing the new
/// bytes, or reset when the bytes changed in a way the DOM does not reflect.
void redact_body(RecordedBody* body, std::optional<Json>* j, const RedactionRules& rules, const KnownSecrets& known) {
  if (*j) {
    KnownSecrets k = known;
    bool changed = apply_json_paths(**j, rules, &k, false);
    changed = walk_json(**j, rules, &k, false) || changed;
    if (changed) {
      const int indent = body->encoding == BodyEncoding::kJson ? body->json_indent : -1;
      body->bytes = internal::dump_safe(**j, indent);
      body->encoding = BodyEncoding::kJson;
      body->json_indent = indent;
    }
  }
  // Key names, or anything the structural walk could not see (text and binary bodies).
  std::string scrubbed = scrub(body->bytes, rules, known);
  if (scrubbed != body->bytes) {
    body->bytes = std::move(scrubbed);
    j->reset();
    if (body->encoding == BodyEncoding::kJson && !internal::json_roundtrip_indent(body->bytes)) {
      body->encoding = is_valid_utf8(body->bytes) ? BodyEncoding::kText : BodyEncoding::kBase64;
      body->json_indent = -1;
    }
  }
}

void collect_headers(const Headers& h, const RedactionRules& rules, KnownSecrets* known) {
  for (const auto& [k, v] : h.items()) {
    if (rules.is_credential_header(k)) known->add_credential(v, ascii_lower(k));
  }
}

Headers redact_headers(const Headers& h, const RedactionRules& rules, const KnownSecrets& known, bool drop_unlisted) {
  Headers out;
  for (const auto& [k, v] : h.items()) {
    if (rules.is_credential_header(k)) {
      out.add(k, is_redaction_placeholder(v) ? v : redaction_placeholder(k));
    } else if (!drop_unlisted || rules.keeps_request_header(k)) {
      out.add(k, scrub(v, rules, known));
    }
  }
  return out;
}

void collect_request(const RecordedRequest& r, std::optional<Json>* body, const RedactionRules& rules,
                     KnownSecrets* known) {
  collect_headers(r.headers, rules, known);
  for (const auto& [k, v] : r.query) {
    if (rules.is_sensitive_query_param(k)) known->add(v, k);
  }
  collect_body(body, rules, known);
}

RecordedRequest apply_request(RecordedRequest r, std::optional<Json>* body, const RedactionRules& rules,
                              const KnownSecrets& known, bool drop_headers) {
  r.headers = redact_headers(r.headers, rules, known,
                             drop_headers && rules.config().drop_unlisted_request_headers);
  for (auto& [k, v] : r.query) {
    if (rules.is_sensitive_query_param(k)) {
      if (!is_redaction_placeholder(v)) v = redaction_placeholder(k);
    } else {
      v = scrub(v, rules, known);
    }
    k = scrub(k, rules, known);
  }
  r.path = scrub(r.path, rules, known);
  redact_body(&r.body, body, rules, known);
  return r;
}

}  // namespace

// ------------------------------------------------------------------------------------------

Result<RedactionRules> RedactionRules::Create(RedactionConfig config) {
  auto compiled = std::make_shared<Compiled>();
  std::vector<std::string> errors;
  for (size_t i = 0; i < config.patterns.size(); ++i) {
    if (config.patterns[i].empty()) {
      errors.push_back("patterns[" + std::to_string(i) + "]: empty pattern");
      continue;
    }
    try {
      compiled->patterns.emplace_back(config.patterns[i], std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      errors.push_back("patterns[" + std::to_string(i) + "]: invalid regex: " + e.what());
    }
  }
  for (size_t i = 0; i < config.json_paths.size(); ++i) {
    auto segs = internal::parse_json_path(config.json_paths[i]);
    if (!segs) errors.push_back("json_paths[" + std::to_string(i) + "]: cannot parse \"" + config.json_paths[i] + "\"");
    else compiled->json_paths.emplace_back(config.json_paths[i], std::move(*segs));
  }
  if (!errors.empty()) {
    std::string msg = "redaction rules: ";
    for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
    return Status(StatusCode::kInvalidRequest, msg);
  }
  return RedactionRules(std::move(config), std::move(compiled));
}

RedactionRules RedactionRules::Defaults() {
  return RedactionRules(RedactionConfig{}, std::make_shared<Compiled>());
}

bool RedactionRules::is_credential_header(std::string_view name) const {
  for (std::string_view h : kCredentialHeaders) {
    if (iequals(h, name)) return true;
  }
  return in_list(name, config_.headers);
}

bool RedactionRules::is_sensitive_query_param(std::string_view name) const {
  return default_sensitive_name(name) || in_list(name, config_.query_params);
}

bool RedactionRules::is_sensitive_body_field(std::string_view name) const {
  return default_sensitive_name(name) || in_list(name, config_.body_fields);
}

bool RedactionRules::keeps_request_header(std::string_view name) const {
  if (is_credential_header(name)) return true;
  for (std::string_view h : kKeptRequestHeaders) {
    if (iequals(h, name)) return true;
  }
  return in_list(name, config_.keep_request_headers);
}

std::string RedactionRules::redact_text(std::string_view text) const { return scrub(text, *this, KnownSecrets{}); }

bool RedactionRules::text_has_secret(std::string_view text) const {
  if (contains_secret(text)) return true;
  for (const auto& re : compiled_->patterns) {
    if (std::regex_search(text.begin(), text.end(), re)) return true;
  }
  return false;
}

std::string redaction_placeholder(std::string_view name) { return "[REDACTED:" + ascii_lower(name) + "]"; }

bool is_redaction_placeholder(std::string_view v) {
  return v == kRedacted || (v.size() > 11 && v.substr(0, 10) == "[REDACTED:" && v.back() == ']');
}

RecordedRequest redact_request(RecordedRequest request, const RedactionRules& rules, bool drop_headers) {
  std::optional<Json> body;
  return internal::redact_request_keep_json(std::move(request), rules, drop_headers, &body);
}

RecordedRequest internal::redact_request_keep_json(RecordedRequest request, const RedactionRules& rules,
                                                   bool drop_headers, std::optional<Json>* body) {
  *body = parse_body_json(request.body);
  KnownSecrets known;
  collect_request(request, body, rules, &known);
  return apply_request(std::move(request), body, rules, known, drop_headers);
}

std::vector<std::string> credential_values(const Interaction& i, const RedactionRules& rules) {
  std::optional<Json> request_body = parse_body_json(i.request.body);
  std::optional<Json> response_body = parse_body_json(i.response.body);
  KnownSecrets known;
  collect_request(i.request, &request_body, rules, &known);
  collect_headers(i.response.headers, rules, &known);
  collect_body(&response_body, rules, &known);
  std::vector<std::string> out;
  for (auto& [value, placeholder] : known.values) out.push_back(std::move(value));
  return out;
}

Interaction redact_interaction(Interaction i, const RedactionRules& rules) {
  std::optional<Json> request_body = parse_body_json(i.request.body);
  std::optional<Json> response_body = parse_body_json(i.response.body);
  // Pass 1: every value removed structurally anywhere, so pass 2 can also remove its echoes
  // (an error body quoting the key, a stream repeating a token).
  KnownSecrets known;
  collect_request(i.request, &request_body, rules, &known);
  collect_headers(i.response.headers, rules, &known);
  collect_body(&response_body, rules, &known);
  // Pass 2.
  i.request = apply_request(std::move(i.request), &request_body, rules, known, /*drop_headers=*/true);
  i.response.headers = redact_headers(i.response.headers, rules, known, /*drop_unlisted=*/false);
  redact_body(&i.response.body, &response_body, rules, known);
  scrub_chunks(&i.response.chunks, rules, known);
  return i;
}

// ------------------------------------------------------------------------------------------
// Scan
// ------------------------------------------------------------------------------------------

std::string Finding::to_string() const {
  return std::string(severity == Severity::kError ? "error: " : "warning: ") + (path.empty() ? "(cassette)" : path) +
         ": " + message;
}

namespace {

class Scanner {
 public:
  Scanner(const RedactionRules& rules, std::vector<Finding>* out) : rules_(rules), out_(out) {}

  void text(const std::string& path, std::string_view s) {
    if (rules_.text_has_secret(s)) add(path, "looks like a secret (provider key pattern or configured regex)");
  }
  void headers(const std::string& path, const Headers& h) {
    for (const auto& [k, v] : h.items()) {
      const std::string p = path + "." + ascii_lower(k);
      if (rules_.is_credential_header(k) && !is_redaction_placeholder(v)) {
        add(p, "credential header is not redacted");
      } else {
        text(p, v);
      }
    }
  }
  void json(const std::string& path, const Json& j) {
    if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        std::string p = path;
        internal::path_append_key(&p, it.key());
        const Json& v = it.value();
        if (rules_.is_sensitive_body_field(it.key()) && holds_credential_value(v) &&
            !(v.is_string() && is_redaction_placeholder(v.get_ref<const std::string&>()))) {
          add(p, "sensitive field is not redacted");
        } else {
          json(p, v);
        }
        text(p + " (name)", it.key());
      }
    } else if (j.is_array()) {
      for (size_t i = 0; i < j.size(); ++i) {
        std::string p = path;
        internal::path_append_index(&p, i);
        json(p, j[i]);
      }
    } else if (j.is_string()) {
      text(path, j.get_ref<const std::string&>());
    }
  }
  void body(const std::string& path, const RecordedBody& b) {
    if (auto j = parse_body_json(b)) {
      json(path, *j);
      for (const auto& entry : rules_.compiled().json_paths) {
        const std::string& t = entry.first;
        internal::for_each_at_path(*j, entry.second, 0, [&](const Json& n) {
          if (!(n.is_string() && is_redaction_placeholder(n.get_ref<const std::string&>()))) {
            add(path + "." + t, "configured JSON path is not redacted");
          }
        });
      }
    } else {
      text(path, b.bytes);
    }
  }
  void interaction(const std::string& base, const Interaction& i) {
    headers(base + ".request.headers", i.request.headers);
    text(base + ".request.path", i.request.path);
    for (const auto& [k, v] : i.request.query) {
      const std::string p = base + ".request.query." + k;
      if (rules_.is_sensitive_query_param(k) && !is_redaction_placeholder(v)) add(p, "sensitive query parameter is not redacted");
      else text(p, v);
    }
    body(base + ".request.body", i.request.body);
    headers(base + ".response.headers", i.response.headers);
    body(base + ".response.body", i.response.body);
    std::string all;
    size_t before = out_->size();
    for (size_t c = 0; c < i.response.chunks.size(); ++c) {
      text(base + ".response.chunks[" + std::to_string(c) + "]", i.response.chunks[c].data);
      all += i.response.chunks[c].data;
    }
    if (out_->size() == before) text(base + ".response.chunks", all);  // a key split across chunks
  }

 private:
  void add(const std::string& path, std::string msg) {
    out_->push_back(Finding{Finding::Severity::kError, path, std::move(msg)});
  }
  const RedactionRules& rules_;
  std::vector<Finding>* out_;
};

}  // namespace

std::vector<Finding> scan_for_secrets(const Cassette& cassette, const RedactionRules& rules) {
  std::vector<Finding> out;
  Scanner s(rules, &out);
  s.text("name", cassette.name);
  s.text("upstream", cassette.upstream);
  for (size_t i = 0; i < cassette.interactions.size(); ++i) {
    s.interaction("interactions[" + std::to_string(i) + "]", cassette.interactions[i]);
  }
  return out;
}

}  // namespace ploke::codec
