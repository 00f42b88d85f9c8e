// HttpTransport against a loopback httplib::Server (label: integration).
//
// No sleeps in the test logic: stalls are server handlers waiting on a condition variable
// that the fixture releases at teardown; incremental delivery is proven by the server
// waiting for the client to acknowledge the first chunk before it sends the second.
#include "ploke/adapters/http_transport.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/net/http_server.h"
#include "support/test_support.h"

namespace ploke {
namespace {

using namespace std::chrono_literals;
using testing::RecordingHandler;

/// RecordingHandler plus a condition variable to wait on from the test thread.
class WaitableHandler : public ResponseHandler {
 public:
  void on_head(int status, const Headers& headers) override {
    std::lock_guard<std::mutex> l(mu_);
    inner_.on_head(status, headers);
    cv_.notify_all();
  }
  bool on_body(std::string_view bytes) override {
    std::lock_guard<std::mutex> l(mu_);
    bool more = inner_.on_body(bytes);
    cv_.notify_all();
    if (on_chunk_) on_chunk_(inner_.body_);
    return more;
  }
  void on_complete(Status status) override {
    std::lock_guard<std::mutex> l(mu_);
    inner_.on_complete(std::move(status));
    cv_.notify_all();
  }
  bool wait_for(const std::function<bool(const RecordingHandler&)>& pred, std::chrono::seconds limit = 10s) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, limit, [&] { return pred(inner_); });
  }
  RecordingHandler inner_;
  std::function<void(const std::string&)> on_chunk_;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

CallOptions timeouts(std::optional<Duration> first_byte, std::optional<Duration> idle,
                     std::optional<Duration> total, std::optional<Duration> connect = std::nullopt) {
  CallOptions o;
  o.connect_timeout = connect;
  o.first_byte_timeout = first_byte;
  o.idle_timeout = idle;
  o.total_timeout = total;
  return o;
}

class HttpTransportTest : public ::testing::Test {
 protected:
  // An echo of the body size and Authorization; a 429 with retry-after-ms.
  void add_plain_routes() {
    server_.Post("/v1/chat/completions", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("x-request-id", "req_loop");
      res.set_content("{\"echo\":" + std::to_string(req.body.size()) + ",\"auth\":\"" +
                          req.get_header_value("Authorization") + "\"}",
                      "application/json");
    });
    server_.Post("/v1/limited", [](const httplib::Request&, httplib::Response& res) {
      res.status = 429;
      res.set_header("retry-after-ms", "20");
      res.set_content(R"({"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}})",
                      "application/json");
    });
  }
  // Two SSE chunks; the second only once the client acknowledged the first.
  void add_ack_stream_route() {
    server_.Post("/v1/stream", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream", [this](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) {
          sink.write("data: one\n\n", 11);
          return true;
        }
        // Send the rest only once the client has seen the first chunk.
        std::unique_lock<std::mutex> l(mu_);
        server_saw_ack_ = cv_.wait_for(l, 10s, [this] { return client_ack_ || released_; }) && client_ack_;
        l.unlock();
        sink.write("data: two\n\n", 11);
        sink.done();
        return true;
      });
    });
  }
  // An OpenAI-shaped completion, or its stream cut mid-event across chunk boundaries.
  void add_e2e_route() {
    server_.Post("/v1/e2e/chat/completions", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("x-request-id", "req_e2e");
      if (req.body.find("\"stream\":true") == std::string::npos) {
        res.set_content(R"({"id":"chatcmpl-e2e","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}})",
                        "application/json");
        return;
      }
      res.set_chunked_content_provider("text/event-stream", [](size_t offset, httplib::DataSink& sink) {
        static const char* kChunks[] = {
            "data: {\"id\":\"chatcmpl-e2e\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
            "data: {\"id\":\"chatcmpl-e2e\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel",
            "lo!\"},\"finish_reason\":null}]}\n\ndata: {\"id\":\"chatcmpl-e2e\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: {\"id\":\"chatcmpl-e2e\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\ndata: [DONE]\n\n"};
        size_t sent = 0, i = 0;
        while (i < 4 && sent < offset) sent += std::strlen(kChunks[i++]);
        if (i == 4) {
          sink.done();
          return true;
        }
        return sink.write(kChunks[i], std::strlen(kChunks[i]));
      });
    });
  }
  // Answers that stall (head or body) until released, and a stream ticking every 20 ms.
  void add_stalling_routes() {
    server_.Post("/v1/stall-head", [this](const httplib::Request&, httplib::Response& res) {
      wait_release();
      res.set_content("late", "text/plain");
    });
    server_.Post("/v1/stall-body", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream", [this](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) {
          sink.write("data: first\n\n", 13);
          return true;
        }
        wait_release();
        sink.done();
        return true;
      });
    });
    server_.Post("/v1/trickle", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
        // The server side may pause to create the traffic shape: a chunk every 20 ms.
        std::unique_lock<std::mutex> l(mu_);
        if (cv_.wait_for(l, 20ms, [this] { return released_; })) {
          sink.done();
          return true;
        }
        l.unlock();
        return sink.write(": tick\n\n", 8);
      });
    });
  }
  void SetUp() override {
    add_plain_routes();
    add_ack_stream_route();
    add_e2e_route();
    add_stalling_routes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port() already listens, so clients may connect at once; but stop() is a
    // no-op until the accept loop runs (0.11.4 has no wait_until_ready()), so wait for it.
    while (!server_.is_running()) std::this_thread::yield();
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      released_ = true;
    }
    cv_.notify_all();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void wait_release() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return released_; });
  }
  HttpRequest request(const std::string& path, std::string body = "{\"hello\":true}") {
    HttpRequest r;
    r.base_url = "http://127.0.0.1:" + std::to_string(port_) + "/v1";
    r.path = path;
    r.headers.add("Authorization", "Bearer sk-test");
    r.headers.add("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
  }

  RealClock clock_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  bool client_ack_ = false;
  bool server_saw_ack_ = false;
};

