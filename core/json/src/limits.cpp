// check_json_limits(): see limits.h.
#include "ploke/json/limits.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace ploke::json {

namespace {

struct Frame {
  bool array = false;
  size_t index = 0;          // arrays: the current element
  std::string_view key;      // objects: the current key (raw, as written)
  bool expect_key = false;   // objects: the next string is a key
};

std::string path_of(const std::vector<Frame>& stack) {
  std::string p;
  for (const Frame& f : stack) {
    if (f.array) {
      p += '[' + std::to_string(f.index) + ']';
    } else if (!f.key.empty()) {
      if (!p.empty()) p += '.';
      p += f.key;
    }
  }
  if (p.empty()) return "top level";
  if (p.size() > 160) p = p.substr(0, 60) + "..." + p.substr(p.size() - 90);  // deep paths: both ends
  return p;
}

Status problem(size_t offset, const std::vector<Frame>& stack, const std::string& what) {
  return InvalidRequestError("byte " + std::to_string(offset) + " (" + path_of(stack) + "): " + what);
}

// End of the string starting at text[i] == '"' (index of the closing quote, or size).
size_t string_end(std::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i;
    }
  }
  return text.size();
}

// End of a comment starting at text[i] == '/' (index past it), or i when it is none.
size_t comment_end(std::string_view text, size_t i) {
  if (i + 1 >= text.size()) return i;
  if (text[i + 1] == '/') {
    const size_t nl = text.find('\n', i);
    return nl == std::string_view::npos ? text.size() : nl + 1;
  }
  if (text[i + 1] == '*') {
    const size_t end = text.find("*/", i + 2);
    return end == std::string_view::npos ? text.size() : end + 2;
  }
  return i;
}

bool is_number_char(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

bool overflows(std::string_view token) { return number_overflows(token); }

}  // namespace

// Only tokens with an exponent or > 300 characters can overflow a double.
bool number_overflows(std::string_view token) {
  if (token.size() <= 300 && token.find_first_of("eE") == std::string_view::npos) return false;
  const std::string copy(token);
  const double v = std::strtod(copy.c_str(), nullptr);
  return std::isinf(v);
}

Status check_json_limits(std::string_view text, const JsonLimits& limits) {
  std::vector<Frame> stack;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '"': {
        const size_t end = string_end(text, i);
        if (!stack.empty() && !stack.back().array && stack.back().expect_key) {
          stack.back().key = text.substr(i + 1, end > i ? end - i - 1 : 0);
          stack.back().expect_key = false;
        }
        i = end;
        break;
      }
      case '{':
      case '[':
        if (stack.size() >= limits.max_depth) {
          return problem(i, stack, "nested deeper than " + std::to_string(limits.max_depth) + " levels");
        }
        stack.push_back(Frame{c == '[', 0, {}, c == '{'});
        break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ',':
        if (!stack.empty()) {
          if (stack.back().array) ++stack.back().index;
          else stack.back().expect_key = true;
        }
        break;
      case '/': {
        const size_t end = comment_end(text, i);
        if (end != i) i = end - 1;
        break;
      }
      default:
        if ((c >= '0' && c <= '9') || c == '-') {
          size_t j = i;
          while (j < text.size() && is_number_char(text[j])) ++j;
          const std::string_view token = text.substr(i, j - i);
          if (overflows(token)) return problem(i, stack, "number out of range: " + std::string(token.substr(0, 40)));
          i = j - 1;
        }
        break;
    }
  }
  return Status::Ok();
}

}  // namespace ploke::json
