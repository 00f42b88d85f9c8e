// ploke::ledger on a SimulatedClock: per-attempt costs from the price in effect, failed
// attempts and probes, price-history recomputation, reconciliation, aggregates, budgets
// (warn / stop, day / month, provider / profile), forecasts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "ploke/catalog/catalog.h"
#include "ploke/core/clock.h"
#include "ploke/ledger/ledger.h"

#include <sqlite3.h>

#include <iterator>

namespace ploke::ledger {
namespace {

using namespace std::chrono_literals;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ploke-ledger-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto l = Ledger::open(dir_ + "/ledger.db", clock_);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    ledger_ = std::move(l).value();
  }
  void TearDown() override {
    ledger_.reset();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  SystemTime t0() const { return clock_.system_now(); }
  AttemptRecord attempt(std::string id, uint32_t n, std::string provider, std::string model, uint64_t in, uint64_t out) {
    AttemptRecord a;
    a.request_id = std::move(id);
    a.number = n;
    a.provider = std::move(provider);
    a.model = std::move(model);
    a.usage = {in, out, 0, 0};
    return a;
  }

  SimulatedClock clock_;
  std::string dir_;
  std::unique_ptr<Ledger> ledger_;
};

TEST(LedgerCost, CostOfUsesEveryPriceComponent) {
  PriceRecord p{"p", "m", {}, 0.000001, 0.000002, 0.01, 0.0000005, 0.000003};
  EXPECT_DOUBLE_EQ(cost_of(p, {1000, 500, 0, 0}), 0.01 + 0.001 + 0.001);
  // 400 of the 1000 prompt tokens were cache reads at half price, 100 cache writes.
  EXPECT_NEAR(cost_of(p, {1000, 0, 400, 100}), 0.01 + 0.001 - 400 * 0.0000005 + 100 * 0.000002, 1e-12);
}

TEST_F(LedgerTest, EveryAttemptIsCostedIncludingFailuresAndProbes) {
  ASSERT_TRUE(ledger_->add_price({"openrouter", "openai/gpt-4o", t0() - 24h, 0.0000025, 0.00001}).ok());
  AttemptRecord failed = attempt("req-1", 1, "openrouter", "openai/gpt-4o", 1000, 0);
  failed.outcome = "server_error";
  AttemptRecord ok = attempt("req-1", 2, "openrouter", "openai/gpt-4o", 1000, 100);
  AttemptRecord probe = attempt("", 1, "openrouter", "openai/gpt-4o", 5, 1);
  probe.kind = "probe";
  AttemptRecord unpriced = attempt("req-2", 1, "local", "llama", 10, 10);
  ASSERT_TRUE(ledger_->record_batch({{"req-1", std::nullopt, "s1", "work", "ok", "openrouter/openai/gpt-4o"}},
                                    {failed, ok, probe, unpriced})
                  .ok());
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("req-1", 1), 1000 * 0.0000025);
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("req-1", 2), 1000 * 0.0000025 + 100 * 0.00001);
  EXPECT_EQ(ledger_->attempt_cost("req-2", 1).status().code(), StatusCode::kNotFound);
  auto rows = ledger_->aggregate({std::nullopt, std::nullopt, "provider", true});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  const AggregateRow& orow = (*rows)[0];
  EXPECT_EQ(orow.key, "openrouter");
  EXPECT_EQ(orow.attempts, 3u);
  EXPECT_EQ(orow.failed, 1u);
  EXPECT_EQ(orow.probes, 1u);
  EXPECT_EQ(orow.requests, 1u);
  EXPECT_NEAR(orow.cost_usd, 2 * 0.0025 + 0.001 + 5 * 0.0000025 + 0.00001, 1e-12);
  EXPECT_EQ((*rows)[1].key, "local");
  EXPECT_EQ((*rows)[1].unpriced, 1u);
  auto no_probes = ledger_->aggregate({std::nullopt, std::nullopt, "kind", false});
  ASSERT_EQ(no_probes->size(), 1u);
  EXPECT_EQ((*no_probes)[0].key, "attempt");
  auto by_outcome = ledger_->aggregate({std::nullopt, std::nullopt, "outcome", true});
  EXPECT_EQ(by_outcome->size(), 2u);
  EXPECT_FALSE(ledger_->aggregate({std::nullopt, std::nullopt, "colour; DROP TABLE attempts", true}).ok());
  auto got = ledger_->attempts("req-1");
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].outcome, "server_error");
}

