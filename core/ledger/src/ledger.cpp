// The SQLite ledger (see ploke/ledger/ledger.h). sqlite3 stays in this file.
#include "ploke/ledger/ledger.h"
#include "ploke/core/thread_annotations.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace ploke::ledger {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

int64_t to_ms(SystemTime t) { return duration_cast<milliseconds>(t.time_since_epoch()).count(); }
SystemTime from_ms(int64_t ms) { return SystemTime(duration_cast<Duration>(milliseconds(ms))); }

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', 'ploke-ledger-1');
CREATE TABLE IF NOT EXISTS prices(
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL, model TEXT NOT NULL, effective_from INTEGER NOT NULL,
  prompt REAL NOT NULL, completion REAL NOT NULL, request REAL NOT NULL,
  cache_read REAL NOT NULL, cache_write REAL NOT NULL, source TEXT NOT NULL,
  UNIQUE(provider, model, effective_from));
CREATE TABLE IF NOT EXISTS requests(
  request_id TEXT PRIMARY KEY, at INTEGER NOT NULL, session TEXT NOT NULL, profile TEXT NOT NULL,
  outcome TEXT NOT NULL, served_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts(
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL, number INTEGER NOT NULL, at INTEGER NOT NULL,
  provider TEXT NOT NULL, model TEXT NOT NULL, endpoint_id TEXT NOT NULL,
  session TEXT NOT NULL, profile TEXT NOT NULL,
  kind TEXT NOT NULL, outcome TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  cost_usd REAL, price_id INTEGER, reported_cost_usd REAL);
CREATE INDEX IF NOT EXISTS attempts_at ON attempts(at);
CREATE INDEX IF NOT EXISTS attempts_request ON attempts(request_id, number);
CREATE TABLE IF NOT EXISTS client_keys(
  n INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
  max_budget_usd REAL, rpm INTEGER, models TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
INSERT OR IGNORE INTO meta(key, value) VALUES ('client_keys_generation', '0');
)SQL";

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { if (s_) sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept { std::swap(s_, o.s_); return *this; }
  sqlite3_stmt* get() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }
  void reset() { sqlite3_reset(s_); sqlite3_clear_bindings(s_); }
  void text(int i, std::string_view v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void i64(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void real(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void null(int i) { sqlite3_bind_null(s_, i); }
  void opt(int i, const std::optional<double>& v) { if (v) real(i, *v); else null(i); }
  std::string col_text(int i) const {
    auto* p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

struct PriceEntry {
  int64_t id = 0;
  PriceRecord rec;
};

bool same_price(const PriceRecord& a, const PriceRecord& b) {
  return a.prompt == b.prompt && a.completion == b.completion && a.request == b.request &&
         a.cache_read == b.cache_read && a.cache_write == b.cache_write && a.cache_write_1h == b.cache_write_1h;
}

}  // namespace

double cost_of(const PriceRecord& p, const TokenUsage& u) {
  // Cache reads/writes are billed at their own price when the provider has one; cached
  // prompt tokens are part of usage.prompt, so only the difference is added.
  double c = p.request;
  c += static_cast<double>(u.prompt) * p.prompt;
  c += static_cast<double>(u.completion) * p.completion;
  if (p.cache_read > 0) c += static_cast<double>(u.cache_read) * (p.cache_read - p.prompt);
  const uint64_t one_hour = std::min(u.cache_write_1h, u.cache_write);
  if (p.cache_write > 0) c += static_cast<double>(u.cache_write - one_hour) * (p.cache_write - p.prompt);
  const double price_1h = p.cache_write_1h > 0 ? p.cache_write_1h : (p.cache_write > 0 ? 2 * p.prompt : 0);
  if (price_1h > 0) c += static_cast<double>(one_hour) * (price_1h - p.prompt);
  return std::max(0.0, c);
}

struct Ledger::Impl {
  sqlite3* db = nullptr;
  bool has_1h = false;  // the 1-hour cache-write columns exist (a read-only older file lacks them)
  Stmt ins_request, ins_attempt, ins_price;
  std::map<std::pair<std::string, std::string>, std::vector<PriceEntry>> prices;  // sorted by effective_from

  ~Impl() {
    ins_request = Stmt();
    ins_attempt = Stmt();
    ins_price = Stmt();
    if (db) sqlite3_close(db);
  }
  Status err(const std::string& what) const {
    return InternalError("ledger: " + what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
  }
  Status exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "?";
      sqlite3_free(msg);
      return InternalError(std::string("ledger: ") + m);
    }
    return Status::Ok();
  }
  const PriceEntry* lookup(const std::string& provider, const std::string& model, int64_t at_ms) const {
    for (const std::string& p : {provider, std::string("*")}) {
      auto it = prices.find({p, model});
      if (it == prices.end()) continue;
      const PriceEntry* best = nullptr;
      for (const auto& e : it->second) {
        if (to_ms(e.rec.effective_from) <= at_ms) best = &e;
        else break;
      }
      if (best) return best;
    }
    return nullptr;
  }
  void remember(int64_t id, const PriceRecord& rec) {
    auto& v = prices[{rec.provider, rec.model}];
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&rec](const PriceEntry& e) { return e.rec.effective_from == rec.effective_from; }),
            v.end());
    v.push_back({id, rec});
    std::sort(v.begin(), v.end(),
              [](const PriceEntry& a, const PriceEntry& b) { return a.rec.effective_from < b.rec.effective_from; });
  }
  Status insert_attempt(const AttemptRecord& a, int64_t now_ms) {
    Stmt& s = ins_attempt;
    s.reset();
    const int64_t at = a.at ? to_ms(*a.at) : now_ms;
    s.text(1, a.request_id);
    s.i64(2, a.number);
    s.i64(3, at);
    s.text(4, a.provider);
    s.text(5, a.model);
    s.text(6, a.endpoint_id);
    s.text(7, a.session);
    s.text(8, a.profile);
    s.text(9, a.kind);
    s.text(10, a.outcome);
    s.i64(11, static_cast<int64_t>(a.usage.prompt));
    s.i64(12, static_cast<int64_t>(a.usage.completion));
    s.i64(13, static_cast<int64_t>(a.usage.cache_read));
    s.i64(14, static_cast<int64_t>(a.usage.cache_write));
    s.i64(19, static_cast<int64_t>(a.usage.cache_write_1h));
    s.real(15, a.duration_ms);
    if (const PriceEntry* p = lookup(a.provider, a.model, at)) {
      s.real(16, cost_of(p->rec, a.usage));
      s.i64(17, p->id);
    } else {
      s.null(16);
      s.null(17);
    }
    s.opt(18, a.reported_cost_usd);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return err("insert attempt");
    return Status::Ok();
  }
  Status insert_request(const RequestRecord& r, int64_t now_ms) {
    Stmt& s = ins_request;
    s.reset();
    s.text(1, r.request_id);
    s.i64(2, r.at ? to_ms(*r.at) : now_ms);
    s.text(3, r.session);
    s.text(4, r.profile);
    s.text(5, r.outcome);
    s.text(6, r.served_by);
    s.text(7, r.key_id);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return err("insert request");
    return Status::Ok();
  }
};

