// The ledger behind the resilience façade: LlmClient → OpenRouter adapter →
// InProcessTransport → SimEngine (OpenRouter routes report usage.cost), with a Ledger as
// the façade's UsageSink and BudgetOracle (ploke/core/usage.h). Every attempt — failed
// ones and probes included — is a ledger row, priced from the catalog and reconciled with
// the provider-reported cost; a stop budget stops spending. Virtual time.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/catalog/catalog.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/ledger/ledger.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"

namespace ploke {
namespace {
using namespace ploke::adapters::openrouter;  // NOLINT: the OpenRouter package

using namespace std::chrono_literals;

class LedgerFacadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ploke-ledger-facade-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto l = ledger::Ledger::open(dir_ + "/l.db", clock_);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    book_ = std::move(l).value();
    auto curated = catalog::parse_curated(catalog::builtin_curated_json(), "builtin");
    ASSERT_TRUE(curated.ok());
    cat_ = catalog::Catalog(*curated, {});
    auto n = book_->import_catalog_prices(cat_, "openrouter", clock_.system_now() - std::chrono::hours(1));
    ASSERT_TRUE(n.ok());
    adapter_ = make_openrouter_adapter();
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  void make(std::string_view faults = "") {
    simulator::SimOptions o;
    o.seed = 11;
    if (!faults.empty()) {
      auto p = simulator::parse_fault_plan(faults, "faults");
      ASSERT_TRUE(p.ok()) << p.status().to_string();
      o.faults = *p;
    }
    auto e = simulator::SimEngine::Create(o, clock_);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    engine_ = std::move(e).value();
    transport_ = std::make_unique<InProcessTransport>(clock_, simulator::engine_handler(*engine_));
    resilience::LlmClientOptions lo;
    lo.backoff = resilience::BackoffConfig{100ms, 1s, resilience::JitterMode::kNone};
    lo.usage_sink = book_.get();
    lo.budget_oracle = book_.get();
    lo.session = "test";
    lo.profile = "work";
    client_ = std::make_unique<resilience::LlmClient>(clock_, lo);
    resilience::EndpointConfig c;
    c.candidate.id = "or/gpt-4o-mini";
    c.candidate.provider = "openrouter";
    c.candidate.model = "openai/gpt-4o-mini";  // the catalog id: priced
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    const auto* rec = cat_.find("openai/gpt-4o-mini");
    ASSERT_NE(rec, nullptr);
    c.candidate.input_usd_per_mtok = rec->pricing.prompt.value * 1e6;
    c.candidate.output_usd_per_mtok = rec->pricing.completion.value * 1e6;
    c.adapter = adapter_.get();
    c.endpoint = Endpoint{"openrouter", "http://openrouter.sim.invalid/api/v1", Secret("sk-or-v1-FAKE-ledger-test"), {}};
    c.transport = transport_.get();
    c.call_options.total_timeout = 30s;
    ASSERT_TRUE(client_->add_endpoint(std::move(c)).ok());
  }

  ChatRequest hello() {
    ChatRequest r;
    r.model = "openai/gpt-4o-mini";
    r.messages.push_back(Message::User("Hello there, answer briefly."));
    r.max_output_tokens = 50;
    return r;
  }

