// https:// on the event loop: LoopHttpClient's TLS client against HttpServer's TLS server
// (both non-blocking OpenSSL on libevent loops), with certificates made when the test runs
// (support/test_tls.h). Label: integration (loopback). Checked: a verified exchange, streams
// chunk by chunk, pooled connections keep their TLS session (one handshake), 64 calls in
// flight add no thread, verification failures (unknown CA, wrong name) are classified
// (kConnectionReset, should_retry=false) and name the reason, verify_tls=false, a plain
// HTTP peer and a silent one (connect timeout names the handshake), the server's TLS with
// another client (cpp-httplib through HttpTransport), and Start() errors for bad files.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "ploke/adapters/http_transport.h"
#include "ploke/net/event_loop.h"
#include "ploke/net/http_server.h"
#include "ploke/net/loop_client.h"
#include "support/test_support.h"
#include "support/test_tls.h"

namespace ploke::net {
namespace {

using namespace std::chrono_literals;
using ploke::testing::RecordingHandler;
using ploke::testing::TempDir;
using ploke::testing::TestCertificate;

using ploke::testing::wait_until;

size_t thread_count() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

class LoopClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = ploke::testing::make_test_certificate(dir_.path(), "upstream", {"localhost", "127.0.0.1"});
    ServerOptions one;
    one.threads = 1;
    auto host = HttpServer::Start(one, clock_, [](Request&, Responder res) {
      res.respond(404, "text/plain", "loop host");
    });
    ASSERT_TRUE(host.ok()) << host.status().to_string();
    host_ = std::move(*host);  // only its loop is used: calls start from there
  }
  void TearDown() override {
    if (host_) host_->stop();
    if (upstream_) upstream_->stop();
  }
  void start_upstream(Handler h, const TestCertificate& cert) {
    ServerOptions so;
    so.tls_cert_file = cert.cert_file;
    so.tls_key_file = cert.key_file;
    auto s = HttpServer::Start(so, clock_, std::move(h));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    upstream_ = std::move(*s);
  }
  HttpRequest get(std::string base, std::string path) {
    HttpRequest r;
    r.method = "GET";
    r.base_url = std::move(base);
    r.path = std::move(path);
    return r;
  }
  // Starts the call on the host's loop and waits for on_complete.
  void run(LoopHttpClient& client, const HttpRequest& req, RecordingHandler& h, CallOptions o = {}) {
    std::shared_ptr<CallPtr> call = std::make_shared<CallPtr>();
    host_->loop(0).post([&client, req, o, &h, call] { *call = client.start(req, o, h); });
    ASSERT_TRUE(wait_until(clock_, [&] { return h.completes_.load() == 1; }));
    host_->loop(0).post([call] { call->reset(); });
  }
  LoopHttpClient::Options trusting(const TestCertificate& cert) {
    LoopHttpClient::Options o;
    o.ca_file = cert.cert_file;
    return o;
  }

  RealClock clock_;
  TempDir dir_{"ploke-tls"};
  TestCertificate cert_;
  std::unique_ptr<HttpServer> host_;
  std::unique_ptr<HttpServer> upstream_;
};

TEST_F(LoopClientTlsTest, VerifiedExchangesReuseOneTlsSession) {
  start_upstream([](Request& req, Responder res) { res.respond(200, "text/plain", "tls " + req.method + " " + req.path + " " + req.body); }, cert_);
  ASSERT_EQ(upstream_->url().rfind("https://127.0.0.1:", 0), 0u) << upstream_->url();
  LoopHttpClient client(clock_, trusting(cert_));
  for (int i = 0; i < 5; ++i) {
    RecordingHandler h;
    HttpRequest r = get(upstream_->url(), "/x" + std::to_string(i));
    r.method = "POST";
    r.body = std::string(40000, 'b');  // larger than one TLS record
    run(client, r, h);
    ASSERT_TRUE(h.final_.ok()) << h.final_.to_string();
    EXPECT_EQ(h.status_.load(), 200);
    EXPECT_EQ(h.body_, "tls POST /x" + std::to_string(i) + " " + std::string(40000, 'b'));
  }
  EXPECT_EQ(client.loop_calls(), 5u);
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(client.tls_handshakes(), 1u);  // the pooled connection kept its session
}

