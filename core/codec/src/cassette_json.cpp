// Cassette JSON: strict reader with field-path errors, deterministic writer.
//
// The reader parses with a small fast DOM parser (fast_json.h; nlohmann's lexer is too slow
// for the 10 MB / 100 ms target), converts with a lightweight path chain that is rendered
// to text only when an error is reported, and moves strings out of the DOM. Embedded JSON
// bodies are re-parsed from their byte span with nlohmann::ordered_json (keeps key order)
// and dumped with the recorded indent, reproducing the exact bytes. The writer emits text
// directly (no DOM), one chunk per line.
#include "ploke/codec/cassette_json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>

#include "ploke/core/base64.h"
#include "ploke/core/ascii.h"
#include "cassette_internal.h"
#include "ploke/codec/fast_json.h"
#include "json_util.h"
#include "ploke/core/field_errors.h"
#include "ploke/json/escape.h"

namespace ploke::codec {

using internal::Json;

// ------------------------------------------------------------------------------------------
// Shared helpers
// ------------------------------------------------------------------------------------------

bool is_valid_utf8(std::string_view s) { return ploke::json::is_valid_utf8(s); }

namespace {

bool content_type_is_json(std::string_view ct) {
  if (ct.empty()) return true;  // unknown: let the bytes decide
  const std::string lower = ascii_lower(ct);
  const std::string_view l = std::string_view(lower).substr(0, lower.find(';'));
  return l.find("json") != std::string_view::npos;
}

}  // namespace

RecordedBody make_recorded_body(std::string bytes, std::string_view content_type) {
  RecordedBody b;
  if (bytes.empty()) return b;
  if (content_type_is_json(content_type)) {
    if (auto indent = internal::json_roundtrip_indent(bytes)) {
      b.encoding = BodyEncoding::kJson;
      b.json_indent = *indent;
      b.bytes = std::move(bytes);
      return b;
    }
  }
  b.encoding = is_valid_utf8(bytes) ? BodyEncoding::kText : BodyEncoding::kBase64;
  b.bytes = std::move(bytes);
  return b;
}

namespace {
// Method, path, query and headers; the callers differ only in how they keep the body.
RecordedRequest request_head_from_http(const HttpRequest& request) {
  RecordedRequest r;
  r.method = request.method;
  auto [path, query] = split_path_query(request.path);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = internal::lower_header_names(request.headers);  // cassettes store names in lower case
  return r;
}
}  // namespace

RecordedRequest recorded_request_from_http(const HttpRequest& request) {
  RecordedRequest r = request_head_from_http(request);
  const auto ct = request.headers.get("content-type");
  r.body = make_recorded_body(request.body, ct ? *ct : std::string_view{});
  return r;
}

RecordedRequest live_request_from_http(const HttpRequest& request) {
  RecordedRequest r = request_head_from_http(request);
  r.body.bytes = request.body;
  r.body.encoding = request.body.empty() ? BodyEncoding::kEmpty : BodyEncoding::kText;
  return r;
}

namespace internal {

void append_number(std::string* out, double d) {
  if (!std::isfinite(d)) d = 0;  // JSON has no NaN/inf; offsets are never meant to be
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d);
  out->append(buf, res.ptr);
}

}  // namespace internal

// ------------------------------------------------------------------------------------------
// Reader
// ------------------------------------------------------------------------------------------

namespace {

using internal::JValue;

/// A field path as a chain of stack frames; rendered only when an error is reported.
struct PathNode {
  const PathNode* parent = nullptr;
  std::string_view key;
  size_t index = std::numeric_limits<size_t>::max();

