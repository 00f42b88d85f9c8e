// OpenAiResponsesAdapter's stream decoder: typed Responses events → StreamEvents. Events are
// picked by their `event:` name; the deltas (nearly every event) are read in one JsonCursor
// pass, the rare whole-Response events (created, completed, incomplete) with nlohmann. See
// responses_adapter.h.
#include <nlohmann/json.hpp>

#include "json_guard.h"
#include "ploke/adapters/openai/errors.h"
#include "ploke/adapters/openai/responses_adapter.h"
#include "ploke/adapters/sse.h"
#include "ploke/json/cursor.h"
#include "responses_client.h"
#include "sse_stream_decoder.h"

namespace ploke::adapters::openai {
namespace {

using ploke::json::JsonCursor;

// The members of a delta event the decoder reads: output_index and delta (a text or
// argument delta), or the item of output_item.added.
struct DeltaFields {
  uint64_t output_index = 0;
  std::string delta;
  bool is_call = false;  ///< output_item.added: a function_call item
  std::string call_id, name;
};

bool read_item(JsonCursor& c, DeltaFields& f) {
  bool first = true;
  std::string_view key;
  std::string type;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "type") ok = c.read_string(type);
    else if (key == "call_id") ok = c.read_string(f.call_id);
    else if (key == "name") ok = c.read_string(f.name);
    else ok = c.skip_value();
    if (!ok) return false;
  }
  f.is_call = type == "function_call";
  return !c.failed();
}

bool read_delta_event(std::string_view data, DeltaFields& f) {
  JsonCursor c(data);
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    bool ok = true;
    if (key == "output_index") ok = c.read_u64(f.output_index);
    else if (key == "delta") ok = c.read_string(f.delta);
    else if (key == "item") ok = read_item(c, f);
    else ok = c.skip_value();
    if (!ok) return false;
  }
  return !c.failed() && c.at_end();
}

// What the decoder reads of a Response carried by a lifecycle event: the rest (the output
// items, the echoed request) repeats what the deltas carried and is skipped.
struct ResponseHead {
  std::string id, model, status;
  bool has_usage = false;
  Usage usage;
};

bool read_counts(JsonCursor& c, const char* key, uint64_t& v) {
  bool first = true;
  std::string_view k;
  while (c.next_member(first, k)) {
    if (!(k == key ? c.read_u64(v) : c.skip_value())) return false;
  }
  return !c.failed();
}

bool read_usage(JsonCursor& c, Usage& u) {
  bool first = true;
  std::string_view k;
  while (c.next_member(first, k)) {
    bool ok = true;
    if (k == "input_tokens") ok = c.read_u64(u.prompt_tokens);
    else if (k == "output_tokens") ok = c.read_u64(u.completion_tokens);
    else if (k == "total_tokens") ok = c.read_u64(u.total_tokens);
    else if (k == "input_tokens_details") ok = read_counts(c, "cached_tokens", u.cached_prompt_tokens);
    else if (k == "output_tokens_details") ok = read_counts(c, "reasoning_tokens", u.reasoning_tokens);
    else ok = c.skip_value();
    if (!ok) return false;
  }
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return !c.failed();
}

bool read_response_head(JsonCursor& c, ResponseHead& h) {
  bool first = true;
  std::string_view k;
  while (c.next_member(first, k)) {
    bool ok = true;
    if (k == "id") ok = c.read_string(h.id);
    else if (k == "model") ok = c.read_string(h.model);
    else if (k == "status") ok = c.read_string(h.status);
    else if (k == "usage" && !c.consume_null()) ok = h.has_usage = read_usage(c, h.usage);
    else if (k == "error") ok = c.consume_null();  // a failed Response: the DOM reads its error
    else if (k != "usage") ok = c.skip_value();
    if (!ok) return false;
  }
  return !c.failed();
}

// {"type":…,"sequence_number":…,"response":{…}}: false when unusual (the DOM path decides).
bool read_lifecycle_event(std::string_view data, ResponseHead& h) {
  JsonCursor c(data);
  bool first = true;
  std::string_view k;
  bool saw = false;
  while (c.next_member(first, k)) {
    bool ok = true;
    if (k == "response") ok = saw = read_response_head(c, h);
    else ok = c.skip_value();
    if (!ok) return false;
  }
  return saw && !c.failed() && c.at_end() && h.status != "failed";
}

class ResponsesStreamDecoder final : public detail::SseStreamDecoder {
 public:
  explicit ResponsesStreamDecoder(std::string provider)
      : SseStreamDecoder(std::move(provider), "openai-responses stream decoder", "response.completed") {}