TEST_F(LedgerTest, PriceHistoryRecomputesPastSpend) {
  const SystemTime day0 = t0();
  ASSERT_TRUE(ledger_->add_price({"or", "m", day0, 0.000001, 0.000002}).ok());
  AttemptRecord early = attempt("a", 1, "or", "m", 1000, 1000);
  early.at = day0 + 1h;
  AttemptRecord late = attempt("b", 1, "or", "m", 1000, 1000);
  late.at = day0 + 49h;
  ASSERT_TRUE(ledger_->record_batch({}, {early, late}).ok());
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("a", 1), 0.003);
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("b", 1), 0.003);
  // A price change effective on day 2 (learned later): only the late attempt changes.
  ASSERT_TRUE(ledger_->add_price({"or", "m", day0 + 48h, 0.000002, 0.000004, 0, 0, 0, "manual"}).ok());
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("b", 1), 0.003);  // stored until recomputed
  auto changed = ledger_->recompute_costs();
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1u);
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("a", 1), 0.003);
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("b", 1), 0.006);
  // Correcting the original price (same effective date) changes the early one only.
  ASSERT_TRUE(ledger_->add_price({"or", "m", day0, 0.0000005, 0.000001, 0, 0, 0, "manual"}).ok());
  EXPECT_EQ(*ledger_->recompute_costs(day0), 1u);
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("a", 1), 0.0015);
  EXPECT_EQ(*ledger_->recompute_costs(), 0u);  // idempotent
  EXPECT_EQ(ledger_->price_at("or", "m", day0 - 1h), std::nullopt);
  EXPECT_EQ(ledger_->price_at("or", "m", day0 + 50h)->source, "manual");
  // Prices survive reopening (the history is in the file).
  ledger_.reset();
  auto l = Ledger::open(dir_ + "/ledger.db", clock_);
  ASSERT_TRUE(l.ok());
  EXPECT_DOUBLE_EQ((*l)->price_at("or", "m", day0 + 50h)->prompt, 0.000002);
  EXPECT_EQ(*(*l)->recompute_costs(), 0u);
}

TEST_F(LedgerTest, WildcardProviderPriceAppliesToAnyProvider) {
  ASSERT_TRUE(ledger_->add_price({"*", "m", t0() - 1h, 0.000001, 0}).ok());
  ASSERT_TRUE(ledger_->record_attempt(attempt("x", 1, "anyone", "m", 1000, 0)).ok());
  EXPECT_DOUBLE_EQ(*ledger_->attempt_cost("x", 1), 0.001);
}

TEST_F(LedgerTest, ReconciliationPrefersProviderReportedCost) {
  ASSERT_TRUE(ledger_->add_price({"openrouter", "m", t0() - 1h, 0.000001, 0.000001}).ok());
  AttemptRecord a = attempt("r", 1, "openrouter", "m", 1000, 1000);
  a.reported_cost_usd = 0.0021;  // usage.cost in the response
  AttemptRecord b = attempt("s", 1, "openrouter", "m", 1000, 1000);
  ASSERT_TRUE(ledger_->record_batch({}, {a, b}).ok());
  // The final streamed usage chunk arrives later for "s".
  ASSERT_TRUE(ledger_->reconcile("s", 1, 0.002).ok());
  EXPECT_EQ(ledger_->reconcile("nope", 1, 1).code(), StatusCode::kNotFound);
  auto rows = ledger_->aggregate({});
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_NEAR((*rows)[0].cost_usd, 0.004, 1e-12);
  EXPECT_NEAR((*rows)[0].reported_usd, 0.0041, 1e-12);
  EXPECT_NEAR((*rows)[0].spend_usd, 0.0041, 1e-12);
  auto d = ledger_->discrepancies(0.00005);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].request_id, "r");
}