  SimulatedClock clock_;
  std::string dir_;
  std::unique_ptr<ledger::Ledger> book_;
  catalog::Catalog cat_;
  ProviderAdapterPtr adapter_;
  std::unique_ptr<simulator::SimEngine> engine_;
  std::unique_ptr<InProcessTransport> transport_;
  std::unique_ptr<resilience::LlmClient> client_;
};

TEST_F(LedgerFacadeTest, EveryAttemptIsAPricedReconciledRow) {
  make(R"({"faults":[{"kind":"http_error","status":500,"trigger":{"times":1}}]})");
  resilience::RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto rows = book_->attempts(trace.request_id);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u) << "the failed attempt is a row too";
  EXPECT_EQ((*rows)[0].outcome, "server_error");
  EXPECT_EQ((*rows)[1].outcome, "ok");
  EXPECT_EQ((*rows)[1].provider, "openrouter");
  EXPECT_EQ((*rows)[1].model, "openai/gpt-4o-mini");
  EXPECT_EQ((*rows)[1].profile, "work");
  EXPECT_EQ((*rows)[1].session, "test");
  // Priced from the catalog price history…
  auto cost = book_->attempt_cost(trace.request_id, 2);
  ASSERT_TRUE(cost.ok()) << cost.status().to_string();
  ASSERT_TRUE(r->usage.has_value());
  EXPECT_NEAR(*cost, (r->usage->prompt_tokens * 0.00000015 + r->usage->completion_tokens * 0.0000006), 1e-12);
  EXPECT_GT(*cost, 0.0);
  // …and the provider's own figure (OpenRouter usage.cost) recorded next to it.
  ASSERT_TRUE(r->usage->reported_cost_usd.has_value());
  ASSERT_TRUE((*rows)[1].reported_cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*(*rows)[1].reported_cost_usd, *r->usage->reported_cost_usd);
  ledger::AggregateQuery q;
  q.by = "outcome";
  auto agg = book_->aggregate(q);
  ASSERT_TRUE(agg.ok());
  uint64_t attempts = 0;
  for (const auto& a : *agg) attempts += a.attempts;
  EXPECT_EQ(attempts, 2u);
}

TEST_F(LedgerFacadeTest, StreamedUsageChunkCostIsRecorded) {
  make();
  resilience::RequestTrace trace;
  std::string text;
  auto r = client_->stream(
      hello(), [&](const StreamEvent& e) { if (e.kind == StreamEvent::Kind::kTextDelta) text += e.text; }, {}, &trace);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(text.empty());
  auto rows = book_->attempts(trace.request_id);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  ASSERT_TRUE(r->usage && r->usage->reported_cost_usd) << "the final streamed usage chunk carries usage.cost";
  ASSERT_TRUE((*rows)[0].reported_cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*(*rows)[0].reported_cost_usd, *r->usage->reported_cost_usd);
  EXPECT_GT((*rows)[0].usage.completion, 0u);
  auto cost = book_->attempt_cost(trace.request_id, 1);
  ASSERT_TRUE(cost.ok());
  EXPECT_GT(*cost, 0.0);
}

TEST_F(LedgerFacadeTest, ProbesAreLabelledRows) {
  make();
  (void)client_->probe();
  ledger::AggregateQuery q;
  q.by = "kind";
  auto agg = book_->aggregate(q);
  ASSERT_TRUE(agg.ok());
  ASSERT_EQ(agg->size(), 1u);
  EXPECT_EQ((*agg)[0].key, "probe");
  EXPECT_EQ((*agg)[0].probes, 1u);
}

TEST_F(LedgerFacadeTest, StopBudgetStopsSpendingWarnBudgetWarns) {
  make();
  ASSERT_TRUE(client_->complete(hello()).ok());  // some spend today
  // A warn budget already exceeded: the call goes through, the trace warns.
  ASSERT_TRUE(book_->set_budgets({{"global", "", "day", 1e-9, "warn"}}).ok());
  resilience::RequestTrace trace;
  ASSERT_TRUE(client_->complete(hello(), {}, &trace).ok());
  ASSERT_FALSE(trace.budget_warnings.empty());
  EXPECT_NE(trace.budget_warnings[0].find("limit exceeded"), std::string::npos) << trace.budget_warnings[0];
  // A stop budget for the work profile: nothing more is sent.
  ASSERT_TRUE(book_->set_budgets({{"profile", "work", "day", 1e-9, "stop"}}).ok());
  const uint64_t sent = engine_->request_count();
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInsufficientCredits) << r.status().to_string();
  EXPECT_EQ(engine_->request_count(), sent);
  // Another profile has no budget: it may spend.
  resilience::CallControl personal;
  personal.profile = "personal";
  EXPECT_TRUE(client_->complete(hello(), personal).ok());
}

}  // namespace
}  // namespace ploke