 private:
  bool on_event(const SseEvent& e) override;
  bool on_delta(const SseEvent& e);
  bool on_response(const SseEvent& e, bool final_event);
  bool malformed(const SseEvent& e, const std::string& what) {
    error_ = MalformedResponseError("malformed Responses event at stream byte " + std::to_string(e.stream_offset) + ": " + what);
    error_.with_provider(provider_).with_body_excerpt(e.data);
    return false;
  }

  DeltaFields f_;  // reused
  bool started_ = false;
  bool saw_call_ = false;
};

bool ResponsesStreamDecoder::on_event(const SseEvent& e) {
  const std::string& t = e.event;
  if (t == "response.output_text.delta" || t == "response.function_call_arguments.delta" ||
      t == "response.output_item.added" || t == "response.reasoning_summary_text.delta") {
    return on_delta(e);
  }
  if (t == "response.created") return on_response(e, false);
  if (t == "response.completed" || t == "response.incomplete" || t == "response.failed") return on_response(e, true);
  if (t == "error") {
    // {"type":"error","code","message","param"}: mapped as the API's error object.
    error_ = map_openai_error(0, "{\"error\":" + e.data + "}", Headers{}, provider_);
    return false;
  }
  return true;  // the other events repeat what the deltas and the final Response carry
}

bool ResponsesStreamDecoder::on_delta(const SseEvent& e) {
  f_.delta.clear();
  f_.call_id.clear();
  f_.name.clear();
  f_.is_call = false;
  f_.output_index = 0;
  if (!read_delta_event(e.data, f_)) return malformed(e, "not a " + e.event + " event");
  StreamEvent ev;
  if (e.event == "response.output_text.delta" || e.event == "response.reasoning_summary_text.delta") {
    if (f_.delta.empty()) return true;
    ev.kind = e.event == "response.output_text.delta" ? StreamEvent::Kind::kTextDelta : StreamEvent::Kind::kReasoningDelta;
    ev.text = std::move(f_.delta);
  } else if (e.event == "response.output_item.added") {
    if (!f_.is_call) return true;
    saw_call_ = true;
    ev.kind = StreamEvent::Kind::kToolCallDelta;
    ev.tool_index = static_cast<uint32_t>(f_.output_index);
    ev.tool_call_id = std::move(f_.call_id);
    ev.tool_name = std::move(f_.name);
  } else {
    ev.kind = StreamEvent::Kind::kToolCallDelta;
    ev.tool_index = static_cast<uint32_t>(f_.output_index);
    ev.arguments_fragment = std::move(f_.delta);
  }
  out_->push_back(std::move(ev));
  return true;
}

// response.created: kStart. The final event: kUsage, kFinish and the end (or the failure,
// read on the DOM with its error).
bool ResponsesStreamDecoder::on_response(const SseEvent& e, bool final_event) {
  ResponseHead h;
  if (!read_lifecycle_event(e.data, h)) {
    if (Status st = detail::check_json_input(e.data); !st.ok()) return malformed(e, "data " + st.message());
    const nlohmann::json j = nlohmann::json::parse(e.data, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("response")) return malformed(e, "no response object");
    Result<ChatResponse> r = responses_answer(j["response"], provider_);
    if (!r.ok()) {
      error_ = r.status();
      return false;
    }
    h = ResponseHead{r->id, r->model, r->native_finish_reason, r->usage.has_value(), r->usage.value_or(Usage{})};
  }
  if (!started_) {
    StreamEvent start;
    start.kind = StreamEvent::Kind::kStart;
    start.id = std::move(h.id);
    start.model = std::move(h.model);
    out_->push_back(std::move(start));
    started_ = true;
  }
  if (!final_event) return true;
  if (h.has_usage) {
    StreamEvent u;
    u.kind = StreamEvent::Kind::kUsage;
    u.usage = h.usage;
    out_->push_back(std::move(u));
  }
  StreamEvent fin;
  fin.kind = StreamEvent::Kind::kFinish;
  fin.finish_reason = h.status == "incomplete" ? FinishReason::kLength : saw_call_ ? FinishReason::kToolCalls : FinishReason::kStop;
  fin.native_finish_reason = h.status;
  out_->push_back(std::move(fin));
  terminated_ = true;
  return false;
}

}  // namespace

std::unique_ptr<StreamDecoder> OpenAiResponsesAdapter::new_stream_decoder(const Endpoint& endpoint) const {
  return std::make_unique<ResponsesStreamDecoder>(endpoint.provider);
}

}  // namespace ploke::adapters::openai