TEST_F(HttpTransportTest, NormalResponseAndConnectionReuse) {
  adapters::HttpTransport http(clock_);
  for (int i = 0; i < 3; ++i) {
    RecordingHandler h;
    CallPtr call = http.start(request("/chat/completions"), CallOptions{}, h);
    EXPECT_TRUE(call->done());
    ASSERT_OK(h.final_);
    EXPECT_EQ(h.heads_, 1);
    EXPECT_EQ(h.completes_, 1);
    EXPECT_EQ(h.status_, 200);
    EXPECT_EQ(h.headers_.get("x-request-id").value_or(""), "req_loop");
    EXPECT_EQ(h.body_, "{\"echo\":14,\"auth\":\"Bearer sk-test\"}");
    EXPECT_EQ(http.idle_connections(), 1u);  // one keep-alive client, reused
  }
}

TEST_F(HttpTransportTest, ErrorStatusIsAResponseNotATransportFailure) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  http.start(request("/limited"), CallOptions{}, h);
  ASSERT_OK(h.final_);
  EXPECT_EQ(h.status_, 429);
  EXPECT_EQ(h.headers_.get("retry-after-ms").value_or(""), "20");
  EXPECT_NE(h.body_.find("rate_limit_exceeded"), std::string::npos);
}

TEST_F(HttpTransportTest, StreamIsDeliveredIncrementally) {
  adapters::HttpTransport http(clock_);
  WaitableHandler h;
  h.on_chunk_ = [this](const std::string& body) {
    if (body.find("data: one") != std::string::npos) {
      std::lock_guard<std::mutex> l(mu_);
      client_ack_ = true;
      cv_.notify_all();
    }
  };
  HttpRequest r = request("/stream");
  r.expect_stream = true;
  http.start(r, timeouts(5s, 15s, 30s), h);
  ASSERT_OK(h.inner_.final_);
  EXPECT_EQ(h.inner_.body_, "data: one\n\ndata: two\n\n");
  EXPECT_GE(h.inner_.chunks_, 2);
  std::lock_guard<std::mutex> l(mu_);
  EXPECT_TRUE(server_saw_ack_) << "the first chunk did not reach the handler before the second was sent";
}

TEST_F(HttpTransportTest, FirstByteTimeout) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  const TimePoint t0 = clock_.now();
  http.start(request("/stall-head"), timeouts(200ms, std::nullopt, std::nullopt), h);
  const Duration took = clock_.now() - t0;
  EXPECT_EQ(h.final_.code(), StatusCode::kTimeout) << h.final_.to_string();
  EXPECT_EQ(h.final_.timeout_phase(), TimeoutPhase::kFirstByte);
  EXPECT_EQ(h.heads_, 0);
  EXPECT_EQ(h.completes_, 1);
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(http.idle_connections(), 0u);  // an aborted client is not pooled
}

TEST_F(HttpTransportTest, IdleTimeout) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  const TimePoint t0 = clock_.now();
  http.start(request("/stall-body"), timeouts(5s, 200ms, std::nullopt), h);
  const Duration took = clock_.now() - t0;
  EXPECT_EQ(h.final_.code(), StatusCode::kTimeout) << h.final_.to_string();
  EXPECT_EQ(h.final_.timeout_phase(), TimeoutPhase::kIdle);
  EXPECT_EQ(h.heads_, 1);
  EXPECT_EQ(h.body_, "data: first\n\n");
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 5s);
}