// Writes "data: i" every 5 ms, 20 times, then ends.
struct Events {
  Responder res;
  int left;
  void operator()() {
    res.write("data: " + std::to_string(left) + "\n\n");
    if (--left == 0) return (void)res.finish();
    res.set_timer(res.clock().now() + 5ms, Events{res, left});
  }
};

TEST_F(LoopClientTlsTest, StreamsArriveChunkByChunk) {
  start_upstream([](Request&, Responder res) {
    Headers h;
    h.add("content-type", "text/event-stream");
    res.start(200, std::move(h));
    Events{res, 20}();
  }, cert_);
  LoopHttpClient client(clock_, trusting(cert_));
  RecordingHandler h;
  run(client, get(upstream_->url(), "/s"), h);
  ASSERT_TRUE(h.final_.ok()) << h.final_.to_string();
  std::string want;
  for (int i = 20; i > 0; --i) want += "data: " + std::to_string(i) + "\n\n";
  EXPECT_EQ(h.body_, want);
  EXPECT_GE(h.chunks_.load(), 10);  // delivered as they came, not at the end
}

TEST_F(LoopClientTlsTest, SixtyFourCallsInFlightAddNoThread) {
  std::mutex mu;
  std::vector<Responder> held;
  start_upstream([&](Request&, Responder res) {
    std::lock_guard<std::mutex> l(mu);
    held.push_back(res);
  }, cert_);
  LoopHttpClient client(clock_, trusting(cert_));
  const size_t before = thread_count();
  std::vector<std::unique_ptr<RecordingHandler>> hs;
  for (int i = 0; i < 64; ++i) hs.push_back(std::make_unique<RecordingHandler>());
  auto calls = std::make_shared<std::vector<CallPtr>>();
  host_->loop(0).post([&, calls] {
    for (auto& h : hs) calls->push_back(client.start(get(upstream_->url(), "/held"), CallOptions{}, *h));
  });
  ASSERT_TRUE(wait_until(clock_, [&] { return upstream_->in_flight() == 64; }));
  EXPECT_EQ(thread_count(), before);  // no thread per call, TLS included
  EXPECT_EQ(client.tls_handshakes(), 64u);
  {
    std::lock_guard<std::mutex> l(mu);
    for (Responder& r : held) r.respond(200, "text/plain", "ok");
  }
  ASSERT_TRUE(wait_until(clock_, [&] {
    for (auto& h : hs) if (h->completes_.load() != 1) return false;
    return true;
  }));
  for (auto& h : hs) EXPECT_TRUE(h->final_.ok()) << h->final_.to_string();
  host_->loop(0).post([calls] { calls->clear(); });
}

TEST_F(LoopClientTlsTest, UnknownCaAndWrongNameAreClassifiedFailures) {
  start_upstream([](Request&, Responder res) { res.respond(200, "text/plain", "never"); }, cert_);
  const TestCertificate other = ploke::testing::make_test_certificate(dir_.path(), "other", {"127.0.0.1"});
  LoopHttpClient untrusted(clock_, trusting(other));
  RecordingHandler h1;
  run(untrusted, get(upstream_->url(), "/"), h1);
  EXPECT_EQ(h1.final_.code(), StatusCode::kConnectionReset);
  EXPECT_EQ(h1.final_.should_retry(), std::optional<bool>(false));  // fall over, do not retry here
  EXPECT_NE(h1.final_.message().find("failed verification"), std::string::npos) << h1.final_.message();
  EXPECT_NE(h1.final_.message().find(upstream_->url()), std::string::npos) << h1.final_.message();
  EXPECT_EQ(h1.status_.load(), 0);

  // Trusted, but the name asked for is not in the certificate.
  const TestCertificate named = ploke::testing::make_test_certificate(dir_.path(), "named", {"api.example.test"});
  upstream_->stop();
  start_upstream([](Request&, Responder res) { res.respond(200, "text/plain", "never"); }, named);
  LoopHttpClient client(clock_, trusting(named));
  RecordingHandler h2;
  run(client, get(upstream_->url(), "/"), h2);
  EXPECT_EQ(h2.final_.code(), StatusCode::kConnectionReset);
  EXPECT_NE(h2.final_.message().find("mismatch"), std::string::npos) << h2.final_.message();

  LoopHttpClient::Options off;
  off.verify_tls = false;  // the user's explicit choice: no verification
  LoopHttpClient insecure(clock_, off);
  RecordingHandler h3;
  run(insecure, get(upstream_->url(), "/"), h3);
  EXPECT_TRUE(h3.final_.ok()) << h3.final_.to_string();
  EXPECT_EQ(h3.body_, "never");
}

