// HAR 1.2 export/import (http://www.softwareishard.com/blog/har-12-spec/). Fields the HAR
// spec has no room for live in custom "_"-prefixed fields (allowed by the spec):
// log._ploke (cassette metadata), entry._ploke (id, encodings, ending, first byte),
// entry._chunks (stream chunks with offsets) — so cassette → HAR → cassette is lossless.
#include <algorithm>
#include <cmath>

#include "ploke/core/base64.h"
#include "cassette_internal.h"
#include "json_util.h"
#include "ploke/json/limits.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/tools.h"

namespace ploke::codec {

using internal::Json;

namespace {

constexpr std::string_view kEpoch = "1970-01-01T00:00:00.000Z";

Json header_list(const Headers& h) {
  Json arr = Json::array();
  for (const auto& [k, v] : h.items()) arr.push_back(Json{{"name", k}, {"value", v}});
  return arr;
}

std::string mime_of(const Headers& h, std::string_view fallback) {
  const auto ct = h.get("content-type");
  return ct ? std::string(*ct) : std::string(fallback);
}

/// HAR text field for bytes: plain when valid UTF-8, else base64 (flag set).
void put_text(Json& obj, const std::string& bytes, const char* encoding_key) {
  if (is_valid_utf8(bytes)) {
    obj["text"] = bytes;
  } else {
    obj["text"] = ploke::base64_encode(bytes);
    obj[encoding_key] = "base64";
  }
}

Json chunk_list(const std::vector<RecordedChunk>& chunks) {
  Json arr = Json::array();
  for (const auto& c : chunks) {
    Json j;
    j["offset_ms"] = c.offset_ms;
    if (is_valid_utf8(c.data)) j["data"] = c.data;
    else j["data_base64"] = ploke::base64_encode(c.data);
    arr.push_back(std::move(j));
  }
  return arr;
}

Json entry_to_har(const Cassette& c, const Interaction& in) {
  const RecordedRequest& rq = in.request;
  const RecordedResponse& rs = in.response;
  Json e;
  e["startedDateTime"] = !in.recorded_at.empty() ? in.recorded_at
                         : !c.recorded_at.empty() ? c.recorded_at
                                                  : std::string(kEpoch);
  e["time"] = rs.elapsed_ms;
  Json req;
  req["method"] = rq.method;
  std::string url = (c.upstream.empty() ? std::string("http://localhost") : c.upstream) + rq.path;
  if (!rq.query.empty()) url += "?" + encode_query(rq.query);
  req["url"] = url;
  req["httpVersion"] = "HTTP/1.1";
  req["cookies"] = Json::array();
  req["headers"] = header_list(rq.headers);
  Json qs = Json::array();
  for (const auto& [k, v] : rq.query) qs.push_back(Json{{"name", k}, {"value", v}});
  req["queryString"] = std::move(qs);
  if (!rq.body.bytes.empty()) {
    Json pd;
    pd["mimeType"] = mime_of(rq.headers, "application/octet-stream");
    put_text(pd, rq.body.bytes, "_encoding");
    req["postData"] = std::move(pd);
  }
  req["headersSize"] = -1;
  req["bodySize"] = rq.body.bytes.size();
  e["request"] = std::move(req);

  const std::string body = rs.body_bytes();
  Json res;
  res["status"] = rs.status;
  res["statusText"] = "";
  res["httpVersion"] = "HTTP/1.1";
  res["cookies"] = Json::array();
  res["headers"] = header_list(rs.headers);
  Json content;
  content["size"] = body.size();
  content["mimeType"] = mime_of(rs.headers, rs.streamed ? "text/event-stream" : "application/octet-stream");
  put_text(content, body, "encoding");
  res["content"] = std::move(content);
  res["redirectURL"] = "";
  res["headersSize"] = -1;
  res["bodySize"] = body.size();
  e["response"] = std::move(res);
  e["cache"] = Json::object();
  e["timings"] = Json{{"send", 0}, {"wait", rs.first_byte_ms}, {"receive", std::max(0.0, rs.elapsed_ms - rs.first_byte_ms)}};

  Json p;
  p["id"] = in.id;
  p["recorded_at"] = in.recorded_at;
  p["request_body_encoding"] = body_encoding_name(rq.body.encoding);
  p["request_body_indent"] = rq.body.json_indent;
  p["streamed"] = rs.streamed;
  if (!rs.streamed) {
    p["response_body_encoding"] = body_encoding_name(rs.body.encoding);
    p["response_body_indent"] = rs.body.json_indent;
  }
  p["first_byte_ms"] = rs.first_byte_ms;
  p["elapsed_ms"] = rs.elapsed_ms;
  p["ending"] = ending_name(rs.ending);
  e["_ploke"] = std::move(p);
  if (rs.streamed) e["_chunks"] = chunk_list(rs.chunks);
  return e;
}

}  // namespace

std::string cassette_to_har(const Cassette& c) {
  Json log;
  log["version"] = "1.2";
  log["creator"] = Json{{"name", "ploke-sim"}, {"version", "0.2.0"}};
  Json entries = Json::array();
  for (const auto& in : c.interactions) entries.push_back(entry_to_har(c, in));
  log["entries"] = std::move(entries);
  log["_ploke"] = Json{{"format", kCassetteFormat}, {"version", c.version},     {"name", c.name},
                       {"provider", c.provider},   {"protocol", c.protocol},   {"upstream", c.upstream},
                       {"recorded_at", c.recorded_at}, {"synthetic", c.synthetic}};
  Json doc;
  doc["log"] = std::move(log);
  return internal::dump_safe(doc, 2) + "\n";
}

// ------------------------------------------------------------------------------------------
// Import
// ------------------------------------------------------------------------------------------

namespace {

class HarReader {
 public:
  explicit HarReader(std::vector<FieldError>* errors) : errors_(errors) {}

