// Client keys on the gateway (ploke/gateway/client_keys.h): the master key and client keys
// from the cost ledger, in process over two simulators on a SimulatedClock; the ledger is
// a SQLite file in a temp dir. Each endpoint costs 0.01 USD per request (request_usd), so
// budgets are exact.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/gateway/client_keys.h"
#include "ploke/resilience/shared_state.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/ledger_usage.h"
#include "ploke/ledger/ledger.h"
#include "ploke/simulator/engine.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;

struct Recorder final : Responder {
  int status = 0;
  Headers headers;
  std::string body;
  void reply(int s, const Headers& h, std::string b) override {
    status = s;
    headers = h;
    body = std::move(b);
  }
  void begin(int s, const Headers& h) override {
    status = s;
    headers = h;
  }
  void chunk(std::string d) override { body += d; }
  void finish() override {}
  std::string header(std::string_view n) const { return std::string(headers.get(n).value_or("")); }
};

using Hdrs = std::vector<std::pair<std::string, std::string>>;

const std::string kChat = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]})";
const std::string kMessages = R"({"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"hello"}]})";
const std::string kMaster = "sk-FAKE-master-planted-0123456789";
const Hdrs kAnthropic = {{"anthropic-version", "2023-06-01"}};

// A key as `gateway keys create` makes it (fixed bytes here: tests are deterministic).
std::string test_key(uint8_t seed) {
  std::vector<uint8_t> bytes(32);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return format_client_key(bytes);
}

class GatewayKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "gw_keys_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    remove_files();
    auto l = ledger::Ledger::open(path_, clock_);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    book_ = std::move(l).value();
    for (const char* p : {"sim-a", "sim-b"}) {  // the ledger prices a request as the façade does
      ledger::PriceRecord pr;
      pr.provider = p;
      pr.model = "gpt-4o-mini";
      pr.effective_from = clock_.system_now();
      pr.request = 0.01;
      ASSERT_TRUE(book_->add_price(pr).ok());
    }
    usage_ = std::make_unique<LedgerUsage>(*book_, clock_, "gateway");
    for (int i = 0; i < 2; ++i) {
      simulator::SimOptions o;
      o.seed = 40 + static_cast<uint64_t>(i);
      o.latency.time_to_first_token = std::chrono::milliseconds(5);
      o.latency.tokens_per_second = 1000;
      auto e = simulator::SimEngine::Create(o, clock_);
      ASSERT_TRUE(e.ok());
      engines_.push_back(std::move(e).value());
      transports_.push_back(std::make_unique<InProcessTransport>(clock_, simulator::engine_handler(*engines_.back())));
    }
    resilience::LlmClientOptions lo;
    lo.usage_sink = usage_.get();
    client_ = std::make_unique<resilience::LlmClient>(clock_, lo);
    for (int i = 0; i < 2; ++i) {
      const std::string name = i == 0 ? "sim-a" : "sim-b";
      resilience::EndpointConfig c;
      c.candidate.id = name + "/gpt-4o-mini";
      c.candidate.provider = name;
      c.candidate.model = "gpt-4o-mini";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.candidate.request_usd = 0.01;
      c.adapter = adapter_.get();
      c.endpoint.provider = name;
      c.endpoint.base_url = "http://sim/v1";
      c.transport = transports_[static_cast<size_t>(i)].get();
      infos_.push_back({c.candidate.id, c.candidate.provider, c.candidate.model, true});
      ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
    }
  }
  void TearDown() override {
    gw_.reset();
    auth_.reset();
    client_.reset();
    usage_.reset();
    book_.reset();
    remove_files();
  }
  void remove_files() {
    for (const char* ext : {"", "-wal", "-shm"}) std::remove((path_ + ext).c_str());
  }

  // The gateway with auth on (a master key; client keys from the ledger).
  void start(std::ostream* log_to = nullptr) {
    gw_.reset();
    ClientAuthOptions ao;
    ao.master_key = Secret(kMaster);
    auth_ = std::make_unique<ClientAuth>(book_.get(), clock_, ao);
    ASSERT_TRUE(auth_->load().ok());
    GatewayOptions go;
    go.auth = auth_.get();
    if (log_to != nullptr) {
      logging::LogOptions lo;
      lo.format = logging::Format::kJson;
      log_ = logging::Logger::ToStream(*log_to, lo);
      go.logger = log_.get();
    }
    gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
    gw_->set_on_completed([this](const Completed& c) { usage_->record_request(c); });
  }

  // Stores a client key as `gateway keys create` does; returns {id, key}.
  std::pair<std::string, std::string> create(uint8_t seed, std::optional<double> budget = std::nullopt,
                                             std::optional<uint32_t> rpm = std::nullopt,
                                             std::vector<std::string> models = {}) {
    const std::string key = test_key(seed);
    ledger::ClientKeyRecord r;
    r.name = "team-" + std::to_string(seed);
    r.hash = hash_client_key(key);
    r.prefix = client_key_prefix(key);
    r.max_budget_usd = budget;
    r.rpm = rpm;
    r.models = std::move(models);
    auto stored = book_->add_client_key(r);
    EXPECT_TRUE(stored.ok()) << stored.status().to_string();
    return {stored.ok() ? stored->id : "", key};
  }

  std::shared_ptr<Recorder> call(const std::string& method, const std::string& path, const std::string& body,
                                 const Hdrs& headers = {}) {
    Request r;
    r.method = method;
    r.path = path;
    r.body = body;
    for (const auto& [k, v] : headers) r.headers.add(k, v);
    auto rec = std::make_shared<Recorder>();
    gw_->handle(std::move(r), rec);
    return rec;
  }
  std::shared_ptr<Recorder> chat(const std::string& key, const std::string& body = kChat) {
    return call("POST", "/v1/chat/completions", body, {{"authorization", "Bearer " + key}});
  }
  std::shared_ptr<Recorder> messages(const std::string& key, const std::string& body = kMessages) {
    Hdrs h = kAnthropic;
    h.emplace_back("x-api-key", key);
    return call("POST", "/v1/messages", body, h);
  }
  std::string file_bytes() {
    (void)usage_->flush();
    std::string all;
    for (const char* ext : {"", "-wal"}) {
      std::ifstream f(path_ + ext, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return all;
  }

  SimulatedClock clock_;
  std::string path_;
  ProviderAdapterPtr adapter_ = adapters::openai::make_openai_adapter();
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::vector<EndpointInfo> infos_;
  std::unique_ptr<ledger::Ledger> book_;
  std::unique_ptr<LedgerUsage> usage_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<logging::Logger> log_;
  std::unique_ptr<ClientAuth> auth_;
  std::unique_ptr<Gateway> gw_;
};

TEST(ClientKeyFormat, KeyHashAndPrefix) {
  const std::string k = test_key(1);
  EXPECT_EQ(k.rfind("sk-ploke-", 0), 0u);
  EXPECT_EQ(k.size(), 9u + 32u);
  EXPECT_EQ(hash_client_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
  EXPECT_EQ(client_key_prefix(k), k.substr(0, 13) + "\xE2\x80\xA6");
  Headers h;
  h.add("Authorization", "bearer  " + k);
  EXPECT_EQ(presented_key(h), k);
  Headers x;
  x.add("X-Api-Key", k);
  EXPECT_EQ(presented_key(x), k);
  EXPECT_EQ(presented_key(Headers{}), "");
}

// No key: 401 in each protocol's error shape, and nothing reaches an upstream.
TEST_F(GatewayKeysTest, MissingKeyIs401InTheClientsProtocol) {
  start();
  auto o = call("POST", "/v1/chat/completions", kChat);
  EXPECT_EQ(o->status, 401);
  const json oj = json::parse(o->body);
  EXPECT_EQ(oj["error"]["code"], "invalid_api_key") << o->body;
  EXPECT_EQ(oj["error"]["type"], "invalid_request_error");
  EXPECT_NE(oj["error"]["message"].get<std::string>().find("no API key"), std::string::npos);
  auto a = call("POST", "/v1/messages", kMessages, kAnthropic);
  EXPECT_EQ(a->status, 401);
  const json aj = json::parse(a->body);
  EXPECT_EQ(aj["type"], "error") << a->body;
  EXPECT_EQ(aj["error"]["type"], "authentication_error");
  EXPECT_EQ(call("POST", "/v1/responses", R"({"model":"gpt-4o-mini","input":"hi"})")->status, 401);
  EXPECT_EQ(call("POST", "/v1/embeddings", R"({"model":"text-embedding-3-small","input":"hi"})")->status, 401);
  EXPECT_EQ(call("POST", "/api/v1/chat/completions", kChat)->status, 401);
  EXPECT_EQ(call("GET", "/v1/models", "")->status, 401);
  EXPECT_EQ(engines_[0]->request_count() + engines_[1]->request_count(), 0u);
}

// A wrong key is a 401 that does not echo the key, in the body or the access log.
TEST_F(GatewayKeysTest, WrongKeyIs401AndNeverEchoed) {
  std::ostringstream log;
  start(&log);
  create(1);
  const std::string wrong = "sk-FAKE-ploke-PLANTEDwrongKEY0123456789";
  auto o = chat(wrong);
  EXPECT_EQ(o->status, 401);
  EXPECT_NE(o->body.find("invalid API key"), std::string::npos) << o->body;
  auto a = messages(wrong);
  EXPECT_EQ(a->status, 401);
  EXPECT_EQ(json::parse(a->body)["error"]["type"], "authentication_error");
  gw_.reset();
  log_.reset();  // flushed (and gone before the stream it writes to)
  for (const std::string& text : {o->body, a->body, log.str(), file_bytes()}) {
    EXPECT_EQ(text.find("PLANTEDwrong"), std::string::npos) << text;
  }
  EXPECT_NE(log.str().find("401"), std::string::npos) << log.str();
}

// The access line names the admitted key by its id (or "master"), never by the key.
TEST_F(GatewayKeysTest, AccessLineCarriesTheKeyId) {
  std::ostringstream log;
  start(&log);
  auto [id, key] = create(15);
  ASSERT_EQ(chat(key)->status, 200);
  ASSERT_EQ(chat(kMaster)->status, 200);
  gw_.reset();
  log_.reset();
  std::vector<json> lines;
  std::istringstream in(log.str());
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  ASSERT_EQ(lines.size(), 2u) << log.str();
  EXPECT_EQ(lines[0]["key_id"], id);
  EXPECT_EQ(lines[1]["key_id"], "master");
  EXPECT_EQ(log.str().find(key.substr(9)), std::string::npos);
}

// A client key works from the OpenAI SDK's header and the Anthropic SDK's; so does the master.
TEST_F(GatewayKeysTest, ClientAndMasterKeysAreServedWithEitherHeader) {
  start();
  auto [id, key] = create(2);
  auto o = chat(key);
  EXPECT_EQ(o->status, 200) << o->body;
  EXPECT_EQ(messages(key)->status, 200);
  EXPECT_EQ(chat(kMaster)->status, 200);
  EXPECT_EQ(messages(kMaster)->status, 200);
  EXPECT_EQ(call("GET", "/v1/models", "", {{"authorization", "Bearer " + key}})->status, 200);
  // The request row carries the key's id (never the key).
  ASSERT_TRUE(usage_->flush().ok());
  auto keys = book_->client_keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_NEAR((*keys)[0].spend_usd, 0.02, 1e-9);  // two requests by the key, the master's are not counted
}

// A revocation reaches the running gateway at the next poll (≤ 1 s of the injected clock).
TEST_F(GatewayKeysTest, RevokedKeyIs401WithinTheReloadInterval) {
  start();
  auto [id, key] = create(3);
  auto [other_id, other] = create(4);
  ASSERT_EQ(chat(key)->status, 200);
  ASSERT_TRUE(book_->revoke_client_key(id).ok());
  clock_.advance(std::chrono::seconds(1));
  auto r = chat(key);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("revoked"), std::string::npos) << r->body;
  EXPECT_EQ(messages(key)->status, 401);
  EXPECT_EQ(chat(other)->status, 200);
  // A key created while the gateway runs is usable after the next poll too.
  auto [new_id, fresh] = create(5);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(chat(fresh)->status, 200);
  EXPECT_EQ(book_->revoke_client_key("vk-999").code(), StatusCode::kNotFound);
}

// A model outside the key's list: 403 naming the model, in both protocols; fallback models
// are checked too.
TEST_F(GatewayKeysTest, ModelNotAllowedIs403) {
  start();
  auto [id, key] = create(6, std::nullopt, std::nullopt, {"gpt-4o-mini"});
  EXPECT_EQ(chat(key)->status, 200);
  const std::string other = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]})";
  auto o = chat(key, other);
  EXPECT_EQ(o->status, 403);
  EXPECT_NE(o->body.find("Tried to access gpt-4o"), std::string::npos) << o->body;
  EXPECT_EQ(json::parse(o->body)["error"]["code"], "permission_denied");
  auto a = messages(key, R"({"model":"gpt-4o","max_tokens":64,"messages":[{"role":"user","content":"hello"}]})");
  EXPECT_EQ(a->status, 403);
  EXPECT_EQ(json::parse(a->body)["error"]["type"], "permission_error");
  const std::string fallback =
      R"({"model":"gpt-4o-mini","models":["gpt-4o"],"messages":[{"role":"user","content":"hello"}]})";
  EXPECT_EQ(chat(key, fallback)->status, 403);
  auto e = call("POST", "/v1/embeddings", R"({"model":"text-embedding-3-small","input":"hi"})",
                {{"authorization", "Bearer " + key}});
  EXPECT_EQ(e->status, 403) << e->body;
  EXPECT_NE(e->body.find("Tried to access text-embedding-3-small"), std::string::npos) << e->body;
  // The master key may use any model: past the key check, gpt-4o (no endpoint here) is the
  // gateway's 404 for an unknown name, not the 403.
  EXPECT_EQ(chat(kMaster, other)->status, 404);
}

