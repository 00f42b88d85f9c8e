#include "ploke/core/secret.h"

#include <cctype>
#include <string>

namespace ploke {

namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
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

std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t keep = 0;
    const size_t len = secret_len_at(text, i, &keep);
    if (len > 0) {
      out.append(text.substr(i, keep));
      out.append(kRedacted);
      i += len;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

std::vector<SecretSpan> find_secrets(std::string_view text) {
  std::vector<SecretSpan> spans;
  size_t i = 0;
  while (i < text.size()) {
    size_t keep = 0;
    const size_t len = secret_len_at(text, i, &keep);
    if (len > 0) {
      spans.push_back(SecretSpan{i + keep, i + len});
      i += len;
    } else {
      ++i;
    }
  }
  return spans;
}

bool contains_secret(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    size_t keep = 0;
    if (secret_len_at(text, i, &keep) > 0) return true;
  }
  return false;
}

}  // namespace ploke