  void fail(const std::string& path, std::string msg) { errors_->push_back(field_error(path, std::move(msg))); }

  const Json* get(const Json& obj, const char* key, const std::string& path, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) fail(path + "." + key, "missing required field");
      return nullptr;
    }
    return &*it;
  }
  std::string str(const Json& obj, const char* key, const std::string& path, bool required) {
    const Json* j = get(obj, key, path, required);
    if (j == nullptr) return {};
    if (!j->is_string()) {
      fail(path + "." + key, "expected string, got " + std::string(internal::json_type_name(*j)));
      return {};
    }
    return j->get<std::string>();
  }
  double num(const Json& obj, const char* key, const std::string& path, double dflt) {
    const Json* j = get(obj, key, path, false);
    if (j == nullptr) return dflt;
    if (!j->is_number()) {
      fail(path + "." + key, "expected number, got " + std::string(internal::json_type_name(*j)));
      return dflt;
    }
    return std::max(0.0, j->get<double>());
  }
  std::vector<std::pair<std::string, std::string>> pairs(const Json& obj, const char* key, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    const Json* arr = get(obj, key, path, false);
    if (arr == nullptr) return out;
    if (!arr->is_array()) {
      fail(path + "." + key, "expected array");
      return out;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = path + "." + key + "[" + std::to_string(i) + "]";
      if (!(*arr)[i].is_object()) {
        fail(p, "expected object");
        continue;
      }
      out.emplace_back(str((*arr)[i], "name", p, true), str((*arr)[i], "value", p, true));
    }
    return out;
  }
  std::string text_of(const Json& obj, const char* enc_key, const std::string& path) {
    std::string text = str(obj, "text", path, false);
    if (str(obj, enc_key, path, false) == "base64") {
      auto d = ploke::base64_decode(text);
      if (!d) fail(path + ".text", "invalid base64");
      else text = std::move(*d);
    }
    return text;
  }

  void entry(const Json& e, const std::string& path, std::string* upstream, Interaction* out);

 private:
  void request(const Json& req, const std::string& path, const Json* ploke, std::string* upstream,
               RecordedRequest& rq);
  void response(const Json& e, const Json& res, const std::string& path, const Json* ploke, RecordedResponse& rs);
  void chunks(const Json& chunks, const std::string& path, RecordedResponse& rs);

  std::vector<FieldError>* errors_;
};

