// SimEngine: routing, fault selection and application, cassette replay, journal. The wire
// shapes live in openai_wire.cpp; replay's error shapes and admin JSON in replay.cpp.
#include "ploke/simulator/engine.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/codec/cassette_json.h"
#include "journal_facts.h"
#include "protocol.h"
#include "replay.h"

namespace ploke::simulator {
namespace {

using detail::ErrorSpec;
using detail::Json;
using detail::RequestContext;

int64_t ms_ceil(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (std::chrono::milliseconds(ms) < d) ++ms;
  return ms;
}

std::string request_id_for(Random& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "req_";
  for (int i = 0; i < 32; ++i) id += kHex[rng.below(16)];
  return id;
}

// X-Stainless-Retry-Count as a number (absent or not a number: nullopt).
std::optional<int64_t> retry_count_header(const Headers& headers) {
  auto rc = headers.get("x-stainless-retry-count");
  if (!rc || rc->empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : *rc) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::vector<ModelInfo> default_models() {
  return {
      {"gpt-4o", 1715367049, "system"},
      {"gpt-4o-mini", 1721172741, "system"},
      {"gpt-4.1", 1744316542, "system"},
      {"gpt-4.1-mini", 1744318173, "system"},
      {"gpt-3.5-turbo", 1677610602, "openai"},
      {"o4-mini", 1744225351, "system", ModelKind::kChat, 0, true, /*reasoning=*/true},
      {"gpt-3.5-turbo-instruct", 1692901427, "system", ModelKind::kCompletion},
      {"text-embedding-3-small", 1705948997, "system", ModelKind::kEmbedding, 1536},
      {"text-embedding-3-large", 1705953180, "system", ModelKind::kEmbedding, 3072},
      {"text-embedding-ada-002", 1671217299, "openai-internal", ModelKind::kEmbedding, 1536, false},
  };
}

std::vector<std::string> builtin_protocol_names() { return {"anthropic", "openrouter", "openai"}; }

struct SimEngine::Impl {
  struct FaultState {
    Fault fault;
    uint64_t matched = 0;
    uint64_t fired = 0;
  };

  explicit Impl(const SimOptions& o)
      : fault_rng(Random(o.seed).fork(0xFA017)), base_rng(o.seed), timing(o.replay.timing) {}

  mutable Mutex mu;
  uint64_t seq PLOKE_GUARDED_BY(mu) = 0;
  std::vector<FaultState> faults PLOKE_GUARDED_BY(mu);
  uint64_t next_fault_number PLOKE_GUARDED_BY(mu) = 1;         // for generated ids
  Random fault_rng PLOKE_GUARDED_BY(mu);
  std::deque<JournalEntry> journal PLOKE_GUARDED_BY(mu);
  const Random base_rng;                  // immutable; fork() is const

  // Cassette replay: null when off. The store is thread-safe on its own (its own mutex);
  // the rest is immutable after Create().
  std::unique_ptr<codec::ReplayStore> store;
  std::set<std::string> recorded_routes;  // "METHOD /path" of every recorded interaction
  const codec::Timing timing;

  // The protocols, built-in and added (protocol.h), each with its own state.
  std::unique_ptr<detail::ProtocolRegistry> protocols;

  /// Assigns the request's arrival number and picks the fault to apply (every fault counts
  /// its matching requests; the first whose trigger holds wins).
  std::optional<Fault> select_fault(const std::string& path, bool is_inference, const std::string& model,
                                    bool stream, Duration since_start, uint64_t& seq);
  void append_journal(JournalEntry e, size_t capacity) {
    MutexLock lock(mu);
    journal.push_back(std::move(e));
    while (journal.size() > capacity) journal.pop_front();
  }
  /// Replay mode: does this request go to the cassettes (else: synthetic)?
  bool routes_to_cassette(const std::string& method, const std::string& path, bool is_get) const;
  /// The recorded answer to `request` (or the near-miss error); `label` names it for the journal.
  /// `cassette`: the per-test cassette the request names (scoped stores only).
  ScriptedResponse replay(const HttpRequest& request, const std::string& path, const std::string& cassette,
                          const RequestContext& ctx, const SimOptions& opts, double slow, std::string& label) const;
  detail::Routing routing(const HttpRequest& request) const;
  /// The answer: the cassette's or the routed protocol's, faults applied.
  ScriptedResponse respond(const HttpRequest& request, const detail::Routing& rt, const detail::ParsedRequest& p,
                           const Fault* f,
                           const RequestContext& ctx, const SimOptions& opts, Random& rng, TimePoint arrival,
                           std::string& replayed) const;
};

std::optional<Fault> SimEngine::Impl::select_fault(const std::string& path, bool is_inference,
                                                   const std::string& model, bool stream, Duration since_start,
                                                   uint64_t& seq_out) {
  std::optional<Fault> fault;
  MutexLock lock(mu);
  seq_out = ++seq;
  for (auto& s : faults) {
    const Fault& f = s.fault;
    if (f.match.path.empty() ? !is_inference : f.match.path != path) continue;
    if (!f.match.model.empty() && f.match.model != model) continue;
    if (f.match.stream && *f.match.stream != stream) continue;
    const uint64_t count = ++s.matched;
    const FaultTrigger& t = f.trigger;
    bool fires = true;
    if (t.nth) {
      if (t.every && *t.every > 0) fires = count >= *t.nth && (count - *t.nth) % *t.every == 0;
      else fires = count == *t.nth;
    }
    if (t.from && since_start < *t.from) fires = false;
    if (t.until && since_start >= *t.until) fires = false;
    if (t.probability) {
      // Roll for every matching request so the dice sequence does not depend on which
      // other conditions held.
      const bool roll = fault_rng.chance(*t.probability);
      fires = fires && roll;
    }
    if (t.times && s.fired >= *t.times) fires = false;
    if (fires && !fault) {
      ++s.fired;
      fault = f;
    }
  }
  return fault;
}

bool SimEngine::Impl::routes_to_cassette(const std::string& method, const std::string& path, bool is_get) const {
  if (!store) return false;
  const bool synthetic_route = is_get && (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0);
  if (!synthetic_route) return true;
  std::string route = method;
  for (char& c : route) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return recorded_routes.count(route + " " + path) > 0;
}

ScriptedResponse SimEngine::Impl::replay(const HttpRequest& request, const std::string& path,
                                         const std::string& cassette, const RequestContext& ctx,
                                         const SimOptions& opts, double slow, std::string& label) const {
  codec::RecordedRequest live = codec::live_request_from_http(request);
  live.path = path;  // the effective path (base_url prefix joined), as recorded
  if (store->scoped()) {
    if (Status st = detail::check_cassette_scope(cassette, *store); !st.ok()) {
      label = "miss";
      return detail::replay_error_response(st.message(), detail::kCassetteNotFound, path, ctx, opts);
    }
  }
  codec::ReplayResult hit = store->match(live, cassette);
  if (!hit.ok()) {
    label = "miss";
    return detail::replay_miss_response(hit.near_miss, path, ctx, opts);
  }
  label = hit.ref ? hit.ref->cassette + "#" + std::to_string(hit.ref->index) : "cassette";
  ScriptedResponse r = codec::to_scripted(hit.interaction->response, timing);
  detail::stretch(r, slow);
  return r;
}

namespace {

Status assign_ids(std::vector<Fault>& faults, const std::set<std::string>& taken_in, uint64_t& next_number) {
  std::set<std::string> taken = taken_in;
  for (const Fault& f : faults) {
    if (f.id.empty()) continue;
    if (!taken.insert(f.id).second) return InvalidRequestError("fault plan: duplicate fault id '" + f.id + "'");
  }
  for (Fault& f : faults) {
    if (!f.id.empty()) continue;
    std::string id;
    do { id = "f" + std::to_string(next_number++); } while (taken.count(id));
    taken.insert(id);
    f.id = id;
  }
  return Status::Ok();
}

}  // namespace

SimEngine::SimEngine(const SimOptions& options, Clock& clock)
    : options_(options), clock_(clock), start_(clock.now()), impl_(std::make_unique<Impl>(options)) {}

SimEngine::~SimEngine() = default;

Result<std::unique_ptr<SimEngine>> SimEngine::Create(const SimOptions& options, Clock& clock) {
  std::vector<std::string> errors;
  if (options.models.empty()) errors.push_back("models: must not be empty");
  std::set<std::string> ids;
  for (size_t i = 0; i < options.models.size(); ++i) {
    if (options.models[i].id.empty()) errors.push_back("models[" + std::to_string(i) + "].id: must not be empty");
    else if (!ids.insert(options.models[i].id).second) errors.push_back("models[" + std::to_string(i) + "].id: duplicate");
  }
  if (options.latency.time_to_first_token < Duration{0}) errors.push_back("latency.time_to_first_token: must be >= 0");
  if (!(options.latency.tokens_per_second >= 0)) errors.push_back("latency.tokens_per_second: must be >= 0");
  if (options.length.min_tokens > options.length.max_tokens) errors.push_back("length: min_tokens > max_tokens");
  if (!(options.tool_call_probability >= 0 && options.tool_call_probability <= 1)) {
    errors.push_back("tool_call_probability: must be in [0,1]");
  }
  if (!(options.redacted_thinking_probability >= 0 && options.redacted_thinking_probability <= 1)) {
    errors.push_back("redacted_thinking_probability: must be in [0,1]");
  }
  if (options.journal_capacity == 0) errors.push_back("journal_capacity: must be > 0");
  if (!errors.empty()) {
    std::string msg = "invalid simulator options:";
    for (const auto& e : errors) msg += "\n  " + e;
    return InvalidRequestError(msg);
  }
  std::unique_ptr<SimEngine> engine(new SimEngine(options, clock));
  PLOKE_ASSIGN_OR_RETURN(engine->impl_->protocols, detail::ProtocolRegistry::Create(engine->options_, clock));
  PLOKE_RETURN_IF_ERROR(engine->set_faults(options.faults, false));
  if (engine->options_.replay.enabled()) {
    // The store owns the cassettes; the options copy gives them up (one copy in memory).
    auto store = codec::ReplayStore::Create(std::move(engine->options_.replay.cassettes), options.replay.options);
    engine->options_.replay.cassettes.clear();
    if (!store.ok()) return InvalidRequestError("invalid simulator options: replay: " + store.status().message());
    Impl& impl = *engine->impl_;
    impl.store = std::move(store).value();
    for (size_t i = 0; i < impl.store->size(); ++i) {
      const codec::RecordedRequest& rq = impl.store->interaction(i).request;
      std::string route = rq.method;
      for (char& c : route) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      impl.recorded_routes.insert(route + " " + rq.path);
    }
  }
  return engine;
}

Status SimEngine::set_faults(FaultPlan plan, bool append) {
  MutexLock lock(impl_->mu);
  std::set<std::string> taken;
  if (append) for (const auto& s : impl_->faults) taken.insert(s.fault.id);
  uint64_t next = append ? impl_->next_fault_number : 1;
  PLOKE_RETURN_IF_ERROR(assign_ids(plan.faults, taken, next));
  if (!append) impl_->faults.clear();
  impl_->next_fault_number = next;
  for (Fault& f : plan.faults) impl_->faults.push_back(Impl::FaultState{std::move(f), 0, 0});
  return Status::Ok();
}

void SimEngine::clear_faults() {
  MutexLock lock(impl_->mu);
  impl_->faults.clear();
  impl_->next_fault_number = 1;
}

FaultPlan SimEngine::faults() const {
  MutexLock lock(impl_->mu);
  FaultPlan p;
  for (const auto& s : impl_->faults) p.faults.push_back(s.fault);
  return p;
}

std::vector<FaultStats> SimEngine::fault_stats() const {
  MutexLock lock(impl_->mu);
  std::vector<FaultStats> out;
  for (const auto& s : impl_->faults) out.push_back(FaultStats{s.fault.id, s.fault.kind, s.matched, s.fired});
  return out;
}

std::vector<JournalEntry> SimEngine::journal(size_t limit) const {
  MutexLock lock(impl_->mu);
  size_t n = std::min(limit, impl_->journal.size());
  return std::vector<JournalEntry>(impl_->journal.end() - static_cast<std::ptrdiff_t>(n), impl_->journal.end());
}

void SimEngine::clear_journal() {
  MutexLock lock(impl_->mu);
  impl_->journal.clear();
}

uint64_t SimEngine::request_count() const {
  MutexLock lock(impl_->mu);
  return impl_->seq;
}

bool SimEngine::replay_enabled() const { return impl_->store != nullptr; }

std::vector<codec::NearMiss> SimEngine::replay_misses() const {
  return impl_->store ? impl_->store->misses() : std::vector<codec::NearMiss>{};
}

std::vector<codec::InteractionRef> SimEngine::replay_unused() const {
  return impl_->store ? impl_->store->unused() : std::vector<codec::InteractionRef>{};
}

std::vector<codec::UsageEntry> SimEngine::replay_usage() const {
  return impl_->store ? impl_->store->usage() : std::vector<codec::UsageEntry>{};
}

codec::StrictReport SimEngine::strict_report() const {
  return impl_->store ? impl_->store->strict_report() : codec::StrictReport{};
}

void SimEngine::reset_replay() {
  if (impl_->store) impl_->store->reset();
}

namespace {

detail::ParsedRequest parse_request(const HttpRequest& request, const detail::Routing& rt, const SimOptions& opts) {
  detail::ParsedRequest p;
  if (rt.protocol != nullptr) rt.protocol->read(request, rt, opts, p);
  else detail::read_body(request, rt, false, p);  // replayed: faults match on model and stream
  return p;
}

JournalEntry journal_entry(const HttpRequest& request, const detail::Routing& rt, const detail::ParsedRequest& p,
                           const ScriptedResponse& r, const RequestContext& ctx, const Fault* fault,
                           Duration since_start, std::string replayed) {
  JournalEntry e;
  e.seq = ctx.seq;
  e.at = since_start;
  e.method = request.method;
  e.path = rt.path;
  e.model = p.model;
  e.stream = p.stream;
  e.retry_count = retry_count_header(request.headers);
  e.status = (r.send_head && r.ending != Ending::kCloseNoReply) ? r.status : 0;
  e.ending = std::string(ending_name(r.ending));
  if (fault) e.fault_id = fault->id;
  e.request_id = ctx.request_id;
  if (!replayed.empty() && replayed != "miss") {
    auto rid = r.headers.get(adapters::openai::kRequestIdHeader);
    if (!rid) rid = r.headers.get(adapters::anthropic::kRequestIdHeader);
    e.request_id = rid ? std::string(*rid) : std::string();
  }
  e.replay = std::move(replayed);
  detail::add_client_facts(e, request, r, fault);
  return e;
}

}  // namespace

detail::Routing SimEngine::Impl::routing(const HttpRequest& request) const {
  detail::Routing rt = detail::basic_routing(request);
  if (store && store->scoped()) rt.cassette = detail::take_cassette_scope(request, *store, &rt.path);
  rt.from_cassette = routes_to_cassette(request.method, rt.path, rt.is_get);
  // Inference requests are what faults match by default: each protocol's inference routes,
  // and in replay mode every POST answered from the cassettes (whatever the protocol).
  if (rt.from_cassette) {
    rt.is_inference = rt.is_post || protocols->fallback().is_inference(rt);
    return rt;
  }
  rt.protocol = &protocols->find(request, rt);
  rt.is_inference = rt.protocol->is_inference(rt);
  return rt;
}

ScriptedResponse SimEngine::Impl::respond(const HttpRequest& request, const detail::Routing& rt,
                                          const detail::ParsedRequest& p, const Fault* f, const RequestContext& ctx,
                                          const SimOptions& opts, Random& rng, TimePoint arrival,
                                          std::string& replayed) const {
  if (rt.protocol != nullptr) {
    return rt.protocol->respond(detail::ProtocolCall{request, rt, p, f, ctx, opts, rng, arrival});
  }
  const auto shapes = detail::openai_fault_shapes(ctx, opts, p.model, rt.path);
  return detail::respond_with_faults(f, p.stream, *shapes, [&](double slow) {
    return replay(request, rt.path, rt.cassette, ctx, opts, slow, replayed);
  });
}

ScriptedResponse SimEngine::handle(const HttpRequest& request) { return handle(request, nullptr); }

ScriptedResponse SimEngine::handle(const HttpRequest& request, JournalEntry* entry) {
  const TimePoint arrival = clock_.now();
  const Duration since_start = arrival - start_;
  const detail::Routing rt = impl_->routing(request);
  const detail::ParsedRequest p = parse_request(request, rt, options_);

  uint64_t seq = 0;
  const std::optional<Fault> fault = impl_->select_fault(rt.path, rt.is_inference, p.model, p.stream, since_start, seq);
  Random rng = impl_->base_rng.fork(seq);
  RequestContext ctx;
  ctx.seq = seq;
  ctx.request_id = request_id_for(rng);
  ctx.created = std::chrono::duration_cast<std::chrono::seconds>(clock_.system_now().time_since_epoch()).count();

  ScriptedResponse r;
  std::string replayed;  // journal label: "name#i", "miss", or "" (synthetic / replaced by a fault)
  const Fault* f = fault ? &*fault : nullptr;
  try {
    r = impl_->respond(request, rt, p, f, ctx, options_, rng, arrival, replayed);
  } catch (const std::exception& ex) {
    // A bug (a JSON access we failed to guard): answer like OpenAI's 500, never throw.
    r = detail::error_response(ErrorSpec{500, std::string("simulator internal error: ") + ex.what(), "server_error",
                                         std::nullopt, std::nullopt},
                               ctx, options_);
  }
  const bool recorded = !replayed.empty() && replayed != "miss";
  // A replayed response keeps its recorded headers exactly.
  const bool processing_ms = rt.protocol == nullptr || rt.protocol->adds_processing_ms();
  if (!recorded && processing_ms && r.send_head && r.ending != Ending::kCloseNoReply) {
    r.headers.add("openai-processing-ms", std::to_string(ms_ceil(r.head_at)));
  }
  JournalEntry row = journal_entry(request, rt, p, r, ctx, f, since_start, std::move(replayed));
  if (entry != nullptr) *entry = row;
  impl_->append_journal(std::move(row), options_.journal_capacity);
  return r;
}

InProcessTransport::Handler engine_handler(SimEngine& engine) {
  return [&engine](const HttpRequest& r) { return engine.handle(r); };
}

std::string journal_to_json(const std::vector<JournalEntry>& entries) {
  Json arr = Json::array();
  for (const auto& e : entries) {
    Json j = {{"seq", e.seq},
              {"at_ms", std::chrono::duration<double, std::milli>(e.at).count()},
              {"method", e.method},
              {"path", e.path},
              {"model", e.model},
              {"stream", e.stream},
              {"retry_count", e.retry_count ? Json(*e.retry_count) : Json(nullptr)},
              {"status", e.status},
              {"ending", e.ending},
              {"fault_id", e.fault_id.empty() ? Json(nullptr) : Json(e.fault_id)},
              {"request_id", e.request_id}};
    if (!e.replay.empty()) j["replay"] = e.replay;
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(e.body_hash));
    j["body_hash"] = hash;
    if (e.retry_after) j["retry_after_ms"] = std::chrono::duration<double, std::milli>(*e.retry_after).count();
    if (e.should_retry) j["should_retry"] = *e.should_retry;
    if (e.broke_after_output) j["broke_after_output"] = true;
    if (!e.secret_in.empty()) j["secret_in"] = e.secret_in;
    if (e.client_left) j["client_left"] = true;
    arr.push_back(std::move(j));
  }
  return Json{{"requests", std::move(arr)}}.dump();
}

std::string fault_stats_to_json(const std::vector<FaultStats>& stats) {
  Json arr = Json::array();
  for (const auto& s : stats) {
    arr.push_back({{"id", s.id}, {"kind", std::string(fault_kind_name(s.kind))}, {"matched", s.matched}, {"fired", s.fired}});
  }
  return arr.dump();
}

}  // namespace ploke::simulator
