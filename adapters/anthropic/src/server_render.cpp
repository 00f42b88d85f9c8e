// The server half of Anthropic Messages: message, SSE event, model and error rendering (what
// the gateway answers Anthropic clients with). See ploke/adapters/anthropic/server.h.
#include <algorithm>
#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

#include "ploke/json/cursor.h"
#include "json_writer.h"
#include "ploke/adapters/anthropic/server.h"
#include "render_internal.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

// `finish` overrides r.finish_reason when r's is unknown (streams: the finish event's).
std::string_view stop_reason(const ChatResponse& r, FinishReason finish = FinishReason::kUnknown) {
  static constexpr std::string_view kNative[] = {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"};
  for (std::string_view n : kNative) {
    if (r.native_finish_reason == n) return n;
  }
  switch (r.finish_reason == FinishReason::kUnknown ? finish : r.finish_reason) {
    case FinishReason::kLength: return "max_tokens";
    case FinishReason::kToolCalls: return "tool_use";
    case FinishReason::kContentFilter: return "refusal";
    default: return r.tool_calls.empty() ? "end_turn" : "tool_use";
  }
}

// The counts a Usage carries: input excludes the cached parts (the API's input_tokens).
detail::UsageCounts counts(const std::optional<Usage>& u, uint64_t input_fallback) {
  detail::UsageCounts c{input_fallback, 0, 0, 0};
  if (u) {
    const uint64_t cached = u->cached_prompt_tokens + u->cache_write_tokens;
    c.input = u->prompt_tokens > cached ? u->prompt_tokens - cached : 0;
    c.output = u->completion_tokens;
    c.cache_write = u->cache_write_tokens;
    c.cache_read = u->cached_prompt_tokens;
    c.cache_write_1h = u->cache_write_1h_tokens;
  }
  return c;
}

// `prefix` + 24 base62 characters from a 128-bit hash of `basis`: deterministic, so one
// upstream id (or the gateway's "msg_<trace id>") maps to the same Anthropic id in every
// event and body.
std::string native_id(std::string_view prefix, std::string_view basis) {
  // Already native (Anthropic's own ids: the prefix, then letters and digits): kept.
  if (basis.size() > prefix.size() && basis.substr(0, prefix.size()) == prefix &&
      std::all_of(basis.begin() + static_cast<std::ptrdiff_t>(prefix.size()), basis.end(),
                  [](unsigned char c) { return std::isalnum(c) != 0; })) {
    return std::string(basis);
  }
  static constexpr std::string_view k62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
  for (unsigned char c : basis) {
    a = (a ^ c) * 0x100000001b3ULL;
    b = (b ^ c) * 0xff51afd7ed558ccdULL + 0x9e3779b97f4a7c15ULL;
  }
  std::string out(prefix);
  for (int i = 0; i < 24; ++i) {
    uint64_t& h = (i & 1) != 0 ? a : b;
    h += 0x9e3779b97f4a7c15ULL;  // splitmix64 step
    uint64_t z = h;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    out += k62[(z ^ (z >> 31)) % 62];
  }
  return out;
}

// A tool call's arguments as a tool_use `input` object: the JSON object as sent (compacted),
// {} when empty, {"_raw_arguments": text} when not a JSON object.
void write_tool_input(std::string& o, const std::string& args) {
  if (args.empty()) {
    o += "{}";
    return;
  }
  size_t b = 0, e = args.size();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (b < e && ws(args[b])) ++b;
  while (e > b && ws(args[e - 1])) --e;
  const std::string_view t(args.data() + b, e - b);
  ploke::json::JsonCursor c(t);
  if (!t.empty() && t.front() == '{' && c.skip_value() && c.at_end()) {  // fast path
    json_text::append_compact(o, t);
    return;
  }
  json v = json::parse(args, nullptr, false);
  if (v.is_discarded() || !v.is_object()) {
    o += "{\"_raw_arguments\":";
    json_text::append_string(o, args);
    o += '}';
    return;
  }
  o += v.dump(-1, ' ', false, json::error_handler_t::replace);
}


std::string_view error_type(const Status& st);

// What an Anthropic client reads in error.message. The gateway's own request and
// not-found errors (no provider, no upstream status) keep their text, which names the
// field; everything else is worded as the Messages API words it, without upstream text,
// provider names or internal tags (the full status stays in the gateway's trace).
std::string error_message(const Status& st) {
  const bool local = st.provider().empty() && st.http_status() == 0;
  if (local && (st.code() == StatusCode::kInvalidRequest || st.code() == StatusCode::kNotFound)) return st.message();
  const std::string_view type = error_type(st);
  if (type == "rate_limit_error") {
    return "This request would exceed your organization's rate limit. Please reduce the prompt length or the "
           "maximum tokens requested, or try again later.";
  }
  if (type == "overloaded_error") return "Overloaded";
  if (type == "timeout_error") return "Request timed out";
  if (type == "authentication_error") return "invalid x-api-key";
  if (type == "permission_error") return "Your API key does not have permission to use the specified resource.";
  if (type == "not_found_error") return "The requested resource could not be found.";
  if (type == "billing_error") {
    return "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade "
           "or purchase credits.";
  }
  if (type == "invalid_request_error") return "Your request could not be processed as sent.";
  return "Internal server error";
}

std::string_view error_type(const Status& st) {
  switch (st.code()) {
    case StatusCode::kRateLimited: return "rate_limit_error";
    case StatusCode::kOverloaded: return "overloaded_error";
    case StatusCode::kTimeout: return "timeout_error";
    case StatusCode::kAuth: return "authentication_error";
    case StatusCode::kPermission: return "permission_error";
    case StatusCode::kNotFound: return "not_found_error";
    case StatusCode::kInvalidRequest:
    case StatusCode::kContextLengthExceeded:
    case StatusCode::kContentFilter: return "invalid_request_error";
    case StatusCode::kInsufficientCredits: return "billing_error";
    default: return "api_error";
  }
}

// {"type":"error","error":{"type":…,"message":…},"request_id":…|null}
std::string error_body(const Status& st, std::string_view request_id) {
  return anthropic::error_body(WireError{std::string(error_type(st)), error_message(st), {}}, request_id);
}

// The answer's reasoning as thinking / redacted_thinking blocks, in order; reasoning text
// without blocks (an upstream that has no signatures) is one thinking block, signature "".
void append_reasoning(std::string& o, const ChatResponse& r, bool& first) {
  std::vector<ReasoningBlock> only;
  if (r.reasoning_blocks.empty() && !r.reasoning.empty()) only.push_back(ReasoningBlock{ReasoningBlock::Kind::kThinking, r.reasoning, {}, {}});
  for (const ReasoningBlock& rb : r.reasoning_blocks.empty() ? only : r.reasoning_blocks) {
    if (!first) o += ',';
    first = false;
    WireThinking t;
    t.redacted = rb.kind == ReasoningBlock::Kind::kRedacted;
    t.data = rb.data;
    t.signature = rb.signature;
    t.tokens.push_back(rb.text);
    detail::append_thinking_block(o, t);
  }
}

}  // namespace