TEST_F(LedgerTest, AggregatesByModelProfileSessionAndWindow) {
  ASSERT_TRUE(ledger_->add_price({"p", "m1", t0() - 1h, 0.001, 0}).ok());
  ASSERT_TRUE(ledger_->add_price({"p", "m2", t0() - 1h, 0.002, 0}).ok());
  std::vector<AttemptRecord> v;
  for (int i = 0; i < 10; ++i) {
    AttemptRecord a = attempt("q" + std::to_string(i), 1, "p", i < 6 ? "m1" : "m2", 1, 0);
    a.profile = i % 2 ? "work" : "personal";
    a.session = i < 5 ? "s1" : "s2";
    a.at = t0() + std::chrono::hours(i);
    v.push_back(a);
  }
  ASSERT_TRUE(ledger_->record_batch({}, v).ok());
  auto by_model = *ledger_->aggregate({std::nullopt, std::nullopt, "model", true});
  ASSERT_EQ(by_model.size(), 2u);
  EXPECT_EQ(by_model[0].key, "p/m2");  // highest spend first: 4 × 0.002 > 6 × 0.001
  EXPECT_NEAR(by_model[0].spend_usd, 0.008, 1e-12);
  auto by_profile = *ledger_->aggregate({std::nullopt, std::nullopt, "profile", true});
  ASSERT_EQ(by_profile.size(), 2u);
  EXPECT_EQ(by_profile[0].attempts + by_profile[1].attempts, 10u);
  auto window = *ledger_->aggregate({t0() + 5h, t0() + 8h, "session", true});
  ASSERT_EQ(window.size(), 1u);
  EXPECT_EQ(window[0].key, "s2");
  EXPECT_EQ(window[0].attempts, 3u);
}

TEST_F(LedgerTest, BudgetStopsSpendingAndWarns) {
  ASSERT_TRUE(ledger_->add_price({"openrouter", "m", t0() - 1h, 0.001, 0}).ok());
  ASSERT_TRUE(ledger_->add_price({"openai", "m", t0() - 1h, 0.001, 0}).ok());
  ASSERT_TRUE(ledger_->set_budgets({{"provider", "openrouter", "day", 1.0, "stop"},
                                    {"profile", "work", "month", 10.0, "warn"},
                                    {"global", "", "day", 100.0, "warn"}})
                  .ok());
  EXPECT_FALSE(ledger_->set_budgets({{"planet", "", "day", 1, "stop"}}).ok());
  EXPECT_DOUBLE_EQ(ledger_->remaining_budget("openrouter", "work"), 1.0);
  EXPECT_GT(ledger_->remaining_budget("openai", "none"), 99.0);
  AttemptRecord a = attempt("r1", 1, "openrouter", "m", 900, 0);  // 0.90 USD
  a.profile = "work";
  ASSERT_TRUE(ledger_->record_attempt(a).ok());
  BudgetCheck c = ledger_->check_budget("openrouter", "work", 0.05);
  EXPECT_TRUE(c.allowed);
  EXPECT_NEAR(c.remaining_usd, 0.1, 1e-9);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("over 80%"), std::string::npos) << c.warnings[0];
  BudgetCheck stop = ledger_->check_budget("openrouter", "work", 0.2);
  EXPECT_FALSE(stop.allowed);
  EXPECT_NE(stop.blocked_by.find("provider=openrouter"), std::string::npos) << stop.blocked_by;
  // Another provider is not blocked by openrouter's budget.
  EXPECT_TRUE(ledger_->check_budget("openai", "work", 0.2).allowed);
  // The warn-only profile budget never blocks, it warns.
  AttemptRecord big = attempt("r2", 1, "openai", "m", 10000, 0);  // 10 USD
  big.profile = "work";
  ASSERT_TRUE(ledger_->record_attempt(big).ok());
  BudgetCheck w = ledger_->check_budget("openai", "work", 0.01);
  EXPECT_TRUE(w.allowed);
  bool exceeded = false;
  for (const auto& s : w.warnings) exceeded = exceeded || s.find("profile=work") != std::string::npos;
  EXPECT_TRUE(exceeded);
  // Next UTC day: the daily stop budget has room again; the monthly one still counts.
  clock_.advance(24h);
  EXPECT_TRUE(ledger_->check_budget("openrouter", "work", 0.2).allowed);
  EXPECT_NEAR(*ledger_->spent({"profile", "work", "month", 10.0, "warn"}), 10.9, 1e-9);
}

TEST_F(LedgerTest, ForecastBeforeSending) {
  ASSERT_TRUE(ledger_->add_price({"openrouter", "openai/gpt-4o", t0() - 1h, 0.0000025, 0.00001}).ok());
  Forecast f = ledger_->forecast("openrouter", "openai/gpt-4o", 2000, 1000);
  ASSERT_TRUE(f.priced);
  EXPECT_DOUBLE_EQ(f.min_usd, 0.005);
  EXPECT_DOUBLE_EQ(f.expected_usd, 0.005 + 0.005);
  EXPECT_DOUBLE_EQ(f.max_usd, 0.015);
  EXPECT_FALSE(ledger_->forecast("openrouter", "unknown/model", 10, 10).priced);
}

