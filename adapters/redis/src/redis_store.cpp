// RedisStore: the SharedStore operations as Redis commands and script calls (see
// ploke/redis/redis_store.h). Keys: PREFIX rl:SCOPE (windows: a hash of 100 ms slots;
// in-flight slots: a sorted set by expiry), spend:SCOPE (INCRBYFLOAT), breaker:ENDPOINT
// (state, PX ttl), trial:ENDPOINT (the holder's id, PX ttl), instances (sorted set by expiry); channel
// PREFIX breakers ("ENDPOINT\nSTATE").
#include "ploke/redis/redis_store.h"

#include <event2/event.h>

#include <cstdio>
#include <cstdlib>

#include "ploke/net/event_loop.h"
#include "ploke/net/native_loop.h"
#include "redis_engine.h"

namespace ploke::redis {

using resilience::Admission;
using resilience::AdmitRequest;
using resilience::BreakerShare;
using resilience::LimitKind;
using resilience::Reservation;

namespace {

std::string ms_arg(Duration d) {
  return std::to_string(std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}
const char* kind_arg(LimitKind k) {
  return k == LimitKind::kRequests ? "r" : k == LimitKind::kTokens ? "t" : "c";
}
/// The reply's failure: the transport's, or a Redis error reply.
Status reply_status(const redisReply* r, const Status& s) {
  if (!s.ok()) return s;
  if (r->type == REDIS_REPLY_ERROR) return ServerError("redis: " + std::string(r->str, r->len));
  return Status();
}
int64_t int_at(const redisReply* r, size_t i) {
  return i < r->elements && r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : 0;
}

std::string refusal_reason(const resilience::SharedLimit& l, int64_t used, uint64_t need) {
  return std::string(resilience::limit_kind_name(l.kind)) + " " + l.key + ": " + std::to_string(used) + " + " +
         std::to_string(need) + " > " + std::to_string(l.limit);
}

Result<Admission> parse_admission(const redisReply* r, const Status& s, const AdmitRequest& req) {
  PLOKE_RETURN_IF_ERROR(reply_status(r, s));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) return ServerError("redis: unexpected admit reply");
  Admission a;
  a.allowed = int_at(r, 0) == 1;
  if (a.allowed) {
    a.reservation = Reservation{req.limits, req.tokens, int_at(r, 4), req.slot_id, false};
    return a;
  }
  a.retry_after = std::chrono::milliseconds(std::max<int64_t>(0, int_at(r, 1)));
  const int64_t i = int_at(r, 2) - 1;
  if (i >= 0 && static_cast<size_t>(i) < req.limits.size()) {
    const auto& l = req.limits[static_cast<size_t>(i)];
    a.reason = refusal_reason(l, int_at(r, 3), l.kind == LimitKind::kTokens ? req.tokens : 1);
  }
  return a;
}

Result<resilience::Lease> parse_lease(const redisReply* r, const Status& s, const resilience::LeaseRequest& req) {
  PLOKE_RETURN_IF_ERROR(reply_status(r, s));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) return ServerError("redis: unexpected lease reply");
  resilience::Lease l;
  l.granted = int_at(r, 0) == 1;
  l.slot = int_at(r, 4);
  if (l.granted) {
    l.requests = static_cast<uint64_t>(std::max<int64_t>(0, int_at(r, 1)));
    l.tokens = static_cast<uint64_t>(std::max<int64_t>(0, int_at(r, 2)));
    return l;
  }
  l.retry_after = std::chrono::milliseconds(std::max<int64_t>(0, int_at(r, 1)));
  const int64_t i = int_at(r, 2) - 1;
  if (i >= 0 && static_cast<size_t>(i) < req.limits.size()) {
    const auto& lim = req.limits[static_cast<size_t>(i)];
    const uint64_t need = lim.kind == LimitKind::kTokens ? req.need_tokens : 1;
    l.reason = refusal_reason(lim, int_at(r, 3), need);
  }
  return l;
}

std::optional<std::string> string_of(const redisReply* r) {
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) return std::nullopt;
  return std::string(r->str, r->len);
}

}  // namespace

