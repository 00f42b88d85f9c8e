// The gateway with the façade configured like `ploke-sim gateway --config … --ledger …`
// builds it: [routing] from config.toml (cli::llm_client_options, cli/routing_options.h),
// the cost ledger as the façade's usage sink and budget oracle (gateway::LedgerUsage), request rows from
// Gateway::set_on_completed. In process, on a SimulatedClock; the ledger is a SQLite file
// in a temp dir. (The binary's own wiring: tests/cli/gateway_cli_test.sh.)
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/config/config.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/ledger_usage.h"
#include "ploke/ledger/ledger.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "routing_options.h"

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

const std::string kChat = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there, how are you today?"}]})";
const std::string kMessages = R"({"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"hello"}]})";

class GatewayLedgerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    gw_.reset();
    client_.reset();
    usage_.reset();
    book_.reset();
    for (const char* ext : {"", "-wal", "-shm"}) std::remove((path_ + ext).c_str());
  }

  // Builds the stack from a config.toml text (as the CLI does).
  void start(const std::string& toml) {
    path_ = ::testing::TempDir() + "gw_ledger_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* ext : {"", "-wal", "-shm"}) std::remove((path_ + ext).c_str());
    config::LoadOptions lopt;
    lopt.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
    config::LoadResult lr = config::parse_config(toml, "test.toml", lopt);
    ASSERT_TRUE(lr.ok()) << lr.status().message();
    auto l = ledger::Ledger::open(path_, clock_);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    book_ = std::move(l).value();
    std::vector<ledger::Budget> budgets;
    for (const auto& b : lr.config.budgets) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
    ASSERT_TRUE(book_->set_budgets(budgets).ok());
    for (const char* p : {"sim-a", "sim-b"}) {  // 1 mUSD per prompt token: one request costs more than the test budget
      ledger::PriceRecord pr;
      pr.provider = p;
      pr.model = "gpt-4o-mini";
      pr.effective_from = clock_.system_now();
      pr.prompt = 1e-3;
      pr.completion = 1e-3;
      ASSERT_TRUE(book_->add_price(pr).ok());
    }
    usage_ = std::make_unique<LedgerUsage>(*book_, clock_, "gateway", lr.config.active_profile);
    for (int i = 0; i < 2; ++i) {
      simulator::SimOptions o;
      o.seed = 20 + static_cast<uint64_t>(i);
      o.latency.time_to_first_token = std::chrono::milliseconds(5);
      o.latency.tokens_per_second = 1000;
      auto e = simulator::SimEngine::Create(o, clock_);
      ASSERT_TRUE(e.ok());
      engines_.push_back(std::move(e).value());
      transports_.push_back(std::make_unique<InProcessTransport>(clock_, simulator::engine_handler(*engines_.back())));
    }
    resilience::LlmClientOptions lo = cli::llm_client_options(lr.config.routing);
    lo.session = "gateway";
    lo.usage_sink = usage_.get();
    lo.budget_oracle = usage_.get();
    client_ = std::make_unique<resilience::LlmClient>(clock_, lo);
    std::vector<EndpointInfo> infos;
    for (int i = 0; i < 2; ++i) {
      const std::string name = i == 0 ? "sim-a" : "sim-b";
      resilience::EndpointConfig c;
      c.candidate.id = name + "/gpt-4o-mini";
      c.candidate.provider = name;
      c.candidate.model = "gpt-4o-mini";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.adapter = adapter_.get();
      c.endpoint.provider = name;
      c.endpoint.base_url = "http://sim/v1";
      c.transport = transports_[static_cast<size_t>(i)].get();
      c.call_options.first_byte_timeout = std::chrono::seconds(5);
      c.call_options.total_timeout = std::chrono::seconds(30);
      infos.push_back({c.candidate.id, c.candidate.provider, c.candidate.model});
      ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
    }
    GatewayOptions go;
    gw_ = std::make_unique<Gateway>(*client_, clock_, infos, go);
    gw_->set_on_completed([this](const Completed& c) { usage_->record_request(c); });
  }

  std::shared_ptr<Recorder> call(const std::string& method, const std::string& path, const std::string& body) {
    Request r;
    r.method = method;
    r.path = path;
    r.body = body;
    auto rec = std::make_shared<Recorder>();
    gw_->handle(std::move(r), rec);
    return rec;
  }
  void fault(int engine, const std::string& plan) {
    auto p = simulator::parse_fault_plan(plan, "test");
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    ASSERT_TRUE(engines_[static_cast<size_t>(engine)]->set_faults(*p).ok());
  }
  json health() { return json::parse(call("GET", "/__admin/health", "")->body); }

  SimulatedClock clock_;
  std::string path_;
  ProviderAdapterPtr adapter_ = adapters::openai::make_openai_adapter();
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::unique_ptr<ledger::Ledger> book_;
  std::unique_ptr<LedgerUsage> usage_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::unique_ptr<Gateway> gw_;
};

