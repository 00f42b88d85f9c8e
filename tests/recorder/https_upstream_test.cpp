// Recording from an HTTPS upstream (the live providers are all HTTPS). The upstream is a
// cpp-httplib SSLServer on loopback with a self-signed certificate made at test time
// (support/test_tls.h); it answers one JSON completion and one SSE
// stream. The recorder must forward both over TLS, record them (stream chunks included)
// with the key redacted, and refuse an unverifiable certificate unless told --insecure.
#include <httplib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "ploke/codec/cassette_json.h"
#include "ploke/recorder/recorder.h"
#include "recorder_test_util.h"
#include "support/test_tls.h"

namespace ploke::recorder {
namespace {

using namespace ploke::recorder::testing;

constexpr const char* kCompletion =
    R"({"id":"chatcmpl-tls","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"over TLS"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";

class HttpsUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto cert = ploke::testing::make_test_certificate(dir_.path(), "upstream", {"127.0.0.1"});
    server_ = std::make_unique<httplib::SSLServer>(cert.cert_file.c_str(), cert.key_file.c_str());
    ASSERT_TRUE(server_->is_valid());
    server_->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      seen_auth_ = req.get_header_value("Authorization");
      if (req.body.find("\"stream\":true") == std::string::npos) {
        res.set_header("x-request-id", "req_tls_1");
        res.set_content(kCompletion, "application/json");
        return;
      }
      res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
        const char* events[] = {
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\n",
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"B\"}}]}\n\n",
            "data: [DONE]\n\n"};
        for (const char* e : events) sink.write(e, std::strlen(e));
        sink.done();
        return true;
      });
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // (bind_to_any_port already listens: connections queue until the accept loop runs)
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  std::unique_ptr<Recorder> start(bool verify_tls) {
    RecorderOptions o;
    o.upstream = "https://127.0.0.1:" + std::to_string(port_);
    o.cassette_path = dir_.file("tls.json");
    o.mode = RecordMode::kAll;
    o.flush_interval = Duration{0};
    o.verify_tls = verify_tls;
    o.max_idle_upstream = 4;
    auto r = Recorder::Create(o, clock_);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return nullptr;
    Status st = (*r)->Start();
    EXPECT_TRUE(st.ok()) << st.to_string();
    return std::move(r).value();
  }

  RealClock clock_;
  TempDir dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::string seen_auth_;
};

TEST_F(HttpsUpstreamTest, RecordsJsonAndStreamsOverTlsWithTheKeyRedacted) {
  const std::string kKey = "sk-proj-FAKEtlsUpstreamKey0123456789abcdef";
  auto rec = start(/*verify_tls=*/false);
  ASSERT_TRUE(rec);
  Headers h;
  h.add("Authorization", "Bearer " + kKey);
  Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions", chat_body("gpt-4o", false), h);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kCompletion);
  EXPECT_EQ(seen_auth_, "Bearer " + kKey);  // forwarded to the upstream as sent
  r = send(clock_, rec->url(), "POST", "/v1/chat/completions", chat_body("gpt-4o", true), h);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"content\":\"B\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("[DONE]"), std::string::npos) << r.body;
  ASSERT_OK(rec->stop());

  auto c = codec::load_cassette_file(dir_.file("tls.json"));
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->interactions.size(), 2u);
  EXPECT_FALSE(c->interactions[0].response.streamed);
  EXPECT_EQ(c->interactions[0].response.body.bytes, kCompletion);
  EXPECT_TRUE(c->interactions[1].response.streamed);
  std::string streamed;
  for (const auto& ch : c->interactions[1].response.chunks) streamed += ch.data;
  EXPECT_NE(streamed.find("[DONE]"), std::string::npos);
  std::ifstream in(dir_.file("tls.json"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string file = ss.str();
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(file.find(kKey), std::string::npos) << "the key reached the cassette";
  EXPECT_NE(file.find("REDACTED"), std::string::npos);
}

TEST_F(HttpsUpstreamTest, SelfSignedUpstreamIsRefusedUnlessInsecure) {
  auto rec = start(/*verify_tls=*/true);
  ASSERT_TRUE(rec);
  Reply r = send(clock_, rec->url(), "POST", "/v1/chat/completions", chat_body("gpt-4o", false));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("https://127.0.0.1:" + std::to_string(port_)), std::string::npos) << r.body;
  ASSERT_OK(rec->stop());
  EXPECT_EQ(rec->stats().recorded, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("tls.json")));
}

}  // namespace
}  // namespace ploke::recorder
