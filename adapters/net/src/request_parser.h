// File: adapters/net/src/request_parser.h (private to ploke::net)
//
// RequestParser: the HttpServer's HTTP/1.1 request parsing, without a socket: http-parser
// 2.9 callbacks that assemble a Request (method, target, headers as received, de-chunked
// body), the body-size limit, and the `Expect: 100-continue` signal. split_target() then
// derives Request::path and Request::query from the target. The server (http_server.cpp)
// feeds it a connection's buffered input; the fuzz harness feeds it arbitrary bytes.
//
// parse() stops after each complete request (pipelined input stays unconsumed), so the
// server can answer one request before the next is parsed. After kTooLarge or kMalformed
// the parser is spent: the server answers 413 / error_status() and closes.
//
// Thread-safety: one per connection, used on its loop thread only.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "ploke/net/http_server.h"

namespace ploke::net::srv {

class RequestParser {
 public:
  enum class Step : uint8_t {
    kNeedMore,   ///< every byte consumed, the request is not complete yet
    kRequest,    ///< a complete request: request() and the flags below describe it
    kTooLarge,   ///< the body is over max_body (declared or received)
    kMalformed,  ///< not HTTP/1.x: error_status() (400, 431, 505) and error_message()
  };

  explicit RequestParser(size_t max_body = 0) { reset(max_body); }
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  /// Starts over (a new connection) with this body limit.
  void reset(size_t max_body);
  /// Parses from the start of `data`; `*consumed` = the bytes used (the rest belongs to
  /// the next request, or is garbage after an error).
  Step parse(const char* data, size_t size, size_t* consumed);

  /// The request of the last kRequest (target, headers, body, method, http_minor). The
  /// caller may move fields out; the next request starts from a clean one.
  Request& request() { return req_; }
  bool keep_alive() const { return keep_alive_; }
  bool http10() const { return http10_; }
  bool head_method() const { return head_method_; }
  /// True once per request whose headers asked for `Expect: 100-continue` (HTTP/1.1)
  /// within the body limit: the server sends `100 Continue` before reading the body.
  bool take_continue();
  int error_status() const;
  std::string error_message() const;

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t n);
  static int on_header_field(http_parser* p, const char* at, size_t n);
  static int on_header_value(http_parser* p, const char* at, size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t n);
  static int on_message_complete(http_parser* p);
  static const http_parser_settings& settings();
  void push_header();

  http_parser parser_{};
  size_t max_body_ = 0;
  Request req_;
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  bool message_done_ = false;
  bool too_large_ = false;
  bool continue_ = false;
  bool bad_version_ = false;  // HTTP/0.x or 2+ in an HTTP/1 request line: 505
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_method_ = false;
};

/// Fills r.path (percent-decoded; an absolute-form target "http://host/p" reduced to "/p";
/// an empty target is "/") and r.query (the raw text after '?', empty if none) from r.target.
void split_target(Request& r);

}  // namespace ploke::net::srv
