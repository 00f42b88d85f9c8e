#include "ploke/codec/fast_json.h"

#include <charconv>
#include <cstring>
#include <cmath>

#include "cassette_internal.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/json/utf8.h"

namespace ploke::codec::internal {

std::string_view JValue::type_name() const {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "?";
}

JValue* JValue::find(std::string_view key) {
  if (type != Type::kObject) return nullptr;
  for (auto& m : members) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

const JValue* JValue::find(std::string_view key) const { return const_cast<JValue*>(this)->find(key); }

std::string JParseError::to_string() const {
  return "JSON syntax error at byte " + std::to_string(byte) + " (line " + std::to_string(line) + ", column " +
         std::to_string(column) + "): " + message;
}

namespace {

constexpr int kMaxDepth = 512;

class Parser {
 public:
  Parser(std::string_view text, JParseError* err) : s_(text), err_(err) {}

  bool parse_document(JValue* out) {
    skip_ws();
    if (!value(out, 0)) return false;
    skip_ws();
    if (pos_ != s_.size()) return fail("unexpected text after the JSON value");
    return true;
  }

 private:
  bool fail(std::string msg) {
    err_->byte = pos_;
    err_->message = pos_ >= s_.size() ? msg + " (unexpected end of input)" : std::move(msg);
    err_->line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++err_->line;
        line_start = i + 1;
      }
    }
    err_->column = pos_ - line_start + 1;
    return false;
  }

  void skip_ws() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++pos_;
    }
  }

  bool value(JValue* out, int depth) {
    if (pos_ >= s_.size()) return fail("expected a value");
    out->begin = pos_;
    bool ok = false;
    switch (s_[pos_]) {
      case '{': ok = object(out, depth + 1); break;
      case '[': ok = array(out, depth + 1); break;
      case '"':
        out->type = JValue::Type::kString;
        ok = string(&out->str);
        break;
      case 't': ok = literal("true", out, JValue::Type::kBool, true); break;
      case 'f': ok = literal("false", out, JValue::Type::kBool, false); break;
      case 'n': ok = literal("null", out, JValue::Type::kNull, false); break;
      default: ok = number(out); break;
    }
    out->end = pos_;
    return ok;
  }

  bool literal(std::string_view word, JValue* out, JValue::Type t, bool b) {
    if (s_.compare(pos_, word.size(), word) != 0) return fail("invalid literal");
    pos_ += word.size();
    out->type = t;
    out->boolean = b;
    return true;
  }

  bool object(JValue* out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    out->type = JValue::Type::kObject;
    ++pos_;  // '{'
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected '\"' to start an object key");
      auto& m = out->members.emplace_back();
      if (!string(&m.first)) return false;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':' after object key");
      ++pos_;
      skip_ws();
      if (!value(&m.second, depth)) return false;
      skip_ws();
      if (pos_ >= s_.size()) return fail("expected ',' or '}'");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}' after object member");
    }
  }

  bool array(JValue* out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    out->type = JValue::Type::kArray;
    ++pos_;  // '['
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (!value(&out->items.emplace_back(), depth)) return false;
      skip_ws();
      if (pos_ >= s_.size()) return fail("expected ',' or ']'");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' after array element");
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(uint32_t* out) {
    if (pos_ + 4 > s_.size()) return fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(s_[pos_ + i]);
      if (h < 0) return fail("invalid \\u escape");
      v = v * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  bool escape(std::string* out) {
    ++pos_;  // '\'
    if (pos_ >= s_.size()) return fail("truncated escape");
    const char c = s_[pos_++];
    switch (c) {
      case '"': out->push_back('"'); return true;
      case '\\': out->push_back('\\'); return true;
      case '/': out->push_back('/'); return true;
      case 'b': out->push_back('\b'); return true;
      case 'f': out->push_back('\f'); return true;
      case 'n': out->push_back('\n'); return true;
      case 'r': out->push_back('\r'); return true;
      case 't': out->push_back('\t'); return true;
      case 'u': {
        uint32_t cp = 0;
        if (!hex4(&cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo = 0;
          if (s_.compare(pos_, 2, "\\u") != 0) return fail("unpaired surrogate in \\u escape");
          pos_ += 2;
          if (!hex4(&lo)) return false;
          if (lo < 0xDC00 || lo > 0xDFFF) return fail("invalid surrogate pair in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail("unpaired surrogate in \\u escape");
        }
        ploke::json::append_utf8(*out, cp);
        return true;
      }
      default:
        --pos_;
        return fail("invalid escape");
    }
  }

  bool string(std::string* out) {
    const size_t open = pos_;
    ++pos_;  // '"'
    bool non_ascii = false;
    const char* data = s_.data();
    const size_t n = s_.size();
    for (;;) {
      // Copy the run of ordinary characters in one append.
      size_t run = pos_;
      // Eight bytes at a time while none is '"', '\\' or a control character (SWAR).
      while (run + 8 <= n) {
        uint64_t v;
        std::memcpy(&v, data + run, 8);
        constexpr uint64_t kOnes = 0x0101010101010101ULL;
        constexpr uint64_t kHigh = 0x8080808080808080ULL;
        const uint64_t quote = v ^ (kOnes * '"');
        const uint64_t slash = v ^ (kOnes * '\\');
        const uint64_t special = ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash) | ((v - kOnes * 0x20) & ~v);
        if ((special & kHigh) != 0) break;
        non_ascii |= (v & kHigh) != 0;
        run += 8;
      }
      while (run < n) {
        const auto c = static_cast<unsigned char>(data[run]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        non_ascii |= c >= 0x80;
        ++run;
      }
      out->append(data + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= n) {
        pos_ = n;
        return fail("unterminated string (opened at byte " + std::to_string(open) + ")");
      }
      const char c = data[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        if (!escape(out)) return false;
        continue;
      }
      return fail("control character in string (must be escaped)");
    }
    if (non_ascii && !is_valid_utf8(*out)) {
      pos_ = open;
      return fail("string is not valid UTF-8");
    }
    return true;
  }

  bool number(JValue* out) {
    const size_t start = pos_;
    size_t p = pos_;
    if (p < s_.size() && s_[p] == '-') ++p;
    if (p >= s_.size() || s_[p] < '0' || s_[p] > '9') return fail("expected a value");
    if (s_[p] == '0') {
      ++p;
    } else {
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
    }
    bool is_int = true;
    if (p < s_.size() && s_[p] == '.') {
      is_int = false;
      ++p;
      const size_t digits = p;
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
      if (p == digits) {
        pos_ = p;
        return fail("expected digits after '.'");
      }
    }
    if (p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
      is_int = false;
      ++p;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      const size_t digits = p;
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
      if (p == digits) {
        pos_ = p;
        return fail("expected digits in exponent");
      }
    }
    out->type = JValue::Type::kNumber;
    const char* b = s_.data() + start;
    const char* e = s_.data() + p;
    if (is_int) {
      int64_t v = 0;
      auto r = std::from_chars(b, e, v);
      if (r.ec == std::errc() && r.ptr == e) {
        out->integer = true;
        out->int_value = v;
        out->number = static_cast<double>(v);
        pos_ = p;
        return true;
      }
    }
    double d = 0;
    auto r = std::from_chars(b, e, d);
    if (r.ec != std::errc() || r.ptr != e || !std::isfinite(d)) return fail("number out of range");
    out->number = d;
    pos_ = p;
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  JParseError* err_;
};

}  // namespace

namespace {

bool dump_rec(const JValue& v, int indent, int level, std::string* out) {
  switch (v.type) {
    case JValue::Type::kNull: out->append("null"); return true;
    case JValue::Type::kBool: out->append(v.boolean ? "true" : "false"); return true;
    case JValue::Type::kNumber:
      if (!v.integer) return false;  // nlohmann's float formatting is its own; let it do it
      out->append(std::to_string(v.int_value));
      return true;
    case JValue::Type::kString: ploke::json::append_quoted(*out, v.str); return true;
    case JValue::Type::kArray:
    case JValue::Type::kObject: break;
  }
  const bool is_obj = v.type == JValue::Type::kObject;
  const size_t n = is_obj ? v.members.size() : v.items.size();
  if (n == 0) {
    out->append(is_obj ? "{}" : "[]");
    return true;
  }
  if (is_obj) {
    if (n > 64) return false;
    for (size_t i = 1; i < n; ++i) {
      for (size_t k = 0; k < i; ++k) {
        if (v.members[i].first == v.members[k].first) return false;  // duplicate key
      }
    }
  }
  out->push_back(is_obj ? '{' : '[');
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out->push_back(',');
    if (indent >= 0) {
      out->push_back('\n');
      out->append(static_cast<size_t>(indent) * static_cast<size_t>(level + 1), ' ');
    }
    if (is_obj) {
      ploke::json::append_quoted(*out, v.members[i].first);
      out->append(indent >= 0 ? ": " : ":");
      if (!dump_rec(v.members[i].second, indent, level + 1, out)) return false;
    } else if (!dump_rec(v.items[i], indent, level + 1, out)) {
      return false;
    }
  }
  if (indent >= 0) {
    out->push_back('\n');
    out->append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
  }
  out->push_back(is_obj ? '}' : ']');
  return true;
}

}  // namespace

bool dump_like_nlohmann(const JValue& v, int indent, std::string* out) { return dump_rec(v, indent, 0, out); }

bool parse_fast_json(std::string_view text, JValue* out, JParseError* error) {
  Parser p(text, error);
  return p.parse_document(out);
}

}  // namespace ploke::codec::internal
