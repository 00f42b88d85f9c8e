// SimEngine: routing, fault selection and application, cassette replay, journal. The wire
// shapes live in openai_wire.cpp; replay's error shapes and admin JSON in replay.cpp.
#include "ploke/simulator/engine.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/completions_legacy.h"
#include "ploke/codec/cassette_json.h"
#include "anthropic_wire.h"
#include "fault_apply.h"
#include "journal_facts.h"
#include "openai_wire.h"
#include "openrouter_wire.h"
#include "replay.h"
#include "responses_wire.h"

namespace ploke::simulator {
namespace {

using detail::ErrorSpec;
using detail::Json;
using detail::RequestContext;

constexpr std::string_view kChatPath = "/v1/chat/completions";
constexpr std::string_view kCompletionsPath = "/v1/completions";  // legacy
constexpr std::string_view kEmbeddingsPath = "/v1/embeddings";
constexpr std::string_view kModelsPath = "/v1/models";

// "http://host:port/v1" -> "/v1"; "" when there is no path.
std::string_view url_path_prefix(std::string_view base_url) {
  size_t scheme = base_url.find("://");
  size_t from = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t slash = base_url.find('/', from);
  if (slash == std::string_view::npos) return {};
  std::string_view p = base_url.substr(slash);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  return p;
}

std::string effective_path(const HttpRequest& req) {
  std::string_view path = req.path;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  std::string_view prefix = url_path_prefix(req.base_url);
  if (prefix.empty() || path.substr(0, prefix.size()) == prefix) return std::string(path);
  std::string out(prefix);
  if (path.empty() || path.front() != '/') out += '/';
  out += path;
  return out;
}

int64_t ms_ceil(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (std::chrono::milliseconds(ms) < d) ++ms;
  return ms;
}

ErrorSpec default_error(int status, std::string_view model) {
  switch (status) {
    case 400: return {400, "Simulated bad request.", "invalid_request_error", std::nullopt, std::nullopt};
    case 401: return {401, "Incorrect API key provided: sk-sim***. You can find your API key at https://platform.openai.com/account/api-keys.",
                      "invalid_request_error", std::nullopt, "invalid_api_key"};
    case 402: return {402, "You exceeded your current quota, please check your plan and billing details.",
                      "insufficient_quota", std::nullopt, "insufficient_quota"};
    case 403: return {403, "Country, region, or territory not supported", "request_forbidden", std::nullopt,
                      "unsupported_country_region_territory"};
    case 404: return {404, "The model `" + std::string(model) + "` does not exist or you do not have access to it.",
                      "invalid_request_error", std::nullopt, "model_not_found"};
    case 408: return {408, "Request timed out.", "timeout", std::nullopt, std::nullopt};
    case 409: return {409, "Conflict.", "invalid_request_error", std::nullopt, std::nullopt};
    case 422: return {422, "Unprocessable entity.", "invalid_request_error", std::nullopt, std::nullopt};
    case 429: return {429, "Rate limit reached for requests per min (RPM): Limit 10000, Used 10000, Requested 1. "
                           "Please try again in 6ms. Visit https://platform.openai.com/account/rate-limits to learn more.",
                      "requests", std::nullopt, "rate_limit_exceeded"};
    case 500: return {500, "The server had an error while processing your request. Sorry about that!", "server_error",
                      std::nullopt, std::nullopt};
    case 502: return {502, "Bad gateway.", "server_error", std::nullopt, std::nullopt};
    case 503: return {503, "The engine is currently overloaded, please try again later.", "server_error",
                      std::nullopt, std::nullopt};
    case 529: return {529, "The server is overloaded. Please try again later.", "overloaded_error", std::nullopt,
                      "overloaded"};
    default:
      if (status >= 500) return {status, "Simulated server error.", "server_error", std::nullopt, std::nullopt};
      return {status, "Simulated client error.", "invalid_request_error", std::nullopt, std::nullopt};
  }
}

ErrorSpec fault_error_spec(const Fault& f, int status, std::string_view model) {
  ErrorSpec e = default_error(status, model);
  if (!f.message.empty()) e.message = f.message;
  if (!f.error_type.empty()) e.type = f.error_type;
  if (!f.error_code.empty()) e.code = f.error_code;
  return e;
}

ScriptedResponse http_error_response(const Fault& f, const RequestContext& ctx, const SimOptions& opts,
                                     std::string_view model) {
  ErrorSpec e = fault_error_spec(f, f.status, model);
  const Duration reset = f.retry_after_ms ? *f.retry_after_ms
                                          : (f.retry_after ? *f.retry_after : Duration(std::chrono::seconds(1)));
  const bool quota = e.code == std::optional<std::string>("insufficient_quota") || e.type == "insufficient_quota";
  if (f.status == 429 && !quota && f.message.empty()) {
    // The wait the message names is the one x-ratelimit-reset-requests carries.
    e.message = "Rate limit reached for requests per min (RPM): Limit 10000, Used 10000, Requested 1. Please try again in " +
                format_reset_duration(reset) + ". Visit https://platform.openai.com/account/rate-limits to learn more.";
  }
  ScriptedResponse r = detail::error_response(e, ctx, opts);
  if (f.status == 429 && !quota) {
    adapters::openai::mark_requests_exhausted(r.headers, reset);
  }
  // Out of quota: waiting does not help, and the API says so (the SDK then tries once).
  if (quota && !f.should_retry) r.headers.add("x-should-retry", "false");
  if (f.retry_after) {
    int64_t ms = ms_ceil(*f.retry_after);
    r.headers.add("retry-after", std::to_string((ms + 999) / 1000));
  }
  if (f.retry_after_ms) r.headers.add("retry-after-ms", std::to_string(ms_ceil(*f.retry_after_ms)));
  if (f.should_retry) r.headers.add("x-should-retry", *f.should_retry ? "true" : "false");
  return r;
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

// The OpenAI shapes of the faults that write bytes (OpenRouter adapts them: adapt_fault()).
// `path` picks the stream's own shapes: a Responses stream has typed events (its error event
// carries its sequence number), a corrupted legacy completions stream gets a cut
// text_completion chunk.
class OpenAiFaultShapes final : public detail::FaultShapes {
 public:
  OpenAiFaultShapes(const RequestContext& ctx, const SimOptions& opts, std::string_view model, std::string_view path)
      : ctx_(ctx), opts_(opts), model_(model), responses_(path == detail::kResponsesPath),
        malformed_(responses_                    ? adapters::openai::kMalformedResponseEvent
                   : path == kCompletionsPath ? adapters::openai::kMalformedTextChunkEvent
                                                 : adapters::openai::kMalformedChunkEvent) {}
  ScriptedResponse http_error(const Fault& f) const override { return http_error_response(f, ctx_, opts_, model_); }
  std::string_view malformed_event() const override { return malformed_; }
  std::string error_event(const Fault& f, int status, size_t events_before) const override {
    if (responses_) return adapters::openai::response_error_event(fault_error_spec(f, status, model_), events_before);
    return detail::sse_error_event(fault_error_spec(f, status, model_));
  }
  std::string error_body(const Fault& f, int status) const override {
    return detail::error_body(fault_error_spec(f, status, model_));
  }

 private:
  const RequestContext& ctx_;
  const SimOptions& opts_;
  std::string_view model_;
  bool responses_;
  std::string_view malformed_;
};

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

namespace {

// Where a request goes: the protocol, and whether faults match it by default.
struct Routing {
  std::string path;
  bool is_chat = false, is_post = false, is_get = false, is_delete = false;
  bool from_cassette = false, is_anthropic = false, is_openrouter = false, is_inference = false;
  bool is_responses = false;  ///< /v1/responses…
  std::string cassette;       ///< per-test replay: the cassette the request names
};

// The request body, read once; faults match on model and stream.
struct ParsedRequest {
  Json body;
  bool body_ok = false;
  std::string model;
  bool stream = false;
  // The common plain requests are read without a DOM by the packages' request summaries
  // (anything unusual is declined and parsed, so errors and tool handling are unchanged).
  detail::PlainChat plain_chat;
  bool is_plain_chat = false;
  detail::anthropic::PlainMessage plain_message;
  bool is_plain_message = false;
  const Json* json() const { return body_ok ? &body : nullptr; }
};

}  // namespace

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

  // The models list rendered once (GET /v1/models is static).
  std::string models_body;
  std::vector<std::pair<std::string, std::string>> model_bodies;  // id -> object JSON
  std::unique_ptr<detail::OpenRouterSim> openrouter;  // /api/v1/… (catalog built on first use)
  detail::ResponsesSim responses;                     // /v1/responses… (its own store and lock)
  // The simulated Anthropic prompt cache (thread-safe on its own: its own Mutex).
  mutable detail::anthropic::PromptCache prompt_cache;

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
  ScriptedResponse route(const SimOptions& opts, const std::string& path, bool is_post, bool is_get, bool is_delete,
                         const Json* body, const detail::PlainChat* plain, const RequestContext& ctx, Random& rng,
                         double slow) const;
  Routing routing(const HttpRequest& request) const;
  /// The answer by protocol (Anthropic, OpenRouter, cassette, OpenAI), faults applied.
  ScriptedResponse respond(const HttpRequest& request, const Routing& rt, const ParsedRequest& p, const Fault* f,
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

ScriptedResponse SimEngine::Impl::route(const SimOptions& opts, const std::string& path, bool is_post,
                                        bool is_get, bool is_delete, const Json* body, const detail::PlainChat* plain,
                                        const RequestContext& ctx, Random& rng, double slow) const {
  const uint64_t limit = opts.rate_limits.limit_requests;
  if (detail::is_responses_path(path)) {
    const auto method = is_post ? detail::ResponsesSim::Method::kPost
                        : is_get ? detail::ResponsesSim::Method::kGet
                        : is_delete ? detail::ResponsesSim::Method::kDelete
                                    : detail::ResponsesSim::Method::kOther;
    return responses.route(path, method, body, opts, ctx, rng, slow);
  }
  if (plain != nullptr && path == kChatPath && is_post) {
    return detail::generate_chat_plain(*plain, opts, ctx, rng, slow).response;
  }
  if (path == kChatPath && is_post) return detail::generate_chat(body, opts, ctx, rng, slow).response;
  if (path == kEmbeddingsPath && is_post) return detail::generate_embeddings(body, opts, ctx, slow);
  if (path == kCompletionsPath && is_post) return detail::generate_text_completion(body, opts, ctx, rng, slow);
  if (path == kModelsPath && is_get) {
    ScriptedResponse r;
    r.headers = detail::base_headers("application/json", ctx, opts, limit > 0 ? limit - 1 : 0, 0,
                                     std::chrono::milliseconds(6));
    r.chunks.push_back(TimedChunk{Duration{0}, models_body});
    return r;
  }
  if (is_get && path.rfind("/v1/models/", 0) == 0) {
    std::string_view id = std::string_view(path).substr(std::string_view("/v1/models/").size());
    for (const auto& [mid, obj] : model_bodies) {
      if (mid != id) continue;
      ScriptedResponse r;
      r.headers = detail::base_headers("application/json", ctx, opts, limit > 0 ? limit - 1 : 0, 0,
                                       std::chrono::milliseconds(6));
      r.chunks.push_back(TimedChunk{Duration{0}, obj});
      return r;
    }
    return detail::error_response(ErrorSpec{404, "The model `" + std::string(id) +
                                                      "` does not exist or you do not have access to it.",
                                            "invalid_request_error", std::nullopt, "model_not_found"},
                                  ctx, opts);
  }
  return detail::error_response(
      ErrorSpec{404, "Invalid URL (" + std::string(is_post ? "POST" : (is_get ? "GET" : "other")) + " " + path + ")",
                "invalid_request_error", std::nullopt, std::nullopt},
      ctx, opts);
}

bool SimEngine::Impl::routes_to_cassette(const std::string& method, const std::string& path, bool is_get) const {
  if (!store) return false;
  const bool synthetic_route = is_get && (path == kModelsPath || path.rfind("/v1/models/", 0) == 0);
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
    : options_(options), clock_(clock), start_(clock.now()), impl_(std::make_unique<Impl>(options)) {
  std::string list = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < options_.models.size(); ++i) {
    const ModelInfo& m = options_.models[i];
    std::string obj = "{\"id\":";
    detail::append_json_string(obj, m.id);
    obj += ",\"object\":\"model\",\"created\":" + std::to_string(m.created) + ",\"owned_by\":";
    detail::append_json_string(obj, m.owned_by);
    obj += '}';
    if (i) list += ',';
    list += obj;
    impl_->model_bodies.emplace_back(m.id, std::move(obj));
  }
  list += "]}";
  impl_->models_body = std::move(list);
  impl_->openrouter = std::make_unique<detail::OpenRouterSim>(options_, clock_);
}

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

ParsedRequest parse_request(const HttpRequest& request, const Routing& rt, const SimOptions& opts) {
  ParsedRequest p;
  if (rt.is_chat && rt.is_post && !rt.from_cassette && detail::read_plain_chat(request.body, opts, p.plain_chat)) {
    p.is_plain_chat = true;
    p.model = p.plain_chat.model;
    p.stream = p.plain_chat.stream;
  } else if (rt.is_anthropic && rt.is_post && rt.path == detail::anthropic::kMessagesPath &&
             request.headers.has(adapters::anthropic::kVersionHeader) &&
             detail::anthropic::read_plain_message(request.body, opts, p.plain_message)) {
    p.is_plain_message = true;
    p.model = p.plain_message.model;
    p.stream = p.plain_message.stream;
  } else if ((rt.is_inference || rt.is_anthropic) && rt.is_post) {
    p.body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    p.body_ok = !p.body.is_discarded();
    if (p.body_ok && p.body.is_object()) {
      if (auto m = p.body.find("model"); m != p.body.end() && m->is_string()) p.model = m->get<std::string>();
      if (auto s = p.body.find("stream"); s != p.body.end() && s->is_boolean()) p.stream = s->get<bool>();
    }
  } else if (rt.path.rfind("/v1/models/", 0) == 0) {
    p.model = rt.path.substr(std::string_view("/v1/models/").size());
  }
  return p;
}

JournalEntry journal_entry(const HttpRequest& request, const Routing& rt, const ParsedRequest& p,
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

Routing SimEngine::Impl::routing(const HttpRequest& request) const {
  Routing rt;
  rt.path = effective_path(request);
  if (store && store->scoped()) rt.cassette = detail::take_cassette_scope(request, *store, &rt.path);
  rt.is_chat = rt.path == kChatPath;
  rt.is_post = iequals(request.method, "POST");
  rt.is_get = iequals(request.method, "GET");
  rt.is_delete = iequals(request.method, "DELETE");
  rt.from_cassette = routes_to_cassette(request.method, rt.path, rt.is_get);
  // Anthropic routes (anthropic_wire.h): /v1/messages…, and /v1/models with anthropic-version.
  rt.is_anthropic = !rt.from_cassette && detail::anthropic::is_route(rt.path, rt.is_get, request.headers);
  // OpenRouter routes (openrouter_wire.h): everything under /api/v1/.
  rt.is_openrouter = !rt.from_cassette && detail::is_openrouter_path(rt.path);
  rt.is_responses = !rt.from_cassette && detail::is_responses_path(rt.path);
  // Inference requests are what faults match by default: the chat, Responses, legacy
  // completions and embeddings paths, and in replay mode every POST answered from the
  // cassettes (whatever the protocol).
  const bool openai_inference = rt.is_chat || rt.path == kCompletionsPath || rt.path == kEmbeddingsPath ||
                                (rt.is_responses && rt.is_post && rt.path == detail::kResponsesPath);
  rt.is_inference = openai_inference || (rt.is_anthropic && detail::anthropic::is_inference(rt.path, rt.is_post)) ||
                    (rt.is_openrouter && rt.path == detail::kOpenRouterChatPath) || (rt.from_cassette && rt.is_post);
  return rt;
}

ScriptedResponse SimEngine::Impl::respond(const HttpRequest& request, const Routing& rt, const ParsedRequest& p,
                                          const Fault* f, const RequestContext& ctx, const SimOptions& opts,
                                          Random& rng, TimePoint arrival, std::string& replayed) const {
  if (rt.is_anthropic) {
    return detail::anthropic::respond(f, request, rt.path, rt.is_post, rt.is_get, p.json(),
                                      p.is_plain_message ? &p.plain_message : nullptr, ctx, opts, rng, p.model,
                                      p.stream, detail::anthropic::AnthropicState{prompt_cache, arrival});
  }
  const OpenAiFaultShapes shapes(ctx, opts, p.model, rt.path);
  if (rt.is_openrouter) {
    ScriptedResponse r = detail::respond_with_faults(f, p.stream, shapes, [&](double slow) {
      return openrouter->route(request, rt.path, rt.is_post, rt.is_get, p.json(), ctx, rng, slow, arrival);
    });
    openrouter->adapt_fault(r, f, p.stream);
    return r;
  }
  if (rt.from_cassette) {
    return detail::respond_with_faults(f, p.stream, shapes, [&](double slow) {
      return replay(request, rt.path, rt.cassette, ctx, opts, slow, replayed);
    });
  }
  return detail::respond_with_faults(f, p.stream, shapes, [&](double slow) {
    return route(opts, rt.path, rt.is_post, rt.is_get, rt.is_delete, p.json(), p.is_plain_chat ? &p.plain_chat : nullptr, ctx, rng, slow);
  });
}

ScriptedResponse SimEngine::handle(const HttpRequest& request) { return handle(request, nullptr); }

ScriptedResponse SimEngine::handle(const HttpRequest& request, JournalEntry* entry) {
  const TimePoint arrival = clock_.now();
  const Duration since_start = arrival - start_;
  const Routing rt = impl_->routing(request);
  const ParsedRequest p = parse_request(request, rt, options_);

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
  if (!recorded && !rt.is_anthropic && !rt.is_openrouter && r.send_head && r.ending != Ending::kCloseNoReply) {
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
