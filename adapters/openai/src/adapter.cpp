// OpenAiAdapter: response parsing, error mapping and the stream decoder. Request shaping
// lives in openai_request.cpp.
#include "json_guard.h"
#include "ploke/adapters/openai/adapter.h"

#include <cmath>
#include <string>

#include "ploke/json/cursor.h"
#include "internal.h"
#include "logprobs.h"
#include "reasoning.h"
#include "ploke/adapters/openai/errors.h"
#include "ploke/adapters/sse.h"
#include "sse_stream_decoder.h"
#include "json_reader.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;

using Reader = detail::JsonReader;

FinishReason map_finish_reason(std::string_view native) {
  if (native.empty()) return FinishReason::kUnknown;
  if (native == "stop") return FinishReason::kStop;
  if (native == "length") return FinishReason::kLength;
  if (native == "tool_calls" || native == "function_call") return FinishReason::kToolCalls;
  if (native == "content_filter") return FinishReason::kContentFilter;
  if (native == "error") return FinishReason::kError;
  return FinishReason::kOther;
}

bool read_usage(Reader& rd, const json& u, const std::string& path, Usage& out) {
  if (!u.is_object()) return rd.fail(path, "expected object");
  const std::string p = path + ".";
  if (!rd.opt_u64(u, "prompt_tokens", p, out.prompt_tokens) ||
      !rd.opt_u64(u, "completion_tokens", p, out.completion_tokens) ||
      !rd.opt_u64(u, "total_tokens", p, out.total_tokens)) {
    return false;
  }
  if (const json* d = Reader::find(u, "prompt_tokens_details"); d != nullptr && d->is_object()) {
    if (!rd.opt_u64(*d, "cached_tokens", p + "prompt_tokens_details.", out.cached_prompt_tokens) ||
        !rd.opt_u64(*d, "cache_write_tokens", p + "prompt_tokens_details.", out.cache_write_tokens)) {
      return false;
    }
  }
  if (const json* d = Reader::find(u, "completion_tokens_details"); d != nullptr && d->is_object()) {
    if (!rd.opt_u64(*d, "reasoning_tokens", p + "completion_tokens_details.", out.reasoning_tokens)) return false;
  }
  if (const json* c = Reader::find(u, "cost"); c != nullptr && c->is_number()) {
    out.reported_cost_usd = c->get<double>();
  }
  if (out.total_tokens == 0) out.total_tokens = out.prompt_tokens + out.completion_tokens;
  return true;
}

/// `content` is a string, null, or (some compatible servers) an array of text parts.
bool read_content(Reader& rd, const json& msg, const std::string& path, std::string& out) {
  const json* c = Reader::find(msg, "content");
  if (c == nullptr || c->is_null()) return true;
  if (c->is_string()) { out = c->get_ref<const std::string&>(); return true; }
  if (!c->is_array()) return rd.fail(path + "content", "expected string, array or null");
  for (size_t i = 0; i < c->size(); ++i) {
    const json& part = (*c)[i];
    if (!part.is_object()) return rd.fail(path + "content[" + std::to_string(i) + "]", "expected object");
    if (const json* t = Reader::find(part, "text"); t != nullptr && t->is_string()) out += t->get_ref<const std::string&>();
  }
  return true;
}

