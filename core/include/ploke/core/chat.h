// File: ploke/core/chat.h
//
// The normalized chat API: one request/response/stream-event vocabulary over every
// provider. Adapters translate these to and from wire formats; nothing here knows JSON.
// JSON-valued fields (tool parameter schemas, response_format schemas, tool-call
// arguments) are carried as JSON text, exactly as they travel on the wire.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke {

enum class Role : uint8_t { kSystem, kDeveloper, kUser, kAssistant, kTool };
std::string_view role_name(Role r);

/// A prompt-cache breakpoint (Anthropic `cache_control`, `{"type":"ephemeral"}` with an
/// optional `"ttl":"1h"`): the prompt prefix up to and including the marked part is written
/// to the provider's cache and read back by later requests that share it. Protocols without
/// explicit breakpoints (OpenAI caches prefixes on its own) ignore it.
enum class CacheControl : uint8_t { kNone, kEphemeral5m, kEphemeral1h };

/// One part of a message's content.
struct ContentPart {
  enum class Kind : uint8_t { kText, kImageUrl };
  Kind kind = Kind::kText;
  std::string text;          ///< kText
  std::string image_url;     ///< kImageUrl: http(s) or data: URL
  std::string image_detail;  ///< "auto" | "low" | "high" | "" (unset)
  /// A breakpoint after this part (on a tool message: after its tool result).
  CacheControl cache = CacheControl::kNone;

  static ContentPart Text(std::string t) { return {Kind::kText, std::move(t), {}, {}, CacheControl::kNone}; }
  static ContentPart Image(std::string url, std::string detail = {}) {
    return {Kind::kImageUrl, {}, std::move(url), std::move(detail), CacheControl::kNone};
  }
  /// A text part with breakpoint `c` (kNone: a plain text part).
  static ContentPart CachedText(std::string t, CacheControl c = CacheControl::kEphemeral5m) {
    return {Kind::kText, std::move(t), {}, {}, c};
  }
  friend bool operator==(const ContentPart&, const ContentPart&) = default;
};

/// One reasoning block of an answer, in the order the model produced it (Anthropic
/// `thinking` / `redacted_thinking`). The signature and the redacted data are opaque:
/// a multi-turn conversation sends them back unchanged on the assistant message.
struct ReasoningBlock {
  enum class Kind : uint8_t { kThinking, kRedacted };
  Kind kind = Kind::kThinking;
  std::string text;       ///< kThinking: the visible reasoning
  std::string signature;  ///< kThinking: "" when the provider sent none
  std::string data;       ///< kRedacted: the encrypted reasoning
  friend bool operator==(const ReasoningBlock&, const ReasoningBlock&) = default;
};

/// A complete tool call (request history or response).
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments_json;  ///< JSON text as sent by the model; may be malformed.
  friend bool operator==(const ToolCall&, const ToolCall&) = default;
};

struct Message {
  Role role = Role::kUser;
  std::vector<ContentPart> content;  ///< empty = null content (assistant with tool calls)
  std::vector<ToolCall> tool_calls;  ///< assistant only
  std::string tool_call_id;          ///< tool only
  std::string name;                  ///< optional participant name
  /// Assistant only: the reasoning blocks of the answer this message repeats, sent back
  /// before the content (Anthropic requires them with their signatures when thinking is
  /// on and the turn has tool calls); adapters of protocols without them ignore them.
  std::vector<ReasoningBlock> reasoning_blocks;

  static Message System(std::string t) { return {Role::kSystem, {ContentPart::Text(std::move(t))}, {}, {}, {}, {}}; }
  static Message Developer(std::string t) {
    return {Role::kDeveloper, {ContentPart::Text(std::move(t))}, {}, {}, {}, {}};
  }
  static Message User(std::string t) { return {Role::kUser, {ContentPart::Text(std::move(t))}, {}, {}, {}, {}}; }
  static Message Assistant(std::string t) {
    return {Role::kAssistant, {ContentPart::Text(std::move(t))}, {}, {}, {}, {}};
  }
  static Message ToolResult(std::string call_id, std::string t) {
    return {Role::kTool, {ContentPart::Text(std::move(t))}, {}, std::move(call_id), {}, {}};
  }
  /// Concatenated text of all text parts.
  std::string text() const;
  friend bool operator==(const Message&, const Message&) = default;
};

struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters_json;  ///< JSON Schema text; empty = no parameters given
  std::optional<bool> strict;
  CacheControl cache = CacheControl::kNone;  ///< a breakpoint after this tool (the tools come first)
  friend bool operator==(const ToolDefinition&, const ToolDefinition&) = default;
};