namespace {
/// Each limit's key (after `prefix`), and its kind, limit and window (s) as script arguments.
void limit_args(const std::string& prefix, const std::vector<resilience::SharedLimit>& limits,
                std::vector<std::string>& keys, std::vector<std::string>& args) {
  for (const auto& l : limits) {
    keys.push_back(prefix + "rl:" + l.key);
    args.emplace_back(kind_arg(l.kind));
    args.push_back(std::to_string(l.limit));
    args.push_back(std::to_string(std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(l.window).count())));
  }
}
}  // namespace

// ---- Engine (loop thread) ---------------------------------------------------------------

void RedisStore::Engine::start(event_base* base, bool subscribe) {
  cmd = std::make_unique<detail::Conn>(base, opts, "commands", counters, cmd_ready);
  flush_ev = evtimer_new(base, [](int, short, void* self) { static_cast<Engine*>(self)->flush_reconciles(); }, this);
  if (subscribe) sub = std::make_unique<detail::Conn>(base, opts, "subscriber", counters, sub_ready);
  cmd->on_ready = [this](detail::Conn& c) {
    c.command({"SCRIPT", "LOAD", detail::kScript}, [this](const redisReply* r, Status s) {
      if (s.ok() && r->type == REDIS_REPLY_STRING) sha.assign(r->str, r->len);
    });
  };
  cmd->start();
  if (!sub) return;
  sub->on_ready = [this](detail::Conn& c) {
    subscribed = false;
    c.subscribe(channel());
  };
  sub->on_message = [this](const redisReply* r) { on_message(r); };
  sub->start();
}

void RedisStore::Engine::close() {
  if (flush_ev) evtimer_del(flush_ev);
  std::vector<PendingReconcile> left;
  left.swap(reconciles);
  for (auto& p : left) p.done(ConnectionResetError("redis: store closed"));
  if (sub) sub->close();
  if (cmd) cmd->close();
}

RedisStore::Engine::~Engine() {
  close();
  if (flush_ev) event_free(flush_ev);
}

void RedisStore::Engine::queue_reconcile(Reservation r, uint64_t actual, std::function<void(Status)> done) {
  reconciles.push_back({std::move(r), actual, std::move(done)});
  if (reconciles.size() >= kReconcileBatch) return flush_reconciles();
  if (flush_ev && !evtimer_pending(flush_ev, nullptr)) {
    const timeval tv{0, static_cast<suseconds_t>(std::chrono::microseconds(kReconcileDelay).count())};
    evtimer_add(flush_ev, &tv);
  }
}

void RedisStore::Engine::flush_reconciles() {
  if (flush_ev) evtimer_del(flush_ev);
  if (reconciles.empty()) return;
  auto batch = std::make_shared<std::vector<PendingReconcile>>();
  batch->swap(reconciles);
  std::vector<std::string> keys, args{"reconcile", std::to_string(batch->size())};
  for (const auto& p : *batch) {
    args.insert(args.end(), {std::to_string(p.r.limits.size()), std::to_string(p.r.reserved_tokens),
                             std::to_string(p.actual), std::to_string(p.r.slot), p.r.slot_id,
                             std::to_string(p.r.unused_requests)});
    for (const auto& l : p.r.limits) {
      keys.push_back(key("rl:" + l.key));
      args.emplace_back(kind_arg(l.kind));
    }
  }
  script(std::move(keys), std::move(args), [batch](const redisReply* r, Status s) {
    const Status st = reply_status(r, s);
    for (auto& p : *batch) p.done(st);
  });
}