bool read_tool_calls(Reader& rd, const json& msg, const std::string& path, std::vector<ToolCall>& out) {
  const json* tcs = Reader::find(msg, "tool_calls");
  if (tcs == nullptr || tcs->is_null()) return true;
  if (!tcs->is_array()) return rd.fail(path + "tool_calls", "expected array");
  out.reserve(tcs->size());
  for (size_t i = 0; i < tcs->size(); ++i) {
    const json& tc = (*tcs)[i];
    const std::string p = path + "tool_calls[" + std::to_string(i) + "]";
    if (!tc.is_object()) return rd.fail(p, "expected object");
    ToolCall call;
    if (!rd.opt_string(tc, "id", p + ".", call.id)) return false;
    const json* fn = Reader::find(tc, "function");
    if (fn == nullptr || !fn->is_object()) return rd.fail(p + ".function", fn == nullptr ? "missing" : "expected object");
    const json* name = Reader::find(*fn, "name");
    if (name == nullptr || !name->is_string()) {
      return rd.fail(p + ".function.name", name == nullptr ? "missing" : "expected string");
    }
    call.name = name->get_ref<const std::string&>();
    if (const json* args = Reader::find(*fn, "arguments"); args != nullptr && !args->is_null()) {
      call.arguments_json = args->is_string() ? args->get_ref<const std::string&>() : args->dump();
    }
    out.push_back(std::move(call));
  }
  return true;
}

Status in_band_error(const json& error, std::string_view raw, const Headers& headers, const Endpoint& ep,
                     int http_status) {
  const openai::ErrorFields f = openai::extract_error_fields(error);
  Status st = openai::make_error_status(0, &f, raw, headers, ep.provider);
  st.with_http_status(http_status);
  return st;
}

Status malformed(std::string_view what, const HttpResponse& r, const Endpoint& ep) {
  Status st = MalformedResponseError(std::string(ep.provider.empty() ? "openai" : ep.provider) + " response: " +
                                     std::string(what));
  st.with_provider(ep.provider).with_http_status(r.status).with_body_excerpt(r.body);
  return st;
}

Result<ChatResponse> parse_body_slow(const HttpResponse& r, const Endpoint& ep) {
  PLOKE_ASSIGN_OR_RETURN(json doc, openai_body_object(r, ep));
  Reader rd;
  ChatResponse out;
  out.provider = ep.provider;
  if (auto rid = r.headers.get(kRequestIdHeader)) out.request_id = std::string(*rid);
  if (!rd.opt_string(doc, "id", "", out.id) || !rd.opt_string(doc, "model", "", out.model)) {
    return malformed(rd.problem, r, ep);
  }
  const json* choices = Reader::find(doc, "choices");
  if (choices == nullptr) return malformed("choices: missing", r, ep);
  if (!choices->is_array()) return malformed("choices: expected array", r, ep);
  if (choices->empty()) return malformed("choices: empty array", r, ep);
  const json& choice = (*choices)[0];
  if (!choice.is_object()) return malformed("choices[0]: expected object", r, ep);
  if (const json* err = Reader::find(choice, "error"); err != nullptr && openai::truthy(*err)) {
    return in_band_error(*err, r.body, r.headers, ep, r.status);
  }
  const json* msg = Reader::find(choice, "message");
  if (msg == nullptr) return malformed("choices[0].message: missing", r, ep);
  if (!msg->is_object()) return malformed("choices[0].message: expected object", r, ep);
  const std::string mp = "choices[0].message.";
  std::string reasoning;
  std::vector<ReasoningBlock> details;
  if (!read_content(rd, *msg, mp, out.content) || !reasoning::read_text(rd, *msg, mp, reasoning) ||
      !reasoning::read_details(rd, *msg, mp, details) || !rd.opt_string(*msg, "refusal", mp, out.refusal) ||
      !read_tool_calls(rd, *msg, mp, out.tool_calls) ||
      !rd.opt_string(choice, "finish_reason", "choices[0].", out.native_finish_reason) ||
      !logprobs::read_choice(choice, "choices[0]", out.logprobs, rd.problem)) {
    return malformed(rd.problem, r, ep);
  }
  reasoning::set(out, std::move(reasoning), std::move(details));
  out.finish_reason = map_finish_reason(out.native_finish_reason);
  if (const json* u = Reader::find(doc, "usage"); u != nullptr && !u->is_null()) {
    Usage usage;
    if (!read_usage(rd, *u, "usage", usage)) return malformed(rd.problem, r, ep);
    out.usage = usage;
  }
  return out;
}