struct ToolChoice {
  enum class Mode : uint8_t { kUnset, kNone, kAuto, kRequired, kFunction };
  Mode mode = Mode::kUnset;
  std::string function_name;  ///< kFunction
  friend bool operator==(const ToolChoice&, const ToolChoice&) = default;
};

struct ResponseFormat {
  enum class Kind : uint8_t { kUnset, kText, kJsonObject, kJsonSchema };
  Kind kind = Kind::kUnset;
  std::string schema_name;  ///< kJsonSchema
  std::string schema_json;  ///< kJsonSchema
  std::optional<bool> strict;
  friend bool operator==(const ResponseFormat&, const ResponseFormat&) = default;
};

/// Capabilities a request needs from whoever serves it (used by routing).
struct Capabilities {
  bool tools = false;
  bool json_mode = false;
  bool json_schema = false;
  bool vision = false;
  bool streaming = false;
  uint32_t min_context_tokens = 0;
  bool logprobs = false;  ///< token log probabilities (OpenAI-protocol upstreams; not Anthropic)
  /// An embeddings endpoint (LlmClient::add_endpoint sets it from the adapter's
  /// has_embeddings(); LlmClient::embed requires it).
  bool embeddings = false;
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

/// Reasoning ("thinking") options, one vocabulary over the protocols:
///  - Anthropic `thinking`: kEnabled needs budget_tokens ({"type":"enabled","budget_tokens"});
///    kAdaptive and kDisabled map to their types; an effort alone becomes an enabled budget
///    (minimal/low 1024, medium 2048, high 4096, xhigh 8192, max 16384, below max_tokens;
///    none, too small a max_tokens, or temperature / top_k set: no thinking); `exclude` cannot be expressed
///    (kInvalidRequest naming it).
///  - OpenRouter `reasoning`: {enabled|effort|max_tokens|exclude}; kAdaptive is refused.
///  - OpenAI chat `reasoning_effort`: effort only; the mode, budget_tokens and exclude are
///    dropped (the API has no form for them, reasoning models reason regardless and never
///    return the reasoning text), so a thinking request served there answers without it.
struct ReasoningOptions {
  enum class Mode : uint8_t { kUnset, kEnabled, kDisabled, kAdaptive };
  Mode mode = Mode::kUnset;
  std::optional<uint32_t> budget_tokens;
  std::string effort;    ///< OpenAI's values: "none" … "minimal" | "low" | "medium" | "high" | "xhigh" | "max"; "" unset
  bool exclude = false;  ///< reason but leave the reasoning out of the answer
  bool set() const { return mode != Mode::kUnset || budget_tokens || !effort.empty() || exclude; }
  friend bool operator==(const ReasoningOptions&, const ReasoningOptions&) = default;
};

enum class Priority : uint8_t { kLow = 0, kNormal = 1, kHigh = 2, kCritical = 3 };

/// Metadata the core uses but that never goes on the wire.
struct RequestMeta {
  Priority priority = Priority::kNormal;
  std::optional<Duration> deadline;  ///< relative to submission
  Capabilities required;
  std::vector<std::string> tags;
  std::string request_id;  ///< caller's id, for traces
  /// W3C trace context of the caller, sent on to the upstream of every attempt when valid
  /// (ploke/core/trace_context.h).
  std::string traceparent;
  std::string tracestate;
  friend bool operator==(const RequestMeta&, const RequestMeta&) = default;
};

struct ChatRequest {
  std::string model;
  std::vector<Message> messages;
  std::vector<ToolDefinition> tools;
  ToolChoice tool_choice;
  std::optional<bool> parallel_tool_calls;
  ResponseFormat response_format;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> top_k;  ///< not sent by the OpenAI adapter (no such field)
  std::optional<double> frequency_penalty;
  std::optional<double> presence_penalty;
  std::optional<uint32_t> max_output_tokens;
  std::vector<std::string> stop;
  std::optional<int64_t> seed;
  std::string user;
  bool stream = false;
  /// Token log probabilities of the output (OpenAI `logprobs`), with `top_logprobs`
  /// alternatives per token (0–20). Only protocols that have them send them; an adapter
  /// whose protocol has none refuses the request (kInvalidRequest naming `logprobs`).
  bool logprobs = false;
  std::optional<uint32_t> top_logprobs;
  ReasoningOptions reasoning;
  /// Top-level breakpoint (Anthropic's automatic caching: the provider places it on the
  /// last cacheable block); kNone = only the parts' and tools' own breakpoints.
  CacheControl cache = CacheControl::kNone;
  RequestMeta meta;
  friend bool operator==(const ChatRequest&, const ChatRequest&) = default;
};

enum class FinishReason : uint8_t {
  kUnknown, kStop, kLength, kToolCalls, kContentFilter, kError, kOther
};
std::string_view finish_reason_name(FinishReason r);

struct Usage {
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  uint64_t cached_prompt_tokens = 0;
  uint64_t cache_write_tokens = 0;     ///< all cache writes (5-minute and 1-hour)
  uint64_t reasoning_tokens = 0;
  std::optional<double> reported_cost_usd;  ///< when the provider reports one (OpenRouter)
  uint64_t cache_write_1h_tokens = 0;  ///< of cache_write_tokens, the 1-hour writes (the rest are 5-minute)
  friend bool operator==(const Usage&, const Usage&) = default;
};

/// One alternative at an output position (OpenAI TopLogprob). `bytes` are the token's
/// UTF-8 bytes (absent when the provider sends null).
struct TopLogprob {
  std::string token;
  double logprob = 0;
  std::optional<std::vector<uint8_t>> bytes;
  friend bool operator==(const TopLogprob&, const TopLogprob&) = default;
};

/// One output token's log probability and its alternatives (ChatCompletionTokenLogprob).
struct TokenLogprob {
  std::string token;
  double logprob = 0;
  std::optional<std::vector<uint8_t>> bytes;
  std::vector<TopLogprob> top_logprobs;
  friend bool operator==(const TokenLogprob&, const TokenLogprob&) = default;
};

struct ChatResponse {
  std::string id;              ///< provider's response id (chatcmpl-…, msg_…, gen-…)
  std::string request_id;      ///< provider's request id header (x-request-id, request-id)
  std::string provider;
  std::string model;
  std::string content;         ///< concatenated text
  /// The model's visible reasoning (Anthropic thinking blocks), concatenated; "" when none.
  std::string reasoning;
  /// The reasoning block by block, with signatures and redacted blocks (Anthropic).
  std::vector<ReasoningBlock> reasoning_blocks;
  std::string refusal;
  std::vector<ToolCall> tool_calls;
  FinishReason finish_reason = FinishReason::kUnknown;
  std::string native_finish_reason;  ///< as on the wire
  std::optional<Usage> usage;
  std::vector<TokenLogprob> logprobs;  ///< per content token, when the request asked (logprobs)
  friend bool operator==(const ChatResponse&, const ChatResponse&) = default;
};

/// One incremental event of a streamed response.
struct StreamEvent {
  enum class Kind : uint8_t { kStart, kTextDelta, kToolCallDelta, kUsage, kFinish, kError, kReasoningDelta };
  Kind kind = Kind::kTextDelta;
  std::string text;                 ///< kTextDelta; kReasoningDelta: a piece of the reasoning
  uint32_t tool_index = 0;          ///< kToolCallDelta: which call (by wire index)
  std::string tool_call_id;         ///< kToolCallDelta: set on the first fragment
  std::string tool_name;            ///< kToolCallDelta: set on the first fragment
  std::string arguments_fragment;   ///< kToolCallDelta
  Usage usage;                      ///< kUsage
  FinishReason finish_reason = FinishReason::kUnknown;  ///< kFinish
  std::string native_finish_reason; ///< kFinish
  std::string id;                   ///< kStart: response id
  std::string model;                ///< kStart
  Status error;                     ///< kError (in-band error)
  std::vector<TokenLogprob> logprobs;  ///< kTextDelta: the delta's tokens (may come with empty text)
  /// kReasoningDelta: the signature of the thinking block being streamed (with empty
  /// text; it closes the block), or a whole redacted block's data (`redacted`).
  std::string signature;
  std::string redacted;

  static StreamEvent TextDelta(std::string t) { StreamEvent e; e.kind = Kind::kTextDelta; e.text = std::move(t); return e; }
};
std::string_view stream_event_kind_name(StreamEvent::Kind k);

/// Assembles stream events into a ChatResponse: concatenates text (and the deltas'
/// logprobs) and reasoning (into reasoning blocks: a delta's text extends the last thinking
/// block until a signature closes it; a redacted delta is a block of its own), joins tool-call fragments by index (id/name from the first fragment), keeps
/// the last usage.
class StreamAccumulator {
 public:
  /// Returns an error if the event sequence is inconsistent (a tool-call fragment that
  /// changes a call's id or name).
  Status add(const StreamEvent& e);
  const ChatResponse& response() const { return response_; }
  ChatResponse take() && { return std::move(response_); }
  bool saw_finish() const { return saw_finish_; }
  const Delivered& delivered() const { return delivered_; }

 private:
  void add_reasoning(const StreamEvent& e);
  ChatResponse response_;
  std::vector<int64_t> index_to_slot_;  // wire index -> position in tool_calls
  bool saw_finish_ = false;
  Delivered delivered_;
};

}  // namespace ploke