namespace {

/// Refuses, before anything is written, an existing database that is not a ledger: one
/// with tables but no meta(schema = ploke-ledger-*) marker. A new or empty file passes.
Status check_is_ledger_or_empty(sqlite3* db, const std::string& path) {
  Stmt count(db, "SELECT count(*) FROM sqlite_master");
  const int rc = count ? sqlite3_step(count.get()) : sqlite3_errcode(db);
  if (rc != SQLITE_ROW) {
    return Status(StatusCode::kInvalidRequest, "ledger " + path + ": not a SQLite database (" + sqlite3_errmsg(db) + ")");
  }
  if (sqlite3_column_int64(count.get(), 0) == 0) return Status::Ok();  // new or empty: ours to initialise
  Stmt marker(db, "SELECT value FROM meta WHERE key='schema'");
  if (!marker || sqlite3_step(marker.get()) != SQLITE_ROW || marker.col_text(0).rfind("ploke-ledger-", 0) != 0) {
    return Status(StatusCode::kInvalidRequest,
                  "ledger " + path + ": an existing SQLite database that is not a ploke-sim ledger; refusing to modify it");
  }
  return Status::Ok();
}

bool has_column(sqlite3* db, const char* table, std::string_view column) {
  Stmt q(db, (std::string("PRAGMA table_info(") + table + ")").c_str());
  while (q && sqlite3_step(q.get()) == SQLITE_ROW) {
    if (q.col_text(1) == column) return true;
  }
  return false;
}

// Additive migrations: a file written before the 1-hour cache-write split gets two columns
// with default 0 (older binaries keep writing such a file; their rows read as 5-minute
// writes); one written before client keys gets requests.key_id, default "" (no key).
Status migrate_columns(sqlite3* db) {
  const char* steps[][3] = {{"prices", "cache_write_1h", "ALTER TABLE prices ADD COLUMN cache_write_1h REAL NOT NULL DEFAULT 0"},
                            {"attempts", "cache_write_1h_tokens",
                             "ALTER TABLE attempts ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0"},
                            {"requests", "key_id", "ALTER TABLE requests ADD COLUMN key_id TEXT NOT NULL DEFAULT ''"}};
  for (const auto& st : steps) {
    if (has_column(db, st[0], st[1])) continue;
    if (sqlite3_exec(db, st[2], nullptr, nullptr, nullptr) != SQLITE_OK) {
      return InternalError(std::string("ledger: migrate ") + st[0] + ": " + sqlite3_errmsg(db));
    }
  }
  return Status::Ok();
}

}  // namespace

