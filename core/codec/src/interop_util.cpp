// Helpers shared by the VCR and WireMock converters, and split_sse_events().
#include <algorithm>

#include "interop_internal.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/codec/interop.h"
#include "ploke/core/ascii.h"

namespace ploke::codec {

std::vector<RecordedChunk> split_sse_events(std::string_view body, double offset_ms) {
  std::vector<RecordedChunk> out;
  size_t start = 0;
  while (start < body.size()) {
    const size_t lf = body.find("\n\n", start);
    const size_t crlf = body.find("\r\n\r\n", start);
    size_t end = std::string_view::npos;
    if (lf != std::string_view::npos) end = lf + 2;
    if (crlf != std::string_view::npos && crlf + 4 <= end) end = crlf + 4;
    if (end == std::string_view::npos) end = body.size();
    out.push_back(RecordedChunk{offset_ms, std::string(body.substr(start, end - start))});
    start = end;
  }
  return out;
}

namespace interop {

std::pair<std::string, std::string> split_origin(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {"", std::string(url.empty() ? "/" : url)};
  const size_t slash = url.find_first_of("/?", scheme + 3);
  if (slash == std::string_view::npos) return {std::string(url), "/"};
  std::string rest(url.substr(slash));
  if (rest.front() == '?') rest.insert(rest.begin(), '/');
  return {std::string(url.substr(0, slash)), std::move(rest)};
}

void set_request_target(std::string_view url, std::string* upstream, RecordedRequest* request) {
  std::string target;
  if (!upstream->empty() && url.substr(0, upstream->size()) == *upstream &&
      (url.size() == upstream->size() || url[upstream->size()] == '/' || url[upstream->size()] == '?')) {
    target = std::string(url.substr(upstream->size()));
  } else {
    auto [origin, rest] = split_origin(url);
    if (upstream->empty() && origin != "http://localhost") *upstream = origin;
    target = std::move(rest);
  }
  auto [path, query] = split_path_query(target);
  request->path = path.empty() ? "/" : path;
  request->query = std::move(query);
}

std::string request_url(const Cassette& cassette, const RecordedRequest& request) {
  std::string url = (cassette.upstream.empty() ? std::string("http://localhost") : cassette.upstream) + request.path;
  if (!request.query.empty()) url += "?" + encode_query(request.query);
  return url;
}

std::string line_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t col = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

bool is_framing_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection") ||
         iequals(name, "keep-alive");
}

bool is_event_stream(const Headers& headers) {
  const auto type = headers.get("content-type");
  return type && type->find("text/event-stream") != std::string_view::npos;
}

void set_response_body(std::string body, RecordedResponse* response) {
  if (is_event_stream(response->headers)) {
    response->streamed = true;
    response->chunks = split_sse_events(body, response->first_byte_ms);
    return;
  }
  const auto type = response->headers.get("content-type");
  response->body = make_recorded_body(std::move(body), type ? *type : std::string_view{});
}

std::string joined_body(const RecordedResponse& response, Headers* headers) {
  if (response.streamed && !is_event_stream(*headers)) headers->add("content-type", "text/event-stream");
  return response.body_bytes();
}

}  // namespace interop
}  // namespace ploke::codec