void RedisStore::Engine::script(std::vector<std::string> keys, std::vector<std::string> args, detail::ReplyFn fn) {
  const bool by_sha = !sha.empty();
  std::vector<std::string> argv{by_sha ? "EVALSHA" : "EVAL", by_sha ? sha : detail::kScript,
                                std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  cmd->command(argv, [this, by_sha, keys = std::move(keys), args = std::move(args), fn = std::move(fn)](
                         const redisReply* r, Status s) mutable {
    if (s.ok() && by_sha && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT")) {
      ++counters.noscript;  // Redis restarted or flushed its scripts: send it whole (EVAL loads it)
      sha.clear();
      script(std::move(keys), std::move(args), std::move(fn));
      cmd->command({"SCRIPT", "LOAD", detail::kScript}, [this](const redisReply* r2, Status s2) {
        if (s2.ok() && r2->type == REDIS_REPLY_STRING) sha.assign(r2->str, r2->len);
      });
      return;
    }
    fn(r, s);
  });
}

void RedisStore::Engine::on_message(const redisReply* r) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
  const redisReply* kind = r->element[0];
  const redisReply* payload = r->element[2];
  if (kind->type != REDIS_REPLY_STRING) return;
  if (std::string_view(kind->str, kind->len) == "subscribe") subscribed = true;
  if (std::string_view(kind->str, kind->len) != "message") return;
  if (payload->type != REDIS_REPLY_STRING) return;
  const std::string_view text(payload->str, payload->len);
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return;
  auto b = resilience::decode_breaker_share(std::string(text.substr(0, nl)), text.substr(nl + 1));
  if (!b) return;
  std::vector<std::function<void(const BreakerShare&)>> subs;
  {
    MutexLock lock(shared->mu);
    subs = shared->subscribers;
  }
  for (const auto& f : subs) f(*b);
}

// ---- RedisStore ---------------------------------------------------------------------------

RedisStore::RedisStore(RedisOptions options) : shared_(std::make_shared<StoreShared>(std::move(options))) {}

RedisStore::RedisStore(net::EventLoop& loop, RedisOptions options) : RedisStore(std::move(options)) { start(loop); }

void RedisStore::start(net::EventLoop& loop) { start(std::vector<net::EventLoop*>{&loop}); }

void RedisStore::start(const std::vector<net::EventLoop*>& loops) {
  MutexLock lock(start_mu_);
  if (started_.load() || loops.empty()) return;
  for (size_t i = 0; i < loops.size(); ++i) {
    auto engine = std::make_shared<Engine>(shared_);
    loops_.push_back(loops[i]);
    engines_.push_back(engine);
    posts_.push_back(loops[i]->poster());
    posts_.back()([engine, subscribe = i == 0] {
      net::EventLoop* here = net::EventLoop::current();
      if (here == nullptr || here->closing()) return;
      here->set_local(engine.get(), engine);  // destroyed on this thread when the server stops
      engine->start(net::native_event_base(*here), subscribe);
    });
  }
  started_.store(true, std::memory_order_release);
}

RedisStore::~RedisStore() {
  if (!started_.load(std::memory_order_acquire)) return;
  for (size_t i = 0; i < engines_.size(); ++i) {
    posts_[i]([weak = engines_[i]] {  // closed on its loop (no-op once the loop is gone)
      auto e = weak.lock();
      net::EventLoop* here = net::EventLoop::current();
      if (!e || here == nullptr) return;
      e->close();
      here->set_local(e.get(), nullptr);
    });
  }
}

void RedisStore::run(std::function<void(Engine&)> fn, std::function<void(Status)> on_fail) {
  if (!started_.load(std::memory_order_acquire)) return on_fail(ConnectionResetError("redis: store not started"));
  const net::EventLoop* here = net::EventLoop::current();
  for (size_t i = 0; i < loops_.size(); ++i) {
    if (loops_[i] != here) continue;
    auto e = engines_[i].lock();  // on its own loop: at once, no thread change
    if (e && e->cmd) return fn(*e);
    return on_fail(ConnectionResetError("redis: store closed"));
  }
  auto task = [weak = engines_[0], fn = std::move(fn), on_fail] {
    auto e = weak.lock();
    if (e && e->cmd) {
      fn(*e);
    } else {
      on_fail(ConnectionResetError("redis: store closed"));
    }
  };
  if (!posts_[0](std::move(task))) on_fail(ConnectionResetError("redis: event loop stopped"));
}