  PathNode child(std::string_view k) const { return PathNode{this, k}; }
  PathNode at(size_t i) const { return PathNode{this, {}, i}; }
  std::string str() const {
    std::string s = parent != nullptr ? parent->str() : std::string();
    if (index != std::numeric_limits<size_t>::max()) {
      internal::path_append_index(&s, index);
    } else if (!key.empty()) {
      internal::path_append_key(&s, key);
    }
    return s;
  }
};

enum class Want : uint8_t { kObject, kArray, kString, kNumber, kInteger, kBoolean };

std::string_view want_name(Want w) {
  switch (w) {
    case Want::kObject: return "object";
    case Want::kArray: return "array";
    case Want::kString: return "string";
    case Want::kNumber: return "number";
    case Want::kInteger: return "integer";
    case Want::kBoolean: return "boolean";
  }
  return "?";
}

bool has_type(const JValue& j, Want w) {
  switch (w) {
    case Want::kObject: return j.is_object();
    case Want::kArray: return j.is_array();
    case Want::kString: return j.is_string();
    case Want::kNumber: return j.is_number();
    case Want::kInteger: return j.is_number() && j.integer;
    case Want::kBoolean: return j.is_bool();
  }
  return false;
}

std::optional<Ending> ending_from_name(std::string_view n) {
  for (Ending e : {Ending::kComplete, Ending::kReset, Ending::kCloseNoReply, Ending::kHang}) {
    if (ending_name(e) == n) return e;
  }
  return std::nullopt;
}

class Reader {
 public:
  Reader(std::string_view text, std::vector<FieldError>* errors) : text_(text), errors_(errors) {}

  void fail(const PathNode& p, std::string msg) {
    std::string path = p.str();
    errors_->push_back(field_error(path.empty() ? "(document)" : std::move(path), std::move(msg)));
  }

  bool check(const JValue& j, Want w, const PathNode& p) {
    if (has_type(j, w)) return true;
    std::string got(j.type_name());
    if (w == Want::kInteger && j.is_number()) got = "non-integer number";
    fail(p, "expected " + std::string(want_name(w)) + ", got " + got);
    return false;
  }

  /// The member `key` of `obj` if present and of type `w`; reports missing/wrong type.
  JValue* get(JValue& obj, std::string_view key, Want w, const PathNode& p, bool required) {
    JValue* j = obj.find(key);
    if (j == nullptr) {
      if (required) fail(p.child(key), "missing required field");
      return nullptr;
    }
    return check(*j, w, p.child(key)) ? j : nullptr;
  }

  void get_string(JValue& obj, std::string_view key, const PathNode& p, bool required, std::string* out) {
    if (JValue* j = get(obj, key, Want::kString, p, required)) *out = std::move(j->str);
  }

  void get_double(JValue& obj, std::string_view key, const PathNode& p, bool required, double* out) {
    if (JValue* j = get(obj, key, Want::kNumber, p, required)) {
      if (j->number < 0) fail(p.child(key), "must be >= 0");
      else *out = j->number;
    }
  }

  /// Unknown keys are errors (typos must not silently drop data); "_"-prefixed keys are
  /// reserved for comments and extensions.
  void check_keys(const JValue& obj, std::initializer_list<std::string_view> allowed, const PathNode& p) {
    for (const auto& [k, v] : obj.members) {
      if (!k.empty() && k[0] == '_') continue;
      bool ok = false;
      for (std::string_view a : allowed) ok = ok || a == k;
      if (!ok) fail(p.child(k), "unknown field");
    }
  }

  void read_pairs(JValue& obj, std::string_view key, const PathNode& p,
                  std::vector<std::pair<std::string, std::string>>* out) {
    JValue* j = get(obj, key, Want::kObject, p, /*required=*/false);
    if (j == nullptr) return;
    const PathNode jp = p.child(key);
    for (auto& [name, v] : j->members) {
      const PathNode vp = jp.child(name);
      if (v.is_string()) {
        out->emplace_back(name, std::move(v.str));
      } else if (v.is_array()) {
        for (size_t i = 0; i < v.items.size(); ++i) {
          if (check(v.items[i], Want::kString, vp.at(i))) out->emplace_back(name, std::move(v.items[i].str));
        }
      } else {
        fail(vp, "expected string or array of strings, got " + std::string(v.type_name()));
      }
    }
  }

  void read_headers(JValue& obj, const PathNode& p, Headers* out) {
    std::vector<std::pair<std::string, std::string>> pairs;
    read_pairs(obj, "headers", p, &pairs);
    for (auto& [k, v] : pairs) out->add(std::move(k), std::move(v));
  }