// ---------------------------------------------------------------------------------------
// Fast path: a single pass with JsonCursor over an ordinary completion body. Any surprise
// (a type we would have to report, an `error` member, array content, …) returns false and
// the nlohmann-based parse_body_slow() produces the result or the precise error.

using ploke::json::JsonCursor;

bool fast_u64_or_null(JsonCursor& c, uint64_t& v) { return c.consume_null() || c.read_u64(v); }

// Repeated members: the DOM path keeps the last one. A repeated scalar is overwritten here
// too, but a repeated object or array the fast path reads into (choices, message, function,
// token details, delta, tool_calls) would be merged, so its second occurrence declines the
// fast path (JsonCursor::once, one bit per such member of an object) and the DOM decides.

bool fast_details(JsonCursor& c, const char* k1, uint64_t& v1, const char* k2, uint64_t* v2) {
  if (c.next_kind() != '{') return c.skip_value();
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    if (key == k1) {
      if (!fast_u64_or_null(c, v1)) return false;
    } else if (v2 != nullptr && key == k2) {
      if (!fast_u64_or_null(c, *v2)) return false;
    } else if (!c.skip_value()) {
      return false;
    }
  }
  return !c.failed();
}

bool fast_usage(JsonCursor& c, Usage& u) {
  bool first = true;
  std::string_view key;
  uint64_t seen = 0;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "prompt_tokens") ok = fast_u64_or_null(c, u.prompt_tokens);
    else if (key == "completion_tokens") ok = fast_u64_or_null(c, u.completion_tokens);
    else if (key == "total_tokens") ok = fast_u64_or_null(c, u.total_tokens);
    else if (key == "prompt_tokens_details") {
      ok = c.once(seen, 0) && fast_details(c, "cached_tokens", u.cached_prompt_tokens, "cache_write_tokens", &u.cache_write_tokens);
    } else if (key == "completion_tokens_details") {
      ok = c.once(seen, 1) && fast_details(c, "reasoning_tokens", u.reasoning_tokens, "", nullptr);
    } else if (key == "cost") {
      const char k = c.next_kind();
      if (k == '-' || (k >= '0' && k <= '9')) {
        double d = 0;
        ok = c.read_double(d);
        u.reported_cost_usd = d;
      } else {
        ok = c.skip_value();
      }
    } else {
      ok = c.skip_value();
    }
    if (!ok) return false;
  }
  if (c.failed()) return false;
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return true;
}

bool fast_tool_calls(JsonCursor& c, std::vector<ToolCall>& out) {
  out.clear();
  if (c.consume_null()) return true;
  bool first = true;
  while (c.next_element(first)) {
    ToolCall tc;
    bool have_name = false;
    bool f1 = true;
    std::string_view key;
    uint64_t seen = 0;
    while (c.next_member(f1, key)) {
      if (key == "id") {
        if (!c.read_string_or_null(tc.id)) return false;
      } else if (key == "function") {
        if (!c.once(seen, 0)) return false;
        bool f2 = true;
        std::string_view k2;
        while (c.next_member(f2, k2)) {
          if (k2 == "name") {
            if (c.next_kind() != '"' || !c.read_string(tc.name)) return false;
            have_name = true;
          } else if (k2 == "arguments") {
            if (!c.read_string_or_null(tc.arguments_json)) return false;  // object → slow path
          } else if (!c.skip_value()) {
            return false;
          }
        }
        if (c.failed()) return false;
      } else if (!c.skip_value()) {
        return false;
      }
    }
    if (c.failed() || !have_name) return false;
    out.push_back(std::move(tc));
  }
  return !c.failed();
}

bool is_reasoning_key(std::string_view key) { return key == "reasoning" || key == "reasoning_content"; }