// [routing] reaches the gateway's façade: the policy (default would be reliability) and a
// breaker that opens after one failure (the default needs several).
TEST_F(GatewayLedgerTest, RoutingSectionConfiguresTheFacade) {
  start(R"([routing]
policy = "pinned"
[routing.breaker]
consecutive_failures = 1
)");
  EXPECT_EQ(health()["policy"], "pinned");
  fault(0, R"({"faults":[{"kind":"http_error","status":500}]})");
  auto r = call("POST", "/v1/chat/completions", kChat);
  ASSERT_EQ(r->status, 200) << r->body;
  const json h = health();
  EXPECT_EQ(h["endpoints"][0]["endpoint_id"], "sim-a/gpt-4o-mini");
  EXPECT_EQ(h["endpoints"][0]["breaker"], "open");  // one 500 was enough
  EXPECT_EQ(engines_[0]->request_count(), 1u);       // and it was not retried on sim-a
}

// Every attempt (the failed one too) reaches the ledger through the façade's usage hook,
// numbered within its request, with the request row; rows are batched until flush().
TEST_F(GatewayLedgerTest, LedgerRecordsEveryAttemptThroughTheFacade) {
  start(R"([routing]
policy = "pinned"
[routing.retry]
per_endpoint = 0
)");
  fault(0, R"({"faults":[{"kind":"http_error","status":500}]})");
  auto r = call("POST", "/v1/chat/completions", kChat);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string id = r->header("x-ploke-trace-id");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(book_->count_attempts().value(), 0u);  // batched, not yet written
  ASSERT_TRUE(usage_->flush().ok());
  auto rows = book_->attempts(id);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].number, 1u);
  EXPECT_EQ((*rows)[0].endpoint_id, "sim-a/gpt-4o-mini");
  EXPECT_EQ((*rows)[0].outcome, "server_error");
  EXPECT_EQ((*rows)[1].number, 2u);
  EXPECT_EQ((*rows)[1].endpoint_id, "sim-b/gpt-4o-mini");
  EXPECT_EQ((*rows)[1].outcome, "ok");
  EXPECT_EQ((*rows)[1].session, "gateway");
  EXPECT_GT((*rows)[1].usage.prompt, 0u);
  ledger::AggregateQuery q;
  q.by = "session";
  auto agg = book_->aggregate(q);
  ASSERT_TRUE(agg.ok());
  ASSERT_EQ(agg->size(), 1u);
  EXPECT_EQ((*agg)[0].key, "gateway");
  EXPECT_EQ((*agg)[0].requests, 1u);
  EXPECT_EQ((*agg)[0].attempts, 2u);
  EXPECT_EQ((*agg)[0].failed, 1u);
  EXPECT_GT((*agg)[0].spend_usd, 0.0);  // priced from the ledger's price rows
  EXPECT_EQ(usage_->write_errors(), 0u);
}

