#include "ploke/config/edit.h"

#include <cstdio>
#include <filesystem>

#include <toml++/toml.h>

#include "ploke/core/file_io.h"
#include "ploke/core/secret.h"

namespace ploke::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Removes whitespace outside quotes and a trailing comment: "[ models . \"a b\" ] # x" →
// "[models.\"a b\"]".
std::string normalize_header(std::string_view line) {
  std::string out;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      out += c;
    } else if (c == '#') {
      break;
    } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      out += c;
    }
  }
  return out;
}

bool is_header(std::string_view line) {
  std::string_view t = trim(line);
  return !t.empty() && t.front() == '[';
}

bool is_kv(std::string_view line) {
  std::string_view t = trim(line);
  return !t.empty() && t.front() != '#' && t.front() != '[' && t.find('=') != std::string_view::npos;
}

// The key of a "key = value" line (whitespace trimmed), "" if not a kv line.
std::string line_key(std::string_view line) {
  if (!is_kv(line)) return "";
  std::string_view t = trim(line);
  char quote = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '=') {
      return normalize_header(t.substr(0, i));
    }
  }
  return "";
}

// Bracket depth change of a value text, ignoring brackets inside strings and comments.
int bracket_balance(std::string_view v) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (quote) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '#') break;
    else if (c == '[' || c == '{') ++depth;
    else if (c == ']' || c == '}') --depth;
  }
  return depth;
}

std::string header_text(const std::vector<std::string>& table) {
  std::string h = "[";
  for (size_t i = 0; i < table.size(); ++i) h += (i ? "." : "") + toml_key(table[i]);
  return h + "]";
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.emplace_back(text.substr(pos));
      break;
    }
    lines.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

// The lines of one table: [begin, end) after its header, or the root region (before the
// first header). `found` is false when the table has no header yet.
struct Region {
  size_t begin = 0, end = 0;
  bool found = false;
};

size_t next_header(const std::vector<std::string>& lines, size_t from) {
  for (size_t i = from; i < lines.size(); ++i) {
    if (is_header(lines[i])) return i;
  }
  return lines.size();
}

Result<Region> find_table(const std::vector<std::string>& lines, const ConfigEdit& e, const std::string& want_header) {
  if (e.table.empty()) return Region{0, next_header(lines, 0), true};
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!is_header(lines[i])) continue;
    const std::string h = normalize_header(lines[i]);
    if (h == "[" + want_header + "]") {
      return InvalidRequestError("table " + want_header + " is an array of tables; edit it by hand");
    }
    if (h == want_header) return Region{i + 1, next_header(lines, i + 1), true};
  }
  return Region{0, lines.size(), false};
}

// Replaces (or, for an empty value, removes) the key's line and its continuation lines.
// Returns false when the key is not in the region.
Result<bool> replace_key(std::vector<std::string>& lines, const Region& r, const ConfigEdit& e,
                         const std::string& key, const std::string& value, const std::string& want_header) {
  const std::string want_key = normalize_header(key);
  for (size_t i = r.begin; i < r.end; ++i) {
    if (line_key(lines[i]) != want_key) continue;
    size_t last = i;
    const std::string l = lines[i];
    int depth = bracket_balance(l.substr(l.find('=') + 1));
    while (depth > 0 && last + 1 < r.end) {
      ++last;
      depth += bracket_balance(lines[last]);
    }
    if (l.find("\"\"\"") != std::string::npos || l.find("'''") != std::string::npos) {
      return InvalidRequestError("key " + e.key + " in " + (e.table.empty() ? std::string("the root table") : want_header) +
                                 " holds a multi-line string; edit it by hand");
    }
    const size_t indent = l.find_first_not_of(" \t");
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i), lines.begin() + static_cast<std::ptrdiff_t>(last + 1));
    if (!value.empty()) {
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i),
                   l.substr(0, indent == std::string::npos ? 0 : indent) + key + " = " + value);
    }
    return true;
  }
  return false;
}

// Where a new key goes: after the table's last key line (or right after its header); a new
// root key goes after the leading comment block, before the first table.
size_t append_position(std::vector<std::string>& lines, const Region& r, bool root) {
  size_t at = root ? 0 : r.begin;
  bool any_kv = false;
  for (size_t i = r.begin; i < r.end; ++i) {
    if (!is_kv(lines[i])) continue;
    at = i + 1;
    any_kv = true;
    // skip a multi-line value's continuation lines
    int depth = bracket_balance(lines[i].substr(lines[i].find('=') + 1));
    while (depth > 0 && at < r.end) depth += bracket_balance(lines[at++]);
    i = at - 1;
  }
  if (!root || any_kv) return at;
  at = 0;
  while (at < r.end && (trim(lines[at]).empty() || trim(lines[at]).front() == '#')) ++at;
  if (at == r.end && r.end < lines.size()) {
    // Only comments, then a header: keep the comments that introduce the header with it.
    size_t k = r.end;
    while (k > 0 && !trim(lines[k - 1]).empty()) --k;
    at = k;
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), "");
  }
  return at;
}