bool fast_message(JsonCursor& c, ChatResponse& out) {
  bool first = true;
  std::string_view key;
  std::string reasoning, reasoning_content;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "content") ok = c.read_string_or_null(out.content);  // array content → slow path
    else if (key == "refusal") ok = c.read_string_or_null(out.refusal);
    else if (key == "tool_calls") ok = fast_tool_calls(c, out.tool_calls);
    else if (is_reasoning_key(key)) ok = c.read_string_or_null(key == "reasoning" ? reasoning : reasoning_content);
    else if (key == "reasoning_details") ok = c.consume_null();  // entries → the DOM path
    else ok = c.skip_value();
    if (!ok) return false;
  }
  reasoning::set(out, reasoning_content.empty() ? std::move(reasoning) : std::move(reasoning_content));
  return !c.failed();
}

bool fast_choice(JsonCursor& c, ChatResponse& out) {
  bool first = true;
  bool have_message = false;
  std::string_view key;
  uint64_t seen = 0;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "message") {
      ok = c.once(seen, 0) && fast_message(c, out);
      have_message = true;
    } else if (key == "finish_reason") {
      ok = c.read_string_or_null(out.native_finish_reason);
    } else if (key == "error" || key == "logprobs") {  // logprobs content → the DOM path
      ok = c.consume_null();
    } else {
      ok = c.skip_value();
    }
    if (!ok) return false;
  }
  return !c.failed() && have_message;
}