TEST_F(LedgerTest, ImportsCatalogPricesOnlyWhenChanged) {
  auto recs = catalog::parse_curated(
      R"({"version":1,"models":[{"id":"a/b","pricing":{"prompt":0.000001,"completion":0.000002}},{"id":"c/d"}]})", "t");
  ASSERT_TRUE(recs.ok());
  catalog::Catalog cat(*recs, {});
  EXPECT_EQ(*ledger_->import_catalog_prices(cat, "openrouter", t0() - 1h), 1u);
  EXPECT_EQ(*ledger_->import_catalog_prices(cat, "openrouter", t0()), 0u);
  EXPECT_DOUBLE_EQ(ledger_->price_at("openrouter", "a/b", t0())->completion, 0.000002);
}

TEST_F(LedgerTest, RejectsAFileThatIsNotALedger) {
  const std::string p = dir_ + "/junk.db";
  std::ofstream(p) << "this is not sqlite at all, not even close...................................";
  auto l = Ledger::open(p, clock_);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("junk.db"), std::string::npos);
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A SQLite database of someone else's (tables, no ledger marker) is refused before anything
/// is written: the file stays byte-identical, and the message names it.
TEST_F(LedgerTest, RefusesAForeignSqliteDatabaseAndLeavesItUntouched) {
  const std::string p = dir_ + "/foreign.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(p.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES('mine');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = slurp(p);
  for (bool read_only : {false, true}) {
    LedgerOptions o;
    o.read_only = read_only;
    auto l = Ledger::open(p, clock_, o);
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.status().message().find("foreign.db"), std::string::npos);
    EXPECT_NE(l.status().message().find("not a ploke-sim ledger"), std::string::npos);
  }
  EXPECT_EQ(slurp(p), before);
  EXPECT_NE(::access((p + "-wal").c_str(), F_OK), 0);
}

TEST_F(LedgerTest, NewOrEmptyFilesAreInitialisedAndALedgerReopens) {
  const std::string p = dir_ + "/empty.db";
  std::ofstream(p).close();  // zero bytes
  ASSERT_TRUE(Ledger::open(p, clock_).ok());
  ASSERT_TRUE(Ledger::open(p, clock_).ok());  // now a ledger: reopens
  ASSERT_TRUE(Ledger::open(dir_ + "/new.db", clock_).ok());
}

TEST(LedgerTime, PeriodsAndFormatting) {
  auto t = parse_time("2026-11-24T05:30:07Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_time(*t), "2026-11-24T05:30:07Z");
  EXPECT_EQ(format_time(period_start(*t, "day")), "2026-11-24T00:00:00Z");
  EXPECT_EQ(format_time(period_start(*t, "month")), "2026-11-01T00:00:00Z");
  EXPECT_EQ(format_time(*parse_time("2026-02-03")), "2026-02-03T00:00:00Z");
  EXPECT_FALSE(parse_time("2026-02-30").has_value());
  EXPECT_FALSE(parse_time("yesterday").has_value());
}

// Anthropic's ratios on a $3/M input price: reads 0.1 x, 5-minute writes 1.25 x, 1-hour
// writes 2 x; output (reasoning included) $15/M.
TEST(LedgerCost, CacheReadsAndBothWriteTtlsHaveTheirOwnPrice) {
  PriceRecord p{"anthropic", "claude-sonnet-4-5", {}, 3e-6, 15e-6, 0, 0.3e-6, 3.75e-6};
  p.cache_write_1h = 6e-6;
  // 10 uncached + 2000 read + 500 5m-written + 1000 1h-written prompt tokens, 100 output.
  const TokenUsage u{3510, 100, 2000, 1500, 1000};
  EXPECT_NEAR(cost_of(p, u), 10 * 3e-6 + 2000 * 0.3e-6 + 500 * 3.75e-6 + 1000 * 6e-6 + 100 * 15e-6, 1e-12);
  EXPECT_NEAR(cost_of(p, u), 0.010005, 1e-12);  // 0.00003 + 0.0006 + 0.001875 + 0.006 + 0.0015
  // Unknown 1-hour price: 2 x the prompt price (the documented fallback), same figure here.
  p.cache_write_1h = 0;
  EXPECT_NEAR(cost_of(p, u), 0.010005, 1e-12);
  p.cache_write_1h = 0.000009;  // a known 1-hour price wins over the fallback
  EXPECT_NEAR(cost_of(p, u), 0.013005, 1e-12);
  // No cache-write price at all: writes cost the prompt price.
  p.cache_write = 0;
  p.cache_write_1h = 0;
  EXPECT_NEAR(cost_of(p, u), 0.00663, 1e-12);
}

TEST_F(LedgerTest, OneHourCacheWritesAreStoredAndPriced) {
  PriceRecord p{"anthropic", "claude-sonnet-4-5", t0(), 3e-6, 15e-6, 0, 0.3e-6, 3.75e-6};
  p.cache_write_1h = 6e-6;
  ASSERT_TRUE(ledger_->add_price(p).ok());
  AttemptRecord a = attempt("c1", 1, "anthropic", "claude-sonnet-4-5", 3510, 100);
  a.usage = {3510, 100, 2000, 1500, 1000};
  ASSERT_TRUE(ledger_->record_attempt(a).ok());
  auto got = ledger_->attempts("c1");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].usage.cache_write_1h, 1000u);
  auto price = ledger_->price_at("anthropic", "claude-sonnet-4-5", t0());
  ASSERT_TRUE(price.has_value());
  EXPECT_DOUBLE_EQ(price->cache_write_1h, 6e-6);
  auto spent = ledger_->recompute_costs(std::nullopt);
  ASSERT_TRUE(spent.ok());
  EXPECT_EQ(*spent, 0u);  // the stored cost already used the 1-hour price
}