Ledger::Ledger(std::string path, Clock& clock) : path_(std::move(path)), clock_(clock), impl_(std::make_unique<Impl>()) {}
Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::open(const std::string& path, Clock& clock, LedgerOptions options) {
  std::unique_ptr<Ledger> l(new Ledger(path, clock));
  MutexLock g(l->mu_);  // not shared yet; taken so the analysis can check the set-up
  Impl& im = *l->impl_;
  const int flags = options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &im.db, flags | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    return Status(StatusCode::kInvalidRequest, "ledger " + path + ": cannot open: " + sqlite3_errmsg(im.db));
  }
  sqlite3_busy_timeout(im.db, 5000);
  if (Status own = check_is_ledger_or_empty(im.db, path); !own.ok()) return own;
  if (!options.read_only) {
    Status s = im.exec("PRAGMA journal_mode=WAL;");
    if (s.ok()) s = im.exec(options.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
    if (s.ok()) s = im.exec(kSchema);
    if (s.ok()) s = migrate_columns(im.db);
    if (!s.ok()) return Status(StatusCode::kInvalidRequest, "ledger " + path + ": not a ledger database (" + s.message() + ")");
  }
  {
    Stmt chk(im.db, "SELECT value FROM meta WHERE key='schema'");
    if (!chk || sqlite3_step(chk.get()) != SQLITE_ROW || chk.col_text(0) != "ploke-ledger-1") {
      return Status(StatusCode::kInvalidRequest, "ledger " + path + ": not a ploke-sim ledger (missing schema marker)");
    }
  }
  im.has_1h = has_column(im.db, "attempts", "cache_write_1h_tokens") && has_column(im.db, "prices", "cache_write_1h");
  if (!options.read_only) {
    im.ins_request = Stmt(im.db,
                          "INSERT OR REPLACE INTO requests(request_id, at, session, profile, outcome, served_by, key_id) "
                          "VALUES (?,?,?,?,?,?,?)");
    im.ins_attempt = Stmt(im.db,
                          "INSERT INTO attempts(request_id, number, at, provider, model, endpoint_id, session, profile, "
                          "kind, outcome, prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens, "
                          "duration_ms, cost_usd, price_id, reported_cost_usd, cache_write_1h_tokens) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    im.ins_price = Stmt(im.db,
                        "INSERT OR REPLACE INTO prices(provider, model, effective_from, prompt, completion, request, "
                        "cache_read, cache_write, source, cache_write_1h) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!im.ins_request || !im.ins_attempt || !im.ins_price) return im.err("prepare");
  }
  const std::string price_sql = std::string("SELECT id, provider, model, effective_from, prompt, completion, request, "
                                            "cache_read, cache_write, source, ") +
                                (im.has_1h ? "cache_write_1h" : "0") + " FROM prices";
  Stmt q(im.db, price_sql.c_str());
  while (q && sqlite3_step(q.get()) == SQLITE_ROW) {
    PriceRecord p;
    p.provider = q.col_text(1);
    p.model = q.col_text(2);
    p.effective_from = from_ms(sqlite3_column_int64(q.get(), 3));
    p.prompt = sqlite3_column_double(q.get(), 4);
    p.completion = sqlite3_column_double(q.get(), 5);
    p.request = sqlite3_column_double(q.get(), 6);
    p.cache_read = sqlite3_column_double(q.get(), 7);
    p.cache_write = sqlite3_column_double(q.get(), 8);
    p.source = q.col_text(9);
    p.cache_write_1h = sqlite3_column_double(q.get(), 10);
    im.remember(sqlite3_column_int64(q.get(), 0), p);
  }
  return l;
}

Status Ledger::add_price(const PriceRecord& p) {
  MutexLock lock(mu_);
  Impl& im = *impl_;
  if (p.prompt < 0 || p.completion < 0 || p.request < 0 || p.cache_read < 0 || p.cache_write < 0 ||
      p.cache_write_1h < 0) {
    return InvalidRequestError("ledger: negative price for " + p.provider + "/" + p.model);
  }
  Stmt& s = im.ins_price;
  s.reset();
  s.text(1, p.provider);
  s.text(2, p.model);
  s.i64(3, to_ms(p.effective_from));
  s.real(4, p.prompt);
  s.real(5, p.completion);
  s.real(6, p.request);
  s.real(7, p.cache_read);
  s.real(8, p.cache_write);
  s.text(9, p.source);
  s.real(10, p.cache_write_1h);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return im.err("insert price");
  im.remember(sqlite3_last_insert_rowid(im.db), p);
  return Status::Ok();
}

Result<size_t> Ledger::import_catalog_prices(const catalog::Catalog& cat, std::string_view provider,
                                             SystemTime effective_from) {
  size_t added = 0;
  for (const auto& m : cat.models()) {
    const auto& pr = m.pricing;
    if (!pr.prompt.known() && !pr.completion.known()) continue;
    PriceRecord p;
    p.provider = std::string(provider);
    p.model = m.id;
    p.effective_from = effective_from;
    p.prompt = pr.prompt.known() ? pr.prompt.value : 0;
    p.completion = pr.completion.known() ? pr.completion.value : 0;
    p.request = pr.request.known() ? pr.request.value : 0;
    p.cache_read = pr.cache_read.known() ? pr.cache_read.value : 0;
    p.cache_write = pr.cache_write.known() ? pr.cache_write.value : 0;
    p.source = "catalog";
    auto cur = price_at(provider, m.id, effective_from);
    if (cur && same_price(*cur, p)) continue;
    PLOKE_RETURN_IF_ERROR(add_price(p));
    ++added;
  }
  return added;
}

std::optional<PriceRecord> Ledger::price_at(std::string_view provider, std::string_view model, SystemTime at) {
  MutexLock lock(mu_);
  const PriceEntry* e = impl_->lookup(std::string(provider), std::string(model), to_ms(at));
  if (!e) return std::nullopt;
  return e->rec;
}

Result<size_t> Ledger::recompute_costs(std::optional<SystemTime> since) {
  MutexLock lock(mu_);
  Impl& im = *impl_;
  PLOKE_RETURN_IF_ERROR(im.exec("BEGIN IMMEDIATE"));
  Stmt q(im.db, "SELECT id, provider, model, at, prompt_tokens, completion_tokens, cache_read_tokens, "
                "cache_write_tokens, cost_usd, price_id, cache_write_1h_tokens FROM attempts WHERE at >= ?");
  Stmt up(im.db, "UPDATE attempts SET cost_usd = ?, price_id = ? WHERE id = ?");
  q.i64(1, since ? to_ms(*since) : INT64_MIN);
  size_t changed = 0;
  while (sqlite3_step(q.get()) == SQLITE_ROW) {
    TokenUsage u{static_cast<uint64_t>(sqlite3_column_int64(q.get(), 4)),
                 static_cast<uint64_t>(sqlite3_column_int64(q.get(), 5)),
                 static_cast<uint64_t>(sqlite3_column_int64(q.get(), 6)),
                 static_cast<uint64_t>(sqlite3_column_int64(q.get(), 7)),
                 static_cast<uint64_t>(sqlite3_column_int64(q.get(), 10))};
    const PriceEntry* p = im.lookup(q.col_text(1), q.col_text(2), sqlite3_column_int64(q.get(), 3));
    const bool had = sqlite3_column_type(q.get(), 8) != SQLITE_NULL;
    const double old_cost = sqlite3_column_double(q.get(), 8);
    const int64_t old_pid = sqlite3_column_int64(q.get(), 9);
    if (!p && !had) continue;
    if (p && had && old_pid == p->id && old_cost == cost_of(p->rec, u)) continue;
    up.reset();
    if (p) {
      up.real(1, cost_of(p->rec, u));
      up.i64(2, p->id);
    } else {
      up.null(1);
      up.null(2);
    }
    up.i64(3, sqlite3_column_int64(q.get(), 0));
    if (sqlite3_step(up.get()) != SQLITE_DONE) {
      Status s = im.err("recompute");
      (void)im.exec("ROLLBACK");
      return s;
    }
    ++changed;
  }
  PLOKE_RETURN_IF_ERROR(im.exec("COMMIT"));
  return changed;
}

Status Ledger::record_request(const RequestRecord& r) { return record_batch({r}, {}); }
Status Ledger::record_attempt(const AttemptRecord& a) { return record_batch({}, {a}); }

Status Ledger::record_batch(const std::vector<RequestRecord>& requests, const std::vector<AttemptRecord>& attempts) {
  const int64_t now = to_ms(clock_.system_now());
  MutexLock lock(mu_);
  Impl& im = *impl_;
  if (!im.ins_attempt) return InvalidRequestError("ledger " + path_ + ": opened read-only");
  PLOKE_RETURN_IF_ERROR(im.exec("BEGIN IMMEDIATE"));
  Status s;
  for (const auto& r : requests) {
    s = im.insert_request(r, now);
    if (!s.ok()) break;
  }
  if (s.ok()) {
    for (const auto& a : attempts) {
      s = im.insert_attempt(a, now);
      if (!s.ok()) break;
    }
  }
  if (!s.ok()) {
    (void)im.exec("ROLLBACK");
    return s;
  }
  return im.exec("COMMIT");
}

Status Ledger::reconcile(std::string_view request_id, uint32_t number, double reported) {
  MutexLock lock(mu_);
  Impl& im = *impl_;
  Stmt s(im.db, "UPDATE attempts SET reported_cost_usd = ? WHERE request_id = ? AND number = ?");
  s.real(1, reported);
  s.text(2, request_id);
  s.i64(3, number);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return im.err("reconcile");
  if (sqlite3_changes(im.db) == 0) {
    return NotFoundError("ledger: no attempt " + std::to_string(number) + " of request " + std::string(request_id));
  }
  return Status::Ok();
}

Result<std::vector<AggregateRow>> Ledger::aggregate(const AggregateQuery& q) {
  static const std::set<std::string, std::less<>> kCols = {"provider", "model", "profile", "session", "kind", "outcome"};
  if (!kCols.count(q.by)) {
    return InvalidRequestError("ledger: cannot group by '" + q.by + "' (provider, model, profile, session, kind, outcome)");
  }
  MutexLock lock(mu_);
  Impl& im = *impl_;
  const std::string col = q.by == "model" ? "provider || '/' || model" : q.by;
  std::string sql = "SELECT " + col +
                    ", COUNT(*), SUM(outcome != 'ok'), SUM(kind = 'probe'), COUNT(DISTINCT NULLIF(request_id, '')), "
                    "SUM(prompt_tokens), SUM(completion_tokens), TOTAL(cost_usd), TOTAL(reported_cost_usd), "
                    "TOTAL(COALESCE(reported_cost_usd, cost_usd)), SUM(cost_usd IS NULL AND reported_cost_usd IS NULL) "
                    "FROM attempts WHERE at >= ? AND at < ?" +
                    std::string(q.include_probes ? "" : " AND kind != 'probe'") + " GROUP BY 1 ORDER BY 10 DESC, 1";
  Stmt s(im.db, sql.c_str());
  if (!s) return im.err("aggregate");
  s.i64(1, q.since ? to_ms(*q.since) : INT64_MIN);
  s.i64(2, q.until ? to_ms(*q.until) : INT64_MAX);
  std::vector<AggregateRow> rows;
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    AggregateRow r;
    r.key = s.col_text(0);
    r.attempts = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 1));
    r.failed = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 2));
    r.probes = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 3));
    r.requests = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 4));
    r.prompt_tokens = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 5));
    r.completion_tokens = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 6));
    r.cost_usd = sqlite3_column_double(s.get(), 7);
    r.reported_usd = sqlite3_column_double(s.get(), 8);
    r.spend_usd = sqlite3_column_double(s.get(), 9);
    r.unpriced = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 10));
    rows.push_back(std::move(r));
  }
  return rows;
}

