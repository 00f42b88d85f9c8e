// RequestParser and split_target() (adapters/net/src/request_parser.h): the server's
// request parsing without a socket. The loopback behaviour is in http_server_test.cpp.
#include "request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ploke::net::srv {
namespace {

using Step = RequestParser::Step;

// Feeds `reads` one after the other as the server loop does; returns the requests seen
// (method + " " + path + "?" + query + " " + body) and the last step.
std::pair<std::vector<std::string>, Step> feed(RequestParser& p, const std::vector<std::string>& reads) {
  std::vector<std::string> seen;
  std::string pending;
  Step last = Step::kNeedMore;
  for (const std::string& read : reads) {
    pending += read;
    while (!pending.empty()) {
      size_t n = 0;
      last = p.parse(pending.data(), pending.size(), &n);
      pending.erase(0, n);
      if (last != Step::kRequest) break;
      Request& r = p.request();
      split_target(r);
      seen.push_back(r.method + " " + r.path + "?" + r.query + " " + r.body);
    }
    if (last == Step::kTooLarge || last == Step::kMalformed) break;
  }
  return {seen, last};
}

TEST(RequestParser, PipelinedRequestsOneAtATime) {
  RequestParser p(1024);
  const std::string in =
      "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nok"
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  size_t n = 0;
  ASSERT_EQ(p.parse(in.data(), in.size(), &n), Step::kRequest);
  EXPECT_LT(n, in.size());  // stops after the first request
  auto [seen, last] = feed(p, {in.substr(n)});
  EXPECT_EQ(last, Step::kRequest);
  EXPECT_EQ(seen, (std::vector<std::string>{"POST /b? ok", "POST /c? abc"}));
}

TEST(RequestParser, HeadersSplitAcrossReadsAreJoined) {
  RequestParser p(1024);
  auto [seen, last] = feed(p, {"GET / HTTP/1.1\r\nX-Lo", "ng: va", "lue\r\nX-B: 2\r", "\n\r\n"});
  ASSERT_EQ(seen.size(), 1u);
  const Headers& h = p.request().headers;
  EXPECT_EQ(h.get("x-long"), "value");
  EXPECT_EQ(h.get("X-B"), "2");
  EXPECT_EQ(h.size(), 2u);
}

TEST(RequestParser, BodyLimitDeclaredOrReceived) {
  RequestParser declared(4);
  EXPECT_EQ(feed(declared, {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"}).second, Step::kTooLarge);
  RequestParser chunked(4);
  EXPECT_EQ(feed(chunked, {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "2\r\nde\r\n"}).second,
            Step::kTooLarge);
  RequestParser exact(4);
  EXPECT_EQ(feed(exact, {"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"}).first,
            std::vector<std::string>{"POST /? abcd"});
}

TEST(RequestParser, MalformedAndOversizedHeaders) {
  RequestParser bad(1024);
  EXPECT_EQ(feed(bad, {"GET / HTTP/1.1\r\nNo Colon Here\r\n\r\n"}).second, Step::kMalformed);
  EXPECT_EQ(bad.error_status(), 400);
  EXPECT_NE(bad.error_message().find("malformed HTTP request: "), std::string::npos);
  RequestParser big(1024);
  EXPECT_EQ(feed(big, {"GET / HTTP/1.1\r\nX: " + std::string(90 * 1024, 'a') + "\r\n\r\n"}).second, Step::kMalformed);
  EXPECT_EQ(big.error_status(), 431);
}

TEST(RequestParser, OnlyHttp1VersionsAreAnswered) {
  for (const char* v : {"HTTP/9.9", "HTTP/2.0", "HTTP/0.9"}) {
    RequestParser p(1024);
    EXPECT_EQ(feed(p, {std::string("GET / ") + v + "\r\nHost: x\r\n\r\n"}).second, Step::kMalformed) << v;
    EXPECT_EQ(p.error_status(), 505) << v;
    EXPECT_NE(p.error_message().find("HTTP version not supported"), std::string::npos) << v;
  }
  for (const char* v : {"HTTP/1.0", "HTTP/1.1"}) {
    RequestParser p(1024);
    EXPECT_EQ(feed(p, {std::string("GET / ") + v + "\r\nHost: x\r\n\r\n"}).first.size(), 1u) << v;
  }
}

TEST(RequestParser, ExpectContinueOncePerRequest) {
  RequestParser p(1024);
  const std::string head = "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n";
  size_t n = 0;
  EXPECT_EQ(p.parse(head.data(), head.size(), &n), Step::kNeedMore);
  EXPECT_TRUE(p.take_continue());
  EXPECT_FALSE(p.take_continue());
  EXPECT_EQ(p.parse("ok", 2, &n), Step::kRequest);
  EXPECT_FALSE(p.take_continue());
  RequestParser http10(1024);
  const std::string old = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(http10.parse(old.data(), old.size(), &n), Step::kRequest);
  EXPECT_FALSE(http10.take_continue());
  EXPECT_TRUE(http10.http10());
  EXPECT_FALSE(http10.keep_alive());
}

TEST(RequestParser, SplitTarget) {
  auto split = [](std::string target) {
    Request r;
    r.target = std::move(target);
    split_target(r);
    return r.path + "|" + r.query;
  };
  EXPECT_EQ(split(""), "/|");
  EXPECT_EQ(split("/v1/models?limit=2&a=%41"), "/v1/models|limit=2&a=%41");
  EXPECT_EQ(split("/a%20b/c%2Fd"), "/a b/c/d|");
  EXPECT_EQ(split("http://example.com:8080/v1/x?q"), "/v1/x|q");
  EXPECT_EQ(split("http://example.com"), "/|");
  EXPECT_EQ(split("*"), "*|");
}

}  // namespace
}  // namespace ploke::net::srv
