// libFuzzer harness: the net server's HTTP/1.1 request parsing (RequestParser and
// split_target(), private to ploke::net: the server's only input from the network).
// Input: byte 0 picks the body limit, byte 1 a split point; the rest is what a client sends
// on one connection (any number of pipelined requests). It is parsed as it arrives whole
// and again in two reads split at that point, the way the server loop feeds the parser; both
// must give the same requests and the same ending, and no request may exceed the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "request_parser.h"

namespace {

using ploke::net::Request;
using ploke::net::srv::RequestParser;

struct Seen {
  std::string method, target, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;
  int http_minor = 0;
  bool keep_alive = false, http10 = false, head = false, expect_continue = false;
  bool operator==(const Seen&) const = default;
};

struct Outcome {
  std::vector<Seen> requests;
  RequestParser::Step last = RequestParser::Step::kNeedMore;
  bool operator==(const Outcome&) const = default;
};

Outcome run(std::string_view in, size_t split, size_t max_body) {
  RequestParser parser(max_body);
  Outcome out;
  std::string pending;
  bool expect_continue = false;
  for (std::string_view read : {in.substr(0, split), in.substr(split)}) {
    pending.append(read);
    while (!pending.empty()) {
      size_t n = 0;
      out.last = parser.parse(pending.data(), pending.size(), &n);
      if (n > pending.size()) std::abort();
      pending.erase(0, n);
      expect_continue = parser.take_continue() || expect_continue;
      if (out.last == RequestParser::Step::kTooLarge || out.last == RequestParser::Step::kMalformed) {
        (void)parser.error_message();
        const int st = parser.error_status();
        if (st != 400 && st != 431 && st != 505) std::abort();
        return out;
      }
      if (out.last == RequestParser::Step::kNeedMore) break;
      Request& r = parser.request();
      ploke::net::srv::split_target(r);
      if (r.body.size() > max_body || r.path.empty()) std::abort();
      out.requests.push_back(Seen{r.method, r.target, r.path, r.query, r.body, r.headers.items(), r.http_minor,
                                  parser.keep_alive(), parser.http10(), parser.head_method(), expect_continue});
      expect_continue = false;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static constexpr size_t kLimits[] = {0, 1, 16, 1024, 1u << 20};
  const size_t max_body = kLimits[data[0] % 5];
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = in.empty() ? 0 : data[1] % (in.size() + 1);
  if (!(run(in, in.size(), max_body) == run(in, split, max_body))) std::abort();
  return 0;
}