std::string render_anthropic_message(const ChatResponse& r, std::string_view fallback_id) {
  // Written as text (the Messages API's field order); see json_writer.h.
  std::string o;
  o.reserve(256 + r.content.size() + r.id.size() + r.model.size());
  o += "{\"id\":";
  json_text::append_string(o, anthropic_message_id(r.id.empty() ? fallback_id : std::string_view(r.id)));
  o += ",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  json_text::append_string(o, r.model);
  o += ",\"content\":[";
  bool first = true;
  append_reasoning(o, r, first);
  if (!r.content.empty()) {
    if (!first) o += ',';
    detail::append_text_block(o, r.content);
    first = false;
  }
  std::string input;
  for (const ToolCall& tc : r.tool_calls) {
    if (!first) o += ',';
    first = false;
    input.clear();
    write_tool_input(input, tc.arguments_json);
    detail::append_tool_use_block(o, anthropic_tool_use_id(tc.id), tc.name, input);
  }
  o += "],\"stop_reason\":\"";
  o += stop_reason(r);
  o += "\",\"stop_sequence\":null,\"stop_details\":null,\"container\":null,\"usage\":";
  detail::append_usage(o, counts(r.usage, 0), false);
  o += ",\"diagnostics\":null}";
  return o;
}

namespace {

/// Anthropic answers overloaded with 529, out of credits with 402, and keeps only an
/// upstream 502 or 503 (else 500).
constexpr inbound::ErrorStatusChoices kStatusChoices{529, 402, 500, false};

}  // namespace

Reply render_anthropic_error(const Status& st, std::string_view request_id) {
  Reply out;
  out.status = inbound::error_http_status(st, kStatusChoices);
  if ((st.code() == StatusCode::kRateLimited || st.code() == StatusCode::kOverloaded) && st.retry_after()) {
    const int64_t ms = std::max<int64_t>(0, st.retry_after()->count());
    out.headers.emplace_back("retry-after", std::to_string((ms + 999) / 1000));
    out.headers.emplace_back("retry-after-ms", std::to_string(ms));
  }
  if (st.code() == StatusCode::kInsufficientCredits) out.headers.emplace_back("x-should-retry", "false");
  out.body = error_body(st, request_id);
  return out;
}

// A ModelInfo for an id the gateway knows nothing more about: capabilities, limits,
// lifecycle dates and line null, lifecycle "active".
WireModel gateway_model(const std::string& id) { return WireModel{id, id, "2025-01-01T00:00:00Z", std::nullopt}; }

std::string render_anthropic_model(const std::string& id) { return render_model_info(gateway_model(id)); }

std::string render_anthropic_models(const std::vector<std::string>& ids) {
  std::vector<WireModel> models;
  models.reserve(ids.size());
  for (const auto& id : ids) models.push_back(gateway_model(id));
  return render_models_page(models);
}

