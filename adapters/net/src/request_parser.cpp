// RequestParser and split_target(): see request_parser.h.
#include "request_parser.h"

#include <event2/http.h>

#include <climits>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace ploke::net::srv {

namespace {
RequestParser* self(http_parser* p) { return static_cast<RequestParser*>(p->data); }
}  // namespace

void RequestParser::reset(size_t max_body) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  max_body_ = max_body;
  message_done_ = too_large_ = continue_ = bad_version_ = false;
}

const http_parser_settings& RequestParser::settings() {
  static const http_parser_settings s = [] {
    http_parser_settings v;
    http_parser_settings_init(&v);
    v.on_message_begin = &RequestParser::on_message_begin;
    v.on_url = &RequestParser::on_url;
    v.on_header_field = &RequestParser::on_header_field;
    v.on_header_value = &RequestParser::on_header_value;
    v.on_headers_complete = &RequestParser::on_headers_complete;
    v.on_body = &RequestParser::on_body;
    v.on_message_complete = &RequestParser::on_message_complete;
    return v;
  }();
  return s;
}

RequestParser::Step RequestParser::parse(const char* data, size_t size, size_t* consumed) {
  *consumed = 0;
  while (*consumed < size) {
    const size_t n = http_parser_execute(&parser_, &settings(), data + *consumed, size - *consumed);
    *consumed += n;
    const http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (too_large_) return Step::kTooLarge;
    if (err == HPE_PAUSED) {
      http_parser_pause(&parser_, 0);
      if (message_done_) {
        message_done_ = false;
        return Step::kRequest;
      }
      continue;
    }
    if (err != HPE_OK) return Step::kMalformed;
    break;  // everything consumed, the request is incomplete
  }
  return Step::kNeedMore;
}

bool RequestParser::take_continue() { return std::exchange(continue_, false); }

int RequestParser::error_status() const {
  if (bad_version_) return 505;
  return HTTP_PARSER_ERRNO(&parser_) == HPE_HEADER_OVERFLOW ? 431 : 400;
}

std::string RequestParser::error_message() const {
  if (bad_version_) return "HTTP version not supported: this server speaks HTTP/1.0 and HTTP/1.1";
  return std::string("malformed HTTP request: ") + http_errno_description(HTTP_PARSER_ERRNO(&parser_));
}

void RequestParser::push_header() {
  if (!in_value_) return;
  req_.headers.add(std::move(field_), std::move(value_));
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int RequestParser::on_message_begin(http_parser* p) {
  RequestParser* r = self(p);
  r->field_.clear();
  r->value_.clear();
  r->in_value_ = false;
  r->req_.target.clear();
  r->req_.headers = Headers{};
  r->req_.body.clear();
  return 0;
}

int RequestParser::on_url(http_parser* p, const char* at, size_t n) {
  self(p)->req_.target.append(at, n);
  return 0;
}

int RequestParser::on_header_field(http_parser* p, const char* at, size_t n) {
  RequestParser* r = self(p);
  r->push_header();
  r->field_.append(at, n);
  return 0;
}

int RequestParser::on_header_value(http_parser* p, const char* at, size_t n) {
  RequestParser* r = self(p);
  r->in_value_ = true;
  r->value_.append(at, n);
  return 0;
}

int RequestParser::on_headers_complete(http_parser* p) {
  RequestParser* r = self(p);
  r->push_header();
  if (p->http_major != 1) {  // the parser takes any digit: HTTP/9.9 is not ours to answer
    r->bad_version_ = true;
    return -1;
  }
  const uint64_t cl = p->content_length;
  if (cl != ULLONG_MAX && cl > r->max_body_) {
    r->too_large_ = true;
    http_parser_pause(p, 1);
    return 0;
  }
  if (cl != ULLONG_MAX && cl > 0) r->req_.body.reserve(static_cast<size_t>(cl));
  if (auto e = r->req_.headers.get("expect"); e && iequals(*e, "100-continue") && p->http_minor >= 1) {
    r->continue_ = true;
  }
  return 0;
}

int RequestParser::on_body(http_parser* p, const char* at, size_t n) {
  RequestParser* r = self(p);
  if (r->req_.body.size() + n > r->max_body_) {
    r->too_large_ = true;
    http_parser_pause(p, 1);
    return 0;
  }
  r->req_.body.append(at, n);
  return 0;
}

int RequestParser::on_message_complete(http_parser* p) {
  RequestParser* r = self(p);
  r->message_done_ = true;
  r->keep_alive_ = http_should_keep_alive(p) != 0;
  r->http10_ = p->http_major == 1 && p->http_minor == 0;
  r->head_method_ = p->method == HTTP_HEAD;
  r->req_.method = http_method_str(static_cast<http_method>(p->method));
  r->req_.http_minor = p->http_minor;
  http_parser_pause(p, 1);
  return 0;
}

void split_target(Request& r) {
  std::string_view target = r.target.empty() ? std::string_view("/") : std::string_view(r.target);
  // Absolute-form targets ("http://host/path") are reduced to the path.
  if (target.substr(0, 4) == "http") {
    const size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      const size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (q == std::string_view::npos) r.query.clear();
  else r.query.assign(target.substr(q + 1));
  r.path.clear();
  if (path.find('%') != std::string_view::npos) {
    if (char* d = evhttp_decode_uri(std::string(path).c_str())) {
      r.path = d;
      std::free(d);
    }
  }
  if (r.path.empty()) r.path.assign(path);
}

}  // namespace ploke::net::srv
