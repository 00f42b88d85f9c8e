// Recording from an HTTPS upstream (the live providers are all HTTPS). The upstream is a
// cpp-httplib SSLServer on loopback with a self-signed certificate made at test time
// (OpenSSL API, no files from the network); it answers one JSON completion and one SSE
// stream. The recorder must forward both over TLS, record them (stream chunks included)
// with the key redacted, and refuse an unverifiable certificate unless told --insecure.
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "ploke/codec/cassette_json.h"
#include "ploke/recorder/recorder.h"
#include "recorder_test_util.h"

namespace ploke::recorder {
namespace {

using namespace ploke::recorder::testing;

// Writes a fresh EC key and a self-signed certificate for 127.0.0.1 as PEM files.
bool make_self_signed(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");  // fast to generate (RSA-2048 takes ~0.3 s)
  if (pkey == nullptr) return false;
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  const bool signed_ok = X509_sign(x, pkey, EVP_sha256()) > 0;
  FILE* cf = std::fopen(cert_path.c_str(), "w");
  FILE* kf = std::fopen(key_path.c_str(), "w");
  const bool ok = signed_ok && cf != nullptr && kf != nullptr && PEM_write_X509(cf, x) == 1 &&
                  PEM_write_PrivateKey(kf, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cf != nullptr) std::fclose(cf);
  if (kf != nullptr) std::fclose(kf);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return ok;
}

constexpr const char* kCompletion =
    R"({"id":"chatcmpl-tls","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"over TLS"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";

class HttpsUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(make_self_signed(dir_.file("cert.pem"), dir_.file("key.pem")));
    server_ = std::make_unique<httplib::SSLServer>(dir_.file("cert.pem").c_str(), dir_.file("key.pem").c_str());
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
    o.threads = 4;
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