namespace {
AttemptRecord read_attempt(const Stmt& s) {
  AttemptRecord a;
  a.request_id = s.col_text(0);
  a.number = static_cast<uint32_t>(sqlite3_column_int64(s.get(), 1));
  a.at = from_ms(sqlite3_column_int64(s.get(), 2));
  a.provider = s.col_text(3);
  a.model = s.col_text(4);
  a.endpoint_id = s.col_text(5);
  a.session = s.col_text(6);
  a.profile = s.col_text(7);
  a.kind = s.col_text(8);
  a.outcome = s.col_text(9);
  a.usage.prompt = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 10));
  a.usage.completion = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 11));
  a.usage.cache_read = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 12));
  a.usage.cache_write = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 13));
  a.duration_ms = sqlite3_column_double(s.get(), 14);
  if (sqlite3_column_type(s.get(), 15) != SQLITE_NULL) a.reported_cost_usd = sqlite3_column_double(s.get(), 15);
  a.usage.cache_write_1h = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 16));
  return a;
}
std::string attempt_cols(bool has_1h) {
  return std::string("request_id, number, at, provider, model, endpoint_id, session, profile, kind, outcome, "
                     "prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens, duration_ms, "
                     "reported_cost_usd, ") +
         (has_1h ? "cache_write_1h_tokens" : "0");
}
}  // namespace

