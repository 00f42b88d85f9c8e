// ploke::net::HttpServer and HttpClient on loopback (label: integration).
//
// The server answers inline, later from another thread, with timers on the Clock, and with
// socket-level endings; the client (HttpClient) is checked against it for framing, pool
// reuse, safe retries and per-phase timeouts. No fixed sleeps: waits are bounded polls on
// a condition.
#include "ploke/net/http_client.h"
#include "ploke/net/http_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "support/test_support.h"

namespace ploke::net {
namespace {

using namespace std::chrono_literals;
using ploke::testing::RecordingHandler;

HttpRequest get(const std::string& base, const std::string& path, std::string method = "GET") {
  HttpRequest r;
  r.method = std::move(method);
  r.base_url = base;
  r.path = path;
  return r;
}

// Sends `raw` on a fresh socket and reads until EOF (or 5 s).
std::string raw_exchange(int port, const std::string& raw, int* last_errno = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (last_errno) *last_errno = n < 0 ? errno : 0;
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

using ploke::testing::wait_until;

class NetTest : public ::testing::Test {
 protected:
  void start(Handler h, ServerOptions o = {}) {
    auto s = HttpServer::Start(o, clock_, std::move(h));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    server_ = std::move(*s);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  RealClock clock_;
  std::unique_ptr<HttpServer> server_;
};

Headers ct(std::string type) {
  Headers h;
  h.add("content-type", std::move(type));
  return h;
}

// Sends a request head and `body_bytes` of body (as a client that does not wait for an
// answer before sending does), then reads until EOF. Returns what was read; *send_failed
// when the server reset the connection under the upload.
std::string upload_then_read(int port, size_t body_bytes, bool* send_failed) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string out = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                    std::to_string(body_bytes) + "\r\n\r\n";
  out.append(body_bytes, 'u');
  *send_failed = false;
  for (size_t sent = 0; sent < out.size();) {
    const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      *send_failed = true;
      break;
    }
    sent += static_cast<size_t>(n);
  }
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

// An upload over the body limit always gets its 413 (the server answers, half-closes and
// drains the rest instead of resetting the connection under the client).
// Writes "." every 10 ms until the exchange ends; each timer holds a copy of the functor.
struct Drip {
  Responder res;
  void operator()() {
    res.write(std::string("."));
    res.set_timer(res.clock().now() + 10ms, Drip{res});
  }
};

TEST_F(NetTest, OversizedUploadAlwaysReadsThe413NeverAReset) {
  ServerOptions o;
  o.max_body_bytes = 1 << 20;
  std::atomic<int> handled{0};
  start([&](Request&, Responder r) {
    ++handled;
    r.respond(200, ct("text/plain"), "ok");
  }, o);
  for (int i = 0; i < 20; ++i) {
    bool send_failed = false;
    const std::string got = upload_then_read(server_->port(), 8u << 20, &send_failed);
    EXPECT_FALSE(send_failed) << "iteration " << i;
    ASSERT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << "iteration " << i << ": " << got.substr(0, 80);
    EXPECT_NE(got.find("request body larger than 1048576 bytes"), std::string::npos);
  }
  EXPECT_EQ(handled.load(), 0);
  // The server still serves.
  EXPECT_NE(raw_exchange(server_->port(), "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("200 OK"),
            std::string::npos);
}

TEST_F(NetTest, InlineRespondKeepAliveAndRequestFields) {
  std::mutex mu;
  std::vector<std::string> seen;
  start([&](Request& req, Responder res) {
    {
      std::lock_guard<std::mutex> l(mu);
      seen.push_back(req.method + " " + req.path + " ?" + req.query + " " + std::string(req.headers.get("x-a").value_or("")) +
                     " " + req.body);
    }
    EXPECT_TRUE(res.on_loop_thread());
    res.respond(201, ct("text/plain"), "hi " + req.path);
  });
  HttpClient client(clock_);
  for (int i = 0; i < 3; ++i) {
    HttpRequest r = get(server_->url(), "/a%20b", "POST");
    r.path += "?q=1";
    r.body = "body" + std::to_string(i);
    r.headers.add("X-A", "v");
    auto resp = send_and_wait(client, clock_, r, CallOptions{});
    ASSERT_TRUE(resp.ok()) << resp.status().to_string();
    EXPECT_EQ(resp->status, 201);
    EXPECT_EQ(resp->body, "hi /a b");
    EXPECT_EQ(resp->headers.get("content-type").value_or(""), "text/plain");
  }
  EXPECT_EQ(client.connections_opened(), 1u);  // keep-alive reuse
  EXPECT_EQ(client.idle_connections(), 1u);
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2], "POST /a b ?q=1 v body2");
  EXPECT_EQ(server_->requests(), 3u);
}

TEST_F(NetTest, StreamingFromAnotherThreadIsDeliveredIncrementally) {
  std::mutex mu;
  std::condition_variable cv;
  bool client_saw_first = false;
  std::vector<std::thread> threads;
  start([&](Request&, Responder res) {
    threads.emplace_back([&, res]() mutable {
      EXPECT_FALSE(res.on_loop_thread());
      res.start(200, ct("text/event-stream"));  // chunked
      res.write(std::string("data: one\n\n"));
      std::unique_lock<std::mutex> l(mu);
      const bool acked = cv.wait_for(l, 10s, [&] { return client_saw_first; });
      l.unlock();
      res.write(std::string(acked ? "data: two\n\n" : "data: no-ack\n\n"));
      res.finish();
    });
  });
  struct H : RecordingHandler {
    bool on_body(std::string_view b) override {
      bool more = RecordingHandler::on_body(b);
      if (on_first) on_first();
      return more;
    }
    std::function<void()> on_first;
  } h;
  h.on_first = [&] {
    std::lock_guard<std::mutex> l(mu);
    client_saw_first = true;
    cv.notify_all();
  };
  HttpClient client(clock_);
  client.start(get(server_->url(), "/s"), CallOptions{}, h);
  EXPECT_TRUE(h.final_.ok()) << h.final_.to_string();
  EXPECT_EQ(h.body_, "data: one\n\ndata: two\n\n");
  EXPECT_EQ(client.idle_connections(), 1u);  // chunked end: reusable
  for (auto& t : threads) t.join();
}

TEST_F(NetTest, ContentLengthHeadAndChunksFromTimers) {
  start([&](Request&, Responder res) {
    const TimePoint t0 = res.clock().now();
    res.set_timer(t0 + 20ms, [res]() mutable {
      res.start(200, ct("application/json"), 10);
      res.write(std::string("01234"));
      res.set_timer(res.clock().now() + 10ms, [res]() mutable {
        res.write(std::string("56789"));
        res.finish();
      });
    });
  });
  HttpClient client(clock_);
  const TimePoint t0 = clock_.now();
  auto resp = send_and_wait(client, clock_, get(server_->url(), "/t"), CallOptions{});
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->body, "0123456789");
  EXPECT_EQ(resp->headers.get("content-length").value_or(""), "10");
  EXPECT_GE(clock_.now() - t0, 30ms);
}

// The state letters (R, S, ...) of this process's threads named `prefix`*.
std::string thread_states(const std::string& prefix) {
  std::string states;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(t.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind(prefix, 0) != 0) continue;
    std::ifstream stat(t.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');  // pid (comm) STATE ...
    if (close != std::string::npos && close + 2 < line.size()) states += line[close + 2];
  }
  return states;
}

// Busy polling: requests, timers and answers from other threads are served during the
// non-blocking passes, stop() ends a polling loop, and a loop with nothing to do goes
// back to sleep once its polls are spent.
TEST_F(NetTest, BusyPollingServesTimersAndOtherThreadsThenSleepsAndStops) {
  ServerOptions o;
  o.threads = 2;
  o.busy_poll = 2000;
  start(
      [&](Request& req, Responder res) {
        if (req.path == "/later") {
          std::thread([res]() mutable { res.respond(200, ct("text/plain"), "later"); }).detach();
          return;
        }
        res.set_timer(res.clock().now() + 5ms, [res]() mutable { res.respond(200, ct("text/plain"), "timer"); });
      },
      o);
  HttpClient client(clock_);
  for (int i = 0; i < 20; ++i) {
    auto a = send_and_wait(client, clock_, get(server_->url(), i % 2 ? "/later" : "/t"), CallOptions{});
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    EXPECT_EQ(a->body, i % 2 ? "later" : "timer");
  }
  EXPECT_EQ(thread_states("net-loop-").size(), 2u);
  EXPECT_TRUE(wait_until(clock_, [] {
    const std::string s = thread_states("net-loop-");
    return !s.empty() && s.find_first_not_of('S') == std::string::npos;
  })) << thread_states("net-loop-");
  server_->stop();
  server_.reset();
  EXPECT_EQ(thread_states("net-loop-"), "");
}

TEST_F(NetTest, ResetAndCloseAreSocketLevel) {
  start([&](Request& req, Responder res) {
    if (req.path == "/reset") {
      res.start(200, ct("text/plain"), 100);
      res.write(std::string("partial"));
      res.reset();
    } else {
      res.close();  // empty reply
    }
  });
  int err = 0;
  const std::string got = raw_exchange(server_->port(), "GET /reset HTTP/1.1\r\nHost: x\r\n\r\n", &err);
  EXPECT_NE(got.find("partial"), std::string::npos) << got;
  EXPECT_EQ(err, ECONNRESET);
  EXPECT_EQ(raw_exchange(server_->port(), "GET /close HTTP/1.1\r\nHost: x\r\n\r\n", &err), "");
  EXPECT_EQ(err, 0);  // FIN

  HttpClient client(clock_);
  auto r = send_and_wait(client, clock_, get(server_->url(), "/reset"), CallOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
  r = send_and_wait(client, clock_, get(server_->url(), "/close", "POST"), CallOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset) << r.status().to_string();
}

TEST_F(NetTest, ClientGoneRunsTheCancelCallback) {
  std::atomic<int> cancelled{0};
  std::atomic<int> started{0};
  start([&](Request&, Responder res) {
    res.on_cancel([&] { ++cancelled; });
    ++started;  // never answered
  });
  HttpClient client(clock_);
  CallOptions o;
  o.first_byte_timeout = 50ms;
  auto r = send_and_wait(client, clock_, get(server_->url(), "/hang"), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_TRUE(wait_until(clock_, [&] { return cancelled.load() == 1; }));
  EXPECT_EQ(server_->in_flight(), 0u);
  // stop() runs the cancel callbacks of exchanges still open.
  std::thread t([&] { (void)raw_exchange(server_->port(), "GET /hang2 HTTP/1.1\r\nHost: x\r\n\r\n"); });
  ASSERT_TRUE(wait_until(clock_, [&] { return started.load() == 2; }));
  server_->stop();
  t.join();
  EXPECT_EQ(cancelled.load(), 2);
}

TEST_F(NetTest, LateResponderCallsAreHarmless) {
  Responder kept;
  std::mutex mu;
  start([&](Request&, Responder res) {
    std::lock_guard<std::mutex> l(mu);
    kept = res;
    res.respond(200, "text/plain", "x");
  });
  HttpClient client(clock_);
  ASSERT_TRUE(send_and_wait(client, clock_, get(server_->url(), "/"), CallOptions{}).ok());
  std::lock_guard<std::mutex> l(mu);
  EXPECT_FALSE(kept.open());
  EXPECT_FALSE(kept.respond(200, "text/plain", "again"));  // the exchange is over
  server_->stop();
  EXPECT_FALSE(kept.write(std::string("late")));
}

TEST_F(NetTest, PipelinedRequestsAnsweredInOrderEvenWhenAnsweredLater) {
  std::vector<std::thread> threads;
  start([&](Request& req, Responder res) {
    if (req.path == "/slow") {
      threads.emplace_back([res]() mutable { res.respond(200, "text/plain", "slow"); });
    } else {
      res.respond(200, "text/plain", "fast");
    }
  });
  const std::string got = raw_exchange(server_->port(),
                                       "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                                       "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const size_t a = got.find("slow");
  const size_t b = got.find("fast");
  ASSERT_NE(a, std::string::npos) << got;
  ASSERT_NE(b, std::string::npos) << got;
  EXPECT_LT(a, b);
  for (auto& t : threads) t.join();
}

TEST_F(NetTest, StopAcceptingRefusesNewConnections) {
  start([&](Request&, Responder res) { res.respond(200, "text/plain", "ok"); });
  HttpClient client(clock_);
  ASSERT_TRUE(send_and_wait(client, clock_, get(server_->url(), "/"), CallOptions{}).ok());
  server_->stop_accepting();
  // The pooled keep-alive connection still works; a new one is refused.
  ASSERT_TRUE(wait_until(clock_, [&] {
    HttpClient fresh(clock_);
    return !send_and_wait(fresh, clock_, get(server_->url(), "/"), CallOptions{}).ok();
  }));
  EXPECT_TRUE(send_and_wait(client, clock_, get(server_->url(), "/"), CallOptions{}).ok());
}

TEST_F(NetTest, HandlerExceptionIs500AndClose) {
  start([&](Request&, Responder) { throw std::runtime_error("boom"); });
  const std::string got = raw_exchange(server_->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 500 ", 0), 0u) << got;
  EXPECT_NE(got.find("boom"), std::string::npos);
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
}

// The error body is JSON whatever the message holds (quotes, controls, invalid UTF-8).
TEST_F(NetTest, HandlerExceptionBodyIsValidJsonForAnyMessage) {
  start([&](Request&, Responder) { throw std::runtime_error("bad \xff\xc0 \"q\"\n\x01 \\ caf\xc3\xa9"); });
  const std::string got = raw_exchange(server_->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos) << got;
  const auto j = nlohmann::json::parse(got.substr(body + 4), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << got;
  EXPECT_EQ(j["error"]["message"], "internal error: bad \xef\xbf\xbd\xef\xbf\xbd \"q\"\n\x01 \\ caf\xc3\xa9");
}

TEST_F(NetTest, QueuedBytesSeenFromAnotherThreadForBackpressure) {
  std::atomic<size_t> peak{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  start([&](Request&, Responder res) {
    threads.emplace_back([&, res]() mutable {
      res.start(200, ct("application/octet-stream"));
      const std::string block(64 * 1024, 'x');
      for (int i = 0; i < 128 && res.open(); ++i) {  // 8 MiB to a client that does not read
        res.write(block);
        peak = std::max(peak.load(), res.queued_bytes());
        if (peak.load() > (2u << 20)) break;
      }
      res.close();
      done = true;
    });
  });
  // A raw client that sends a request and never reads.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  ASSERT_TRUE(wait_until(clock_, [&] { return done.load(); }));
  EXPECT_GT(peak.load(), 1u << 20);  // the unsent backlog is visible to the writer
  ::close(fd);
  for (auto& t : threads) t.join();
}

// ---- HttpClient ----------------------------------------------------------------------

TEST_F(NetTest, ClientReadsChunkedContentLengthAndCloseDelimitedBodies) {
  start([&](Request& req, Responder res) {
    if (req.path == "/chunked") {
      res.start(200, ct("text/plain"));
      res.write(std::string("ab"));
      res.write(std::string("cd"));
      res.finish();
    } else if (req.path == "/close") {
      Headers h = ct("text/plain");
      h.add("Connection", "close");
      res.respond(200, std::move(h), "closing");
    } else {
      res.respond(200, ct("text/plain"), "length");
    }
  });
  HttpClient client(clock_);
  auto r = send_and_wait(client, clock_, get(server_->url(), "/chunked"), CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "abcd");
  r = send_and_wait(client, clock_, get(server_->url(), "/length"), CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "length");
  EXPECT_EQ(client.idle_connections(), 1u);
  r = send_and_wait(client, clock_, get(server_->url(), "/close"), CallOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "closing");
  EXPECT_EQ(client.idle_connections(), 0u);  // Connection: close is not pooled
  // A close-delimited body (HTTP/1.0 stream: the server ends it with the connection).
  const std::string got = raw_exchange(server_->port(), "GET /chunked HTTP/1.0\r\n\r\n");
  EXPECT_NE(got.find("\r\n\r\nabcd"), std::string::npos) << got;
}

TEST_F(NetTest, IdleConnectionClosedByTheServerIsReplacedSafely) {
  // A raw server: answers one request per connection with keep-alive, then closes it (as a
  // server's idle timeout would); the test waits for the close, not for time.
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lfd, 8), 0);
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  std::atomic<int> closed{0};
  std::thread srv([&] {
    for (int i = 0; i < 2; ++i) {
      const int c = ::accept(lfd, nullptr, nullptr);
      if (c < 0) return;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      (void)::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
      ++closed;
    }
  });
  const std::string base = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  HttpClient client(clock_);
  ASSERT_TRUE(send_and_wait(client, clock_, get(base, "/", "POST"), CallOptions{}).ok());
  ASSERT_TRUE(wait_until(clock_, [&] { return closed.load() == 1; }));
  // The pooled connection is seen as closed before reuse: the POST goes out on a new one.
  auto r = send_and_wait(client, clock_, get(base, "/", "POST"), CallOptions{});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(client.connections_opened(), 2u);
  srv.join();
  ::close(lfd);
}

TEST_F(NetTest, ReusedConnectionFailingBeforeAnyByteIsRetriedOnlyWhenSafe) {
  // The server reads the second request on a connection and closes without a byte: to
  // the client this looks like an idle connection closed as it was reused.
  std::atomic<int> n{0};
  start([&](Request& req, Responder res) {
    const int k = ++n;
    if (req.headers.has("x-drop") && k % 2 == 0) {
      res.close();
      return;
    }
    res.respond(200, "text/plain", "ok");
  });
  HttpClient client(clock_);
  HttpRequest warm = get(server_->url(), "/");
  ASSERT_TRUE(send_and_wait(client, clock_, warm, CallOptions{}).ok());  // n=1
  // GET (idempotent): the dropped attempt (n=2) is retried on a new connection (n=3).
  HttpRequest g = get(server_->url(), "/");
  g.headers.add("x-drop", "1");
  auto r = send_and_wait(client, clock_, g, CallOptions{});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(n.load(), 3);
  EXPECT_EQ(client.connections_opened(), 2u);
  // POST (not idempotent): the server may have acted on it, so no retry.
  HttpRequest p = get(server_->url(), "/", "POST");
  p.headers.add("x-drop", "1");
  r = send_and_wait(client, clock_, p, CallOptions{});  // n=4: dropped
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset);
  EXPECT_EQ(n.load(), 4);
}

TEST_F(NetTest, ClientTimeoutsPerPhase) {
  start([&](Request& req, Responder res) {
    if (req.path == "/idle") {
      res.start(200, ct("text/plain"));
      res.write(std::string("first"));  // then silence
    } else if (req.path == "/drip") {
      res.start(200, ct("text/plain"));
      Drip{res}();  // re-arms itself with a copy (no self-owning closure: no leak)
    }
    // else: nothing at all (first byte timeout)
  });
  HttpClient client(clock_);
  CallOptions o;
  o.first_byte_timeout = 50ms;
  auto r = send_and_wait(client, clock_, get(server_->url(), "/silent"), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().timeout_phase(), TimeoutPhase::kFirstByte) << r.status().to_string();

  o = CallOptions{};
  o.idle_timeout = 50ms;
  RecordingHandler h;
  client.start(get(server_->url(), "/idle"), o, h);
  EXPECT_EQ(h.body_, "first");
  EXPECT_EQ(h.final_.timeout_phase(), TimeoutPhase::kIdle) << h.final_.to_string();

  o = CallOptions{};
  o.idle_timeout = 1s;
  o.total_timeout = 100ms;
  r = send_and_wait(client, clock_, get(server_->url(), "/drip"), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().timeout_phase(), TimeoutPhase::kTotal) << r.status().to_string();
}

TEST_F(NetTest, ClientTimeoutsFollowASimulatedClockMovedByAnotherThread) {
  SimulatedClock sim;
  start([&](Request&, Responder) {});  // never answers
  HttpClient client(sim);
  CallOptions o;
  o.first_byte_timeout = 30s;
  std::atomic<bool> done{false};
  RecordingHandler h;
  std::thread t([&] {
    client.start(get(server_->url(), "/"), o, h);
    done = true;
  });
  // Virtual time: nothing times out until the clock is moved past 30 s.
  clock_.sleep_for(100ms);
  EXPECT_FALSE(done.load());
  sim.advance(31s);
  t.join();
  EXPECT_EQ(h.final_.timeout_phase(), TimeoutPhase::kFirstByte) << h.final_.to_string();
}

TEST_F(NetTest, ClientCancelFromAnotherThreadAndHandlerAbort) {
  start([&](Request& req, Responder res) {
    res.start(200, ct("text/plain"));
    if (req.path == "/many") {
      for (int i = 0; i < 10; ++i) res.write(std::string("x"));
    }
  });
  HttpClient client(clock_);
  RecordingHandler h;
  auto call = client.start_async(get(server_->url(), "/"), CallOptions{}, h);
  ASSERT_TRUE(wait_until(clock_, [&] { return h.status_ == 200; }));
  call->cancel();
  call.reset();  // joins
  EXPECT_EQ(h.final_.code(), StatusCode::kCancelled);

  struct Stop : RecordingHandler {
    bool on_body(std::string_view b) override {
      RecordingHandler::on_body(b);
      return false;
    }
  } s;
  client.start(get(server_->url(), "/many"), CallOptions{}, s);
  EXPECT_EQ(s.final_.code(), StatusCode::kCancelled);
}

TEST_F(NetTest, ClientConnectFailures) {
  HttpClient client(clock_);
  // A port nobody listens on: bind one, close it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  auto r = send_and_wait(client, clock_, get("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)), "/"), CallOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConnectionReset);
  r = send_and_wait(client, clock_, get("https://127.0.0.1:1", "/"), CallOptions{});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
  r = send_and_wait(client, clock_, get("http://", "/"), CallOptions{});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
}

}  // namespace
}  // namespace ploke::net
