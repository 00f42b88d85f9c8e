// OpenAI Chat Completions wire rendering and the synthetic completion generator.
// See openai_wire.h for the shapes reproduced here (OpenAI's published OpenAPI spec).
#include "openai_wire.h"
#include "ploke/adapters/openai/completions_legacy.h"
#include "ploke/adapters/openai/render.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <unordered_set>
#include <vector>

namespace ploke::simulator::detail {
namespace {

constexpr std::array<std::string_view, 64> kVocabulary = {
    "the",    "a",      "simulated", "answer",  "is",      "that",    "model",   "token",
    "of",     "and",    "to",        "in",      "provider", "stream", "response", "quick",
    "brown",  "fox",    "jumps",     "over",    "lazy",    "dog",     "request", "with",
    "data",   "value",  "system",    "user",    "result",  "time",    "fault",   "plan",
    "seed",   "random", "words",     "here",    "for",     "testing", "only",    "clock",
    "sure",   "yes",    "no",        "maybe",   "hello",   "world",   "again",   "more",
    "text",   "output", "sample",    "example", "good",    "fine",    "simple",  "clear",
    "next",   "first",  "last",      "every",   "some",    "other",   "this",    "it"};



using ToolCallPlan = adapters::openai::WireToolCall;
using ChoicePlan = adapters::openai::WireChoice;

// logprobs / top_logprobs: the chosen token first among its alternatives, as the API does.
void plan_logprobs(ChoicePlan& c, uint32_t top, Random& rng) {
  c.logprobs.reserve(c.tokens.size());
  std::vector<std::pair<std::string, double>> alts;
  for (const auto& t : c.tokens) {
    const double lp = -0.02 - 1.5 * rng.uniform01() * rng.uniform01();
    alts.clear();
    for (uint32_t k = 0; k < top; ++k) {
      std::string alt = k == 0 ? t : std::string(t.empty() || t[0] != ' ' ? "" : " ") + std::string(synthetic_word(rng));
      const double alt_lp = k == 0 ? lp : lp - 0.5 * k - rng.uniform01();
      alts.emplace_back(std::move(alt), alt_lp);
    }
    c.logprobs.push_back(adapters::openai::token_logprob_json(t, lp, alts));
  }
}

using Served = adapters::openai::ServedChatRequest;
using adapters::openai::ToolChoiceMode;

struct ToolChoiceInfo {
  bool use_tools = false;
  std::string forced;  // function name
};

// The function tools the synthetic model may call (custom tools are offered but never
// called: see simulator/README.md).
std::vector<const adapters::openai::ServedTool*> function_tools(const Served& req) {
  std::vector<const adapters::openai::ServedTool*> out;
  for (const adapters::openai::ServedTool& t : req.tools) {
    if (!t.custom) out.push_back(&t);
  }
  return out;
}

ToolChoiceInfo decide_tools(const Served& req, const SimOptions& opts, Random& rng) {
  ToolChoiceInfo info;
  if (std::none_of(req.tools.begin(), req.tools.end(), [](const auto& t) { return !t.custom; })) return info;
  if (req.tool_choice == ToolChoiceMode::kFunction) info.forced = req.forced_name;
  if (req.tool_choice == ToolChoiceMode::kNone) return info;
  if (req.tool_choice != ToolChoiceMode::kAuto) { info.use_tools = true; return info; }
  // Roll the dice even when the answer is forced to text, so the stream of random
  // numbers does not depend on the conversation's shape.
  bool roll = rng.chance(opts.tool_call_probability);
  info.use_tools = roll && !req.last_message_is_tool;
  return info;
}

// Structured output: JSON text valid against `schema`, cut into ~4-byte tokens (cut short,
// and so invalid, at max_tokens with finish "length", as the API does).
ChoicePlan plan_structured(const Json& schema, Random& rng, std::optional<uint64_t> max_tokens) {
  ChoicePlan c;
  const std::string text = fake_json_value(schema, rng, synthetic_word).dump();
  for (size_t i = 0; i < text.size(); i += 4) c.tokens.push_back(text.substr(i, 4));
  if (max_tokens && *max_tokens < c.tokens.size()) {
    c.tokens.resize(static_cast<size_t>(*max_tokens));
    c.finish = "length";
  }
  c.completion_tokens = std::max<uint64_t>(1, c.tokens.size());
  return c;
}

ChoicePlan plan_choice(const Served& req, const SimOptions& opts, const ToolChoiceInfo& tools, Random& rng,
                       std::optional<uint64_t> max_tokens) {
  ChoicePlan c;
  if (tools.use_tools) {
    const std::vector<const adapters::openai::ServedTool*> defs = function_tools(req);
    // n_tool_calls == 0 (the default): one call per offered tool, up to 3, as models do
    // when asked something that needs several tools; a forced function gets one call.
    uint32_t n = opts.n_tool_calls;
    if (n == 0) n = tools.forced.empty() ? static_cast<uint32_t>(std::min<size_t>(defs.size(), 3)) : 1;
    n = std::max<uint32_t>(1, n);
    if (!req.parallel_tool_calls) n = 1;
    const uint64_t first = defs.empty() ? 0 : rng.below(defs.size());
    for (uint32_t i = 0; i < n; ++i) {
      static const adapters::openai::ServedTool kUnnamed;
      const adapters::openai::ServedTool* def = &kUnnamed;
      if (!tools.forced.empty()) {
        if (req.forced_tool) def = &req.tools[*req.forced_tool];
      } else if (!defs.empty()) {
        def = defs[(first + i) % defs.size()];  // distinct tools while there are enough
      }
      ToolCallPlan call;
      call.id = "call_" + rng.alnum(24);
      call.name = def->name;
      Json args = fake_json_value(Json::parse(def->parameters), rng, synthetic_word);
      call.arguments = args.dump();
      call.fragments = split_fragments(call.arguments, opts.tool_argument_fragments, rng);
      c.completion_tokens += std::max<uint64_t>(1, call.arguments.size() / 4);
      c.calls.push_back(std::move(call));
    }
    c.finish = "tool_calls";
    return c;
  }
  if (req.response_schema) return plan_structured(Json::parse(*req.response_schema), rng, max_tokens);
  uint32_t lo = std::min(opts.length.min_tokens, opts.length.max_tokens);
  uint32_t hi = std::max(opts.length.min_tokens, opts.length.max_tokens);
  uint64_t n = static_cast<uint64_t>(rng.between(std::max<uint32_t>(1, lo), std::max<uint32_t>(1, hi)));
  if (max_tokens && *max_tokens < n) { n = *max_tokens; c.finish = "length"; }
  c.tokens.reserve(static_cast<size_t>(std::min<uint64_t>(n, 4096)));
  for (uint64_t i = 0; i < n; ++i) {
    std::string tok = i == 0 ? std::string() : std::string(" ");
    std::string_view w = synthetic_word(rng);
    if (i == 0) { tok += static_cast<char>(std::toupper(static_cast<unsigned char>(w[0]))); tok += w.substr(1); }
    else tok += w;
    if (i + 1 == n && c.finish == "stop") tok += '.';
    c.tokens.push_back(std::move(tok));
  }
  c.completion_tokens = n;
  return c;
}

}  // namespace

std::string_view synthetic_word(Random& rng) { return kVocabulary[rng.below(kVocabulary.size())]; }

bool known_chat_model(const SimOptions& opts, const std::string& model) {
  const ModelInfo* m = find_model(opts, model);
  return m != nullptr && m->kind == ModelKind::kChat;
}

std::vector<std::string> split_fragments(const std::string& s, uint32_t max_pieces, Random& rng) {
  std::vector<std::string> out;
  size_t pieces = std::min<size_t>(std::max<uint32_t>(1, max_pieces), std::max<size_t>(1, s.size()));
  std::set<size_t> cuts;
  while (cuts.size() + 1 < pieces) cuts.insert(1 + rng.below(s.size() - 1));
  size_t prev = 0;
  for (size_t c : cuts) { out.push_back(s.substr(prev, c - prev)); prev = c; }
  out.push_back(s.substr(prev));
  return out;
}

Headers base_headers(std::string_view content_type, const RequestContext& ctx, const SimOptions& opts,
                     uint64_t remaining_requests, uint64_t used_tokens, Duration reset_requests) {
  adapters::openai::RateLimitWindow w;
  w.limit_requests = opts.rate_limits.limit_requests;
  w.limit_tokens = opts.rate_limits.limit_tokens;
  w.remaining_requests = remaining_requests;
  w.remaining_tokens = opts.rate_limits.limit_tokens > used_tokens ? opts.rate_limits.limit_tokens - used_tokens : 0;
  w.reset_requests = reset_requests;
  w.reset_tokens = std::chrono::milliseconds(used_tokens > 0 ? 1 : 0);
  return adapters::openai::response_headers(content_type, ctx.request_id, "ploke-sim", w);
}

ScriptedResponse error_response(const ErrorSpec& e, const RequestContext& ctx, const SimOptions& opts) {
  ScriptedResponse r;
  r.status = e.status;
  uint64_t limit = opts.rate_limits.limit_requests;
  r.headers = base_headers("application/json", ctx, opts, limit > 0 ? limit - 1 : 0, 0, std::chrono::milliseconds(6));
  r.chunks.push_back(TimedChunk{Duration{0}, error_body(e)});
  return r;
}

namespace {
ChatResult chat_core(const Served& req, const SimOptions& opts, const RequestContext& ctx, Random& rng,
                     double slow_factor);
}  // namespace

ChatResult generate_chat(const Json* body, const SimOptions& opts, const RequestContext& ctx, Random& rng,
                         double slow_factor) {
  Served req;
  std::optional<ErrorSpec> err = adapters::openai::read_served_chat_request(body, req);
  if (!err) {
    const ModelInfo* m = find_model(opts, req.model);
    if (m == nullptr) err = adapters::openai::model_not_found(req.model);
    else if (m->kind != ModelKind::kChat) err = adapters::openai::not_a_chat_model();
    else if (!m->reasoning && req.reasoning_effort) err = adapters::openai::reasoning_effort_unsupported();
  }
  if (err) {
    ChatResult res;
    res.is_error = true;
    res.response = error_response(*err, ctx, opts);
    return res;
  }
  return chat_core(req, opts, ctx, rng, slow_factor);
}

ChatResult generate_chat_plain(const PlainChat& req, const SimOptions& opts, const RequestContext& ctx,
                               Random& rng, double slow_factor) {
  return chat_core(adapters::openai::served_from_plain(req), opts, ctx, rng, slow_factor);
}

// The n choices of one answer (their completion tokens summed into `completion`). A request
// `seed` makes the content (not the id) a function of the server's seed and the request's:
// the same seed gives the same answer, as the API tries to.
std::vector<ChoicePlan> plan_choices(const Served& req, const SimOptions& opts, Random& rng, uint64_t& completion) {
  std::optional<Random> seeded;
  if (req.seed) seeded.emplace(Random(opts.seed).fork(0x5EED0000ULL ^ static_cast<uint64_t>(*req.seed)));
  Random& content_rng = seeded ? *seeded : rng;
  const ToolChoiceInfo tools = decide_tools(req, opts, content_rng);
  const size_t n = req.n;
  std::vector<ChoicePlan> choices;
  choices.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    choices.push_back(plan_choice(req, opts, tools, content_rng, req.max_tokens));
    if (req.logprobs) {
      Random lrng = content_rng.fork(0x10B + i);
      plan_logprobs(choices.back(), req.top_logprobs, lrng);
    }
    completion += choices.back().completion_tokens;
  }
  return choices;
}

