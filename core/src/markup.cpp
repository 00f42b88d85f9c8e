// See ploke/core/markup.h.
#include "ploke/core/markup.h"

#include "ploke/core/secret.h"

namespace ploke {

std::string markup_escape(std::string_view raw) {
  const std::string s = redact_secrets(raw);
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') out += ' ';
        else out += c;
    }
  }
  return out;
}

}  // namespace ploke