/// Splits an absolute URL into "scheme://host[:port]" and the rest (path + query).
std::pair<std::string, std::string> split_url(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {"", url};
  const size_t slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

RecordedBody body_with(std::string bytes, const Json* ploke, const char* enc_key, const char* indent_key,
                       std::string_view mime) {
  if (ploke != nullptr && ploke->contains(enc_key) && (*ploke)[enc_key].is_string()) {
    if (auto enc = body_encoding_from_name((*ploke)[enc_key].get<std::string>())) {
      RecordedBody b;
      b.encoding = bytes.empty() ? BodyEncoding::kEmpty : *enc;
      b.bytes = std::move(bytes);
      if (ploke->contains(indent_key) && (*ploke)[indent_key].is_number_integer()) {
        b.json_indent = (*ploke)[indent_key].get<int>();
      }
      return b;
    }
  }
  return make_recorded_body(std::move(bytes), mime);
}

void HarReader::entry(const Json& e, const std::string& path, std::string* upstream, Interaction* out) {
  const Json* ploke = e.contains("_ploke") && e["_ploke"].is_object() ? &e["_ploke"] : nullptr;
  const Json* req = get(e, "request", path, true);
  const Json* res = get(e, "response", path, true);
  if (req == nullptr || res == nullptr) return;
  if (!req->is_object() || !res->is_object()) {
    fail(path, "request and response must be objects");
    return;
  }
  out->recorded_at = str(e, "startedDateTime", path, false);
  if (ploke != nullptr) {
    if ((*ploke).contains("id") && (*ploke)["id"].is_string()) out->id = (*ploke)["id"].get<std::string>();
    if ((*ploke).contains("recorded_at") && (*ploke)["recorded_at"].is_string()) {
      out->recorded_at = (*ploke)["recorded_at"].get<std::string>();
    }
  }
  request(*req, path + ".request", ploke, upstream, out->request);
  response(e, *res, path, ploke, out->response);
}

// entries[i].request: the URL relative to the upstream (the first entry's origin), query,
// headers (names in lower case) and the body.
void HarReader::request(const Json& req, const std::string& rp, const Json* ploke, std::string* upstream,
                        RecordedRequest& rq) {
  rq.method = str(req, "method", rp, true);
  const std::string url = str(req, "url", rp, true);
  std::string target;
  if (!upstream->empty() && url.rfind(*upstream, 0) == 0) {
    target = url.substr(upstream->size());
  } else {
    auto [base, rest] = split_url(url);
    if (upstream->empty() && base != "http://localhost") *upstream = base;
    target = std::move(rest);
  }
  auto [p, q] = split_path_query(target);
  rq.path = p.empty() ? "/" : p;
  rq.query = req.contains("queryString") ? pairs(req, "queryString", rp) : q;
  for (auto& [k, v] : pairs(req, "headers", rp)) rq.headers.add(internal::lower_header_name(k), std::move(v));
  if (const Json* pd = get(req, "postData", rp, false); pd != nullptr && pd->is_object()) {
    std::string bytes = text_of(*pd, "_encoding", rp + ".postData");
    rq.body = body_with(std::move(bytes), ploke, "request_body_encoding", "request_body_indent",
                        str(*pd, "mimeType", rp + ".postData", false));
  }
}

// entries[i].response plus the entry's timings and ploke's extensions (_ploke, _chunks).
void HarReader::response(const Json& e, const Json& res, const std::string& path, const Json* ploke,
                         RecordedResponse& rs) {
  const std::string sp = path + ".response";
  const Json* st = get(res, "status", sp, true);
  if (st != nullptr && (!st->is_number_integer() || st->get<int64_t>() < 100 || st->get<int64_t>() > 599)) {
    fail(sp + ".status", "expected an HTTP status (integer 100..599)");
  } else if (st != nullptr) {
    rs.status = st->get<int>();
  }
  for (auto& [k, v] : pairs(res, "headers", sp)) rs.headers.add(internal::lower_header_name(k), std::move(v));
  std::string body;
  std::string mime;
  if (const Json* content = get(res, "content", sp, false); content != nullptr && content->is_object()) {
    body = text_of(*content, "encoding", sp + ".content");
    mime = str(*content, "mimeType", sp + ".content", false);
  }
  rs.elapsed_ms = num(e, "time", path, 0);
  rs.first_byte_ms = 0;
  if (const Json* t = get(e, "timings", path, false); t != nullptr && t->is_object()) {
    rs.first_byte_ms = num(*t, "wait", path + ".timings", 0);
  }
  if (ploke != nullptr) {
    rs.first_byte_ms = num(*ploke, "first_byte_ms", path + "._ploke", rs.first_byte_ms);
    rs.elapsed_ms = num(*ploke, "elapsed_ms", path + "._ploke", rs.elapsed_ms);
    const std::string ending = str(*ploke, "ending", path + "._ploke", false);
    for (Ending en : {Ending::kComplete, Ending::kReset, Ending::kCloseNoReply, Ending::kHang}) {
      if (ending_name(en) == ending) rs.ending = en;
    }
  }
  const Json* chunk_list = get(e, "_chunks", path, false);
  const bool sse = mime.find("text/event-stream") != std::string::npos;
  rs.streamed = chunk_list != nullptr || (ploke != nullptr && ploke->value("streamed", false)) || sse;
  if (!rs.streamed) {
    rs.body = body_with(std::move(body), ploke, "response_body_encoding", "response_body_indent", mime);
  } else if (chunk_list == nullptr || !chunk_list->is_array()) {
    // A foreign HAR: the stream arrived as one text; keep it as one chunk at the first byte.
    if (!body.empty()) rs.chunks.push_back(RecordedChunk{rs.first_byte_ms, std::move(body)});
  } else {
    chunks(*chunk_list, path, rs);
  }
}

// _chunks: ploke's stream chunks with their offsets (text, or base64 for binary data).
void HarReader::chunks(const Json& list, const std::string& path, RecordedResponse& rs) {
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string cp = path + "._chunks[" + std::to_string(i) + "]";
    const Json& c = list[i];
    if (!c.is_object()) {
      fail(cp, "expected object");
      continue;
    }
    RecordedChunk rc;
    rc.offset_ms = num(c, "offset_ms", cp, 0);
    if (c.contains("data_base64")) {
      auto d = ploke::base64_decode(str(c, "data_base64", cp, true));
      if (!d) fail(cp + ".data_base64", "invalid base64");
      else rc.data = std::move(*d);
    } else {
      rc.data = str(c, "data", cp, true);
    }
    rs.chunks.push_back(std::move(rc));
  }
}

}  // namespace

