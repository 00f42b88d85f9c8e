// WireMock stub mappings (spec: cassettes/README.md, "Interop"): a mapping is
// {"request": {"method", "url" | "urlPath" + "queryParameters", "headers", "bodyPatterns"},
//  "response": {"status", "headers", "body" | "jsonBody" | "base64Body",
//               "fixedDelayMilliseconds", "chunkedDribbleDelay", "fault"}}.
// Only exact matchers import (a recording is one concrete request); anything that would
// replay differently from WireMock (regex URLs, body files, templating) is an error naming
// the field.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cassette_internal.h"
#include "interop_internal.h"
#include "json_util.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/interop.h"
#include "ploke/codec/matcher.h"
#include "ploke/core/base64.h"
#include "ploke/core/file_io.h"
#include "ploke/json/limits.h"

namespace ploke::codec {

using internal::Json;

namespace {

class WireMockReader {
 public:
  explicit WireMockReader(std::vector<FieldError>* errors) : errors_(errors) {}

  void fail(const std::string& path, std::string msg) { errors_->push_back(field_error(path, std::move(msg))); }

  const Json* get(const Json& obj, const char* key) const {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  std::string str(const Json& obj, const char* key, const std::string& path, bool required) {
    const Json* j = get(obj, key);
    if (j == nullptr) {
      if (required) fail(path + "." + key, "missing required field");
      return {};
    }
    if (!j->is_string()) {
      fail(path + "." + key, "expected string, got " + std::string(internal::json_type_name(*j)));
      return {};
    }
    return j->get<std::string>();
  }
  /// The value of an exact matcher {"equalTo": "v"}; other matchers are errors.
  std::string equal_to(const Json& m, const std::string& path) {
    if (m.is_object() && m.size() == 1 && m.contains("equalTo") && m["equalTo"].is_string()) {
      return m["equalTo"].get<std::string>();
    }
    fail(path, "only {\"equalTo\": \"...\"} matchers import (a recording is one concrete request)");
    return {};
  }
  double millis(const Json& obj, const char* key, const std::string& path) {
    const Json* j = get(obj, key);
    if (j == nullptr) return 0;
    if (!j->is_number() || j->get<double>() < 0) {
      fail(path + "." + key, "expected a number of milliseconds >= 0");
      return 0;
    }
    return j->get<double>();
  }

  void mapping(const Json& m, const std::string& path, std::string* upstream, Interaction* out);

 private:
  void request(const Json& rq, const std::string& path, std::string* upstream, RecordedRequest* out);
  void request_body(const Json& patterns, const std::string& path, RecordedRequest* out);
  void response(const Json& rs, const std::string& path, RecordedResponse* out);
  std::string response_body(const Json& rs, const std::string& path);
  void timing(const Json& rs, const std::string& path, RecordedResponse* out);

  std::vector<FieldError>* errors_;
};

void WireMockReader::mapping(const Json& m, const std::string& path, std::string* upstream, Interaction* out) {
  const Json* rq = get(m, "request");
  const Json* rs = get(m, "response");
  if (rq == nullptr || !rq->is_object()) fail(path + ".request", rq ? "expected object" : "missing required field");
  if (rs == nullptr || !rs->is_object()) fail(path + ".response", rs ? "expected object" : "missing required field");
  if (rq == nullptr || rs == nullptr || !rq->is_object() || !rs->is_object()) return;
  request(*rq, path + ".request", upstream, &out->request);
  response(*rs, path + ".response", &out->response);
}

void WireMockReader::request(const Json& rq, const std::string& path, std::string* upstream, RecordedRequest* out) {
  out->method = str(rq, "method", path, true);
  if (out->method == "ANY") fail(path + ".method", "ANY cannot be replayed as a recording: name the method");
  for (const char* k : {"urlPattern", "urlPathPattern", "urlPathTemplate"}) {
    if (rq.contains(k)) fail(path + "." + k, "pattern URLs do not import: use url or urlPath");
  }
  if (rq.contains("url")) {
    interop::set_request_target(str(rq, "url", path, true), upstream, out);
  } else if (rq.contains("urlPath")) {
    interop::set_request_target(str(rq, "urlPath", path, true), upstream, out);
  } else if (!rq.contains("urlPattern") && !rq.contains("urlPathPattern") && !rq.contains("urlPathTemplate")) {
    fail(path + ".url", "missing required field (url or urlPath)");
  }
  if (const Json* q = get(rq, "queryParameters"); q != nullptr) {
    if (!q->is_object()) fail(path + ".queryParameters", "expected object");
    else for (const auto& [k, v] : q->items()) out->query.emplace_back(k, equal_to(v, path + ".queryParameters." + k));
  }
  if (const Json* h = get(rq, "headers"); h != nullptr) {
    if (!h->is_object()) fail(path + ".headers", "expected object");
    else for (const auto& [k, v] : h->items()) out->headers.add(internal::lower_header_name(k), equal_to(v, path + ".headers." + k));
  }
  if (const Json* b = get(rq, "bodyPatterns"); b != nullptr) request_body(*b, path + ".bodyPatterns", out);
}

void WireMockReader::request_body(const Json& patterns, const std::string& path, RecordedRequest* out) {
  if (!patterns.is_array()) {
    fail(path, "expected array");
    return;
  }
  for (size_t i = 0; i < patterns.size(); ++i) {
    const std::string p = index_path(path, i);
    const Json& pat = patterns[i];
    std::string bytes;
    std::string type = "application/json";
    if (pat.is_object() && pat.contains("equalToJson")) {
      const Json& v = pat["equalToJson"];
      bytes = v.is_string() ? v.get<std::string>() : internal::dump_safe(v);
    } else if (pat.is_object() && pat.contains("equalTo") && pat["equalTo"].is_string()) {
      bytes = pat["equalTo"].get<std::string>();
      type.clear();
    } else if (pat.is_object() && pat.contains("binaryEqualTo") && pat["binaryEqualTo"].is_string()) {
      auto d = ploke::base64_decode(pat["binaryEqualTo"].get<std::string>());
      if (!d) fail(p + ".binaryEqualTo", "invalid base64");
      bytes = d.value_or("");
      type = "application/octet-stream";
    } else {
      fail(p, "only equalToJson, equalTo and binaryEqualTo body patterns import");
      continue;
    }
    if (i > 0) {
      fail(p, "one body pattern per mapping imports (a recording has one body)");
      continue;
    }
    const auto ct = out->headers.get("content-type");
    out->body = make_recorded_body(std::move(bytes), ct ? std::string(*ct) : type);
  }
}

void WireMockReader::response(const Json& rs, const std::string& path, RecordedResponse* out) {
  if (const Json* st = get(rs, "status"); st != nullptr) {
    if (!st->is_number_integer() || st->get<int64_t>() < 100 || st->get<int64_t>() > 599) {
      fail(path + ".status", "expected an HTTP status (integer 100..599)");
    } else {
      out->status = st->get<int>();
    }
  }
  if (const Json* h = get(rs, "headers"); h != nullptr) {
    if (!h->is_object()) fail(path + ".headers", "expected object");
    else for (const auto& [k, v] : h->items()) {
      if (interop::is_framing_header(k)) continue;
      if (v.is_string()) out->headers.add(internal::lower_header_name(k), v.get<std::string>());
      else if (v.is_array()) for (const auto& e : v) out->headers.add(internal::lower_header_name(k), e.is_string() ? e.get<std::string>() : internal::dump_safe(e));
      else fail(path + ".headers." + k, "expected a string or an array of strings");
    }
  }
  for (const char* k : {"bodyFileName", "transformers", "proxyBaseUrl"}) {
    if (rs.contains(k)) fail(path + "." + k, "does not import: inline the body as body, jsonBody or base64Body");
  }
  if (const Json* f = get(rs, "fault"); f != nullptr) {
    const std::string fault = f->is_string() ? f->get<std::string>() : std::string();
    if (fault == "CONNECTION_RESET_BY_PEER") out->ending = Ending::kReset;
    else if (fault == "EMPTY_RESPONSE") out->ending = Ending::kCloseNoReply;
    else fail(path + ".fault", "only CONNECTION_RESET_BY_PEER and EMPTY_RESPONSE import");
  }
  out->first_byte_ms = millis(rs, "fixedDelayMilliseconds", path);
  out->elapsed_ms = out->first_byte_ms;
  interop::set_response_body(response_body(rs, path), out);
  timing(rs, path, out);
}

std::string WireMockReader::response_body(const Json& rs, const std::string& path) {
  if (const Json* j = get(rs, "jsonBody"); j != nullptr) return internal::dump_safe(*j);
  if (rs.contains("base64Body")) {
    auto d = ploke::base64_decode(str(rs, "base64Body", path, true));
    if (!d) fail(path + ".base64Body", "invalid base64");
    return d.value_or("");
  }
  return str(rs, "body", path, false);
}

// chunkedDribbleDelay {numberOfChunks, totalDuration}: a stream's events spread evenly over
// totalDuration after the fixed delay (event k of n at first_byte + total * (k + 1) / n).
void WireMockReader::timing(const Json& rs, const std::string& path, RecordedResponse* out) {
  const Json* d = get(rs, "chunkedDribbleDelay");
  if (d == nullptr) return;
  if (!d->is_object()) {
    fail(path + ".chunkedDribbleDelay", "expected object");
    return;
  }
  const double total = millis(*d, "totalDuration", path + ".chunkedDribbleDelay");
  out->elapsed_ms = out->first_byte_ms + total;
  const size_t n = out->chunks.size();
  for (size_t k = 0; k < n; ++k) {
    out->chunks[k].offset_ms = out->first_byte_ms + total * static_cast<double>(k + 1) / static_cast<double>(n);
  }
}

/// Parses one document into `doc`; a syntax error names the line and column.
bool parse_document(const WireMockDocument& d, Json* doc, std::vector<FieldError>* errors) {
  if (Status st = ploke::json::check_json_limits(d.text); !st.ok()) {
    errors->push_back(field_error("", st.message()));
    return false;
  }
  try {
    *doc = Json::parse(d.text.begin(), d.text.end());
    return true;
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    const size_t close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    const size_t at = e.byte > 0 ? e.byte - 1 : 0;
    errors->push_back(field_error("", "JSON syntax error at " + interop::line_column(d.text, at) + ": " + what));
  }
  return false;
}

}  // namespace

Result<Cassette> wiremock_to_cassette(const std::vector<WireMockDocument>& documents) {
  Cassette c;
  for (const WireMockDocument& d : documents) {
    std::vector<FieldError> errors;
    Json doc;
    if (parse_document(d, &doc, &errors)) {
      WireMockReader r(&errors);
      const bool many = doc.is_object() && doc.contains("mappings");
      if (!doc.is_object() || (!many && !doc.contains("request"))) {
        r.fail("", "expected a stub mapping ({\"request\": …, \"response\": …}) or {\"mappings\": [...]}");
      } else if (many && !doc["mappings"].is_array()) {
        r.fail("mappings", "expected array");
      } else if (many) {
        for (size_t i = 0; i < doc["mappings"].size(); ++i) {
          r.mapping(doc["mappings"][i], index_path("mappings", i), &c.upstream, &c.interactions.emplace_back());
        }
      } else {
        r.mapping(doc, "", &c.upstream, &c.interactions.emplace_back());
      }
    }
    if (!errors.empty()) return field_errors_status(d.source, errors);
  }
  for (size_t i = 0; i < c.interactions.size(); ++i) {
    char id[24];
    std::snprintf(id, sizeof id, "%04zu", i + 1);
    c.interactions[i].id = id;
  }
  return c;
}

Result<Cassette> load_wiremock(const std::string& file_or_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  if (!fs::is_directory(file_or_dir, ec)) {
    files.push_back(file_or_dir);
  } else {
    const fs::path dir = fs::is_directory(fs::path(file_or_dir) / "mappings", ec) ? fs::path(file_or_dir) / "mappings"
                                                                                  : fs::path(file_or_dir);
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".json" && e.is_regular_file(ec)) files.push_back(e.path().string());
    }
    if (ec) return Status(StatusCode::kInternal, "cannot list " + dir.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return Status(StatusCode::kNotFound, dir.string() + ": no *.json stub mapping in this directory");
  }
  std::vector<WireMockDocument> docs;
  for (const auto& f : files) {
    PLOKE_ASSIGN_OR_RETURN(std::string text, ploke::read_file(f));
    docs.push_back(WireMockDocument{f, std::move(text)});
  }
  return wiremock_to_cassette(docs);
}

// ------------------------------------------------------------------------------------------
// Export
// ------------------------------------------------------------------------------------------

namespace {

bool unique_query_names(const QueryParams& q) {
  for (size_t i = 0; i < q.size(); ++i) {
    for (size_t j = i + 1; j < q.size(); ++j) {
      if (q[i].first == q[j].first) return false;
    }
  }
  return true;
}

Json wiremock_request(const RecordedRequest& rq) {
  Json r;
  r["method"] = rq.method;
  if (rq.query.empty() || !unique_query_names(rq.query)) {
    r["url"] = rq.path + (rq.query.empty() ? "" : "?" + encode_query(rq.query));
  } else {
    r["urlPath"] = rq.path;
    Json q = Json::object();
    for (const auto& [k, v] : rq.query) q[k] = Json{{"equalTo", v}};
    r["queryParameters"] = std::move(q);
  }
  Json h = Json::object();
  for (const auto& [k, v] : rq.headers.items()) {
    // A placeholder never matches live traffic; a second value has no exact matcher.
    if (v.find("[REDACTED") != std::string::npos || h.contains(k)) continue;
    h[k] = Json{{"equalTo", v}};
  }
  if (!h.empty()) r["headers"] = std::move(h);
  if (!rq.body.bytes.empty()) {
    Json pattern;
    if (auto j = internal::try_parse(rq.body.bytes); j && (j->is_object() || j->is_array())) {
      pattern["equalToJson"] = std::move(*j);
    } else if (is_valid_utf8(rq.body.bytes)) {
      pattern["equalTo"] = rq.body.bytes;
    } else {
      pattern["binaryEqualTo"] = ploke::base64_encode(rq.body.bytes);
    }
    r["bodyPatterns"] = Json::array({std::move(pattern)});
  }
  return r;
}

Json wiremock_headers(const Headers& headers) {
  Json h = Json::object();
  for (const auto& [k, v] : headers.items()) {
    if (interop::is_framing_header(k)) continue;
    if (!h.contains(k)) h[k] = v;
    else if (h[k].is_string()) h[k] = Json::array({h[k], v});
    else h[k].push_back(v);
  }
  return h;
}

Json wiremock_response(const RecordedResponse& rs) {
  Json r;
  r["status"] = rs.status;
  Headers headers = rs.headers;
  const std::string body = interop::joined_body(rs, &headers);
  Json h = wiremock_headers(headers);
  if (!h.empty()) r["headers"] = std::move(h);
  if (!rs.streamed && rs.body.encoding == BodyEncoding::kJson) {
    if (auto j = internal::try_parse(body)) r["jsonBody"] = std::move(*j);
  }
  if (!r.contains("jsonBody") && !body.empty()) {
    if (is_valid_utf8(body)) r["body"] = body;
    else r["base64Body"] = ploke::base64_encode(body);
  }
  const double delay = rs.streamed ? rs.first_byte_ms : rs.elapsed_ms;
  if (std::llround(delay) > 0) r["fixedDelayMilliseconds"] = std::llround(delay);
  if (rs.streamed && !rs.chunks.empty() && std::llround(rs.elapsed_ms - rs.first_byte_ms) > 0) {
    r["chunkedDribbleDelay"] = Json{{"numberOfChunks", rs.chunks.size()},
                                    {"totalDuration", std::llround(rs.elapsed_ms - rs.first_byte_ms)}};
  }
  if (body.empty() && rs.ending == Ending::kReset) r["fault"] = "CONNECTION_RESET_BY_PEER";
  if (body.empty() && rs.ending == Ending::kCloseNoReply) r["fault"] = "EMPTY_RESPONSE";
  return r;
}

/// Repeated identical requests (same match key) answer in recorded order through a
/// WireMock scenario: the k-th of n requires state "k" ("Started" for the first) and moves
/// to "k+1"; the last keeps its state, so it repeats (as replay's after-last "repeat").
struct ScenarioStep {
  std::string name;  ///< empty: the request is not repeated
  size_t k = 0;
  size_t n = 1;
};

std::vector<ScenarioStep> scenario_steps(const Cassette& c) {
  std::vector<std::string> keys;
  for (const auto& in : c.interactions) keys.push_back(canonical_request_key(in.request, MatchOptions{}));
  std::vector<ScenarioStep> steps(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    size_t first = i;
    for (size_t j = 0; j < i; ++j) {
      if (keys[j] == keys[i]) {
        first = j;
        break;
      }
    }
    size_t k = 0, n = 0;
    for (size_t j = 0; j < keys.size(); ++j) {
      if (keys[j] != keys[i]) continue;
      if (j < i) ++k;
      ++n;
    }
    if (n > 1) steps[i] = ScenarioStep{"ploke-" + std::to_string(first + 1), k, n};
  }
  return steps;
}

Json wiremock_mapping(const Interaction& in, const ScenarioStep& step) {
  Json m;
  m["name"] = (in.id.empty() ? std::string() : in.id + " ") + in.request.method + " " + in.request.path;
  m["request"] = wiremock_request(in.request);
  m["response"] = wiremock_response(in.response);
  if (!step.name.empty()) {
    m["scenarioName"] = step.name;
    m["requiredScenarioState"] = step.k == 0 ? std::string("Started") : std::to_string(step.k + 1);
    if (step.k + 1 < step.n) m["newScenarioState"] = std::to_string(step.k + 2);
  }
  return m;
}

/// "0001-post-v1-chat-completions.json".
std::string mapping_file_name(size_t index, const Interaction& in) {
  char prefix[24];
  std::snprintf(prefix, sizeof prefix, "%04zu", index + 1);
  std::string slug;
  for (char ch : in.request.method + "-" + in.request.path) {
    const bool alnum = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    if (alnum) slug += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    else if (!slug.empty() && slug.back() != '-') slug += '-';
    if (slug.size() >= 60) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return std::string(prefix) + (slug.empty() ? "" : "-" + slug) + ".json";
}

}  // namespace

std::string cassette_to_wiremock(const Cassette& c) {
  Json mappings = Json::array();
  const std::vector<ScenarioStep> steps = scenario_steps(c);
  for (size_t i = 0; i < c.interactions.size(); ++i) mappings.push_back(wiremock_mapping(c.interactions[i], steps[i]));
  Json doc;
  doc["mappings"] = std::move(mappings);
  return internal::dump_safe(doc, 2) + "\n";
}

std::vector<WireMockDocument> cassette_to_wiremock_files(const Cassette& c) {
  std::vector<WireMockDocument> out;
  const std::vector<ScenarioStep> steps = scenario_steps(c);
  for (size_t i = 0; i < c.interactions.size(); ++i) {
    out.push_back(WireMockDocument{mapping_file_name(i, c.interactions[i]),
                                   internal::dump_safe(wiremock_mapping(c.interactions[i], steps[i]), 2) + "\n"});
  }
  return out;
}

}  // namespace ploke::codec