  void read_body(JValue& obj, const PathNode& p, RecordedBody* out);
  void read_chunks(JValue& obj, const PathNode& p, std::vector<RecordedChunk>* out);
  void read_request(JValue& obj, const PathNode& p, RecordedRequest* out);
  void read_response(JValue& obj, const PathNode& p, RecordedResponse* out);
  void read_interaction(JValue& obj, const PathNode& p, Interaction* out);
  void read_cassette(JValue& doc, Cassette* out);

 private:
  std::string_view text_;
  std::vector<FieldError>* errors_;
};

void Reader::read_body(JValue& obj, const PathNode& p, RecordedBody* out) {
  std::string enc_name;
  JValue* body = obj.find("body");
  get_string(obj, "body_encoding", p, /*required=*/body != nullptr, &enc_name);
  if (enc_name.empty()) {
    if (body != nullptr) return;  // missing body_encoding already reported (or wrong type)
    enc_name = "empty";
  }
  const auto enc = body_encoding_from_name(enc_name);
  if (!enc) {
    fail(p.child("body_encoding"), "unknown encoding \"" + enc_name + "\" (expected empty, json, text or base64)");
    return;
  }
  out->encoding = *enc;
  const JValue* indent_v = obj.find("body_indent");
  if (indent_v != nullptr && *enc != BodyEncoding::kJson) {
    fail(p.child("body_indent"), "only allowed with body_encoding \"json\"");
  }
  switch (*enc) {
    case BodyEncoding::kEmpty:
      if (body != nullptr) fail(p.child("body"), "must be absent with body_encoding \"empty\"");
      return;
    case BodyEncoding::kJson: {
      if (body == nullptr) {
        fail(p.child("body"), "missing required field");
        return;
      }
      int indent = -1;
      if (indent_v != nullptr && check(*indent_v, Want::kInteger, p.child("body_indent"))) {
        if (indent_v->int_value < -1 || indent_v->int_value > 16) fail(p.child("body_indent"), "must be -1 (compact) or 0..16");
        else indent = static_cast<int>(indent_v->int_value);
      }
      out->json_indent = indent;
      // The embedded value, re-serialized the way it was recorded (key order kept). The
      // fast serializer covers the common case; nlohmann handles floats and oddities.
      if (internal::dump_like_nlohmann(*body, indent, &out->bytes)) return;
      out->bytes.clear();
      auto j = internal::try_parse(text_.substr(body->begin, body->end - body->begin));
      if (!j) fail(p.child("body"), "invalid JSON value");
      else out->bytes = internal::dump_safe(*j, indent);
      return;
    }
    case BodyEncoding::kText:
      get_string(obj, "body", p, /*required=*/true, &out->bytes);
      return;
    case BodyEncoding::kBase64: {
      JValue* j = get(obj, "body", Want::kString, p, /*required=*/true);
      if (j == nullptr) return;
      auto decoded = ploke::base64_decode(j->str);
      if (!decoded) fail(p.child("body"), "invalid base64");
      else out->bytes = std::move(*decoded);
      return;
    }
  }
}

void Reader::read_chunks(JValue& obj, const PathNode& p, std::vector<RecordedChunk>* out) {
  JValue* arr = get(obj, "chunks", Want::kArray, p, /*required=*/true);
  if (arr == nullptr) return;
  const PathNode ap = p.child("chunks");
  out->reserve(arr->items.size());
  double prev = 0;
  for (size_t i = 0; i < arr->items.size(); ++i) {
    const PathNode cp = ap.at(i);
    JValue& c = arr->items[i];
    if (!check(c, Want::kObject, cp)) continue;
    check_keys(c, {"offset_ms", "data", "data_base64"}, cp);
    RecordedChunk chunk;
    chunk.offset_ms = -1;
    get_double(c, "offset_ms", cp, /*required=*/true, &chunk.offset_ms);
    if (chunk.offset_ms >= 0) {
      if (chunk.offset_ms < prev) fail(cp.child("offset_ms"), "decreases (previous chunk is at a later offset)");
      prev = std::max(prev, chunk.offset_ms);
    }
    JValue* text = c.find("data");
    JValue* b64 = c.find("data_base64");
    if ((text != nullptr) == (b64 != nullptr)) {
      fail(cp, text != nullptr ? "has both data and data_base64" : "missing required field data (or data_base64)");
    } else if (text != nullptr) {
      get_string(c, "data", cp, true, &chunk.data);
    } else if (check(*b64, Want::kString, cp.child("data_base64"))) {
      auto decoded = ploke::base64_decode(b64->str);
      if (!decoded) fail(cp.child("data_base64"), "invalid base64");
      else chunk.data = std::move(*decoded);
    }
    out->push_back(std::move(chunk));
  }
}

void Reader::read_request(JValue& obj, const PathNode& p, RecordedRequest* out) {
  check_keys(obj, {"method", "path", "query", "headers", "body_encoding", "body", "body_indent"}, p);
  out->method.clear();
  get_string(obj, "method", p, true, &out->method);
  const JValue* path = obj.find("path");
  get_string(obj, "path", p, true, &out->path);
  if (path != nullptr && path->is_string() && (out->path.empty() || out->path[0] != '/')) {
    fail(p.child("path"), "must start with '/'");
  }
  read_pairs(obj, "query", p, &out->query);
  read_headers(obj, p, &out->headers);
  read_body(obj, p, &out->body);
}

void Reader::read_response(JValue& obj, const PathNode& p, RecordedResponse* out) {
  check_keys(obj, {"status", "headers", "streamed", "first_byte_ms", "elapsed_ms", "ending",
                   "body_encoding", "body", "body_indent", "chunks"},
             p);
  if (JValue* s = get(obj, "status", Want::kInteger, p, true)) {
    if (s->int_value < 100 || s->int_value > 599) fail(p.child("status"), "must be an HTTP status (100..599)");
    else out->status = static_cast<int>(s->int_value);
  }
  read_headers(obj, p, &out->headers);
  if (JValue* s = get(obj, "streamed", Want::kBoolean, p, false)) out->streamed = s->boolean;
  get_double(obj, "first_byte_ms", p, false, &out->first_byte_ms);
  get_double(obj, "elapsed_ms", p, false, &out->elapsed_ms);
  std::string ending;
  get_string(obj, "ending", p, false, &ending);
  if (!ending.empty()) {
    if (auto e = ending_from_name(ending)) out->ending = *e;
    else fail(p.child("ending"), "unknown ending \"" + ending + "\" (expected complete, reset, close_no_reply or hang)");
  }
  if (out->streamed) {
    read_chunks(obj, p, &out->chunks);
    for (std::string_view k : {"body", "body_encoding", "body_indent"}) {
      if (obj.contains(k)) fail(p.child(k), "not allowed when streamed is true (use chunks)");
    }
  } else {
    if (obj.contains("chunks")) fail(p.child("chunks"), "only allowed when streamed is true");
    read_body(obj, p, &out->body);
  }
}

void Reader::read_interaction(JValue& obj, const PathNode& p, Interaction* out) {
  check_keys(obj, {"id", "recorded_at", "request", "response"}, p);
  get_string(obj, "id", p, false, &out->id);
  get_string(obj, "recorded_at", p, false, &out->recorded_at);
  if (JValue* r = get(obj, "request", Want::kObject, p, true)) read_request(*r, p.child("request"), &out->request);
  if (JValue* r = get(obj, "response", Want::kObject, p, true)) read_response(*r, p.child("response"), &out->response);
}

void Reader::read_cassette(JValue& doc, Cassette* out) {
  const PathNode root;
  if (!check(doc, Want::kObject, root)) return;
  std::string format;
  const JValue* format_v = doc.find("format");
  get_string(doc, "format", root, true, &format);
  if (format_v != nullptr && format_v->is_string() && format != kCassetteFormat) {
    fail(root.child("format"), "expected \"" + std::string(kCassetteFormat) + "\", got \"" + format + "\"");
    return;
  }
  JValue* v = get(doc, "version", Want::kInteger, root, true);
  if (v == nullptr) return;  // without a known version nothing else can be checked
  if (v->int_value != kCassetteVersion) {
    fail(root.child("version"), "unsupported version " + std::to_string(v->int_value) + " (this build reads version " +
                                    std::to_string(kCassetteVersion) + ")");
    return;
  }
  out->version = static_cast<int>(v->int_value);
  check_keys(doc, {"format", "version", "name", "provider", "protocol", "upstream", "recorded_at", "synthetic",
                   "interactions"},
             root);
  get_string(doc, "name", root, false, &out->name);
  get_string(doc, "provider", root, false, &out->provider);
  get_string(doc, "protocol", root, false, &out->protocol);
  get_string(doc, "upstream", root, false, &out->upstream);
  get_string(doc, "recorded_at", root, false, &out->recorded_at);
  if (JValue* s = get(doc, "synthetic", Want::kBoolean, root, false)) out->synthetic = s->boolean;
  JValue* arr = get(doc, "interactions", Want::kArray, root, true);
  if (arr == nullptr) return;
  const PathNode ip = root.child("interactions");
  out->interactions.resize(arr->items.size());
  for (size_t i = 0; i < arr->items.size(); ++i) {
    const PathNode p = ip.at(i);
    if (check(arr->items[i], Want::kObject, p)) read_interaction(arr->items[i], p, &out->interactions[i]);
  }
}

std::vector<FieldError> parse_into(std::string_view text, Cassette* out) {
  std::vector<FieldError> errors;
  JValue doc;
  internal::JParseError err;
  if (!internal::parse_fast_json(text, &doc, &err)) {
    errors.push_back(field_error("", err.to_string()));
    return errors;
  }
  try {
    Reader reader(text, &errors);
    Cassette c;
    reader.read_cassette(doc, &c);
    if (errors.empty() && out != nullptr) *out = std::move(c);
  } catch (const std::exception& e) {  // a bug or allocation failure: every access is type-checked
    errors.push_back(field_error("", std::string("internal error while reading: ") + e.what()));
  }
  return errors;
}

}  // namespace

