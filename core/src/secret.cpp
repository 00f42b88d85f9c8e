#include "ploke/core/secret.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cctype>
#include <string>

#include "ploke/core/secret_registry.h"
#include "secret_spans.h"

namespace ploke {

namespace {

// Byte classes as tables (the scanners below run over every logged and recorded byte).
constexpr uint8_t kKey = 1, kStart = 2;
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '-' || c == '_') t[c] |= kKey;
  }
  for (unsigned char c : {'s', 'A', 'b', 'B'}) t[c] |= kStart;  // first bytes of the patterns
  return t;
}
constexpr std::array<uint8_t, 256> kClasses = make_classes();

bool is_key_char(char c) { return (kClasses[static_cast<unsigned char>(c)] & kKey) != 0; }

// The next position at or after `i` where a pattern could start, or s.size().
size_t next_candidate(std::string_view s, size_t i) {
  while (i < s.size() && (kClasses[static_cast<unsigned char>(s[i])] & kStart) == 0) ++i;
  return i;
}

bool is_token_char(char c) {
  return is_key_char(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

bool starts_with_ci(std::string_view s, size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[pos + i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Length of a secret starting at `pos`, or 0. Patterns:
//   sk-… (OpenAI sk-, sk-proj-, sk-svcacct-; Anthropic sk-ant-…; OpenRouter sk-or-v1-…)
//     with at least 16 key characters;
//   AKIA + 16 upper/digits (AWS access key ids);
//   "Bearer " + token of at least 8 characters (the token is redacted, the word kept).
size_t secret_len_at(std::string_view s, size_t pos, size_t* keep_prefix) {
  *keep_prefix = 0;
  if (pos > 0 && is_key_char(s[pos - 1])) return 0;  // must start at a token boundary
  if (s.compare(pos, 3, "sk-") == 0) {
    size_t end = pos + 3;
    while (end < s.size() && is_key_char(s[end])) ++end;
    return (end - pos >= 3 + 16) ? end - pos : 0;
  }
  if (s.compare(pos, 4, "AKIA") == 0) {
    size_t end = pos + 4;
    while (end < s.size() && (std::isupper(static_cast<unsigned char>(s[end])) || std::isdigit(static_cast<unsigned char>(s[end])))) ++end;
    return (end - pos == 20) ? 20 : 0;
  }
  if (starts_with_ci(s, pos, "bearer ")) {
    size_t start = pos + 7;
    while (start < s.size() && s[start] == ' ') ++start;
    size_t end = start;
    while (end < s.size() && is_token_char(s[end])) ++end;
    if (end - start >= 8 && s.substr(start, end - start) != kRedacted) {
      *keep_prefix = start - pos;
      return end - pos;
    }
  }
  return 0;
}

}  // namespace

std::string Secret::redacted() const {
  if (value_.empty()) return "<empty>";
  // Keep only a recognisable family prefix, never key material.
  for (std::string_view fam : {"sk-or-v1-", "sk-ant-", "sk-proj-", "sk-"}) {
    if (value_.rfind(fam, 0) == 0) return std::string(fam) + std::string(kRedacted);
  }
  return std::string(kRedacted);
}

namespace {

std::vector<SecretSpan> pattern_spans(std::string_view text) {
  std::vector<SecretSpan> spans;
  size_t i = next_candidate(text, 0);
  while (i < text.size()) {
    size_t keep = 0;
    const size_t len = secret_len_at(text, i, &keep);
    if (len > 0) spans.push_back(SecretSpan{i + keep, i + len});
    i = next_candidate(text, i + std::max<size_t>(len, 1));
  }
  return spans;
}

std::string redact_patterns(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;  // text[copied, i) is still to be appended
  size_t i = next_candidate(text, 0);
  while (i < text.size()) {
    size_t keep = 0;
    const size_t len = secret_len_at(text, i, &keep);
    if (len > 0) {
      out.append(text.substr(copied, i + keep - copied));
      out.append(kRedacted);
      copied = i + len;
    }
    i = next_candidate(text, i + std::max<size_t>(len, 1));
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace

std::string redact_secrets(std::string_view text) {
  if (!contains_registered_secret(text)) return redact_patterns(text);
  return detail::replace_secret_spans(text, find_secrets(text));
}

std::vector<SecretSpan> find_secrets(std::string_view text) {
  std::vector<SecretSpan> spans = pattern_spans(text);
  const std::vector<SecretSpan> registered = find_registered_secrets(text);
  if (registered.empty()) return spans;
  spans.insert(spans.end(), registered.begin(), registered.end());
  return detail::merge_secret_spans(std::move(spans));
}

bool contains_secret(std::string_view text) {
  for (size_t i = next_candidate(text, 0); i < text.size(); i = next_candidate(text, i + 1)) {
    size_t keep = 0;
    if (secret_len_at(text, i, &keep) > 0) return true;
  }
  return contains_registered_secret(text);
}

Secret::Secret(std::string value) : value_(std::move(value)) { register_secret(value_); }

// --- StreamRedactor ---------------------------------------------------------------------

namespace {

bool ends_with_bearer(std::string_view s) {
  size_t e = s.size();
  while (e > 0 && s[e - 1] == ' ') --e;
  return e >= 6 && starts_with_ci(s, e - 6, "bearer") && (e == 6 || !is_key_char(s[e - 7]));
}

/// Bytes at the end of `s` that may be the start of a key pattern still being read: a
/// trailing run of token characters, and a "Bearer " before it.
size_t pattern_hold(std::string_view s) {
  size_t b = s.size();
  while (b > 0 && is_token_char(s[b - 1])) --b;
  if (ends_with_bearer(s.substr(0, b))) {  // "Bearer <token…" or "Bearer " at the end
    size_t e = b;
    while (e > 0 && s[e - 1] == ' ') --e;
    b = e - 6;
  }
  return s.size() - b;
}

}  // namespace

std::string StreamRedactor::redact(std::string_view text) const {
  return mode_ == Mode::kValuesOnly ? redact_registered_secrets(text) : redact_secrets(text);
}

namespace {

/// Moves `cut` back so that it splits no secret span and leaves no "Bearer " before a
/// held-back token.
size_t safe_cut(std::string_view s, size_t cut, const std::vector<SecretSpan>& spans, bool patterns) {
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    if (it->begin < cut && cut < it->end) cut = it->begin;
  }
  if (patterns && ends_with_bearer(s.substr(0, cut))) {
    size_t e = cut;
    while (e > 0 && s[e - 1] == ' ') --e;
    cut = e - 6;
  }
  return cut;
}

/// s[0, cut) with every span that ends by `cut` replaced by kRedacted.
std::string apply_before(std::string_view s, size_t cut, const std::vector<SecretSpan>& spans) {
  std::string out;
  out.reserve(cut);
  size_t pos = 0;
  for (const SecretSpan& sp : spans) {
    if (sp.end > cut) break;
    out.append(s.substr(pos, sp.begin - pos));
    out.append(kRedacted);
    pos = sp.end;
  }
  out.append(s.substr(pos, cut - pos));
  return out;
}

}  // namespace

std::string StreamRedactor::feed(std::string_view bytes) {
  const bool patterns = mode_ == Mode::kPatternsAndValues;
  if (!patterns && pending_.empty() && !has_registered_secrets()) return std::string(bytes);
  pending_.append(bytes);
  const std::vector<SecretSpan> spans = patterns ? find_secrets(pending_) : find_registered_secrets(pending_);
  size_t hold = registered_secret_prefix_suffix(pending_);
  if (patterns) hold = std::max(hold, pattern_hold(pending_));
  if (hold > kMaxPatternHold && hold > registered_secret_max_length()) hold = 0;  // too long to be a key
  const size_t cut = safe_cut(pending_, pending_.size() - std::min(hold, pending_.size()), spans, patterns);
  if (cut == 0) return {};
  std::string out = apply_before(pending_, cut, spans);
  pending_.erase(0, cut);
  return out;
}

std::string StreamRedactor::finish() {
  std::string out = redact(pending_);
  pending_.clear();
  return out;
}

}  // namespace ploke