Result<std::vector<AttemptRecord>> Ledger::attempts(std::string_view request_id) {
  MutexLock lock(mu_);
  Stmt s(impl_->db, (std::string("SELECT ") + attempt_cols(impl_->has_1h) + " FROM attempts WHERE request_id = ? ORDER BY number").c_str());
  s.text(1, request_id);
  std::vector<AttemptRecord> out;
  while (sqlite3_step(s.get()) == SQLITE_ROW) out.push_back(read_attempt(s));
  return out;
}

Result<uint64_t> Ledger::count_attempts() {
  MutexLock lock(mu_);
  Stmt s(impl_->db, "SELECT COUNT(*) FROM attempts");
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) return impl_->err("count");
  return static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
}

Result<std::vector<AttemptRecord>> Ledger::discrepancies(double tolerance) {
  MutexLock lock(mu_);
  Stmt s(impl_->db, (std::string("SELECT ") + attempt_cols(impl_->has_1h) +
                     " FROM attempts WHERE reported_cost_usd IS NOT NULL AND "
                     "ABS(reported_cost_usd - COALESCE(cost_usd, 0)) > ? ORDER BY at")
                        .c_str());
  s.real(1, tolerance);
  std::vector<AttemptRecord> out;
  while (sqlite3_step(s.get()) == SQLITE_ROW) out.push_back(read_attempt(s));
  return out;
}