// A ledger file from before the 1-hour split (no cache_write_1h columns) is migrated on open.
TEST(LedgerMigration, AddsTheOneHourColumnsToAnOlderFile) {
  char tmpl[] = "/tmp/ploke-ledger-mig-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/old.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* old_schema =
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "INSERT INTO meta VALUES ('schema', 'ploke-ledger-1');"
      "CREATE TABLE prices(id INTEGER PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL,"
      " effective_from INTEGER NOT NULL, prompt REAL NOT NULL, completion REAL NOT NULL, request REAL NOT NULL,"
      " cache_read REAL NOT NULL, cache_write REAL NOT NULL, source TEXT NOT NULL, UNIQUE(provider, model, effective_from));"
      "INSERT INTO prices VALUES (1, 'anthropic', 'm', 0, 0.000003, 0.000015, 0, 0.0000003, 0.00000375, 'catalog');"
      "CREATE TABLE attempts(id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, number INTEGER NOT NULL,"
      " at INTEGER NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, endpoint_id TEXT NOT NULL,"
      " session TEXT NOT NULL, profile TEXT NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL,"
      " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,"
      " cache_write_tokens INTEGER NOT NULL, duration_ms REAL NOT NULL, cost_usd REAL, price_id INTEGER,"
      " reported_cost_usd REAL);"
      "INSERT INTO attempts VALUES (1, 'old', 1, 5, 'anthropic', 'm', 'e', '', '', 'attempt', 'ok', 100, 0, 0, 40,"
      " 1, NULL, NULL, NULL);";
  ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  SimulatedClock clock;
  {
    auto ro = Ledger::open(path, clock, LedgerOptions{.read_only = true});
    ASSERT_TRUE(ro.ok()) << ro.status().to_string();  // read-only: reads an older file as it is
    auto old = (*ro)->attempts("old");
    ASSERT_TRUE(old.ok());
    EXPECT_EQ((*old)[0].usage.cache_write_1h, 0u);
  }
  auto l = Ledger::open(path, clock);
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  auto price = (*l)->price_at("anthropic", "m", clock.system_now());
  ASSERT_TRUE(price.has_value());
  EXPECT_EQ(price->cache_write_1h, 0.0);  // unknown: the fallback applies
  AttemptRecord a;
  a.request_id = "new";
  a.provider = "anthropic";
  a.model = "m";
  a.usage = {100, 0, 0, 40, 40};
  ASSERT_TRUE((*l)->record_attempt(a).ok());
  auto got = (*l)->attempts("new");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0].usage.cache_write_1h, 40u);
  // Old rows read as 5-minute writes: 60 x $3/M + 40 x $3.75/M.
  auto fixed = (*l)->recompute_costs(std::nullopt);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(*fixed, 1u);
  l->reset();
  std::system(("rm -rf '" + dir + "'").c_str());
}