bool fast_parse(std::string_view body, ChatResponse& out) {
  JsonCursor c(body);
  bool first = true;
  bool have_choice = false;
  std::string_view key;
  uint64_t seen = 0;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "id") ok = c.read_string_or_null(out.id);
    else if (key == "model") ok = c.read_string_or_null(out.model);
    else if (key == "error") ok = c.consume_null();
    else if (key == "usage") {
      if (c.consume_null()) {
        out.usage.reset();
      } else {
        Usage u;
        ok = fast_usage(c, u);
        out.usage = u;
      }
    } else if (key == "choices") {
      bool f = true;
      size_t i = 0;
      ok = c.once(seen, 0);
      while (ok && c.next_element(f)) {
        if (i++ == 0) {
          ok = fast_choice(c, out);
          have_choice = ok;
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
  return !c.failed() && c.at_end() && have_choice;
}

Result<ChatResponse> parse_body(const HttpResponse& r, const Endpoint& ep, bool fast) {
  if (fast) {
    ChatResponse out;
    if (fast_parse(r.body, out)) {
      out.provider = ep.provider;
      if (auto rid = r.headers.get(kRequestIdHeader)) out.request_id = std::string(*rid);
      out.finish_reason = map_finish_reason(out.native_finish_reason);
      return out;
    }
  }
  return parse_body_slow(r, ep);
}

// ---------------------------------------------------------------------------------------
// Stream decoder

class OpenAiStreamDecoder final : public detail::SseStreamDecoder {
 public:
  OpenAiStreamDecoder(std::string provider, bool fast)
      : SseStreamDecoder(std::move(provider), "openai stream decoder", "[DONE]"), fast_(fast) {}

 private:
  bool on_event(const SseEvent& e) override;
  bool fast_chunk(std::string_view data);
  bool fast_choice(JsonCursor& c, bool& finish_sent);
  bool fast_delta(JsonCursor& c, std::string& text, size_t& tools);
  bool on_chunk(const json& doc, const SseEvent& e);
  bool on_tool_calls(const json& tcs, const std::string& path, const SseEvent& e);
  bool on_reasoning(const json& delta, const std::string& path, const SseEvent& e);
  bool fail_malformed(const SseEvent& e, const std::string& what) {
    error_ = MalformedResponseError("malformed SSE event at stream byte " + std::to_string(e.stream_offset) + ": " +
                                    what);
    error_.with_provider(provider_).with_body_excerpt(e.data);
    return false;
  }
  void emit(StreamEvent&& ev) { out_->push_back(std::move(ev)); }

  bool fast_ = true;
  std::vector<StreamEvent> scratch_;  // fast path: events of the chunk being decoded
  std::string id_, model_, text_;     // fast path: reused buffers
  std::string reasoning_;             // fast path: the delta's reasoning text
  bool started_ = false;
  bool finish_sent_ = false;
};

bool OpenAiStreamDecoder::on_event(const SseEvent& e) {
  if (e.data == "[DONE]") {
    terminated_ = true;
    return false;
  }
  if (e.event == "error") {
    error_ = map_openai_error(0, e.data, Headers{}, provider_);
    return false;
  }
  if (fast_ && fast_chunk(e.data)) return true;
  json doc;
  if (Status st = ploke::adapters::detail::check_json_input(e.data); !st.ok()) return fail_malformed(e, "data " + st.message());
  try {
    doc = json::parse(e.data);
  } catch (const json::parse_error& pe) {
    return fail_malformed(e, "invalid JSON at data byte " + std::to_string(pe.byte) + ": " + pe.what());
  }
  if (!doc.is_object()) return fail_malformed(e, "data is not a JSON object");
  if (const json* err = Reader::find(doc, "error"); err != nullptr && openai::truthy(*err)) {
    const openai::ErrorFields f = openai::extract_error_fields(*err);
    error_ = openai::make_error_status(0, &f, e.data, Headers{}, provider_);
    return false;
  }
  return on_chunk(doc, e);
}

// Fast path for an ordinary chunk: decodes into scratch_ and emits only on success, in the
// same order as on_chunk() (start, per choice: text, tool fragments, finish; then usage).
// Anything unusual (an error member, a type on_chunk() would reject, …) returns false and
// the nlohmann path decodes the chunk from scratch.
bool OpenAiStreamDecoder::fast_chunk(std::string_view data) {
  JsonCursor c(data);
  scratch_.clear();
  id_.clear();
  model_.clear();
  bool finish_sent = finish_sent_;
  bool have_usage = false;
  Usage usage;
  bool first = true;
  std::string_view key;
  uint64_t seen = 0;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "id") {
      ok = c.read_string_or_null(id_);
    } else if (key == "model") {
      ok = c.read_string_or_null(model_);
    } else if (key == "error") {
      ok = c.consume_null();
    } else if (key == "usage") {
      have_usage = false;
      if (!c.consume_null()) {
        usage = Usage{};
        ok = fast_usage(c, usage);
        have_usage = ok;
      }
    } else if (key == "choices") {
      ok = c.once(seen, 0);
      if (ok && !c.consume_null()) {
        bool f = true;
        while (ok && c.next_element(f)) ok = fast_choice(c, finish_sent);
        ok = ok && !c.failed();
      }
    } else {
      ok = c.skip_value();
    }
    if (!ok) return false;
  }
  if (c.failed() || !c.at_end()) return false;
  if (!started_) {
    StreamEvent start;
    start.kind = StreamEvent::Kind::kStart;
    start.id = id_;
    start.model = model_;
    started_ = true;
    emit(std::move(start));
  }
  for (StreamEvent& ev : scratch_) emit(std::move(ev));
  scratch_.clear();
  finish_sent_ = finish_sent;
  if (have_usage) {
    StreamEvent ev;
    ev.kind = StreamEvent::Kind::kUsage;
    ev.usage = usage;
    emit(std::move(ev));
  }
  return true;
}