std::vector<FieldError> validate_cassette_text(std::string_view text, Cassette* out) {
  return parse_into(text, out);
}

Status field_errors_status(std::string_view source_name, const std::vector<FieldError>& errors) {
  FieldErrors all{std::string(source_name)};
  for (const FieldError& e : errors) all.add(e);
  return all.to_status();
}

Result<Cassette> parse_cassette(std::string_view text, std::string_view source_name) {
  Cassette c;
  const auto errors = parse_into(text, &c);
  if (!errors.empty()) return field_errors_status(source_name, errors);
  return c;
}

// ------------------------------------------------------------------------------------------
// Writer
// ------------------------------------------------------------------------------------------

namespace {

using internal::append_number;

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void open(char c) { out_->push_back(c); first_.push_back(true); }
  void close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) newline();
    out_->push_back(c);
  }
  /// Starts a member "key": of the current object.
  void key(std::string_view k) {
    element();
    ploke::json::append_quoted(*out_, k);
    out_->append(": ");
  }
  /// Starts an element of the current array.
  void element() {
    if (!first_.back()) out_->push_back(',');
    first_.back() = false;
    newline();
  }
  void str(std::string_view s) { ploke::json::append_quoted(*out_, s); }
  void num(double d) { append_number(out_, d); }
  void integer(int64_t v) { out_->append(std::to_string(v)); }
  void boolean(bool b) { out_->append(b ? "true" : "false"); }
  /// Appends pre-rendered JSON (multi-line allowed) indented to the current depth.
  void raw_indented(std::string_view text) {
    const std::string pad(2 * first_.size(), ' ');
    for (char c : text) {
      out_->push_back(c);
      if (c == '\n') out_->append(pad);
    }
  }
  std::string* out() { return out_; }

 private:
  void newline() {
    out_->push_back('\n');
    out_->append(2 * first_.size(), ' ');
  }
  std::string* out_;
  std::vector<bool> first_;
};

