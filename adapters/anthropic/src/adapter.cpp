// AnthropicAdapter: response parsing, error mapping and the stream decoder. Request
// shaping lives in request.cpp, error mapping in errors.cpp.
#include "json_guard.h"
#include "ploke/adapters/anthropic/adapter.h"

#include <cmath>
#include <string>
#include <vector>

#include "internal.h"
#include "ploke/json/cursor.h"
#include "ploke/adapters/anthropic/errors.h"
#include "ploke/adapters/anthropic/server.h"
#include "ploke/adapters/sse.h"
#include "sse_stream_decoder.h"
#include "json_reader.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;

const json* find(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

using Reader = detail::JsonReader;

FinishReason map_stop_reason(std::string_view native) {
  if (native.empty()) return FinishReason::kUnknown;
  if (native == "end_turn" || native == "stop_sequence") return FinishReason::kStop;
  if (native == "max_tokens" || native == "model_context_window_exceeded") return FinishReason::kLength;
  if (native == "tool_use") return FinishReason::kToolCalls;
  if (native == "refusal") return FinishReason::kContentFilter;
  return FinishReason::kOther;  // pause_turn and anything new
}

/// Anthropic's raw counts; `input` excludes cached tokens.
struct RawUsage {
  uint64_t input = 0, output = 0, cache_read = 0, cache_creation = 0, cache_1h = 0;

  Usage normalized() const {
    Usage u;
    u.prompt_tokens = input + cache_read + cache_creation;
    u.completion_tokens = output;
    u.total_tokens = u.prompt_tokens + u.completion_tokens;
    u.cached_prompt_tokens = cache_read;
    u.cache_write_tokens = cache_creation;
    u.cache_write_1h_tokens = cache_1h < cache_creation ? cache_1h : cache_creation;
    return u;
  }
};

/// Reads the fields present in `u` into `raw` (absent/null fields keep their value).
bool read_usage(Reader& rd, const json& u, const std::string& path, RawUsage& raw) {
  if (!u.is_object()) return rd.fail(path, "expected object");
  const std::string p = path + ".";
  if (!(rd.opt_u64(u, "input_tokens", p, raw.input) && rd.opt_u64(u, "output_tokens", p, raw.output) &&
        rd.opt_u64(u, "cache_read_input_tokens", p, raw.cache_read) &&
        rd.opt_u64(u, "cache_creation_input_tokens", p, raw.cache_creation))) {
    return false;
  }
  // The TTL split: {"ephemeral_5m_input_tokens","ephemeral_1h_input_tokens"}; the 5-minute
  // part is the rest of cache_creation_input_tokens.
  const json* split = find(u, "cache_creation");
  if (split == nullptr || split->is_null()) return true;
  if (!split->is_object()) return rd.fail(p + "cache_creation", "expected object");
  return rd.opt_u64(*split, "ephemeral_1h_input_tokens", p + "cache_creation.", raw.cache_1h);
}

Status malformed(std::string_view what, const HttpResponse& r, const Endpoint& ep) {
  Status st = MalformedResponseError(std::string(ep.provider.empty() ? "anthropic" : ep.provider) + " response: " +
                                     std::string(what));
  st.with_provider(ep.provider).with_http_status(r.status).with_body_excerpt(r.body);
  return st;
}

std::string request_id_of(const Headers& h) {
  auto rid = h.get(kRequestIdHeader);
  return rid ? std::string(*rid) : std::string();
}

Result<ChatResponse> parse_body(const HttpResponse& r, const Endpoint& ep) {
  json doc;
  if (Status st = ploke::adapters::detail::check_json_input(r.body); !st.ok()) return malformed(st.message(), r, ep);
  try {
    doc = json::parse(r.body);
  } catch (const json::parse_error& e) {
    return malformed("invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what(), r, ep);
  }
  if (!doc.is_object()) return malformed("top-level value is not an object", r, ep);
  const json* type = find(doc, "type");
  if (type != nullptr && type->is_string() && type->get_ref<const std::string&>() == "error") {
    // A 2xx body carrying an error.
    Status st = map_anthropic_error(0, r.body, r.headers, ep.provider);
    st.with_http_status(r.status);
    return st;
  }
  Reader rd;
  ChatResponse out;
  out.provider = ep.provider;
  out.request_id = request_id_of(r.headers);
  if (!rd.opt_string(doc, "id", "", out.id) || !rd.opt_string(doc, "model", "", out.model) ||
      !rd.opt_string(doc, "stop_reason", "", out.native_finish_reason)) {
    return malformed(rd.problem, r, ep);
  }
  const json* content = find(doc, "content");
  if (content == nullptr) return malformed("content: missing", r, ep);
  if (!content->is_array()) return malformed("content: expected array", r, ep);
  for (size_t i = 0; i < content->size(); ++i) {
    const json& b = (*content)[i];
    const std::string p = "content[" + std::to_string(i) + "]";
    if (!b.is_object()) return malformed(p + ": expected object", r, ep);
    std::string btype;
    if (!rd.req_string(b, "type", p + ".", btype)) return malformed(rd.problem, r, ep);
    if (btype == "text") {
      std::string text;
      if (!rd.req_string(b, "text", p + ".", text)) return malformed(rd.problem, r, ep);
      out.content += text;
    } else if (btype == "tool_use") {
      ToolCall tc;
      if (!rd.req_string(b, "id", p + ".", tc.id) || !rd.req_string(b, "name", p + ".", tc.name)) {
        return malformed(rd.problem, r, ep);
      }
      const json* input = find(b, "input");
      if (input == nullptr) return malformed(p + ".input: missing", r, ep);
      tc.arguments_json = input->dump();
      out.tool_calls.push_back(std::move(tc));
    } else if (btype == "thinking") {
      ReasoningBlock rb;
      if (!rd.req_string(b, "thinking", p + ".", rb.text) || !rd.opt_string(b, "signature", p + ".", rb.signature)) {
        return malformed(rd.problem, r, ep);
      }
      out.reasoning += rb.text;
      out.reasoning_blocks.push_back(std::move(rb));
    } else if (btype == "redacted_thinking") {
      ReasoningBlock rb{ReasoningBlock::Kind::kRedacted, {}, {}, {}};
      if (!rd.req_string(b, "data", p + ".", rb.data)) return malformed(rd.problem, r, ep);
      out.reasoning_blocks.push_back(std::move(rb));
    }  // server tool blocks, …: not part of the normalized API
  }
  out.finish_reason = map_stop_reason(out.native_finish_reason);
  if (const json* u = find(doc, "usage"); u != nullptr && !u->is_null()) {
    RawUsage raw;
    if (!read_usage(rd, *u, "usage", raw)) return malformed(rd.problem, r, ep);
    out.usage = raw.normalized();
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Stream decoder

using ploke::json::JsonCursor;

class AnthropicStreamDecoder final : public detail::SseStreamDecoder {
 public:
  explicit AnthropicStreamDecoder(std::string provider)
      : SseStreamDecoder(std::move(provider), "anthropic stream decoder", "message_stop") {}

 private:
  enum class Block : uint8_t { kNone, kText, kToolUse, kThinking, kOther };
  struct BlockState {
    Block kind = Block::kNone;
    bool open = false;
    uint32_t tool_index = 0;
  };

  bool on_event(const SseEvent& e) override;
  bool fast_text_delta(std::string_view data);
  bool on_message_start(const json& doc, const SseEvent& e);
  bool on_block_start(const json& doc, const SseEvent& e);
  bool on_block_delta(const json& doc, const SseEvent& e);
  bool on_block_stop(const json& doc, const SseEvent& e);
  bool on_message_delta(const json& doc, const SseEvent& e);
  /// The `index` of a block event, checked against the blocks seen; null on error.
  BlockState* block_at(const json& doc, const SseEvent& e, bool must_be_open);

  bool fail_malformed(const SseEvent& e, const std::string& what) {
    error_ = MalformedResponseError("malformed SSE event '" + e.event + "' at stream byte " +
                                    std::to_string(e.stream_offset) + ": " + what);
    error_.with_provider(provider_).with_body_excerpt(e.data);
    return false;
  }
  bool require_started(const SseEvent& e) {
    if (started_) return true;
    return fail_malformed(e, "event before message_start");
  }
  void emit(StreamEvent&& ev) { out_->push_back(std::move(ev)); }
  void emit_reasoning(std::string text, std::string signature = {}, std::string redacted = {}) {
    StreamEvent ev;
    ev.kind = StreamEvent::Kind::kReasoningDelta;
    ev.text = std::move(text);
    ev.signature = std::move(signature);
    ev.redacted = std::move(redacted);
    emit(std::move(ev));
  }

  bool started_ = false;
  bool finish_sent_ = false;
  RawUsage usage_;
  std::vector<BlockState> blocks_;  // by wire index
  uint32_t tool_count_ = 0;
  std::string text_, type_;  // fast path buffers
};

bool AnthropicStreamDecoder::on_event(const SseEvent& e) {
  std::string_view name = e.event;
  if (name == "ping") return true;
  if (name == "content_block_delta" && started_ && fast_text_delta(e.data)) return true;
  json doc;
  if (Status st = ploke::adapters::detail::check_json_input(e.data); !st.ok()) return fail_malformed(e, "data " + st.message());
  try {
    doc = json::parse(e.data);
  } catch (const json::parse_error& pe) {
    return fail_malformed(e, "invalid JSON at data byte " + std::to_string(pe.byte) + ": " + pe.what());
  }
  if (!doc.is_object()) return fail_malformed(e, "data is not a JSON object");
  std::string type_field;
  if (const json* t = find(doc, "type"); t != nullptr && t->is_string()) type_field = t->get<std::string>();
  if (name.empty()) name = type_field;  // lenient: servers that omit `event:` lines
  if (name == "error") {
    error_ = map_anthropic_error(0, e.data, Headers{}, provider_);
    if (const json* err = find(doc, "error"); err == nullptr || err->is_null()) {
      error_ = ServerError("in-band error event without an error object").with_provider(provider_);
      error_.with_body_excerpt(e.data);
    }
    return false;
  }
  if (name == "message_start") return on_message_start(doc, e);
  if (name == "content_block_start") return on_block_start(doc, e);
  if (name == "content_block_delta") return on_block_delta(doc, e);
  if (name == "content_block_stop") return on_block_stop(doc, e);
  if (name == "message_delta") return on_message_delta(doc, e);
  if (name == "message_stop") {
    if (!require_started(e)) return false;
    terminated_ = true;
    return false;
  }
  if (name == "ping") return true;
  return true;  // unknown events are ignored, as the SDKs do
}

// Fast path for the most frequent event: {"type":"content_block_delta","index":N,
// "delta":{"type":"text_delta","text":"…"}} on an open text block. Anything else
// returns false and the DOM path handles (or reports) it.
bool AnthropicStreamDecoder::fast_text_delta(std::string_view data) {
  JsonCursor c(data);
  bool first = true;
  std::string_view key;
  uint64_t index = UINT64_MAX;
  bool text_delta = false;
  bool have_text = false;
  text_.clear();
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "type") {
      ok = c.read_string(type_) && type_ == "content_block_delta";
    } else if (key == "index") {
      ok = c.read_u64(index);
    } else if (key == "delta") {
      bool f2 = true;
      std::string_view k2;
      while (ok && c.next_member(f2, k2)) {
        if (k2 == "type") {
          ok = c.read_string(type_) && type_ == "text_delta";
          text_delta = ok;
        } else if (k2 == "text") {
          ok = c.next_kind() == '"' && c.read_string(text_);
          have_text = ok;
        } else {
          ok = c.skip_value();
        }
      }
      ok = ok && !c.failed();
    } else {
      ok = c.skip_value();
    }
    if (!ok) return false;
  }
  if (c.failed() || !c.at_end() || !text_delta || !have_text || index >= blocks_.size()) return false;
  const BlockState& b = blocks_[index];
  if (!b.open || b.kind != Block::kText) return false;
  if (!text_.empty()) emit(StreamEvent::TextDelta(text_));
  return true;
}

bool AnthropicStreamDecoder::on_message_start(const json& doc, const SseEvent& e) {
  if (started_) return fail_malformed(e, "second message_start");
  const json* msg = find(doc, "message");
  if (msg == nullptr) return fail_malformed(e, "message: missing");
  if (!msg->is_object()) return fail_malformed(e, "message: expected object");
  Reader rd;
  StreamEvent start;
  start.kind = StreamEvent::Kind::kStart;
  if (!rd.opt_string(*msg, "id", "message.", start.id) || !rd.opt_string(*msg, "model", "message.", start.model)) {
    return fail_malformed(e, rd.problem);
  }
  if (const json* u = find(*msg, "usage"); u != nullptr && !u->is_null()) {
    if (!read_usage(rd, *u, "message.usage", usage_)) return fail_malformed(e, rd.problem);
  }
  started_ = true;
  emit(std::move(start));
  if (usage_.input + usage_.cache_read + usage_.cache_creation > 0) {  // the prompt's counts and cache split, early
    StreamEvent u;
    u.kind = StreamEvent::Kind::kUsage;
    u.usage = usage_.normalized();
    emit(std::move(u));
  }
  return true;
}

AnthropicStreamDecoder::BlockState* AnthropicStreamDecoder::block_at(const json& doc, const SseEvent& e,
                                                                     bool must_be_open) {
  const json* idx = find(doc, "index");
  if (idx == nullptr) { fail_malformed(e, "index: missing"); return nullptr; }
  if (!idx->is_number_integer() || idx->get<int64_t>() < 0 || idx->get<int64_t>() > 1'000'000) {
    fail_malformed(e, "index: expected a non-negative integer");
    return nullptr;
  }
  const auto i = static_cast<size_t>(idx->get<int64_t>());
  if (i >= blocks_.size() || blocks_[i].kind == Block::kNone) {
    fail_malformed(e, "index " + std::to_string(i) + ": no content_block_start for this block");
    return nullptr;
  }
  if (must_be_open && !blocks_[i].open) {
    fail_malformed(e, "index " + std::to_string(i) + ": block already stopped");
    return nullptr;
  }
  return &blocks_[i];
}

bool AnthropicStreamDecoder::on_block_start(const json& doc, const SseEvent& e) {
  if (!require_started(e)) return false;
  const json* idx = find(doc, "index");
  if (idx == nullptr) return fail_malformed(e, "index: missing");
  if (!idx->is_number_integer() || idx->get<int64_t>() < 0 || idx->get<int64_t>() > 1'000'000) {
    return fail_malformed(e, "index: expected a non-negative integer");
  }
  const auto i = static_cast<size_t>(idx->get<int64_t>());
  if (i < blocks_.size() && blocks_[i].kind != Block::kNone) {
    return fail_malformed(e, "index " + std::to_string(i) + ": block started twice");
  }
  const json* cb = find(doc, "content_block");
  if (cb == nullptr) return fail_malformed(e, "content_block: missing");
  if (!cb->is_object()) return fail_malformed(e, "content_block: expected object");
  Reader rd;
  std::string type;
  if (!rd.req_string(*cb, "type", "content_block.", type)) return fail_malformed(e, rd.problem);
  if (blocks_.size() <= i) blocks_.resize(i + 1);
  BlockState& b = blocks_[i];
  b.open = true;
  if (type == "text") {
    b.kind = Block::kText;
    std::string text;
    if (!rd.opt_string(*cb, "text", "content_block.", text)) return fail_malformed(e, rd.problem);
    if (!text.empty()) emit(StreamEvent::TextDelta(std::move(text)));
  } else if (type == "tool_use") {
    b.kind = Block::kToolUse;
    b.tool_index = tool_count_++;
    StreamEvent ev;
    ev.kind = StreamEvent::Kind::kToolCallDelta;
    ev.tool_index = b.tool_index;
    if (!rd.req_string(*cb, "id", "content_block.", ev.tool_call_id) ||
        !rd.req_string(*cb, "name", "content_block.", ev.tool_name)) {
      return fail_malformed(e, rd.problem);
    }
    // The API sends input {} and streams the JSON as input_json_delta; a server that
    // puts the whole input here is taken at its word.
    if (const json* in = find(*cb, "input"); in != nullptr && !in->is_null() && !(in->is_object() && in->empty())) {
      ev.arguments_fragment = in->dump();
    }
    emit(std::move(ev));
  } else if (type == "thinking") {
    b.kind = Block::kThinking;
    std::string thinking, signature;
    if (!rd.opt_string(*cb, "thinking", "content_block.", thinking) ||
        !rd.opt_string(*cb, "signature", "content_block.", signature)) {
      return fail_malformed(e, rd.problem);
    }
    if (!thinking.empty() || !signature.empty()) emit_reasoning(std::move(thinking), std::move(signature));
  } else if (type == "redacted_thinking") {
    b.kind = Block::kOther;
    std::string data;
    if (!rd.req_string(*cb, "data", "content_block.", data)) return fail_malformed(e, rd.problem);
    emit_reasoning({}, {}, std::move(data));
  } else {
    b.kind = Block::kOther;  // server tools, …
  }
  return true;
}

bool AnthropicStreamDecoder::on_block_delta(const json& doc, const SseEvent& e) {
  if (!require_started(e)) return false;
  BlockState* b = block_at(doc, e, true);
  if (b == nullptr) return false;
  const json* d = find(doc, "delta");
  if (d == nullptr) return fail_malformed(e, "delta: missing");
  if (!d->is_object()) return fail_malformed(e, "delta: expected object");
  Reader rd;
  std::string type;
  if (!rd.req_string(*d, "type", "delta.", type)) return fail_malformed(e, rd.problem);
  if (type == "text_delta") {
    if (b->kind != Block::kText) return fail_malformed(e, "delta.type: text_delta on a non-text block");
    std::string text;
    if (!rd.req_string(*d, "text", "delta.", text)) return fail_malformed(e, rd.problem);
    if (!text.empty()) emit(StreamEvent::TextDelta(std::move(text)));
  } else if (type == "input_json_delta") {
    if (b->kind != Block::kToolUse) return fail_malformed(e, "delta.type: input_json_delta on a non-tool_use block");
    StreamEvent ev;
    ev.kind = StreamEvent::Kind::kToolCallDelta;
    ev.tool_index = b->tool_index;
    if (!rd.req_string(*d, "partial_json", "delta.", ev.arguments_fragment)) return fail_malformed(e, rd.problem);
    if (!ev.arguments_fragment.empty()) emit(std::move(ev));
  } else if (type == "thinking_delta") {
    if (b->kind != Block::kThinking) return fail_malformed(e, "delta.type: thinking_delta on a non-thinking block");
    std::string thinking;
    if (!rd.req_string(*d, "thinking", "delta.", thinking)) return fail_malformed(e, rd.problem);
    if (!thinking.empty()) emit_reasoning(std::move(thinking));
  } else if (type == "signature_delta") {
    if (b->kind != Block::kThinking) return fail_malformed(e, "delta.type: signature_delta on a non-thinking block");
    std::string signature;
    if (!rd.req_string(*d, "signature", "delta.", signature)) return fail_malformed(e, rd.problem);
    if (!signature.empty()) emit_reasoning({}, std::move(signature));
  }  // citations_delta, …: skipped
  return true;
}

bool AnthropicStreamDecoder::on_block_stop(const json& doc, const SseEvent& e) {
  if (!require_started(e)) return false;
  BlockState* b = block_at(doc, e, true);
  if (b == nullptr) return false;
  b->open = false;
  return true;
}

bool AnthropicStreamDecoder::on_message_delta(const json& doc, const SseEvent& e) {
  if (!require_started(e)) return false;
  Reader rd;
  if (const json* d = find(doc, "delta"); d != nullptr && !d->is_null()) {
    if (!d->is_object()) return fail_malformed(e, "delta: expected object");
    std::string reason;
    if (!rd.opt_string(*d, "stop_reason", "delta.", reason)) return fail_malformed(e, rd.problem);
    if (!reason.empty() && !finish_sent_) {
      finish_sent_ = true;
      StreamEvent fin;
      fin.kind = StreamEvent::Kind::kFinish;
      fin.finish_reason = map_stop_reason(reason);
      fin.native_finish_reason = std::move(reason);
      emit(std::move(fin));
    }
  }
  if (const json* u = find(doc, "usage"); u != nullptr && !u->is_null()) {
    if (!read_usage(rd, *u, "usage", usage_)) return fail_malformed(e, rd.problem);
    StreamEvent ev;
    ev.kind = StreamEvent::Kind::kUsage;
    ev.usage = usage_.normalized();
    emit(std::move(ev));
  }
  return true;
}

}  // namespace

Result<ChatResponse> AnthropicAdapter::parse_response(const HttpResponse& response, const Endpoint& endpoint) const {
  try {
    if (response.status < 200 || response.status >= 300) return map_error(response, endpoint);
    return parse_body(response, endpoint);
  } catch (const std::exception& e) {
    return malformed(std::string("unexpected: ") + e.what(), response, endpoint);
  }
}

Status AnthropicAdapter::map_error(const HttpResponse& response, const Endpoint& endpoint) const {
  try {
    return map_anthropic_error(response.status, response.body, response.headers, endpoint.provider);
  } catch (const std::exception& e) {
    return InternalError(std::string("anthropic map_error: ") + e.what());
  }
}

std::unique_ptr<StreamDecoder> AnthropicAdapter::new_stream_decoder(const Endpoint& endpoint) const {
  return std::make_unique<AnthropicStreamDecoder>(endpoint.provider);
}

ProviderAdapterPtr make_anthropic_adapter() { return std::make_unique<AnthropicAdapter>(); }

std::span<const std::string_view> AnthropicAdapter::request_id_headers() const {
  static constexpr std::string_view kHeaders[] = {kRequestIdHeader};
  return kHeaders;
}

}  // namespace ploke::adapters::anthropic
