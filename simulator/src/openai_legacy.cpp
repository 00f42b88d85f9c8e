// POST /v1/completions (legacy): the chat generator's text and pacing behind the legacy
// shape. The request is read and checked, and the bytes rendered, by the OpenAI package
// (ploke/adapters/openai/completions_legacy.h).
#include <algorithm>
#include <vector>

#include "openai_wire.h"
#include "ploke/adapters/openai/completions_legacy.h"

namespace ploke::simulator::detail {
namespace {

namespace oa = adapters::openai;
using oa::WireChoice;

std::optional<ErrorSpec> check_model(const SimOptions& opts, const std::string& model) {
  const ModelInfo* m = find_model(opts, model);
  if (m == nullptr || m->kind == ModelKind::kEmbedding) return oa::model_not_found(model);
  if (m->kind == ModelKind::kChat) return oa::chat_model_on_completions();
  return std::nullopt;
}

// A choice's stream events: the echoed prompt and the first token at ttft, one token per
// gap after that, the finish event with the last token. Choices interleave round-robin.
Duration schedule_text_chunks(ScriptedResponse& r, const std::vector<std::vector<std::string>>& per_choice,
                              const std::vector<WireChoice>& choices, bool echo, const std::string& prefix,
                              std::string_view suffix, const Pacing& pc) {
  size_t longest = 0;
  for (const auto& ev : per_choice) longest = std::max(longest, ev.size());
  Duration last{0};
  for (size_t k = 0; k < longest; ++k) {
    for (size_t i = 0; i < per_choice.size(); ++i) {
      const auto& ev = per_choice[i];
      if (k >= ev.size()) continue;
      const size_t tokens = choices[i].tokens.size();
      size_t token = echo ? (k == 0 ? 0 : k - 1) : k;  // the token this event carries or follows
      token = std::min(token, tokens == 0 ? 0 : tokens - 1);
      const Duration at = pc.ttft + pc.gap * static_cast<int64_t>(token);
      last = std::max(last, at);
      std::string chunk = prefix;
      chunk += ev[k];
      chunk += suffix;
      r.chunks.push_back(TimedChunk{last, std::move(chunk)});
    }
  }
  return last;
}

void stream_body(ScriptedResponse& r, const oa::WireCompletion& wire, const std::vector<WireChoice>& choices,
                 const std::vector<std::string>& echo, bool include_usage, const Pacing& pc) {
  r.streaming = true;
  r.head_at = Duration{0};
  const std::string prefix = oa::text_chunk_prefix(wire);
  std::vector<std::vector<std::string>> per_choice;
  per_choice.reserve(choices.size());
  for (size_t i = 0; i < choices.size(); ++i) {
    per_choice.push_back(oa::render_text_choice_events(choices[i], i, echo.empty() ? std::string_view() : echo[i]));
  }
  const Duration last =
      schedule_text_chunks(r, per_choice, choices, !echo.empty(), prefix, oa::chunk_suffix(include_usage), pc);
  if (include_usage) r.chunks.push_back(TimedChunk{last, oa::text_usage_chunk(prefix, wire)});
  r.chunks.push_back(TimedChunk{last, std::string(oa::kDone)});
}

}  // namespace

ScriptedResponse generate_text_completion(const Json* body, const SimOptions& opts, const RequestContext& ctx,
                                          Random& rng, double slow_factor) {
  oa::ServedCompletionRequest req;
  std::optional<ErrorSpec> err = oa::read_served_completion_request(body, req);
  if (!err) err = check_model(opts, req.model);
  if (err) return error_response(*err, ctx, opts);

  oa::WireCompletion wire;
  wire.id = oa::text_completion_id(rng.alnum(29));
  wire.model = req.model;
  wire.created = ctx.created;
  std::vector<WireChoice> choices;
  std::vector<std::string> echo;
  uint64_t completion = 0;
  for (const oa::CompletionPrompt& p : req.prompts) {
    wire.prompt_tokens += p.is_tokens ? p.token_count : std::max<uint64_t>(1, p.text.size() / 4);
    for (WireChoice& c : plan_text_choices(opts, rng, req.n, req.max_tokens, req.seed, completion)) {
      choices.push_back(std::move(c));
      if (req.echo) echo.push_back(p.text);
    }
  }
  wire.completion_tokens = completion;

  const Pacing pc = pacing(opts, slow_factor);
  ScriptedResponse r;
  r.status = 200;
  const uint64_t limit = opts.rate_limits.limit_requests;
  const std::string_view type = req.stream ? "text/event-stream; charset=utf-8" : "application/json";
  r.headers = base_headers(type, ctx, opts, limit > 0 ? limit - 1 : 0, wire.prompt_tokens + completion,
                           std::chrono::milliseconds(6));
  if (req.stream) {
    stream_body(r, wire, choices, echo, req.include_usage, pc);
    return r;
  }
  size_t longest = 0;
  for (const WireChoice& c : choices) longest = std::max(longest, c.tokens.size());
  r.head_at = pc.ttft + pc.gap * static_cast<int64_t>(longest);
  r.chunks.push_back(TimedChunk{r.head_at, oa::render_text_completion(wire, choices, echo)});
  return r;
}

}  // namespace ploke::simulator::detail
