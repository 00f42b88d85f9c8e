// VCR YAML cassettes (spec: cassettes/README.md, "Interop"). Import reads vcrpy's layout
// (`interactions:`, request `body`/`headers`/`method`/`uri`, response `status.code`,
// `headers`, `body.string`, `version: 1`) and Ruby VCR's (`http_interactions:`, request
// `body.string`, `recorded_at`, `recorded_with`); `!!binary` scalars and Ruby's
// `base64_string` carry non-text bodies. Export writes vcrpy's layout.
// yaml-cpp stays inside this file: its exceptions are caught here and become Status values.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>

#include "cassette_internal.h"
#include "interop_internal.h"
#include "ploke/core/http_status.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/interop.h"
#include "ploke/core/ascii.h"
#include "ploke/core/base64.h"

namespace ploke::codec {

namespace {

constexpr std::string_view kYamlBinaryTag = "tag:yaml.org,2002:binary";

/// "Tue, 01 Nov 2011 04:58:44 GMT" (Ruby VCR's recorded_at) → "2011-11-01T04:58:44.000Z".
std::optional<std::string> rfc1123_to_rfc3339(const std::string& s) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int day = 0, year = 0, h = 0, m = 0, sec = 0;
  char mon[4] = {0};
  if (std::sscanf(s.c_str(), "%*3s, %d %3s %d %d:%d:%d", &day, mon, &year, &h, &m, &sec) != 6) return std::nullopt;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] != mon) continue;
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02zu-%02dT%02d:%02d:%02d.000Z", year, i + 1, day, h, m, sec);
    return std::string(out);
  }
  return std::nullopt;
}

/// A multi-line single-quoted scalar starting at text[pos] (the quote), folded as YAML 1.2
/// says: a line break between two lines is a space, k empty lines are k line feeds, lines
/// are trimmed. yaml-cpp 0.7 keeps at most one line feed for empty lines before the closing
/// quote, which is how PyYAML (vcrpy) writes every body ending in "\n\n" (SSE streams).
/// nullopt when text[pos] is not a quote opening a multi-line scalar.
std::optional<std::string> fold_single_quoted(std::string_view text, size_t pos) {
  if (pos >= text.size() || text[pos] != '\'') return std::nullopt;
  size_t end = pos + 1;
  while (end < text.size() && (text[end] != '\'' || (end + 1 < text.size() && text[end + 1] == '\''))) {
    end += text[end] == '\'' ? 2 : 1;
  }
  const std::string_view raw = text.substr(pos + 1, end - pos - 1);
  if (end >= text.size() || raw.find('\n') == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> lines;
  for (size_t at = 0;;) {
    const size_t lf = raw.find('\n', at);
    std::string_view line = raw.substr(at, lf == std::string_view::npos ? std::string_view::npos : lf - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (lf == std::string_view::npos) break;
    at = lf + 1;
  }
  auto lstrip = [](std::string_view s) { return s.substr(std::min(s.find_first_not_of(" \t"), s.size())); };
  auto rstrip = [](std::string_view s) { return s.substr(0, s.find_last_not_of(" \t") + 1); };
  std::string out(rstrip(lines[0]));
  size_t empty = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const bool last = i + 1 == lines.size();
    const std::string_view s = last ? lstrip(lines[i]) : rstrip(lstrip(lines[i]));
    if (s.empty() && !last) {
      ++empty;
      continue;
    }
    out += empty > 0 ? std::string(empty, '\n') : std::string(" ");
    out += s;
    empty = 0;
  }
  std::string unescaped;  // '' → '
  for (size_t i = 0; i < out.size(); ++i) {
    unescaped += out[i];
    if (out[i] == '\'' && i + 1 < out.size() && out[i + 1] == '\'') ++i;
  }
  return unescaped;
}

class VcrReader {
 public:
  VcrReader(std::string_view text, std::vector<FieldError>* errors) : text_(text), errors_(errors) {}

  void fail(const YAML::Node& at, const std::string& path, std::string msg) {
    if (at.IsDefined() && at.Mark().line >= 0) msg += " (line " + std::to_string(at.Mark().line + 1) + ")";
    errors_->push_back(field_error(path, std::move(msg)));
  }

  /// obj[key] when obj is a map holding it; an undefined node otherwise.
  static YAML::Node child(const YAML::Node& obj, const char* key) {
    if (!obj.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& kv : obj) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  /// The bytes of a scalar (a `!!binary` one decoded); null → "".
  std::string bytes(const YAML::Node& n, const std::string& path) {
    if (!n.IsDefined() || n.IsNull()) return {};
    if (!n.IsScalar()) {
      fail(n, path, "expected a string");
      return {};
    }
    if (n.Tag() == kYamlBinaryTag || n.Tag() == "!!binary" || n.Tag() == "!binary") {
      const YAML::Binary bin = n.as<YAML::Binary>();
      return std::string(reinterpret_cast<const char*>(bin.data()), bin.size());
    }
    if (auto folded = fold_single_quoted(text_, n.Mark().pos < 0 ? text_.size() : static_cast<size_t>(n.Mark().pos))) {
      return *std::move(folded);
    }
    return n.Scalar();
  }

  std::string required_string(const YAML::Node& obj, const char* key, const std::string& path) {
    const YAML::Node n = child(obj, key);
    if (!n.IsDefined() || n.IsNull()) {
      fail(obj, path + "." + key, "missing required field");
      return {};
    }
    return bytes(n, path + "." + key);
  }

  /// A body: a plain scalar (vcrpy requests), or a map with `string` / `base64_string`.
  std::string body(const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) return bytes(n, path);
    const YAML::Node b64 = child(n, "base64_string");
    if (b64.IsDefined() && !b64.IsNull()) {
      std::string text = bytes(b64, path + ".base64_string");  // Ruby wraps it every 60 characters
      std::erase_if(text, [](char c) { return c == '\n' || c == '\r' || c == ' '; });
      auto decoded = ploke::base64_decode(text);
      if (!decoded) fail(b64, path + ".base64_string", "invalid base64");
      return decoded ? *decoded : std::string();
    }
    return bytes(child(n, "string"), path + ".string");
  }

  /// Header map: name → list of values (vcrpy, Ruby VCR) or one value. Names lower-cased;
  /// framing headers dropped (the player frames the body).
  Headers headers(const YAML::Node& n, const std::string& path) {
    Headers out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) {
      fail(n, path, "expected a map of header names to lists of values");
      return out;
    }
    for (const auto& kv : n) {
      const std::string name = kv.first.Scalar();
      const std::string hp = path + "." + name;
      if (interop::is_framing_header(name)) continue;
      if (kv.second.IsSequence()) {
        for (size_t i = 0; i < kv.second.size(); ++i) {
          out.add(internal::lower_header_name(name), bytes(kv.second[i], index_path(hp, i)));
        }
      } else {
        out.add(internal::lower_header_name(name), bytes(kv.second, hp));
      }
    }
    return out;
  }

  void interaction(const YAML::Node& n, const std::string& path, bool ruby, std::string* upstream, Interaction* out);

 private:
  void request(const YAML::Node& n, const std::string& path, std::string* upstream, RecordedRequest* rq);
  void response(const YAML::Node& n, const std::string& path, RecordedResponse* rs);

  std::string_view text_;
  std::vector<FieldError>* errors_;
};

