// Anthropic Messages routes of the simulator: validation, synthetic messages (streamed
// and not), count_tokens, models, and faults; the bytes are the Anthropic package's
// (ploke/adapters/anthropic/render.h). See anthropic_wire.h.
#include "anthropic_wire.h"
#include "anthropic_catalog.h"
#include "fault_apply.h"
#include "ploke/adapters/anthropic/render.h"
#include "ploke/adapters/anthropic/served_request.h"
#include "ploke/adapters/anthropic/server.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <vector>

namespace ploke::simulator::detail::anthropic {
namespace {

namespace an = adapters::anthropic;

/// An error to answer with: the HTTP status and the error object (rendered by the package).
struct AError {
  int status = 400;
  an::WireError wire;
};

AError error_of(int status, std::string message) {
  return AError{status, an::WireError{std::string(an::error_type_for_status(status)), std::move(message), {}}};
}

AError invalid(std::string message) { return error_of(400, std::move(message)); }

// The message the API sends with each status (generic simulator text where it has none).
std::string default_message(int status, std::string_view model) {
  switch (status) {
    case 400: return "Simulated bad request.";
    case 401: return "invalid x-api-key";
    case 402: return "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing "
                     "to upgrade or purchase credits.";
    case 403: return "Your API key does not have permission to use the specified resource.";
    case 404: return an::model_not_found(model).message;
    case 408: return "Request timed out.";
    case 413: return "Request exceeds the maximum allowed number of bytes.";
    case 429: return "This request would exceed the rate limit for your organization of 10,000 requests per "
                     "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the "
                     "response headers for current usage. Please reduce the prompt length or the maximum tokens "
                     "requested, or try again later.";
    case 500: return "Internal server error";
    case 504: return "Request timed out";
    case 529: return "Overloaded";
    default: return status >= 500 ? "Simulated server error." : "Simulated client error.";
  }
}

AError fault_error(const Fault& f, int status, std::string_view model) {
  AError e = error_of(status, default_message(status, model));
  if (!f.message.empty()) e.wire.message = f.message;
  if (!f.error_type.empty()) e.wire.type = f.error_type;
  if (!f.error_code.empty()) e.wire.detail_code = f.error_code;
  return e;
}

constexpr std::string_view kOrganizationId = "00000000-0000-4000-8000-00000000510a";

/// The response headers with the rate-limit families (the package's response_headers()). `reset_after` is added to the request's wall time for the
/// request family.
Headers base_headers(std::string_view content_type, const RequestContext& ctx, const SimOptions& opts,
                     uint64_t remaining_requests, uint64_t used_tokens, std::chrono::seconds reset_after) {
  const uint64_t limit_tok = opts.rate_limits.limit_tokens;
  // Token "remaining" values are rounded to the nearest thousand, as the API does.
  const int64_t token_reset = ctx.created + std::max<int64_t>(1, reset_after.count());
  auto family = [&](uint64_t limit) {
    const uint64_t rem = limit > used_tokens ? limit - used_tokens : 0;
    return an::RateLimitFamily{limit, (rem + 500) / 1000 * 1000, token_reset};
  };
  an::RateLimitWindow w;
  w.requests = an::RateLimitFamily{opts.rate_limits.limit_requests, remaining_requests, ctx.created + reset_after.count()};
  w.tokens = family(limit_tok);
  w.input_tokens = family(limit_tok / 5 * 4);
  w.output_tokens = family(limit_tok / 5);
  return an::response_headers(content_type, ctx.request_id, kOrganizationId, w);
}

uint64_t remaining_after_this(const SimOptions& opts) {
  return opts.rate_limits.limit_requests > 0 ? opts.rate_limits.limit_requests - 1 : 0;
}

ScriptedResponse json_response(int status, std::string body, const RequestContext& ctx, const SimOptions& opts,
                               uint64_t used_tokens = 0) {
  ScriptedResponse r;
  r.status = status;
  r.headers = base_headers("application/json", ctx, opts, remaining_after_this(opts), used_tokens,
                           std::chrono::seconds(1));
  r.chunks.push_back(TimedChunk{Duration{0}, std::move(body)});
  return r;
}

ScriptedResponse error_response(const AError& e, const RequestContext& ctx, const SimOptions& opts) {
  return json_response(e.status, an::error_body(e.wire, ctx.request_id), ctx, opts);
}

int64_t ms_ceil(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (std::chrono::milliseconds(ms) < d) ++ms;
  return ms;
}

ScriptedResponse http_error_response(const Fault& f, const RequestContext& ctx, const SimOptions& opts,
                                     std::string_view model) {
  ScriptedResponse r = error_response(fault_error(f, f.status, model), ctx, opts);
  if (f.status == 429) {
    // An Anthropic 429 always carries retry-after (whole seconds), and the request and
    // token families reset at the same instant it names.
    const Duration wait = f.retry_after ? *f.retry_after
                                        : (f.retry_after_ms ? *f.retry_after_ms : Duration(std::chrono::seconds(1)));
    const int64_t secs = std::max<int64_t>(1, (ms_ceil(wait) + 999) / 1000);
    r.headers = base_headers("application/json", ctx, opts, 0, opts.rate_limits.limit_tokens,
                             std::chrono::seconds(secs));
    r.headers.add("retry-after", std::to_string(secs));
  } else if (f.retry_after) {
    r.headers.add("retry-after", std::to_string((ms_ceil(*f.retry_after) + 999) / 1000));
  }
  if (f.retry_after_ms) r.headers.add("retry-after-ms", std::to_string(ms_ceil(*f.retry_after_ms)));
  if (f.should_retry) r.headers.add("x-should-retry", *f.should_retry ? "true" : "false");
  return r;
}

// ---- Request validation (the real API's 400 messages) ----

using Served = an::ServedMessagesRequest;

/// Reads a Messages (or count_tokens) request: the header, then the package's checks and
/// reader (ploke/adapters/anthropic/served_request.h), then the model.
std::optional<AError> read_request(const HttpRequest& req, const Json* body, const SimOptions& opts,
                                   bool count_tokens, Served& out) {
  if (!req.headers.has(an::kVersionHeader)) return invalid(std::string(an::kVersionHeader) + ": header is required");
  if (auto problem = an::read_served_messages_request(body, count_tokens, out)) return invalid(std::move(*problem));
  if (!model_known(out.model, opts)) return AError{404, an::model_not_found(out.model)};
  return std::nullopt;
}

// ---- Synthetic answers ----

// The planned answer is the package's WireMessage (id, model and input tokens are filled in
// by generate()).
using Plan = an::WireMessage;

// The text stops before the earliest occurrence of any stop sequence: kStopSequence, the
// plan names it, and the tokens after it are dropped (the one
// holding it is cut). Runs after generation, so the random sequence is the same with or
// without stop sequences.
void apply_stop_sequences(const std::vector<std::string>& stops, Plan& plan) {
  if (stops.empty()) return;
  std::string text;
  for (const auto& t : plan.tokens) text += t;
  size_t best = std::string::npos;
  for (const std::string& seq : stops) {
    if (seq.empty()) continue;
    const size_t at = text.find(seq);
    if (at != std::string::npos && (best == std::string::npos || at < best)) {
      best = at;
      plan.stop_sequence = seq;
    }
  }
  if (best == std::string::npos) return;
  std::vector<std::string> kept;
  size_t pos = 0;
  for (const auto& t : plan.tokens) {
    if (pos >= best) break;
    kept.push_back(t.substr(0, std::min(t.size(), best - pos)));
    pos += t.size();
  }
  if (!kept.empty() && kept.back().empty()) kept.pop_back();
  plan.tokens = std::move(kept);
  plan.output_tokens = plan.tokens.size() + 1;  // the stop sequence's token counts too
  plan.stop_reason = an::StopReason::kStopSequence;
}

// A text answer of the configured length (cut at max_tokens).
void plan_text(uint64_t max_tokens, const SimOptions& opts, Random& rng, Plan& plan) {
  const uint32_t lo = std::min(opts.length.min_tokens, opts.length.max_tokens);
  const uint32_t hi = std::max(opts.length.min_tokens, opts.length.max_tokens);
  uint64_t n = static_cast<uint64_t>(rng.between(std::max<uint32_t>(1, lo), std::max<uint32_t>(1, hi)));
  if (max_tokens < n) {
    n = max_tokens;
    plan.stop_reason = an::StopReason::kMaxTokens;
  }
  plan.tokens = make_tokens(n, plan.stop_reason == an::StopReason::kEndTurn, rng);
  plan.output_tokens = n;
}

void plan_tool_uses(const Served& req, const SimOptions& opts, Random& rng, Plan& plan);

// The answer after the thinking block: text, structured output or tool uses, with
// `max_tokens` output tokens left.
Plan plan_message(const Served& req, uint64_t max_tokens, const SimOptions& opts, Random& rng) {
  Plan plan;
  using an::ToolChoiceMode;
  bool use_tools = false;
  if (!req.tools.empty() && req.tool_choice != ToolChoiceMode::kNone) {
    if (req.tool_choice != ToolChoiceMode::kAuto) {
      use_tools = true;
    } else {
      // Roll even when the answer must be text, so the random sequence does not depend on
      // the conversation's shape.
      const bool roll = rng.chance(opts.tool_call_probability);
      use_tools = roll && !req.answers_tool_results;
    }
  }
  if (use_tools) {
    plan_tool_uses(req, opts, rng, plan);
    return plan;
  }
  if (req.output_schema) {
    // Structured output: one text block whose text is JSON valid against the schema.
    const std::string text = fake_json_value(Json::parse(*req.output_schema), rng, word).dump();
    plan.tokens = split_fragments(text, static_cast<uint32_t>(std::max<size_t>(1, text.size() / 8)), rng);
    plan.output_tokens = std::max<uint64_t>(1, text.size() / 4);
    return plan;
  }
  plan_text(max_tokens, opts, rng, plan);
  apply_stop_sequences(req.stop_sequences, plan);
  return plan;
}

// ---- Extended thinking ----

// An opaque, deterministic signature: 88 base64 characters from the request's Random.
std::string thinking_signature(Random& rng) {
  static constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  s.reserve(88);
  for (int i = 0; i < 88; ++i) s += kBase64[rng.below(kBase64.size())];
  return s;
}

// With thinking on, the thinking block that opens the answer: twice the configured text
// length, within the budget (adaptive: within max_tokens - 1); a redacted_thinking block
// instead with probability `redacted_thinking_probability`. Returns the tokens it
// used (0 with thinking off; no draw then).
uint64_t plan_thinking(const Served& req, const SimOptions& opts, Random& rng, Plan& plan) {
  if (req.thinking == an::ThinkingMode::kOff) return 0;
  const uint64_t cap = req.thinking == an::ThinkingMode::kEnabled ? req.thinking_budget : req.max_tokens - 1;
  if (cap == 0) return 0;  // adaptive with max_tokens 1: no room to think
  const uint32_t lo = std::max<uint32_t>(1, std::min(opts.length.min_tokens, opts.length.max_tokens));
  const uint32_t hi = std::max<uint32_t>(lo, std::max(opts.length.min_tokens, opts.length.max_tokens));
  const uint64_t n = std::min<uint64_t>(cap, static_cast<uint64_t>(rng.between(2 * lo, 2 * hi)));
  an::WireThinking t;
  if (rng.chance(opts.redacted_thinking_probability)) {
    t.redacted = true;
    t.data = thinking_signature(rng) + thinking_signature(rng);
  } else {
    t.tokens = make_tokens(n, true, rng);
    t.signature = thinking_signature(rng);
  }
  plan.thinking = std::move(t);
  return n;
}

// ---- Prompt caching ----

// The prompt's input tokens split by the engine's prompt cache at the request's breakpoints.
void apply_cache(const Served& req, const AnthropicState& state, Plan& plan) {
  const uint64_t total = input_tokens(req.prompt_chars);
  plan.input_tokens = total;
  if (req.cache_breakpoints.empty()) return;
  std::vector<PromptCache::Breakpoint> bps;
  bps.reserve(req.cache_breakpoints.size());
  for (const an::CacheBreakpoint& bp : req.cache_breakpoints) {
    bps.push_back(PromptCache::Breakpoint{bp.key, bp.prefix_chars / 4, bp.ttl_1h});
  }
  const CacheUsage u = state.cache.apply(bps, total, min_cacheable_tokens(req.model), state.now);
  plan.input_tokens = u.uncached;
  plan.cache_read_tokens = u.read;
  plan.cache_write_tokens = u.write;
  plan.cache_write_1h_tokens = u.write_1h;
}

// tool_use blocks (after a short text preamble when the choice was "auto", as Claude
// writes before calling tools); kToolUse.
void plan_tool_uses(const Served& req, const SimOptions& opts, Random& rng, Plan& plan) {
  const std::vector<an::ServedTool>& tools = req.tools;
  const std::string& forced = req.forced_name;
  {
    if (req.tool_choice == an::ToolChoiceMode::kAuto) {
      plan.tokens = make_tokens(static_cast<uint64_t>(rng.between(2, 5)), true, rng);
      plan.output_tokens += plan.tokens.size();
    }
    uint32_t n = opts.n_tool_calls;
    if (n == 0) n = forced.empty() ? static_cast<uint32_t>(std::min<size_t>(tools.size(), 3)) : 1;
    if (req.disable_parallel_tool_use || !forced.empty()) n = 1;
    n = std::max<uint32_t>(1, n);
    const uint64_t first = rng.below(tools.size());
    for (uint32_t i = 0; i < n; ++i) {
      const an::ServedTool* def = &tools[(first + i) % tools.size()];
      if (!forced.empty()) {
        for (const an::ServedTool& d : tools) {
          if (d.name == forced) def = &d;
        }
      }
      an::WireToolUse call;
      call.id = "toolu_" + rng.alnum(24);
      call.name = def->name;
      Json input = fake_json_value(Json::parse(def->input_schema), rng, word);
      if (!input.is_object()) input = Json::object();
      call.input = input.dump();
      call.fragments = split_fragments(call.input, opts.tool_argument_fragments, rng);
      plan.output_tokens += std::max<uint64_t>(1, call.input.size() / 4);
      plan.tool_uses.push_back(std::move(call));
    }
    plan.stop_reason = an::StopReason::kToolUse;
  }
}

// Time to the first token and between tokens; `slow_factor` multiplies both.
void pacing(const SimOptions& opts, double slow_factor, Duration& ttft, Duration& gap) {
  const double factor = slow_factor > 0 ? slow_factor : 1.0;
  ttft = Duration{0};
  gap = Duration{0};
  if (!opts.latency.fast) {
    ttft = std::chrono::duration_cast<Duration>(opts.latency.time_to_first_token * factor);
    if (opts.latency.tokens_per_second > 0) {
      gap = Duration(static_cast<int64_t>(std::llround(1e9 / opts.latency.tokens_per_second * factor)));
    }
  }
}

// The non-stream Message, whole when the last token would have been generated.
void timed_message(ScriptedResponse& r, const Plan& plan, Duration ttft, Duration gap, const SimOptions& opts,
                   const RequestContext& ctx) {
  size_t deltas = plan.tokens.size() + (plan.thinking ? plan.thinking->tokens.size() : 0);
  for (const auto& c : plan.tool_uses) deltas += c.fragments.size();
  r.head_at = opts.latency.fast ? Duration{0} : ttft + gap * static_cast<int64_t>(deltas);
  r.headers = base_headers("application/json", ctx, opts, remaining_after_this(opts),
                           plan.input_tokens + plan.output_tokens, std::chrono::seconds(1));
  r.chunks.push_back(TimedChunk{r.head_at, an::render_message(plan)});
}

// The streamed Message, one SSE event per chunk: the opening events at ttft, each token or
// input fragment one gap after the previous, the closing events with the last one.
void timed_events(ScriptedResponse& r, const Plan& plan, Duration ttft, Duration gap, const SimOptions& opts,
                  const RequestContext& ctx) {
  r.streaming = true;
  r.head_at = Duration{0};
  r.headers = base_headers("text/event-stream; charset=utf-8", ctx, opts, remaining_after_this(opts),
                           plan.input_tokens + plan.output_tokens, std::chrono::seconds(1));
  r.headers.add("cache-control", "no-cache");
  std::vector<an::WireEvent> events = an::render_message_events(plan);
  r.chunks.reserve(events.size());
  Duration at = ttft;
  bool first_delta = true;
  for (an::WireEvent& e : events) {
    if (e.paced && !first_delta) at += gap;
    if (e.paced) first_delta = false;
    r.chunks.push_back(TimedChunk{at, std::move(e.bytes)});
  }
}

// A planned message (id, model, input tokens set) as the 200 answer.
ScriptedResponse answer(const Plan& plan, bool stream, const SimOptions& opts, const RequestContext& ctx,
                        double slow_factor) {
  Duration ttft{0}, gap{0};
  pacing(opts, slow_factor, ttft, gap);
  ScriptedResponse r;
  r.status = 200;
  if (stream) timed_events(r, plan, ttft, gap, opts, ctx);
  else timed_message(r, plan, ttft, gap, opts, ctx);
  return r;
}

ScriptedResponse generate_message(const Served& req, const SimOptions& opts, const RequestContext& ctx, Random& rng,
                                  double slow_factor, const AnthropicState& state) {
  const std::string id = "msg_" + rng.alnum(24);
  Plan head;
  const uint64_t thought = plan_thinking(req, opts, rng, head);
  Plan plan = plan_message(req, req.max_tokens - thought, opts, rng);
  plan.thinking = std::move(head.thinking);
  plan.output_tokens += thought;
  plan.id = id;
  plan.model = req.model;
  apply_cache(req, state, plan);
  return answer(plan, req.stream, opts, ctx, slow_factor);
}

// The DOM-free path (read_plain_message): the same random draws as generate_message() for a
// plain text answer, rendered by the same function.
ScriptedResponse generate_message_plain(const PlainMessage& m, const SimOptions& opts, const RequestContext& ctx,
                                        Random& rng, double slow_factor) {
  Plan plan;
  plan.id = "msg_";
  plan.id += rng.alnum(24);
  plan.model = m.model;
  plan.input_tokens = input_tokens(m.text_chars);
  plan_text(m.max_tokens, opts, rng, plan);
  return answer(plan, m.stream, opts, ctx, slow_factor);
}

/// The fault-free answer.
ScriptedResponse produce(const HttpRequest& req, const std::string& path, bool is_post, bool is_get,
                         const Json* body, const PlainMessage* plain, const RequestContext& ctx,
                         const SimOptions& opts, Random& rng, double slow, const AnthropicState& state) {
  if (path == kMessagesPath && is_post && plain != nullptr) {  // the engine checked the version header
    return generate_message_plain(*plain, opts, ctx, rng, slow);
  }
  if (path == kMessagesPath && is_post) {
    Served served;
    if (auto e = read_request(req, body, opts, false, served)) return error_response(*e, ctx, opts);
    return generate_message(served, opts, ctx, rng, slow, state);
  }
  if (path == kCountTokensPath && is_post) {
    Served served;
    if (auto e = read_request(req, body, opts, true, served)) return error_response(*e, ctx, opts);
    return json_response(200, an::render_anthropic_count_tokens(input_tokens(served.prompt_chars)), ctx, opts);
  }
  if (path == "/v1/models" && is_get) return json_response(200, models_list_body(opts), ctx, opts);
  if (is_get && path.rfind("/v1/models/", 0) == 0) {
    const std::string_view id = std::string_view(path).substr(std::string_view("/v1/models/").size());
    if (auto info = model_body(id, opts)) return json_response(200, std::move(*info), ctx, opts);
    return error_response(AError{404, an::model_not_found(id)}, ctx, opts);
  }
  return error_response(error_of(404, "Not Found"), ctx, opts);
}

/// Anthropic's shapes of the faults that write bytes.
class AnthropicFaultShapes final : public FaultShapes {
 public:
  AnthropicFaultShapes(const RequestContext& ctx, const SimOptions& opts, std::string_view model)
      : ctx_(ctx), opts_(opts), model_(model) {}
  ScriptedResponse http_error(const Fault& f) const override { return http_error_response(f, ctx_, opts_, model_); }
  std::string_view malformed_event() const override { return an::truncated_delta_event(); }
  std::string error_event(const Fault& f, int status, size_t /*events_before*/) const override {
    return an::sse_error_event(fault_error(f, status, model_).wire, ctx_.request_id);
  }
  std::string error_body(const Fault& f, int status) const override {
    return an::error_body(fault_error(f, status, model_).wire, ctx_.request_id);
  }

 private:
  const RequestContext& ctx_;
  const SimOptions& opts_;
  std::string_view model_;
};

}  // namespace

bool is_route(std::string_view path, bool is_get, const Headers& headers) {
  if (path == kMessagesPath || path.rfind("/v1/messages/", 0) == 0) return true;
  if (is_get && (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0)) return headers.has(an::kVersionHeader);
  return false;
}

ScriptedResponse respond(const Fault* f, const HttpRequest& request, const std::string& path, bool is_post,
                         bool is_get, const Json* body, const PlainMessage* plain, const RequestContext& ctx,
                         const SimOptions& opts, Random& rng, std::string_view model, bool stream,
                         const AnthropicState& state) {
  try {
    const AnthropicFaultShapes shapes(ctx, opts, model);
    return respond_with_faults(f, stream, shapes, [&](double slow) {
      return produce(request, path, is_post, is_get, body, plain, ctx, opts, rng, slow, state);
    });
  } catch (const std::exception& ex) {
    // A bug (an unguarded JSON access): answer like Anthropic's 500, never throw.
    return error_response(error_of(500, std::string("simulator internal error: ") + ex.what()), ctx, opts);
  }
}

}  // namespace ploke::simulator::detail::anthropic