Result<double> Ledger::attempt_cost(std::string_view request_id, uint32_t number) {
  MutexLock lock(mu_);
  Stmt s(impl_->db, "SELECT cost_usd FROM attempts WHERE request_id = ? AND number = ?");
  s.text(1, request_id);
  s.i64(2, number);
  if (sqlite3_step(s.get()) != SQLITE_ROW) return NotFoundError("ledger: no such attempt");
  if (sqlite3_column_type(s.get(), 0) == SQLITE_NULL) return NotFoundError("ledger: attempt has no known price");
  return sqlite3_column_double(s.get(), 0);
}

Status Ledger::set_budgets(const std::vector<Budget>& budgets) {
  for (const auto& b : budgets) {
    if ((b.scope != "global" && b.scope != "provider" && b.scope != "profile") || (b.period != "day" && b.period != "month") ||
        (b.action != "warn" && b.action != "stop") || b.limit_usd < 0) {
      return InvalidRequestError("ledger: invalid budget (scope " + b.scope + ", period " + b.period + ", action " + b.action + ")");
    }
  }
  MutexLock lock(mu_);
  budgets_ = budgets;
  return Status::Ok();
}

std::vector<Budget> Ledger::budgets() const {
  MutexLock lock(mu_);
  return budgets_;
}