void VcrReader::interaction(const YAML::Node& n, const std::string& path, bool ruby, std::string* upstream,
                            Interaction* out) {
  if (!n.IsMap()) {
    fail(n, path, "expected a map with request and response");
    return;
  }
  const YAML::Node rq = child(n, "request");
  const YAML::Node rs = child(n, "response");
  if (!rq.IsMap()) fail(n, path + ".request", rq.IsDefined() ? "expected a map" : "missing required field");
  if (!rs.IsMap()) fail(n, path + ".response", rs.IsDefined() ? "expected a map" : "missing required field");
  if (!rq.IsMap() || !rs.IsMap()) return;
  request(rq, path + ".request", upstream, &out->request);
  response(rs, path + ".response", &out->response);
  if (ruby) {
    const YAML::Node at = child(n, "recorded_at");
    if (at.IsScalar()) out->recorded_at = rfc1123_to_rfc3339(at.Scalar()).value_or("");
  }
}

void VcrReader::request(const YAML::Node& n, const std::string& path, std::string* upstream, RecordedRequest* rq) {
  std::string method = required_string(n, "method", path);
  for (char& c : method) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  rq->method = std::move(method);
  const std::string uri = required_string(n, "uri", path);
  interop::set_request_target(uri, upstream, rq);
  rq->headers = headers(child(n, "headers"), path + ".headers");
  std::string b = body(child(n, "body"), path + ".body");
  const auto type = rq->headers.get("content-type");
  rq->body = make_recorded_body(std::move(b), type ? *type : std::string_view{});
}

void VcrReader::response(const YAML::Node& n, const std::string& path, RecordedResponse* rs) {
  const YAML::Node status = child(n, "status");
  const YAML::Node code = status.IsMap() ? child(status, "code") : status;
  int value = 0;
  if (!code.IsScalar() || !YAML::convert<int>::decode(code, value) || value < 100 || value > 599) {
    fail(code.IsDefined() ? code : n, path + ".status.code", "expected an HTTP status (integer 100..599)");
  } else {
    rs->status = value;
  }
  rs->headers = headers(child(n, "headers"), path + ".headers");
  interop::set_response_body(body(child(n, "body"), path + ".body"), rs);
}