bool OpenAiStreamDecoder::fast_choice(JsonCursor& c, bool& finish_sent) {
  const size_t mark = scratch_.size();
  uint64_t index = 0;
  text_.clear();
  reasoning_.clear();
  size_t tools = 0;
  std::string reason;
  bool first = true;
  std::string_view key;
  uint64_t seen = 0;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "index") ok = c.read_u64(index);
    else if (key == "error" || key == "logprobs") ok = c.consume_null();  // logprobs content → the DOM path
    else if (key == "finish_reason") ok = c.read_string_or_null(reason);
    else if (key == "delta") ok = c.once(seen, 0) && (c.consume_null() || fast_delta(c, text_, tools));
    else ok = c.skip_value();
    if (!ok) return false;
  }
  if (c.failed()) return false;
  if (index != 0) {  // only choice 0 is decoded (as in on_chunk)
    scratch_.resize(mark);
    return true;
  }
  if (!text_.empty()) {
    // Text goes before this choice's tool fragments.
    scratch_.insert(scratch_.begin() + static_cast<ptrdiff_t>(mark), StreamEvent::TextDelta(text_));
  }
  if (!reasoning_.empty()) {  // reasoning goes before the text
    StreamEvent r;
    r.kind = StreamEvent::Kind::kReasoningDelta;
    r.text = reasoning_;
    scratch_.insert(scratch_.begin() + static_cast<ptrdiff_t>(mark), std::move(r));
  }
  if (!reason.empty() && !finish_sent) {
    finish_sent = true;
    StreamEvent fin;
    fin.kind = StreamEvent::Kind::kFinish;
    fin.finish_reason = map_finish_reason(reason);
    fin.native_finish_reason = std::move(reason);
    scratch_.push_back(std::move(fin));
  }
  return true;
}

bool OpenAiStreamDecoder::fast_delta(JsonCursor& c, std::string& text, size_t& tools) {
  bool first = true;
  std::string_view key;
  uint64_t seen = 0;
  while (c.next_member(first, key)) {
    if (key == "content") {
      if (!c.read_string_or_null(text)) return false;
      continue;
    }
    if (key == "reasoning_details") {  // entries (signatures, encrypted data) → the DOM path
      if (!c.consume_null()) return false;
      continue;
    }
    if (is_reasoning_key(key)) {  // both in one delta: reasoning_content wins (as in on_chunk)
      std::string piece;
      if (!c.read_string_or_null(piece)) return false;
      if (!piece.empty() && (key == "reasoning_content" || reasoning_.empty())) reasoning_ = std::move(piece);
      continue;
    }
    if (key != "tool_calls") {
      if (!c.skip_value()) return false;
      continue;
    }
    if (!c.once(seen, 0)) return false;
    if (c.consume_null()) continue;
    bool f = true;
    for (uint32_t i = 0; c.next_element(f); ++i) {
      StreamEvent ev;
      ev.kind = StreamEvent::Kind::kToolCallDelta;
      ev.tool_index = i;
      bool f1 = true;
      std::string_view k1;
      uint64_t seen1 = 0;
      while (c.next_member(f1, k1)) {
        bool ok = true;
        if (k1 == "index") {
          uint64_t idx = 0;
          ok = c.read_u64(idx) && idx <= 1'000'000;
          ev.tool_index = static_cast<uint32_t>(idx);
        } else if (k1 == "id") {
          ok = c.read_string_or_null(ev.tool_call_id);
        } else if (k1 == "function") {
          ok = c.once(seen1, 0);
          if (ok && !c.consume_null()) {
            bool f2 = true;
            std::string_view k2;
            while (ok && c.next_member(f2, k2)) {
              if (k2 == "name") ok = c.read_string_or_null(ev.tool_name);
              else if (k2 == "arguments") ok = c.read_string_or_null(ev.arguments_fragment);
              else ok = c.skip_value();
            }
            ok = ok && !c.failed();
          }
        } else {
          ok = c.skip_value();
        }
        if (!ok) return false;
      }
      if (c.failed()) return false;
      if (ev.tool_call_id.empty() && ev.tool_name.empty() && ev.arguments_fragment.empty()) continue;
      scratch_.push_back(std::move(ev));
      ++tools;
    }
    if (c.failed()) return false;
  }
  return !c.failed();
}