void write_pairs(Writer& w, std::string_view key, const std::vector<std::pair<std::string, std::string>>& pairs) {
  w.key(key);
  w.open('{');
  // Group repeated names (set-cookie) into arrays, in order of first appearance.
  std::vector<bool> done(pairs.size(), false);
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (done[i]) continue;
    std::vector<size_t> same{i};
    for (size_t j = i + 1; j < pairs.size(); ++j) {
      if (!done[j] && pairs[j].first == pairs[i].first) {
        same.push_back(j);
        done[j] = true;
      }
    }
    w.key(pairs[i].first);
    if (same.size() == 1) {
      w.str(pairs[i].second);
    } else {
      w.out()->push_back('[');
      for (size_t k = 0; k < same.size(); ++k) {
        if (k > 0) w.out()->append(", ");
        w.str(pairs[same[k]].second);
      }
      w.out()->push_back(']');
    }
  }
  w.close('}');
}

void write_body(Writer& w, const RecordedBody& body) {
  if (body.bytes.empty()) {
    w.key("body_encoding");
    w.str("empty");
    return;
  }
  if (body.encoding == BodyEncoding::kJson) {
    // Embed only if re-serializing reproduces the bytes exactly; otherwise fall back.
    if (auto j = internal::try_parse(body.bytes);
        j && (j->is_object() || j->is_array()) && internal::dump_safe(*j, body.json_indent) == body.bytes) {
      w.key("body_encoding");
      w.str("json");
      if (body.json_indent != -1) {
        w.key("body_indent");
        w.integer(body.json_indent);
      }
      w.key("body");
      w.raw_indented(internal::dump_safe(*j, 2));
      return;
    }
  }
  const bool text = is_valid_utf8(body.bytes);
  w.key("body_encoding");
  w.str(text ? "text" : "base64");
  w.key("body");
  if (text) w.str(body.bytes);
  else w.str(ploke::base64_encode(body.bytes));
}