namespace {

// The choices' stream chunks into `r`: event k of each choice — k=0 (role) and k=1 (first
// content) at ttft, then one per gap; the finish event goes with the last content. Choices
// interleave round-robin. Returns the time of the last chunk.
Duration schedule_choice_chunks(ScriptedResponse& r, const std::vector<ChoicePlan>& choices, const std::string& prefix,
                                const std::string& suffix, Duration ttft, Duration gap) {
  std::vector<std::vector<std::string>> per_choice;
  size_t longest = 0;
  for (size_t i = 0; i < choices.size(); ++i) {
    per_choice.push_back(adapters::openai::render_choice_events(choices[i], i));
    longest = std::max(longest, per_choice.back().size());
  }
  Duration last{0};
  for (size_t k = 0; k < longest; ++k) {
    for (size_t i = 0; i < per_choice.size(); ++i) {
      const auto& ev = per_choice[i];
      if (k >= ev.size()) continue;
      const size_t m = ev.size();  // role, content..., finish
      size_t step = 0;
      if (k > 0 && k + 1 < m) step = k - 1;
      else if (k > 0 && m >= 3) step = m - 3;
      Duration at = ttft + gap * static_cast<int64_t>(step);
      last = std::max(last, at);
      r.chunks.push_back(TimedChunk{std::max(at, last), prefix + ev[k] + suffix});
    }
  }
  return last;
}

// A reasoning model's hidden reasoning, counted in the completion tokens (as Chat Completions
// reports it: no text): 32–256 tokens scaled by the effort (default medium; none: 0), within
// what max_tokens leaves after the answer. Drawn from a fork, so the answer is the same.
uint64_t reasoning_tokens(const Served& req, const SimOptions& opts, Random& rng, uint64_t answer) {
  const ModelInfo* m = find_model(opts, req.model);
  if (m == nullptr || !m->reasoning) return 0;
  Random r = rng.fork(0x4EA50);
  return reasoning_token_draw(req.reasoning_effort.value_or("medium"), r, req.max_tokens, answer);
}

ChatResult chat_core(const Served& req, const SimOptions& opts, const RequestContext& ctx, Random& rng,
                     double slow_factor) {
  ChatResult res;
  res.model = req.model;
  res.stream = req.stream;
  const bool include_usage = req.include_usage;
  const uint64_t prompt = std::max<uint64_t>(1, req.prompt_chars / 4);
  std::string id;
  id.reserve(40);
  id = "chatcmpl-";
  id += rng.alnum(29);
  uint64_t completion = 0;
  const std::vector<ChoicePlan> choices = plan_choices(req, opts, rng, completion);
  adapters::openai::WireCompletion wire;
  wire.id = std::move(id);
  wire.model = res.model;
  wire.created = ctx.created;
  wire.system_fingerprint = opts.system_fingerprint;
  wire.prompt_tokens = prompt;
  wire.reasoning_tokens = reasoning_tokens(req, opts, rng, completion);
  completion += wire.reasoning_tokens;
  wire.completion_tokens = completion;

  const auto [ttft, gap] = pacing(opts, slow_factor);
  const uint64_t limit = opts.rate_limits.limit_requests;
  ScriptedResponse& r = res.response;
  r.status = 200;
  res.gap = gap;

  if (!res.stream) {
    uint64_t per_choice = 0;
    for (const auto& c : choices) per_choice = std::max<uint64_t>(per_choice, c.completion_tokens);
    r.head_at = opts.latency.fast ? Duration{0} : ttft + gap * static_cast<int64_t>(per_choice);
    r.headers = base_headers("application/json", ctx, opts, limit > 0 ? limit - 1 : 0, prompt + completion,
                             std::chrono::milliseconds(6));
    r.chunks.push_back(TimedChunk{r.head_at, adapters::openai::render_completion(wire, choices)});
    return res;
  }

  r.streaming = true;
  r.headers = base_headers("text/event-stream; charset=utf-8", ctx, opts, limit > 0 ? limit - 1 : 0,
                           prompt + completion, std::chrono::milliseconds(6));
  r.head_at = Duration{0};
  const std::string prefix = adapters::openai::chunk_prefix(wire);
  const std::string suffix(adapters::openai::chunk_suffix(include_usage));

  const Duration last = schedule_choice_chunks(r, choices, prefix, suffix, ttft, gap);
  res.tail_begin = r.chunks.size();
  if (include_usage) r.chunks.push_back(TimedChunk{last, adapters::openai::usage_chunk(prefix, wire)});
  r.chunks.push_back(TimedChunk{last, std::string(adapters::openai::kDone)});
  return res;
}

}  // namespace