bool OpenAiStreamDecoder::on_chunk(const json& doc, const SseEvent& e) {
  Reader rd;
  if (!started_) {
    StreamEvent start;
    start.kind = StreamEvent::Kind::kStart;
    if (!rd.opt_string(doc, "id", "", start.id) || !rd.opt_string(doc, "model", "", start.model)) {
      return fail_malformed(e, rd.problem);
    }
    started_ = true;
    emit(std::move(start));
  }
  if (const json* choices = Reader::find(doc, "choices"); choices != nullptr && !choices->is_null()) {
    if (!choices->is_array()) return fail_malformed(e, "choices: expected array");
    for (size_t i = 0; i < choices->size(); ++i) {
      const json& c = (*choices)[i];
      const std::string cp = "choices[" + std::to_string(i) + "]";
      if (!c.is_object()) return fail_malformed(e, cp + ": expected object");
      if (const json* idx = Reader::find(c, "index"); idx != nullptr && idx->is_number() && idx->get<double>() != 0) {
        continue;  // n > 1 is not part of the normalized API: only choice 0 is decoded
      }
      if (const json* err = Reader::find(c, "error"); err != nullptr && openai::truthy(*err)) {
        const openai::ErrorFields f = openai::extract_error_fields(*err);
        error_ = openai::make_error_status(0, &f, e.data, Headers{}, provider_);
        return false;
      }
      if (const json* d = Reader::find(c, "delta"); d != nullptr && !d->is_null()) {
        if (!d->is_object()) return fail_malformed(e, cp + ".delta: expected object");
        if (!on_reasoning(*d, cp + ".delta.", e)) return false;
        StreamEvent ev = StreamEvent::TextDelta({});
        if (!rd.opt_string(*d, "content", cp + ".delta.", ev.text) ||
            !logprobs::read_choice(c, cp, ev.logprobs, rd.problem)) {
          return fail_malformed(e, rd.problem);
        }
        if (!ev.text.empty() || !ev.logprobs.empty()) emit(std::move(ev));
        if (const json* tcs = Reader::find(*d, "tool_calls"); tcs != nullptr && !tcs->is_null()) {
          if (!on_tool_calls(*tcs, cp + ".delta.tool_calls", e)) return false;
        }
      }
      std::string reason;
      if (!rd.opt_string(c, "finish_reason", cp + ".", reason)) return fail_malformed(e, rd.problem);
      if (!reason.empty() && !finish_sent_) {
        finish_sent_ = true;
        StreamEvent fin;
        fin.kind = StreamEvent::Kind::kFinish;
        fin.finish_reason = map_finish_reason(reason);
        fin.native_finish_reason = std::move(reason);
        emit(std::move(fin));
      }
    }
  }
  if (const json* u = Reader::find(doc, "usage"); u != nullptr && !u->is_null()) {
    StreamEvent ev;
    ev.kind = StreamEvent::Kind::kUsage;
    if (!read_usage(rd, *u, "usage", ev.usage)) return fail_malformed(e, rd.problem);
    emit(std::move(ev));
  }
  return true;
}

// A delta's reasoning text (from `reasoning` / `reasoning_content`, else its details' text),
// then each detail's signature or encrypted data as their own reasoning events.
bool OpenAiStreamDecoder::on_reasoning(const json& delta, const std::string& path, const SseEvent& e) {
  Reader rd;
  StreamEvent text;
  text.kind = StreamEvent::Kind::kReasoningDelta;
  std::vector<ReasoningBlock> details;
  if (!reasoning::read_text(rd, delta, path, text.text) || !reasoning::read_details(rd, delta, path, details)) {
    return fail_malformed(e, rd.problem);
  }
  if (text.text.empty()) text.text = reasoning::text_of(details);
  if (!text.text.empty()) emit(std::move(text));
  for (ReasoningBlock& b : details) {
    StreamEvent mark;
    mark.kind = StreamEvent::Kind::kReasoningDelta;
    if (b.kind == ReasoningBlock::Kind::kRedacted) mark.redacted = std::move(b.data);
    else mark.signature = std::move(b.signature);
    if (!mark.redacted.empty() || !mark.signature.empty()) emit(std::move(mark));
  }
  return true;
}