// /v1/models lists only the key's models (as LiteLLM does); the master key sees them all.
TEST_F(GatewayKeysTest, ModelsListShowsTheKeysModels) {
  infos_.push_back({"sim-b/gpt-4o", "sim-b", "gpt-4o", true});  // a second model name to list
  start();
  auto [id, key] = create(13, std::nullopt, std::nullopt, {"gpt-4o"});
  auto [all_id, all] = create(14);
  auto ids = [this](const std::string& k, const std::string& path) {
    std::vector<std::string> out;
    auto r = call("GET", path, "", {{"authorization", "Bearer " + k}});
    EXPECT_EQ(r->status, 200) << r->body;
    const json page = json::parse(r->body);
    for (const auto& m : page["data"]) out.push_back(m["id"]);
    return out;
  };
  EXPECT_EQ(ids(key, "/v1/models"), std::vector<std::string>{"gpt-4o"});
  EXPECT_EQ(ids(key, "/api/v1/models"), std::vector<std::string>{"gpt-4o"});
  EXPECT_EQ(ids(all, "/v1/models"), (std::vector<std::string>{"gpt-4o-mini", "gpt-4o"}));
  EXPECT_EQ(ids(kMaster, "/v1/models").size(), 2u);
  EXPECT_EQ(call("GET", "/v1/models/gpt-4o-mini", "", {{"authorization", "Bearer " + key}})->status, 404);
  EXPECT_EQ(call("GET", "/v1/models/gpt-4o", "", {{"authorization", "Bearer " + key}})->status, 200);
}