uint64_t reasoning_token_draw(std::string_view effort, Random& rng, std::optional<uint64_t> max_tokens, uint64_t used) {
  if (effort == "none") return 0;
  const double scale = effort == "minimal" ? 0.125 : effort == "low" ? 0.5 : effort == "high" ? 2 : effort == "xhigh" ? 3
                       : effort == "max" ? 4 : 1;
  uint64_t tokens = static_cast<uint64_t>(static_cast<double>(rng.between(32, 256)) * scale);
  if (max_tokens) tokens = std::min(tokens, *max_tokens - std::min(*max_tokens, used));
  return tokens;
}

const ModelInfo* find_model(const SimOptions& opts, std::string_view id) {
  for (const ModelInfo& m : opts.models) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

Pacing pacing(const SimOptions& opts, double slow_factor) {
  const double factor = slow_factor > 0 ? slow_factor : 1.0;
  Pacing p;
  if (!opts.latency.fast) {
    p.ttft = std::chrono::duration_cast<Duration>(opts.latency.time_to_first_token * factor);
    if (opts.latency.tokens_per_second > 0) {
      p.gap = Duration(static_cast<int64_t>(std::llround(1e9 / opts.latency.tokens_per_second * factor)));
    }
  }
  return p;
}

std::vector<adapters::openai::WireChoice> plan_text_choices(const SimOptions& opts, Random& rng, size_t n,
                                                            std::optional<uint64_t> max_tokens,
                                                            std::optional<int64_t> seed, uint64_t& completion) {
  Served req;
  req.n = n;
  req.max_tokens = max_tokens;
  req.seed = seed;
  return plan_choices(req, opts, rng, completion);
}

bool read_plain_chat(std::string_view body, const SimOptions& opts, PlainChat& out) {
  return adapters::openai::read_plain_chat_request(body, out) && known_chat_model(opts, out.model);
}

}  // namespace ploke::simulator::detail

namespace ploke::simulator {

std::string format_reset_duration(Duration d) { return adapters::openai::format_reset_duration(d); }

}  // namespace ploke::simulator