void RedisStore::admit(AdmitRequest req, Callback<Admission> done) {
  run(
      [req = std::move(req), done](Engine& e) {
        std::vector<std::string> keys, args{"admit", std::to_string(req.tokens), req.slot_id, ms_arg(req.slot_ttl)};
        limit_args(e.opts.prefix, req.limits, keys, args);
        e.script(std::move(keys), std::move(args),
                 [req, done](const redisReply* r, Status s) { done(parse_admission(r, s, req)); });
      },
      [done](Status s) { done(s); });
}

void RedisStore::lease(resilience::LeaseRequest req, Callback<resilience::Lease> done) {
  run(
      [req = std::move(req), done](Engine& e) {
        std::vector<std::string> keys, args{"lease", std::to_string(std::max<uint64_t>(1, req.requests)),
                                            std::to_string(std::max(req.tokens, req.need_tokens)),
                                            std::to_string(req.need_tokens), std::to_string(req.instances)};
        std::vector<resilience::SharedLimit> windows;  // kConcurrent limits are not leased
        for (const auto& l : req.limits)
          if (l.kind != LimitKind::kConcurrent) windows.push_back(l);
        limit_args(e.opts.prefix, windows, keys, args);
        e.script(std::move(keys), std::move(args), [req = std::move(req), windows, done](const redisReply* r, Status s) {
          resilience::LeaseRequest asked = req;
          asked.limits = windows;  // the reply's limit index is into these
          done(parse_lease(r, s, asked));
        });
      },
      [done](Status s) { done(s); });
}

void RedisStore::reconcile(Reservation res, uint64_t actual_tokens, Callback<bool> done) {
  run(
      [res = std::move(res), actual_tokens, done](Engine& e) {
        e.queue_reconcile(res, actual_tokens, [done](Status st) {
          if (st.ok()) done(true); else done(st);
        });
      },
      [done](Status s) { done(s); });
}

void RedisStore::add_spend(std::string scope, double usd, Callback<double> done) {
  run(
      [scope = std::move(scope), usd, done](Engine& e) {
        char amount[64];
        std::snprintf(amount, sizeof amount, "%.17g", usd);
        e.cmd->command({"INCRBYFLOAT", e.key("spend:" + scope), amount}, [done](const redisReply* r, Status s) {
          Status st = reply_status(r, s);
          if (!st.ok()) return done(st);
          auto text = string_of(r);
          if (!text) return done(ServerError("redis: unexpected INCRBYFLOAT reply"));
          done(std::strtod(text->c_str(), nullptr));
        });
      },
      [done](Status s) { done(s); });
}

void RedisStore::get_spend(std::vector<std::string> scopes, Callback<std::vector<double>> done) {
  run(
      [scopes = std::move(scopes), done](Engine& e) {
        std::vector<std::string> argv{"MGET"};
        for (const auto& s : scopes) argv.push_back(e.key("spend:" + s));
        if (scopes.empty()) return done(std::vector<double>{});
        e.cmd->command(argv, [done, n = scopes.size()](const redisReply* r, Status s) {
          Status st = reply_status(r, s);
          if (!st.ok()) return done(st);
          if (r->type != REDIS_REPLY_ARRAY || r->elements != n) return done(ServerError("redis: unexpected MGET reply"));
          std::vector<double> out;
          for (size_t i = 0; i < n; ++i) {
            auto text = string_of(r->element[i]);
            out.push_back(text ? std::strtod(text->c_str(), nullptr) : 0.0);
          }
          done(std::move(out));
        });
      },
      [done](Status s) { done(s); });
}