Status apply_one(std::vector<std::string>& lines, const ConfigEdit& e, const SaveOptions& options) {
  const std::string want_header = header_text(e.table);
  const std::string key = toml_key(e.key);
  const std::string value = options.with_keys ? e.value_toml : redact_secrets(e.value_toml);
  PLOKE_ASSIGN_OR_RETURN(Region region, find_table(lines, e, want_header));
  if (!region.found) {
    if (value.empty()) return Status::Ok();  // removing from a missing table: nothing to do
    if (!lines.empty() && !trim(lines.back()).empty()) lines.emplace_back();
    lines.push_back(want_header);
    lines.push_back(key + " = " + value);
    return Status::Ok();
  }
  PLOKE_ASSIGN_OR_RETURN(bool replaced, replace_key(lines, region, e, key, value, want_header));
  if (replaced || value.empty()) return Status::Ok();
  const size_t at = append_position(lines, region, e.table.empty());
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), key + " = " + value);
  return Status::Ok();
}

// Reads the value at table/key back from the parsed document.
const toml::node* lookup(const toml::table& root, const ConfigEdit& e) {
  const toml::table* t = &root;
  for (const auto& part : e.table) {
    const toml::node* n = t->get(part);
    if (!n || !n->is_table()) return nullptr;
    t = n->as_table();
  }
  return t->get(e.key);
}

}  // namespace

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string toml_key(std::string_view s) {
  bool bare = !s.empty();
  for (char c : s) {
    bare = bare && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  return bare ? std::string(s) : toml_string(s);
}

Result<std::string> apply_edits(std::string_view text, const std::vector<ConfigEdit>& edits, const SaveOptions& options) {
  std::vector<std::string> lines = split_lines(text);
  for (const auto& e : edits) {
    if (e.key.empty()) return InvalidRequestError("config edit without a key");
    PLOKE_RETURN_IF_ERROR(apply_one(lines, e, options));
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  // Check that the edit did what it says (an inline table or dotted keys elsewhere could
  // define the same table: then the text would be invalid or the value would not read back).
  try {
    toml::table root = toml::parse(out, std::string_view("edited config"));
    for (const auto& e : edits) {
      const toml::node* n = lookup(root, e);
      const std::string where = (e.table.empty() ? std::string() : header_text(e.table) + " ") + e.key;
      if (e.value_toml.empty()) {
        if (n) return InvalidRequestError("cannot remove " + where + " in place (defined elsewhere in the file)");
      } else if (!n) {
        return InvalidRequestError("cannot set " + where + " in place (the table is defined inline or by dotted keys)");
      }
    }
  } catch (const toml::parse_error& err) {
    std::string what;
    for (const auto& e : edits) what += (what.empty() ? "" : ", ") + (e.table.empty() ? std::string() : header_text(e.table) + " ") + e.key;
    return InvalidRequestError("cannot edit " + what + " in place: the edited config would not parse (" +
                               std::string(err.description()) + " at line " + std::to_string(err.source().begin.line) +
                               "; is the table defined inline?); nothing written");
  }
  return out;
}

Result<LoadResult> edit_config_file(const std::string& path, const std::vector<ConfigEdit>& edits,
                                    const LoadOptions& validate_with, const SaveOptions& options) {
  std::string text;
  auto cur = ploke::read_file(path);
  if (cur.ok()) {
    text = std::move(*cur);
  } else if (cur.status().code() != StatusCode::kNotFound) {
    return InvalidRequestError(path + ": cannot read: " + cur.status().message());
  }
  PLOKE_ASSIGN_OR_RETURN(std::string edited, apply_edits(text, edits, options));
  LoadResult r = parse_config(edited, path, validate_with);
  if (!r.ok()) {
    std::string msg = path + ": not saved, the result would be invalid:";
    for (const auto& e : r.errors) msg += "\n  " + e.to_string();
    return InvalidRequestError(msg);
  }
  std::error_code ec;  // best effort: write_file_atomic reports a real failure
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  PLOKE_RETURN_IF_ERROR(ploke::write_file_atomic(path, edited));
  return r;
}

}  // namespace ploke::config