Result<double> Ledger::spent(const Budget& b) { return spent_since(b, period_start(clock_.system_now(), b.period)); }

Result<double> Ledger::spent_since(const Budget& b, SystemTime from) {
  MutexLock lock(mu_);
  std::string sql = "SELECT TOTAL(COALESCE(reported_cost_usd, cost_usd)) FROM attempts WHERE at >= ?";
  if (b.scope == "provider") sql += " AND provider = ?";
  if (b.scope == "profile") sql += " AND profile = ?";
  Stmt s(impl_->db, sql.c_str());
  s.i64(1, to_ms(from));
  if (b.scope != "global") s.text(2, b.name);
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) return impl_->err("budget spend");
  return sqlite3_column_double(s.get(), 0);
}

BudgetCheck Ledger::check_budget(std::string_view provider, std::string_view profile, double est) {
  const std::vector<Budget> rules = budgets();
  return evaluate_budgets(rules, provider, profile, est, clock_.system_now(), [this](const Budget& b, SystemTime from) {
    auto sp = spent_since(b, from);
    return sp.ok() ? *sp : 0.0;
  });
}

double Ledger::remaining_budget(std::string_view provider, std::string_view profile) {
  return check_budget(provider, profile, 0).remaining_usd;
}

Forecast Ledger::forecast(std::string_view provider, std::string_view model, uint64_t prompt_tokens,
                          uint64_t max_output_tokens, std::optional<uint64_t> expected_output_tokens) {
  Forecast f;
  auto p = price_at(provider, model, clock_.system_now());
  if (!p) {
    f.note = "no price known for " + std::string(provider) + "/" + std::string(model);
    return f;
  }
  f.priced = true;
  const uint64_t expected = expected_output_tokens.value_or(max_output_tokens / 2);
  f.min_usd = cost_of(*p, {prompt_tokens, 0, 0, 0});
  f.expected_usd = cost_of(*p, {prompt_tokens, expected, 0, 0});
  f.max_usd = cost_of(*p, {prompt_tokens, max_output_tokens, 0, 0});
  f.note = std::to_string(prompt_tokens) + " prompt tokens, " + std::to_string(expected) + " expected / " +
           std::to_string(max_output_tokens) + " max output tokens at the " + p->source + " price";
  return f;
}

std::string format_time(SystemTime t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<seconds> hms{duration_cast<seconds>(t - day)};
  char b[40];
  std::snprintf(b, sizeof b, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return b;
}

std::optional<SystemTime> parse_time(std::string_view text) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::string t(text);
  int n = std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s);
  if (n != 3 && n != 6) return std::nullopt;
  if (n == 3 && t.size() != 10) return std::nullopt;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  auto tp = sys_days(ymd) + hours(h) + minutes(mi) + seconds(s);
  return SystemTime(duration_cast<Duration>(tp.time_since_epoch()));
}

// ------------------------------------------------------------------------- client keys

