// The simulator's Responses API. See responses_wire.h.
#include "responses_wire.h"

#include <algorithm>

namespace ploke::simulator::detail {
namespace {

namespace rsp = adapters::openai;

bool contains_id(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// `n` lower-case hex digits (the API's ids: resp_, msg_, fc_ and 48 hex digits).
std::string hex_digits(Random& rng, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    uint64_t v = rng.next_u64();
    for (int i = 0; i < 16 && s.size() < n; ++i, v >>= 4) s.push_back(kHex[v & 15]);
  }
  return s;
}

// The planned choice as output items: one message, or one function_call per call.
std::vector<rsp::WireOutputItem> response_output_items(const rsp::WireChoice& c, Random& rng) {
  std::vector<rsp::WireOutputItem> out;
  if (c.calls.empty()) {
    rsp::WireOutputItem m;
    m.id = "msg_" + hex_digits(rng, 48);
    m.tokens = c.tokens;
    out.push_back(std::move(m));
    return out;
  }
  for (const rsp::WireToolCall& call : c.calls) {
    rsp::WireOutputItem f;
    f.is_call = true;
    f.id = "fc_" + hex_digits(rng, 48);
    f.call_id = call.id;
    f.name = call.name;
    f.arguments = call.arguments;
    f.fragments = call.fragments;
    out.push_back(std::move(f));
  }
  return out;
}

// A reasoning model's reasoning: tokens by effort (none: no reasoning item), a summary of
// synthetic words when asked, opaque encrypted content when `include` asks; the item goes
// first. `max_output_tokens` bounds answer and reasoning together.
void add_reasoning(rsp::WireResponse& w, const rsp::ServedResponsesRequest& req, Random& rng) {
  const std::string effort = req.reasoning_effort.value_or("medium");
  w.echo.reasoning = "{\"effort\":\"" + effort + "\",\"summary\":" +
                     (req.reasoning_summary ? "\"" + *req.reasoning_summary + "\"" : std::string("null")) + "}";
  if (effort == "none") return;
  const uint64_t tokens = reasoning_token_draw(effort, rng, req.chat.max_tokens, w.output_tokens);
  rsp::WireOutputItem item;
  item.is_reasoning = true;
  item.id = "rs_" + hex_digits(rng, 48);
  if (req.reasoning_summary) {
    const auto words = static_cast<uint64_t>(rng.between(6, 20));
    for (uint64_t i = 0; i < words; ++i) item.tokens.push_back((i == 0 ? "" : " ") + std::string(synthetic_word(rng)));
  }
  if (req.encrypted_reasoning) item.encrypted_content = "gAAAAA" + hex_digits(rng, 64 + 2 * tokens);
  w.reasoning_tokens = tokens;
  w.output_tokens += tokens;
  w.output.insert(w.output.begin(), std::move(item));
}

uint64_t response_output_chars(const rsp::WireResponse& w) {
  uint64_t n = 0;
  for (const auto& item : w.output) {
    if (item.is_reasoning) continue;  // not carried as context
    n += item.arguments.size();
    for (const auto& t : item.tokens) n += t.size();
  }
  return n;
}

// The stream's events on the clock: created and in_progress at once, the events up to the
// first delta at ttft, delta k at ttft + k gaps, the rest with the last delta.
void schedule_response_stream(ScriptedResponse& r, const rsp::WireResponse& w, const Pacing& p) {
  const std::vector<rsp::ResponseStreamEvent> events = rsp::render_response_stream(w);
  Duration at = p.ttft;
  int64_t deltas = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].delta) at = p.ttft + p.gap * deltas++;
    r.chunks.push_back(TimedChunk{i < 2 ? Duration{0} : at, events[i].bytes});
  }
}

}  // namespace

bool is_responses_path(std::string_view path) {
  return path == kResponsesPath ||
         (path.size() > kResponsesPath.size() + 1 && path.substr(0, kResponsesPath.size() + 1) == "/v1/responses/");
}

ScriptedResponse ResponsesSim::route(std::string_view path, Method method, const Json* body,
                                     const SimOptions& opts, const RequestContext& ctx, Random& rng,
                                     double slow) const {
  if (method == Method::kPost && path == kResponsesPath) return create(body, opts, ctx, rng, slow);
  const std::string_view id = path == kResponsesPath ? std::string_view() : path.substr(kResponsesPath.size() + 1);
  const bool nested = id.find('/') != std::string_view::npos;  // …/{id}/input_items, …/cancel: not served
  if ((method == Method::kGet || method == Method::kDelete) && !id.empty() && !nested) {
    return retrieve(id, method == Method::kDelete, opts, ctx);
  }
  const char* verb = method == Method::kPost ? "POST" : method == Method::kGet ? "GET" : method == Method::kDelete ? "DELETE" : "other";
  return error_response(ErrorSpec{404, "Invalid URL (" + std::string(verb) + " " + std::string(path) + ")",
                                  "invalid_request_error", std::nullopt, std::nullopt},
                        ctx, opts);
}