TEST_F(HttpTransportTest, TotalTimeoutWhileDataKeepsFlowing) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  const TimePoint t0 = clock_.now();
  http.start(request("/trickle"), timeouts(std::nullopt, 2s, 300ms), h);
  const Duration took = clock_.now() - t0;
  EXPECT_EQ(h.final_.code(), StatusCode::kTimeout) << h.final_.to_string();
  EXPECT_EQ(h.final_.timeout_phase(), TimeoutPhase::kTotal);
  EXPECT_GE(h.chunks_, 2);
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 5s);
}

TEST_F(HttpTransportTest, ConnectionRefused) {
  // Bind a port (without listening) and close it: connecting there is refused.
  int closed_port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    closed_port = ntohs(addr.sin_port);
    ::close(fd);
  }
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  HttpRequest r = request("/chat/completions");
  r.base_url = "http://127.0.0.1:" + std::to_string(closed_port) + "/v1";
  http.start(r, timeouts(std::nullopt, std::nullopt, std::nullopt, 2s), h);
  EXPECT_EQ(h.final_.code(), StatusCode::kConnectionReset) << h.final_.to_string();
  EXPECT_EQ(h.heads_, 0);
  EXPECT_EQ(h.completes_, 1);
}

TEST_F(HttpTransportTest, CancelFromAnotherThread) {
  adapters::HttpTransport http(clock_);
  WaitableHandler h;
  CallPtr call = http.start_async(request("/stall-body"), timeouts(std::nullopt, std::nullopt, 30s), h);
  ASSERT_TRUE(h.wait_for([](const RecordingHandler& r) { return !r.body_.empty(); }));
  EXPECT_FALSE(call->done());
  const TimePoint t0 = clock_.now();
  call->cancel();
  ASSERT_TRUE(h.wait_for([](const RecordingHandler& r) { return r.completes_ == 1; }));
  EXPECT_LT(clock_.now() - t0, 5s);
  EXPECT_EQ(h.inner_.final_.code(), StatusCode::kCancelled) << h.inner_.final_.to_string();
  call.reset();  // joins the call's thread
}

TEST_F(HttpTransportTest, HandlerReturningFalseCancels) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  h.abort_after_first_chunk_ = true;
  http.start(request("/stall-body"), timeouts(std::nullopt, std::nullopt, 30s), h);
  EXPECT_EQ(h.final_.code(), StatusCode::kCancelled) << h.final_.to_string();
  EXPECT_EQ(h.chunks_, 1);
}

TEST_F(HttpTransportTest, ChatClientOverHttpTransportEndToEnd) {
  adapters::HttpTransport http(clock_);
  auto adapter = adapters::openai::make_openai_adapter();
  Endpoint ep{"openai", "http://127.0.0.1:" + std::to_string(port_) + "/v1/e2e", Secret("sk-test-e2e-0123456789"), {}};
  ChatClient client(*adapter, ep, http, clock_, timeouts(5s, 5s, 30s, 5s));
  ChatRequest req;
  req.model = "gpt-4o";
  req.messages = {Message::User("hi")};
  auto done = client.complete(req);
  ASSERT_OK(done);
  EXPECT_EQ(done->content, "Hello!");
  EXPECT_EQ(done->request_id, "req_e2e");
  EXPECT_EQ(done->usage->total_tokens, 7u);
  std::vector<StreamEvent> seen;
  req.stream = true;
  auto streamed = client.stream(req, [&](const StreamEvent& e) { seen.push_back(e); });
  ASSERT_OK(streamed);
  EXPECT_EQ(streamed->content, "Hello!");
  EXPECT_EQ(streamed->finish_reason, FinishReason::kStop);
  ASSERT_TRUE(streamed->usage.has_value());
  EXPECT_EQ(streamed->usage->completion_tokens, 2u);
  EXPECT_EQ(seen.size(), 4u);  // start, text "Hello!" (one SSE event split across TCP writes), finish, usage
}

TEST_F(HttpTransportTest, BadBaseUrlIsInvalidRequest) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  HttpRequest r = request("/x");
  r.base_url = "ftp://nowhere";
  http.start(r, CallOptions{}, h);
  EXPECT_EQ(h.final_.code(), StatusCode::kInvalidRequest);
  EXPECT_EQ(h.completes_, 1);
}

// ---- the plain-HTTP engine (ploke::net::HttpClient) against ploke::net::HttpServer, whose
// socket-level endings (reset, close) let the tests cut a response exactly where they want.

class PlainHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = net::HttpServer::Start(net::ServerOptions{}, clock_, [this](net::Request& req, net::Responder res) {
      ++requests_;
      Headers h;
      h.add("content-type", "text/plain");
      if (req.path == "/chunked") {
        res.start(200, std::move(h));
        res.write(std::string("one,"));
        res.write(std::string("two"));
        res.finish();
      } else if (req.path == "/length") {
        res.respond(200, std::move(h), "exactly-17-bytes!");
      } else if (req.path == "/close") {
        h.add("Connection", "close");
        res.respond(200, std::move(h), "bye");
      } else if (req.path == "/reset-mid-body") {
        res.start(200, std::move(h), 1000);
        res.write(std::string("some of it"));
        res.reset();
      } else if (req.path == "/drop-second" && requests_ % 2 == 0) {
        res.close();  // reads the request, closes without a byte
      } else if (req.path == "/silent") {
        // never answers
      } else {
        res.respond(200, std::move(h), "ok");
      }
    });
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    server_ = std::move(*s);
  }
  void TearDown() override { server_->stop(); }
  HttpRequest req(const std::string& path, const char* method = "GET") {
    HttpRequest r;
    r.method = method;
    r.base_url = server_->url();
    r.path = "/" + path;
    return r;
  }
  RealClock clock_;
  std::atomic<int> requests_{0};
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(PlainHttpTest, ChunkedContentLengthAndConnectionClose) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  http.start(req("chunked"), CallOptions{}, h);
  EXPECT_OK(h.final_);
  EXPECT_EQ(h.body_, "one,two");
  EXPECT_EQ(http.idle_connections(), 1u);
  RecordingHandler l;
  http.start(req("length"), CallOptions{}, l);
  EXPECT_OK(l.final_);
  EXPECT_EQ(l.body_, "exactly-17-bytes!");
  EXPECT_EQ(l.headers_.get("Content-Length").value_or(""), "17");
  RecordingHandler c;
  http.start(req("close"), CallOptions{}, c);
  EXPECT_OK(c.final_);
  EXPECT_EQ(c.body_, "bye");
  EXPECT_EQ(http.idle_connections(), 0u);  // the server said close: not pooled
}

TEST_F(PlainHttpTest, ResetMidBodyIsConnectionReset) {
  adapters::HttpTransport http(clock_);
  RecordingHandler h;
  http.start(req("reset-mid-body"), CallOptions{}, h);
  EXPECT_EQ(h.status_, 200);
  EXPECT_EQ(h.body_, "some of it");
  EXPECT_EQ(h.final_.code(), StatusCode::kConnectionReset) << h.final_.to_string();
  EXPECT_EQ(http.idle_connections(), 0u);
}

TEST_F(PlainHttpTest, DroppedReusedConnectionIsRetriedOnlyForIdempotentRequests) {
  adapters::HttpTransport http(clock_);
  RecordingHandler warm;
  http.start(req("warm"), CallOptions{}, warm);  // request 1: pooled
  ASSERT_OK(warm.final_);
  RecordingHandler g;
  http.start(req("drop-second"), CallOptions{}, g);  // request 2 dropped, 3 retried on a new connection
  EXPECT_OK(g.final_);
  EXPECT_EQ(g.body_, "ok");
  EXPECT_EQ(requests_.load(), 3);
  RecordingHandler p;
  http.start(req("drop-second", "POST"), CallOptions{}, p);  // request 4 dropped: POST is not retried
  EXPECT_EQ(p.final_.code(), StatusCode::kConnectionReset) << p.final_.to_string();
  EXPECT_EQ(requests_.load(), 4);
}

TEST_F(PlainHttpTest, TimeoutsOnASimulatedClockMovedByTheTest) {
  SimulatedClock sim;
  adapters::HttpTransport http(sim);
  RecordingHandler h;
  auto call = http.start_async(req("silent"), timeouts(20s, std::nullopt, std::nullopt), h);
  // Nothing happens in virtual time until the clock moves past the first-byte limit.
  while (requests_.load() == 0) clock_.sleep_for(1ms);
  EXPECT_FALSE(call->done());
  // The client takes the first-byte start (the simulated now) once it has sent the request,
  // which can be after the server saw it: move the clock until the call ends.
  while (!call->done()) {
    sim.advance(21s);
    clock_.sleep_for(1ms);
  }
  call.reset();  // joins
  EXPECT_EQ(h.final_.timeout_phase(), TimeoutPhase::kFirstByte) << h.final_.to_string();
  EXPECT_EQ(h.completes_, 1);
}

}  // namespace
}  // namespace ploke