namespace {

std::string join_lines(const std::vector<std::string>& v) {
  std::string o;
  for (const auto& m : v) o += (o.empty() ? "" : "\n") + m;
  return o;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> v;
  size_t start = 0;
  while (start < s.size()) {
    const size_t nl = s.find('\n', start);
    v.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return v;
}

// The stored key id "vk-<n>" → n (0 when it is not one).
int64_t key_number(std::string_view id) {
  if (id.size() < 4 || id.substr(0, 3) != "vk-" || id.size() > 21) return 0;
  int64_t n = 0;
  for (char c : id.substr(3)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

Result<ClientKeyRecord> Ledger::add_client_key(ClientKeyRecord key) {
  if (key.hash.size() != 64 || key.name.empty()) return InvalidRequestError("ledger: a client key needs a name and a SHA-256 hash");
  key.created_at = clock_.system_now();
  MutexLock lock(mu_);
  Impl& im = *impl_;
  PLOKE_RETURN_IF_ERROR(im.exec("BEGIN IMMEDIATE"));
  Stmt s(im.db, "INSERT INTO client_keys(name, hash, prefix, max_budget_usd, rpm, models, created_at) VALUES (?,?,?,?,?,?,?)");
  if (!s) {
    (void)im.exec("ROLLBACK");
    return im.err("prepare client key");
  }
  s.text(1, key.name);
  s.text(2, key.hash);
  s.text(3, key.prefix);
  s.opt(4, key.max_budget_usd);
  if (key.rpm) s.i64(5, *key.rpm); else s.null(5);
  s.text(6, join_lines(key.models));
  s.i64(7, to_ms(key.created_at));
  Status st = sqlite3_step(s.get()) == SQLITE_DONE ? Status::Ok() : im.err("insert client key");
  if (st.ok()) key.id = "vk-" + std::to_string(sqlite3_last_insert_rowid(im.db));
  if (st.ok()) st = im.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='client_keys_generation'");
  if (!st.ok()) {
    (void)im.exec("ROLLBACK");
    return st;
  }
  PLOKE_RETURN_IF_ERROR(im.exec("COMMIT"));
  return key;
}

Result<std::vector<ClientKeyRecord>> Ledger::client_keys() {
  MutexLock lock(mu_);
  Impl& im = *impl_;
  std::map<std::string, double> spend;
  Stmt sp(im.db,
          "SELECT r.key_id, SUM(COALESCE(a.reported_cost_usd, a.cost_usd, 0)) FROM requests r "
          "JOIN attempts a ON a.request_id = r.request_id WHERE r.key_id <> '' GROUP BY r.key_id");
  while (sp && sqlite3_step(sp.get()) == SQLITE_ROW) spend[sp.col_text(0)] = sqlite3_column_double(sp.get(), 1);
  Stmt q(im.db, "SELECT n, name, hash, prefix, max_budget_usd, rpm, models, created_at, revoked_at FROM client_keys ORDER BY n");
  if (!q) return im.err("read client keys");
  std::vector<ClientKeyRecord> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    ClientKeyRecord k;
    k.id = "vk-" + std::to_string(sqlite3_column_int64(q.get(), 0));
    k.name = q.col_text(1);
    k.hash = q.col_text(2);
    k.prefix = q.col_text(3);
    if (sqlite3_column_type(q.get(), 4) != SQLITE_NULL) k.max_budget_usd = sqlite3_column_double(q.get(), 4);
    if (sqlite3_column_type(q.get(), 5) != SQLITE_NULL) k.rpm = static_cast<uint32_t>(sqlite3_column_int64(q.get(), 5));
    k.models = split_lines(q.col_text(6));
    k.created_at = from_ms(sqlite3_column_int64(q.get(), 7));
    if (sqlite3_column_type(q.get(), 8) != SQLITE_NULL) k.revoked_at = from_ms(sqlite3_column_int64(q.get(), 8));
    if (auto it = spend.find(k.id); it != spend.end()) k.spend_usd = it->second;
    out.push_back(std::move(k));
  }
  if (rc != SQLITE_DONE) return im.err("read client keys");
  return out;
}

Status Ledger::revoke_client_key(std::string_view id) {
  const int64_t n = key_number(id);
  const int64_t now = to_ms(clock_.system_now());
  MutexLock lock(mu_);
  Impl& im = *impl_;
  PLOKE_RETURN_IF_ERROR(im.exec("BEGIN IMMEDIATE"));
  Stmt s(im.db, "UPDATE client_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE n = ?");
  Status st = s ? Status::Ok() : im.err("prepare revoke");
  if (st.ok()) {
    s.i64(1, now);
    s.i64(2, n);
    st = sqlite3_step(s.get()) == SQLITE_DONE ? Status::Ok() : im.err("revoke client key");
  }
  if (st.ok() && sqlite3_changes(im.db) == 0) st = NotFoundError("no client key with id '" + std::string(id) + "'");
  if (st.ok()) st = im.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='client_keys_generation'");
  if (!st.ok()) {
    (void)im.exec("ROLLBACK");
    return st;
  }
  return im.exec("COMMIT");
}

Result<int64_t> Ledger::client_keys_generation() {
  MutexLock lock(mu_);
  Impl& im = *impl_;
  Stmt q(im.db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='client_keys_generation'");
  if (!q) return im.err("read client key generation");
  const int rc = sqlite3_step(q.get());
  if (rc == SQLITE_DONE) return int64_t{0};
  if (rc != SQLITE_ROW) return im.err("read client key generation");
  return static_cast<int64_t>(sqlite3_column_int64(q.get(), 0));
}

}  // namespace ploke::ledger