std::optional<ErrorSpec> ResponsesSim::check_context(const rsp::ServedResponsesRequest& req,
                                                     uint64_t& prior_chars) const {
  std::vector<std::string> prior_calls;
  if (req.previous_response_id) {
    MutexLock lock(mu_);
    const auto it = by_id_.find(*req.previous_response_id);
    if (it == by_id_.end()) return rsp::previous_response_not_found(*req.previous_response_id);
    prior_chars = it->second.context_chars;
    prior_calls = it->second.calls;
  }
  for (const std::string& id : req.output_ids) {
    if (!contains_id(req.call_ids, id) && !contains_id(prior_calls, id)) return rsp::unknown_call_output(id);
  }
  for (const std::string& id : prior_calls) {
    if (!contains_id(req.output_ids, id)) return rsp::unanswered_call(id);
  }
  return std::nullopt;
}

void ResponsesSim::keep(const std::string& id, Stored s) const {
  MutexLock lock(mu_);
  by_id_[id] = std::move(s);
  order_.push_back(id);
  while (order_.size() > kMaxStored) {
    by_id_.erase(order_.front());
    order_.pop_front();
  }
}

ScriptedResponse ResponsesSim::create(const Json* body, const SimOptions& opts, const RequestContext& ctx,
                                      Random& rng, double slow) const {
  rsp::ServedResponsesRequest req;
  std::optional<ErrorSpec> err = rsp::read_served_responses_request(body, req);
  if (!err && !known_chat_model(opts, req.chat.model)) err = rsp::model_not_found(req.chat.model);
  const bool reasons = !err && find_model(opts, req.chat.model)->reasoning;
  if (!err && !reasons && req.reasoning_effort) err = rsp::reasoning_unsupported();
  uint64_t prior_chars = 0;
  if (!err) err = check_context(req, prior_chars);
  if (err) return error_response(*err, ctx, opts);
  req.chat.prompt_chars += prior_chars;

  rsp::WireResponse w;
  w.id = "resp_" + hex_digits(rng, 48);
  w.model = req.chat.model;
  w.created_at = ctx.created;
  uint64_t completion = 0;
  const std::vector<rsp::WireChoice> choices = plan_choices(req.chat, opts, rng, completion);
  w.output = response_output_items(choices.front(), rng);
  w.incomplete = choices.front().finish == "length";
  w.input_tokens = std::max<uint64_t>(1, req.chat.prompt_chars / 4);
  w.output_tokens = completion;
  w.echo = std::move(req.echo);
  if (reasons) add_reasoning(w, req, rng);
  std::string final_body;
  if (req.store || !req.chat.stream) final_body = rsp::render_response(w);
  if (req.store) {
    Stored s{final_body, req.chat.prompt_chars + response_output_chars(w), {}};
    for (const auto& item : w.output) {
      if (item.is_call) s.calls.push_back(item.call_id);
    }
    keep(w.id, std::move(s));
  }

  const Pacing p = pacing(opts, slow);
  const uint64_t limit = opts.rate_limits.limit_requests;
  ScriptedResponse r;
  r.status = 200;
  if (!req.chat.stream) {
    r.head_at = p.ttft + p.gap * static_cast<int64_t>(completion);
    r.headers = base_headers("application/json", ctx, opts, limit > 0 ? limit - 1 : 0, w.input_tokens + completion,
                             std::chrono::milliseconds(6));
    r.chunks.push_back(TimedChunk{r.head_at, std::move(final_body)});
    return r;
  }
  r.streaming = true;
  r.headers = base_headers("text/event-stream; charset=utf-8", ctx, opts, limit > 0 ? limit - 1 : 0,
                           w.input_tokens + completion, std::chrono::milliseconds(6));
  schedule_response_stream(r, w, p);
  return r;
}

ScriptedResponse ResponsesSim::retrieve(std::string_view id, bool erase, const SimOptions& opts,
                                        const RequestContext& ctx) const {
  std::string body;
  {
    MutexLock lock(mu_);
    const auto it = by_id_.find(std::string(id));
    if (it != by_id_.end()) body = erase ? rsp::render_response_deleted(id) : it->second.body;
    if (it != by_id_.end() && erase) {
      order_.erase(std::find(order_.begin(), order_.end(), it->first));
      by_id_.erase(it);
    }
  }
  if (body.empty()) return error_response(rsp::response_not_found(id), ctx, opts);
  ScriptedResponse r;
  const uint64_t limit = opts.rate_limits.limit_requests;
  r.headers = base_headers("application/json", ctx, opts, limit > 0 ? limit - 1 : 0, 0, std::chrono::milliseconds(6));
  r.chunks.push_back(TimedChunk{Duration{0}, std::move(body)});
  return r;
}

}  // namespace ploke::simulator::detail