TEST_F(LoopClientTlsTest, PlainPeerAndSilentPeerFailClearly) {
  auto plain = HttpServer::Start(ServerOptions{}, clock_, [](Request&, Responder res) { res.respond(200, "text/plain", "plain"); });
  ASSERT_TRUE(plain.ok());
  LoopHttpClient client(clock_, trusting(cert_));
  RecordingHandler h1;
  run(client, get("https://127.0.0.1:" + std::to_string((*plain)->port()), "/"), h1);
  EXPECT_EQ(h1.final_.code(), StatusCode::kConnectionReset);
  EXPECT_NE(h1.final_.message().find("TLS handshake with https://127.0.0.1:"), std::string::npos) << h1.final_.message();
  (*plain)->stop();

  // A listener that never answers: the TCP connect succeeds, the handshake never ends.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  RecordingHandler h2;
  CallOptions o;
  o.connect_timeout = 200ms;
  run(client, get("https://127.0.0.1:" + std::to_string(ntohs(a.sin_port)), "/"), h2, o);
  ::close(fd);
  EXPECT_EQ(h2.final_.code(), StatusCode::kTimeout);
  EXPECT_EQ(h2.final_.timeout_phase(), TimeoutPhase::kConnect);
  EXPECT_NE(h2.final_.message().find("(TLS handshake)"), std::string::npos) << h2.final_.message();
}

TEST_F(LoopClientTlsTest, ServerTlsWorksWithAnotherClientAndReportsBadFiles) {
  start_upstream([](Request& req, Responder res) { res.respond(200, "text/plain", "hello " + req.path); }, cert_);
  adapters::HttpTransport::Options to;
  to.ca_file = cert_.cert_file;
  adapters::HttpTransport httplib_client(clock_, to);  // off a loop: cpp-httplib + OpenSSL
  RecordingHandler h;
  httplib_client.start(get(upstream_->url(), "/h"), CallOptions{}, h);
  ASSERT_TRUE(h.final_.ok()) << h.final_.to_string();
  EXPECT_EQ(h.body_, "hello /h");

  ServerOptions bad;
  bad.name = "serve";
  bad.tls_cert_file = dir_.file("missing.crt");
  bad.tls_key_file = cert_.key_file;
  auto s1 = HttpServer::Start(bad, clock_, [](Request&, Responder) {});
  ASSERT_FALSE(s1.ok());
  EXPECT_EQ(s1.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(s1.status().message().find("missing.crt"), std::string::npos) << s1.status().message();
  const TestCertificate other = ploke::testing::make_test_certificate(dir_.path(), "other", {"localhost"});
  bad.tls_cert_file = other.cert_file;  // a key that is not this certificate's
  auto s2 = HttpServer::Start(bad, clock_, [](Request&, Responder) {});
  ASSERT_FALSE(s2.ok());
  EXPECT_NE(s2.status().message().find("mismatch"), std::string::npos) << s2.status().message();
  bad.tls_key_file.clear();
  auto s3 = HttpServer::Start(bad, clock_, [](Request&, Responder) {});
  ASSERT_FALSE(s3.ok());
  EXPECT_NE(s3.status().message().find("both"), std::string::npos) << s3.status().message();
}

}  // namespace
}  // namespace ploke::net