// Client keys: ids vk-N in order, never reused; each create / revoke bumps the generation;
// the spend is that of the request rows carrying the id; revoking twice keeps the first time.
TEST_F(LedgerTest, ClientKeysWithGenerationAndSpendPerKey) {
  const int64_t g0 = ledger_->client_keys_generation().value();
  ClientKeyRecord k;
  k.name = "team-a";
  k.hash = std::string(64, 'a');
  k.prefix = "sk-ploke-abcd\xE2\x80\xA6";
  k.max_budget_usd = 2.5;
  k.rpm = 60;
  k.models = {"gpt-4o-mini", "openai/gpt-4o"};
  auto a = ledger_->add_client_key(k);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->id, "vk-1");
  k.name = "team-b";
  k.hash = std::string(64, 'b');
  k.max_budget_usd.reset();
  k.rpm.reset();
  k.models.clear();
  ASSERT_EQ(ledger_->add_client_key(k)->id, "vk-2");
  EXPECT_FALSE(ledger_->add_client_key(k).ok());  // the same hash twice
  EXPECT_EQ(ledger_->client_keys_generation().value(), g0 + 2);
  ASSERT_TRUE(ledger_->add_price({"p", "m", t0(), 0, 0, 0.5, 0, 0, "manual"}).ok());
  RequestRecord r;
  r.request_id = "r1";
  r.key_id = "vk-1";
  ASSERT_TRUE(ledger_->record_batch({r}, {attempt("r1", 1, "p", "m", 1, 1), attempt("r1", 2, "p", "m", 1, 1)}).ok());
  ASSERT_TRUE(ledger_->revoke_client_key("vk-2").ok());
  clock_.advance(10s);
  ASSERT_TRUE(ledger_->revoke_client_key("vk-2").ok());
  EXPECT_EQ(ledger_->revoke_client_key("vk-3").code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->revoke_client_key("team-a").code(), StatusCode::kNotFound);
  auto keys = ledger_->client_keys();
  ASSERT_TRUE(keys.ok()) << keys.status().to_string();
  ASSERT_EQ(keys->size(), 2u);
  const ClientKeyRecord& ka = (*keys)[0];
  EXPECT_EQ(ka.name, "team-a");
  EXPECT_EQ(ka.max_budget_usd, 2.5);
  EXPECT_EQ(ka.rpm, 60u);
  EXPECT_EQ(ka.models, (std::vector<std::string>{"gpt-4o-mini", "openai/gpt-4o"}));
  EXPECT_DOUBLE_EQ(ka.spend_usd, 1.0);  // two attempts at $0.5 per request
  EXPECT_FALSE(ka.revoked_at.has_value());
  const ClientKeyRecord& kb = (*keys)[1];
  EXPECT_TRUE(kb.models.empty());
  EXPECT_FALSE(kb.rpm.has_value());
  ASSERT_TRUE(kb.revoked_at.has_value());
  EXPECT_EQ(*kb.revoked_at, t0() - 10s);  // the first revocation's time
  EXPECT_EQ(kb.spend_usd, 0.0);
}

// A ledger whose requests table predates client keys gets requests.key_id on open.
TEST(LedgerMigration, AddsTheKeyIdColumnToAnOlderRequestsTable) {
  char tmpl[] = "/tmp/ploke-ledger-mig-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/old.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* old_schema =
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "INSERT INTO meta VALUES ('schema', 'ploke-ledger-1');"
      "CREATE TABLE requests(request_id TEXT PRIMARY KEY, at INTEGER NOT NULL, session TEXT NOT NULL,"
      " profile TEXT NOT NULL, outcome TEXT NOT NULL, served_by TEXT NOT NULL);"
      "INSERT INTO requests VALUES ('old', 1, 's', '', 'ok', '');";
  ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  SimulatedClock clock;
  auto l = Ledger::open(path, clock);
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  RequestRecord r;
  r.request_id = "new";
  r.key_id = "vk-1";
  EXPECT_TRUE((*l)->record_request(r).ok());
  EXPECT_EQ((*l)->client_keys_generation().value(), 0);
  EXPECT_TRUE((*l)->client_keys()->empty());
  l->reset();
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace ploke::ledger