Result<Cassette> read_vcr(const YAML::Node& doc, std::string_view text, std::string_view source_name) {
  std::vector<FieldError> errors;
  VcrReader r(text, &errors);
  Cassette c;
  const YAML::Node vcrpy = VcrReader::child(doc, "interactions");
  const YAML::Node ruby = VcrReader::child(doc, "http_interactions");
  const bool is_ruby = !vcrpy.IsDefined() && ruby.IsDefined();
  const YAML::Node list = is_ruby ? ruby : vcrpy;
  const std::string key = is_ruby ? "http_interactions" : "interactions";
  if (!list.IsDefined()) {
    r.fail(doc, "", "expected a VCR cassette: a map with `interactions` (vcrpy) or `http_interactions` (Ruby VCR)");
  } else if (!list.IsNull() && !list.IsSequence()) {
    r.fail(list, key, "expected a list of interactions");
  } else if (list.IsSequence()) {
    for (size_t i = 0; i < list.size(); ++i) {
      Interaction& in = c.interactions.emplace_back();
      char id[24];
      std::snprintf(id, sizeof id, "%04zu", i + 1);
      in.id = id;
      r.interaction(list[i], index_path(key, i), is_ruby, &c.upstream, &in);
    }
  }
  if (!errors.empty()) return field_errors_status(source_name, errors);
  return c;
}

}  // namespace

Result<Cassette> vcr_to_cassette(std::string_view yaml_text, std::string_view source_name) {
  try {
    const YAML::Node doc = YAML::Load(std::string(yaml_text));
    return read_vcr(doc, yaml_text, source_name);
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? std::string()
                                         : "line " + std::to_string(e.mark.line + 1) + ", column " +
                                               std::to_string(e.mark.column + 1) + ": ";
    return Status(StatusCode::kInvalidRequest, std::string(source_name) + ": YAML error: " + where + e.msg);
  } catch (const std::exception& e) {
    return Status(StatusCode::kInvalidRequest, std::string(source_name) + ": YAML error: " + e.what());
  }
}

// ------------------------------------------------------------------------------------------
// Export (vcrpy layout)
// ------------------------------------------------------------------------------------------

namespace {

void emit_bytes(YAML::Emitter& out, const std::string& bytes) {
  if (!is_valid_utf8(bytes)) {
    out << YAML::Binary(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  } else {
    out << YAML::DoubleQuoted << bytes;
  }
}

/// name → list of values, names in first-seen order; framing headers left out.
void emit_headers(YAML::Emitter& out, const Headers& h) {
  std::vector<std::string> names;
  for (const auto& [k, v] : h.items()) {
    if (interop::is_framing_header(k)) continue;
    bool seen = false;
    for (const auto& n : names) seen = seen || n == k;
    if (!seen) names.push_back(k);
  }
  out << YAML::BeginMap;
  for (const auto& name : names) {
    out << YAML::Key << name << YAML::Value << YAML::BeginSeq;
    for (const auto& [k, v] : h.items()) {
      if (k == name) emit_bytes(out, v);
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void emit_interaction(YAML::Emitter& out, const Cassette& c, const Interaction& in) {
  const RecordedRequest& rq = in.request;
  out << YAML::BeginMap << YAML::Key << "request" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "body" << YAML::Value;
  if (rq.body.bytes.empty()) out << YAML::Null;
  else emit_bytes(out, rq.body.bytes);
  out << YAML::Key << "headers" << YAML::Value;
  emit_headers(out, rq.headers);
  out << YAML::Key << "method" << YAML::Value << rq.method;
  out << YAML::Key << "uri" << YAML::Value << interop::request_url(c, rq);
  out << YAML::EndMap;

  const RecordedResponse& rs = in.response;
  Headers headers = rs.headers;
  const std::string body = interop::joined_body(rs, &headers);
  out << YAML::Key << "response" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "body" << YAML::Value << YAML::BeginMap << YAML::Key << "string" << YAML::Value;
  emit_bytes(out, body);
  out << YAML::EndMap;
  out << YAML::Key << "headers" << YAML::Value;
  emit_headers(out, headers);
  out << YAML::Key << "status" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "code" << YAML::Value << rs.status;
  out << YAML::Key << "message" << YAML::Value << std::string(http_reason_phrase(rs.status));
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

}  // namespace

std::string cassette_to_vcr(const Cassette& c) {
  try {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "interactions" << YAML::Value << YAML::BeginSeq;
    for (const auto& in : c.interactions) emit_interaction(out, c, in);
    out << YAML::EndSeq << YAML::Key << "version" << YAML::Value << 1 << YAML::EndMap;
    std::string text = out.c_str();
    if (text.empty() || text.back() != '\n') text += '\n';
    return text;
  } catch (const std::exception&) {
    return "interactions: []\nversion: 1\n";  // the emitter throws only on misuse
  }
}

}  // namespace ploke::codec