// A "stop" budget: once spent, requests fail with insufficient_credits in the shape of the
// protocol the client spoke (OpenAI 429 insufficient_quota, not retried; Anthropic 402) and
// nothing more is sent upstream.
TEST_F(GatewayLedgerTest, StopBudgetRefusesInProtocolShape) {
  start(R"([routing]
policy = "pinned"
[[budgets]]
scope = "global"
period = "day"
limit_usd = 0.000001
action = "stop"
)");
  auto first = call("POST", "/v1/chat/completions", kChat);
  ASSERT_EQ(first->status, 200) << first->body;  // nothing spent yet (and no forecast price)
  const uint64_t sent = engines_[0]->request_count() + engines_[1]->request_count();
  auto r = call("POST", "/v1/chat/completions", kChat);
  EXPECT_EQ(r->status, 429) << r->body;
  const json e = json::parse(r->body);
  EXPECT_EQ(e["error"]["code"], "insufficient_quota");
  EXPECT_EQ(e["error"]["type"], "insufficient_quota");
  // OpenAI's own wording for insufficient_quota, then the gateway's budget (no internal labels).
  EXPECT_EQ(e["error"]["message"],
            "You exceeded your current quota, please check your plan and billing details. The spending budget that "
            "applies to this request is exhausted.");
  EXPECT_EQ(r->header("x-should-retry"), "false");
  auto a = call("POST", "/v1/messages", kMessages);
  EXPECT_EQ(a->status, 402) << a->body;
  EXPECT_EQ(json::parse(a->body)["error"]["type"], "billing_error");
  EXPECT_EQ(engines_[0]->request_count() + engines_[1]->request_count(), sent);  // nothing sent when stopped
  ASSERT_TRUE(usage_->flush().ok());
  ledger::AggregateQuery q;
  q.by = "outcome";
  auto agg = book_->aggregate(q);
  ASSERT_TRUE(agg.ok());
  uint64_t attempts = 0;
  for (const auto& row : *agg) attempts += row.attempts;
  EXPECT_EQ(attempts, 1u);
}

// An embeddings request reaches the ledger like a chat request: one attempt row under the
// embedding model (not the endpoint's chat model), its input tokens priced at that model's
// input price ($0.02 per 1M tokens for text-embedding-3-small), and the request row.
TEST_F(GatewayLedgerTest, EmbeddingsAreCostedAtTheEmbeddingModelsInputPrice) {
  start(R"([routing]
policy = "pinned"
)");
  for (const char* p : {"sim-a", "sim-b"}) {
    ledger::PriceRecord pr;
    pr.provider = p;
    pr.model = "text-embedding-3-small";
    pr.effective_from = clock_.system_now();
    pr.prompt = 0.02 / 1e6;
    ASSERT_TRUE(book_->add_price(pr).ok());
  }
  auto r = call("POST", "/v1/embeddings", R"({"model":"text-embedding-3-small","input":["one text","and another"]})");
  ASSERT_EQ(r->status, 200) << r->body;
  const uint64_t tokens = json::parse(r->body)["usage"]["prompt_tokens"].get<uint64_t>();
  ASSERT_GT(tokens, 0u);
  const std::string id = r->header("x-ploke-trace-id");
  ASSERT_TRUE(usage_->flush().ok());
  auto rows = book_->attempts(id);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].model, "text-embedding-3-small");
  EXPECT_EQ((*rows)[0].provider, "sim-a");
  EXPECT_EQ((*rows)[0].usage.prompt, tokens);
  EXPECT_EQ((*rows)[0].usage.completion, 0u);
  auto cost = book_->attempt_cost(id, 1);
  ASSERT_TRUE(cost.ok()) << cost.status().to_string();
  EXPECT_NEAR(*cost, static_cast<double>(tokens) * 0.02 / 1e6, 1e-15);
  EXPECT_GT(*cost, 0.0);
  ledger::AggregateQuery q;
  q.by = "model";
  auto agg = book_->aggregate(q);
  ASSERT_TRUE(agg.ok());
  ASSERT_EQ(agg->size(), 1u);
  EXPECT_EQ((*agg)[0].key, "sim-a/text-embedding-3-small");
  EXPECT_EQ((*agg)[0].requests, 1u);
  EXPECT_EQ((*agg)[0].unpriced, 0u);
}

}  // namespace
}  // namespace ploke::gateway