Result<Cassette> har_to_cassette(std::string_view har_text, std::string_view source_name) {
  std::vector<FieldError> errors;
  Cassette c;
  if (Status st = ploke::json::check_json_limits(har_text); !st.ok()) {
    return Status(StatusCode::kInvalidRequest, std::string(source_name) + ": " + st.message());
  }
  try {
    Json doc = Json::parse(har_text.begin(), har_text.end());
    HarReader r(&errors);
    const Json* log = doc.is_object() ? r.get(doc, "log", "", true) : nullptr;
    if (!doc.is_object()) r.fail("", "expected a HAR object");
    if (log != nullptr && log->is_object()) {
      if (const Json* meta = r.get(*log, "_ploke", "log", false); meta != nullptr && meta->is_object()) {
        c.name = r.str(*meta, "name", "log._ploke", false);
        c.provider = r.str(*meta, "provider", "log._ploke", false);
        c.protocol = r.str(*meta, "protocol", "log._ploke", false);
        c.upstream = r.str(*meta, "upstream", "log._ploke", false);
        c.recorded_at = r.str(*meta, "recorded_at", "log._ploke", false);
        c.synthetic = meta->value("synthetic", false);
      }
      const Json* entries = r.get(*log, "entries", "log", true);
      if (entries != nullptr && !entries->is_array()) r.fail("log.entries", "expected array");
      std::string upstream = c.upstream;
      if (entries != nullptr && entries->is_array()) {
        for (size_t i = 0; i < entries->size(); ++i) {
          const std::string p = "log.entries[" + std::to_string(i) + "]";
          if (!(*entries)[i].is_object()) {
            r.fail(p, "expected object");
            continue;
          }
          r.entry((*entries)[i], p, &upstream, &c.interactions.emplace_back());
        }
      }
      if (c.upstream.empty()) c.upstream = upstream;
    } else if (log != nullptr) {
      r.fail("log", "expected object");
    }
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    const size_t close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    errors.push_back(field_error("", "JSON syntax error at byte " + std::to_string(std::min<size_t>(e.byte, har_text.size())) + ": " + what));
  } catch (const std::exception& e) {
    errors.push_back(field_error("", std::string("HAR error: ") + e.what()));
  }
  if (!errors.empty()) return field_errors_status(source_name, errors);
  return c;
}

}  // namespace ploke::codec