void write_request(Writer& w, const RecordedRequest& r) {
  w.key("request");
  w.open('{');
  w.key("method");
  w.str(r.method);
  w.key("path");
  w.str(r.path);
  if (!r.query.empty()) write_pairs(w, "query", r.query);
  write_pairs(w, "headers", internal::lower_header_names(r.headers).items());
  write_body(w, r.body);
  w.close('}');
}

void write_response(Writer& w, const RecordedResponse& r) {
  w.key("response");
  w.open('{');
  w.key("status");
  w.integer(r.status);
  write_pairs(w, "headers", internal::lower_header_names(r.headers).items());
  w.key("streamed");
  w.boolean(r.streamed);
  w.key("first_byte_ms");
  w.num(r.first_byte_ms);
  w.key("elapsed_ms");
  w.num(r.elapsed_ms);
  w.key("ending");
  w.str(ending_name(r.ending));
  if (r.streamed) {
    w.key("chunks");
    w.open('[');
    for (const auto& c : r.chunks) {
      w.element();
      std::string* out = w.out();
      out->append("{\"offset_ms\": ");
      append_number(out, c.offset_ms);
      if (is_valid_utf8(c.data)) {
        out->append(", \"data\": ");
        ploke::json::append_quoted(*out, c.data);
      } else {
        out->append(", \"data_base64\": ");
        ploke::json::append_quoted(*out, ploke::base64_encode(c.data));
      }
      out->push_back('}');
    }
    w.close(']');
  } else {
    write_body(w, r.body);
  }
  w.close('}');
}

}  // namespace

std::string serialize_cassette(const Cassette& c) {
  std::string out;
  size_t estimate = 512;
  for (const auto& i : c.interactions) {
    estimate += 512 + i.request.body.bytes.size() * 2 + i.response.body.bytes.size() * 2;
    for (const auto& ch : i.response.chunks) estimate += ch.data.size() + ch.data.size() / 4 + 40;
  }
  out.reserve(estimate);
  Writer w(&out);
  w.open('{');
  w.key("format");
  w.str(kCassetteFormat);
  w.key("version");
  w.integer(c.version);
  w.key("name");
  w.str(c.name);
  w.key("provider");
  w.str(c.provider);
  w.key("protocol");
  w.str(c.protocol);
  w.key("upstream");
  w.str(c.upstream);
  w.key("recorded_at");
  w.str(c.recorded_at);
  w.key("synthetic");
  w.boolean(c.synthetic);
  w.key("interactions");
  w.open('[');
  for (const auto& i : c.interactions) {
    w.element();
    w.open('{');
    w.key("id");
    w.str(i.id);
    w.key("recorded_at");
    w.str(i.recorded_at);
    write_request(w, i.request);
    write_response(w, i.response);
    w.close('}');
  }
  w.close(']');
  w.close('}');
  out.push_back('\n');
  return out;
}

}  // namespace ploke::codec