std::string render_anthropic_count_tokens(uint64_t input_tokens) {
  std::string o = "{\"input_tokens\":";
  json_text::append_uint(o, input_tokens);
  o += '}';
  return o;
}

// ------------------------------------------------------------------------- SSE writer

std::string anthropic_message_id(std::string_view upstream_id) { return native_id("msg_", upstream_id); }
std::string anthropic_tool_use_id(std::string_view upstream_id) { return native_id("toolu_", upstream_id); }
std::string local_message_id(std::string_view local_id) {
  std::string id = "msg_";
  id += local_id;
  return id;
}

AnthropicSseWriter::AnthropicSseWriter(std::string id, std::string model, uint64_t input_tokens_estimate,
                                       std::string request_id)
    : id_(anthropic_message_id(id)), model_(std::move(model)), input_tokens_(input_tokens_estimate),
      request_id_(std::move(request_id)) {}

std::string AnthropicSseWriter::start_if_needed() {
  if (started_) return {};
  started_ = true;
  std::string o;
  // The upstream's prompt counts when they came before the first content (an Anthropic
  // upstream's message_start: its cache reads and 5-minute / 1-hour writes), else the estimate.
  detail::UsageCounts c = counts(usage_, input_tokens_);
  c.output = 1;
  detail::append_message_start(o, id_, model_, c);
  detail::append_ping(o);
  return o;
}

std::string AnthropicSseWriter::close_block() {
  if (!block_open_) return {};
  block_open_ = false;
  block_is_thinking_ = false;
  std::string o;
  detail::append_block_stop(o, block_index_);
  return o;
}

std::string AnthropicSseWriter::event(const StreamEvent& e) {
  std::string o;
  switch (e.kind) {
    case StreamEvent::Kind::kTextDelta:
      o = start_if_needed();
      if (!block_open_ || !block_is_text_) {
        o += close_block();
        ++block_index_;
        block_open_ = true;
        block_is_text_ = true;
        detail::append_text_block_start(o, block_index_);
      }
      detail::append_text_delta(o, block_index_, e.text);
      return o;
    case StreamEvent::Kind::kToolCallDelta:
      o = start_if_needed();
      if (!block_open_ || block_is_text_ || block_tool_ != static_cast<int64_t>(e.tool_index)) {
        o += close_block();
        ++block_index_;
        block_open_ = true;
        block_is_text_ = false;
        block_tool_ = e.tool_index;
        detail::append_tool_block_start(
            o, block_index_,
            anthropic_tool_use_id(e.tool_call_id.empty() ? id_ + "#" + std::to_string(e.tool_index) : e.tool_call_id),
            e.tool_name);
      }
      if (!e.arguments_fragment.empty()) detail::append_input_json_delta(o, block_index_, e.arguments_fragment);
      return o;
    case StreamEvent::Kind::kReasoningDelta:
      return o + reasoning_event(e);
    case StreamEvent::Kind::kUsage:
      usage_ = e.usage;
      return o;
    case StreamEvent::Kind::kFinish:
      finish_ = e.finish_reason;
      return o;
    default:
      return o;
  }
}

// Thinking text extends the open thinking block (else opens one); a signature ends it with
// signature_delta and content_block_stop; redacted data is a block of its own.
std::string AnthropicSseWriter::reasoning_event(const StreamEvent& e) {
  std::string o = start_if_needed();
  auto open_thinking = [&] {
    if (block_open_ && block_is_thinking_) return;
    o += close_block();
    ++block_index_;
    block_open_ = true;
    block_is_text_ = false;
    block_is_thinking_ = true;
    block_tool_ = -1;
    detail::append_thinking_block_start(o, block_index_);
  };
  if (!e.redacted.empty()) {
    o += close_block();
    ++block_index_;
    detail::append_redacted_thinking_block_start(o, block_index_, e.redacted);
    detail::append_block_stop(o, block_index_);
  }
  if (!e.text.empty()) {
    open_thinking();
    detail::append_thinking_delta(o, block_index_, e.text);
  }
  if (!e.signature.empty()) {
    open_thinking();
    detail::append_signature_delta(o, block_index_, e.signature);
    o += close_block();
  }
  return o;
}

std::string AnthropicSseWriter::finish(const ChatResponse& final_response) {
  if (finished_) return {};
  finished_ = true;
  std::string o = start_if_needed();
  o += close_block();
  const std::optional<Usage>& u = final_response.usage ? final_response.usage : usage_;
  detail::append_message_end(o, stop_reason(final_response, finish_), std::nullopt, counts(u, input_tokens_));
  return o;
}

std::string AnthropicSseWriter::error(const Status& st) {
  finished_ = true;
  std::string o;
  detail::append_event_head(o, "error");
  o += error_body(st, request_id_);
  o += "\n\n";
  return o;
}

}  // namespace ploke::adapters::anthropic