// Spend per key: over its budget a key is refused (400, LiteLLM's wording) while another
// key still works; the spend survives a restart (read back from the ledger).
TEST_F(GatewayKeysTest, BudgetPerKeyRefusesOnlyThatKey) {
  start();
  auto [id, key] = create(7, 0.015);
  auto [other_id, other] = create(8, 1.0);
  EXPECT_EQ(chat(key)->status, 200);  // spend 0.01
  EXPECT_EQ(chat(key)->status, 200);  // 0.01 < 0.015: allowed; spend 0.02
  auto r = chat(key);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("Budget has been exceeded"), std::string::npos) << r->body;
  EXPECT_EQ(messages(key)->status, 400);
  EXPECT_EQ(chat(other)->status, 200);
  EXPECT_NEAR(auth_->spend(id), 0.02, 1e-9);
  // A new gateway over the same ledger: the spend is read back.
  ASSERT_TRUE(usage_->flush().ok());
  start();
  EXPECT_EQ(chat(key)->status, 400);
  EXPECT_EQ(chat(other)->status, 200);
}

// rpm per key: a sliding minute on the injected clock; the refusal is a 429 with
// retry-after, and the key is served again once the oldest request leaves the window.
TEST_F(GatewayKeysTest, RpmPerKeyIs429WithRetryAfterThenAllowed) {
  start();
  auto [id, key] = create(9, std::nullopt, 2);
  auto [other_id, other] = create(10, std::nullopt, 2);
  const TimePoint t0 = clock_.now();
  ASSERT_EQ(chat(key)->status, 200);
  clock_.advance_to(t0 + std::chrono::seconds(10));
  ASSERT_EQ(chat(key)->status, 200);
  auto r = chat(key);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "rate_limit_exceeded") << r->body;
  const int retry = std::stoi(r->header("retry-after"));
  EXPECT_GE(retry, 49);
  EXPECT_LE(retry, 60);
  auto a = messages(key);
  EXPECT_EQ(a->status, 429);
  EXPECT_EQ(json::parse(a->body)["error"]["type"], "rate_limit_error");
  EXPECT_FALSE(a->header("retry-after").empty());
  EXPECT_EQ(chat(other)->status, 200);  // per key
  clock_.advance_to(t0 + std::chrono::seconds(61));
  EXPECT_EQ(chat(key)->status, 200);
}