void RedisStore::publish_breaker(BreakerShare b, Duration ttl, Callback<bool> done) {
  run(
      [b = std::move(b), ttl, done](Engine& e) {
        const std::string state = resilience::encode_breaker_share(b);
        e.script({e.key("breaker:" + b.endpoint)}, {"breaker", state, ms_arg(ttl), e.channel(), b.endpoint + "\n" + state},
                 [done](const redisReply* r, Status s) {
                   Status st = reply_status(r, s);
                   if (st.ok()) done(true); else done(st);
                 });
      },
      [done](Status s) { done(s); });
}

void RedisStore::read_breakers(std::vector<std::string> endpoints,
                               Callback<std::vector<std::optional<BreakerShare>>> done) {
  run(
      [endpoints = std::move(endpoints), done](Engine& e) {
        if (endpoints.empty()) return done(std::vector<std::optional<BreakerShare>>{});
        std::vector<std::string> argv{"MGET"};
        for (const auto& ep : endpoints) argv.push_back(e.key("breaker:" + ep));
        e.cmd->command(argv, [done, endpoints](const redisReply* r, Status s) {
          Status st = reply_status(r, s);
          if (!st.ok()) return done(st);
          if (r->type != REDIS_REPLY_ARRAY || r->elements != endpoints.size())
            return done(ServerError("redis: unexpected MGET reply"));
          std::vector<std::optional<BreakerShare>> out;
          for (size_t i = 0; i < endpoints.size(); ++i) {
            auto text = string_of(r->element[i]);
            out.push_back(text ? resilience::decode_breaker_share(endpoints[i], *text) : std::nullopt);
          }
          done(std::move(out));
        });
      },
      [done](Status s) { done(s); });
}

void RedisStore::subscribe_breakers(std::function<void(const BreakerShare&)> on_change) {
  MutexLock lock(shared_->mu);
  shared_->subscribers.push_back(std::move(on_change));
}

void RedisStore::claim_trial(std::string endpoint, std::string instance, Duration ttl, Callback<bool> done) {
  run(
      [endpoint = std::move(endpoint), instance = std::move(instance), ttl, done](Engine& e) {
        e.script({e.key("trial:" + endpoint)}, {"trial", instance, ms_arg(ttl)}, [done](const redisReply* r, Status s) {
          Status st = reply_status(r, s);
          if (!st.ok()) return done(st);
          done(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
        });
      },
      [done](Status s) { done(s); });
}

void RedisStore::heartbeat(std::string instance, Duration ttl, Callback<uint32_t> done) {
  run(
      [instance = std::move(instance), ttl, done](Engine& e) {
        e.script({e.key("instances")}, {"heartbeat", instance, ms_arg(ttl)}, [done](const redisReply* r, Status s) {
          Status st = reply_status(r, s);
          if (!st.ok()) return done(st);
          if (r->type != REDIS_REPLY_INTEGER) return done(ServerError("redis: unexpected heartbeat reply"));
          done(static_cast<uint32_t>(r->integer));
        });
      },
      [done](Status s) { done(s); });
}

bool RedisStore::connected() const {
  if (!started_.load(std::memory_order_acquire)) return false;
  for (size_t i = 0; i < engines_.size(); ++i) {
    auto e = engines_[i].lock();
    if (!e || !e->cmd_ready.load()) return false;
    if (i == 0 && !(e->sub_ready.load() && e->subscribed.load())) return false;
  }
  return true;
}

RedisStats RedisStore::stats() const {
  RedisStats s;
  const detail::Counters& c = shared_->counters;
  s.commands = c.commands.load();
  s.timeouts = c.timeouts.load();
  s.errors = c.errors.load();
  s.connects = c.connects.load();
  s.disconnects = c.disconnects.load();
  s.noscript = c.noscript.load();
  return s;
}

std::string RedisStore::address_text() const { return redacted_url(shared_->opts.address); }

}  // namespace ploke::redis