bool OpenAiStreamDecoder::on_tool_calls(const json& tcs, const std::string& path, const SseEvent& e) {
  if (!tcs.is_array()) return fail_malformed(e, path + ": expected array");
  Reader rd;
  for (size_t i = 0; i < tcs.size(); ++i) {
    const json& tc = tcs[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!tc.is_object()) return fail_malformed(e, p + ": expected object");
    StreamEvent ev;
    ev.kind = StreamEvent::Kind::kToolCallDelta;
    ev.tool_index = static_cast<uint32_t>(i);
    if (const json* idx = Reader::find(tc, "index"); idx != nullptr) {
      if (!idx->is_number_integer() || idx->get<int64_t>() < 0 || idx->get<int64_t>() > 1'000'000) {
        return fail_malformed(e, p + ".index: expected a non-negative integer");
      }
      ev.tool_index = static_cast<uint32_t>(idx->get<int64_t>());
    }
    if (!rd.opt_string(tc, "id", p + ".", ev.tool_call_id)) return fail_malformed(e, rd.problem);
    if (const json* fn = Reader::find(tc, "function"); fn != nullptr && !fn->is_null()) {
      if (!fn->is_object()) return fail_malformed(e, p + ".function: expected object");
      if (!rd.opt_string(*fn, "name", p + ".function.", ev.tool_name) ||
          !rd.opt_string(*fn, "arguments", p + ".function.", ev.arguments_fragment)) {
        return fail_malformed(e, rd.problem);
      }
    }
    if (ev.tool_call_id.empty() && ev.tool_name.empty() && ev.arguments_fragment.empty()) continue;
    emit(std::move(ev));
  }
  return true;
}

}  // namespace

Status openai_malformed_body(std::string_view what, const HttpResponse& r, const Endpoint& ep) {
  return malformed(what, r, ep);
}

Result<nlohmann::json> openai_body_object(const HttpResponse& r, const Endpoint& ep) {
  if (Status st = ploke::adapters::detail::check_json_input(r.body); !st.ok()) return malformed(st.message(), r, ep);
  json doc;
  try {
    doc = json::parse(r.body);
  } catch (const json::parse_error& e) {
    return malformed("invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what(), r, ep);
  }
  if (!doc.is_object()) return malformed("top-level value is not an object", r, ep);
  if (const json* err = Reader::find(doc, "error"); err != nullptr && openai::truthy(*err)) {
    return in_band_error(*err, r.body, r.headers, ep, r.status);
  }
  return doc;
}

Result<ChatResponse> OpenAiAdapter::parse_response(const HttpResponse& response, const Endpoint& endpoint) const {
  try {
    if (response.status < 200 || response.status >= 300) return map_error(response, endpoint);
    return parse_body(response, endpoint, options_.fast_json);
  } catch (const std::exception& e) {
    return malformed(std::string("unexpected: ") + e.what(), response, endpoint);
  }
}

Status OpenAiAdapter::map_error(const HttpResponse& response, const Endpoint& endpoint) const {
  try {
    return map_openai_error(response.status, response.body, response.headers, endpoint.provider);
  } catch (const std::exception& e) {
    return InternalError(std::string("openai map_error: ") + e.what());
  }
}

std::unique_ptr<StreamDecoder> OpenAiAdapter::new_stream_decoder(const Endpoint& endpoint) const {
  return std::make_unique<OpenAiStreamDecoder>(endpoint.provider, options_.fast_json);
}

ProviderAdapterPtr make_openai_adapter() { return std::make_unique<OpenAiAdapter>(); }

ProviderAdapterPtr make_custom_openai_adapter() {
  OpenAiAdapter::Options o;
  o.name = "custom";
  o.effort_for_reasoning_models_only = false;  // local servers name their models as they like
  return std::make_unique<OpenAiAdapter>(std::move(o));
}

std::span<const std::string_view> OpenAiAdapter::request_id_headers() const {
  static constexpr std::string_view kHeaders[] = {kRequestIdHeader};
  return kHeaders;
}

}  // namespace ploke::adapters::openai