// ClientAuthOptions::shared: two gateways' ClientAuth over one store share a key's rpm.
TEST_F(GatewayKeysTest, SharedRpmWindowAcrossTwoInstances) {
  auto [id, key] = create(11, std::nullopt, 3);
  resilience::MemoryStore store(clock_);
  resilience::SharedState sa(clock_, store, {.instance_id = "a"}), sb(clock_, store, {.instance_id = "b"});
  ClientAuth a(book_.get(), clock_, ClientAuthOptions{.shared = &sa});
  ClientAuth b(book_.get(), clock_, ClientAuthOptions{.shared = &sb});
  ASSERT_TRUE(a.load().ok());
  ASSERT_TRUE(b.load().ok());
  Headers h;
  h.add("authorization", "Bearer " + key);
  int admitted = 0;
  Status last;
  for (int i = 0; i < 4; ++i) {
    for (ClientAuth* auth : {&a, &b}) {
      auto g = auth->admit(h);
      if (g.ok()) ++admitted;
      else last = g.status();
    }
  }
  EXPECT_EQ(admitted, 3);  // one limit for both instances (each alone would admit 3)
  EXPECT_EQ(last.code(), StatusCode::kRateLimited);
  EXPECT_TRUE(ClientAuth::is_refusal(last)) << last.to_string();
  ASSERT_TRUE(last.retry_after().has_value());
  clock_.advance(std::chrono::seconds(62));
  EXPECT_TRUE(b.admit(h).ok());
}

// Operator routes need the master key; the probes stay open.
TEST_F(GatewayKeysTest, MasterKeyForAdminRoutesProbesOpen) {
  start();
  auto [id, key] = create(11);
  EXPECT_EQ(call("GET", "/__admin/health", "")->status, 401);
  EXPECT_EQ(call("GET", "/__admin/health", "", {{"authorization", "Bearer " + key}})->status, 401);
  EXPECT_EQ(call("GET", "/__admin/health", "", {{"authorization", "Bearer " + kMaster}})->status, 200);
  EXPECT_EQ(call("GET", "/metrics", "", {{"authorization", "Bearer " + key}})->status, 401);
  EXPECT_EQ(call("GET", "/metrics", "", {{"x-api-key", kMaster}})->status, 200);
  EXPECT_EQ(call("POST", "/__admin/breakers/reset", "", {{"authorization", "Bearer " + key}})->status, 401);
  EXPECT_EQ(call("POST", "/__admin/routing/policy", R"({"policy":"cost"})", {{"authorization", "Bearer " + key}})->status, 401);
  EXPECT_EQ(call("POST", "/__admin/routing/policy", R"({"policy":"cost"})", {{"authorization", "Bearer " + kMaster}})->status, 200);
  EXPECT_EQ(call("GET", "/healthz", "")->status, 200);
  EXPECT_EQ(call("GET", "/readyz", "")->status, 200);
}

// Without GatewayOptions::auth any key or none is accepted (auth off).
TEST_F(GatewayKeysTest, AuthOffAcceptsAnyKey) {
  GatewayOptions go;
  gw_ = std::make_unique<Gateway>(*client_, clock_, infos_, go);
  EXPECT_EQ(call("POST", "/v1/chat/completions", kChat)->status, 200);
  EXPECT_EQ(chat("sk-anything")->status, 200);
  EXPECT_EQ(call("GET", "/__admin/health", "")->status, 200);
}

// The ledger holds the key's hash and display prefix, never the key.
TEST_F(GatewayKeysTest, StoreHoldsNoPlaintextKey) {
  start();
  auto [id, key] = create(12);
  ASSERT_EQ(chat(key)->status, 200);
  const std::string bytes = file_bytes();
  EXPECT_EQ(bytes.find(key), std::string::npos);
  EXPECT_EQ(bytes.find(key.substr(13)), std::string::npos);  // not even the part after the prefix
  EXPECT_NE(bytes.find(hash_client_key(key)), std::string::npos);
  EXPECT_EQ(bytes.find(kMaster), std::string::npos);
  auto keys = book_->client_keys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)[0].id, id);
  EXPECT_EQ((*keys)[0].prefix, client_key_prefix(key));
}

}  // namespace
}  // namespace ploke::gateway
