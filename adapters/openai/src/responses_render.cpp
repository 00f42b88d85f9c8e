// The Response object and its typed stream for responses a server makes up. See
// ploke/adapters/openai/responses.h.
#include <string>
#include <string_view>

#include "json_writer.h"
#include "ploke/adapters/openai/responses.h"
#include "server_internal.h"

namespace ploke::adapters::openai {
namespace {

using json_text::append_string;
using json_text::append_uint;

enum class ResponsePhase { kCreated, kInProgress, kFinal };

std::string_view response_status_text(const WireResponse& r, ResponsePhase phase) {
  if (phase != ResponsePhase::kFinal) return "in_progress";
  return r.incomplete ? "incomplete" : "completed";
}

std::string item_text(const WireOutputItem& item) {
  std::string t;
  for (const auto& tok : item.tokens) t += tok;
  return t;
}

// {"type":"output_text","annotations":[],"logprobs":[],"text":…}
void append_text_part(std::string& out, std::string_view text) {
  out += R"({"type":"output_text","annotations":[],"logprobs":[],"text":)";
  append_string(out, text);
  out += '}';
}

// {"type":"summary_text","text":…}
void append_summary_part(std::string& out, std::string_view text) {
  out += R"({"type":"summary_text","text":)";
  append_string(out, text);
  out += '}';
}

// A reasoning item; `done` false: as output_item.added shows it (an empty summary).
void append_reasoning_item(std::string& out, const WireOutputItem& item, bool done) {
  out += "{\"id\":";
  append_string(out, item.id);
  out += ",\"type\":\"reasoning\"";
  if (!item.encrypted_content.empty()) {
    out += ",\"encrypted_content\":";
    append_string(out, item.encrypted_content);
  }
  out += ",\"summary\":[";
  if (done && !item.tokens.empty()) append_summary_part(out, item_text(item));
  out += "]}";
}

// An output item; `done` false: as output_item.added shows it (no content, no arguments).
void append_output_item(std::string& out, const WireOutputItem& item, bool done, bool incomplete) {
  if (item.is_reasoning) return append_reasoning_item(out, item, done);
  const std::string_view status = !done ? "in_progress" : incomplete ? "incomplete" : "completed";
  out += "{\"id\":";
  append_string(out, item.id);
  if (item.is_call) {
    out += ",\"type\":\"function_call\",\"status\":\"";
    out += status;
    out += "\",\"arguments\":";
    append_string(out, done ? std::string_view(item.arguments) : std::string_view());
    out += ",\"call_id\":";
    append_string(out, item.call_id);
    out += ",\"name\":";
    append_string(out, item.name);
    out += '}';
    return;
  }
  out += ",\"type\":\"message\",\"status\":\"";
  out += status;
  out += "\",\"content\":[";
  if (done) append_text_part(out, item_text(item));
  out += "],\"role\":\"assistant\"}";
}

void append_response_usage(std::string& out, const WireResponse& r) {
  out += "{\"input_tokens\":";
  append_uint(out, r.input_tokens);
  out += ",\"input_tokens_details\":{\"cached_tokens\":";
  append_uint(out, r.cached_tokens);
  out += ",\"cache_write_tokens\":";
  append_uint(out, r.cache_write_tokens);
  out += "},\"output_tokens\":";
  append_uint(out, r.output_tokens);
  out += ",\"output_tokens_details\":{\"reasoning_tokens\":";
  append_uint(out, r.reasoning_tokens);
  out += "},\"total_tokens\":";
  append_uint(out, r.input_tokens + r.output_tokens);
  out += '}';
}

// The members after `output` (echoed request values, usage).
void append_response_tail(std::string& out, const WireResponse& r, ResponsePhase phase) {
  const ResponseEcho& e = r.echo;
  out += ",\"parallel_tool_calls\":";
  out += e.parallel_tool_calls ? "true" : "false";
  out += ",\"previous_response_id\":" + e.previous_response_id;
  out += ",\"reasoning\":" + e.reasoning + ",\"service_tier\":\"default\",\"store\":";
  out += e.store ? "true" : "false";
  out += ",\"temperature\":" + e.temperature + ",\"text\":" + e.text + ",\"tool_choice\":" + e.tool_choice +
         ",\"tools\":" + e.tools + ",\"top_logprobs\":0,\"top_p\":" + e.top_p + ",\"truncation\":\"disabled\"";
  // The published schema has no null usage: absent until the final Response.
  if (phase == ResponsePhase::kFinal) {
    out += ",\"usage\":";
    append_response_usage(out, r);
  }
  if (e.user != "null") out += ",\"user\":" + e.user;  // a string when given, else absent
  out += ",\"metadata\":" + e.metadata + '}';
}

void append_response(std::string& out, const WireResponse& r, ResponsePhase phase) {
  out += "{\"id\":";
  append_string(out, r.id);
  out += ",\"object\":\"response\",\"created_at\":";
  append_uint(out, static_cast<uint64_t>(r.created_at));
  out += ",\"status\":\"";
  out += response_status_text(r, phase);
  out += "\",\"background\":false,\"completed_at\":";
  if (phase == ResponsePhase::kFinal && !r.incomplete) {
    append_uint(out, static_cast<uint64_t>(r.created_at));
  } else {
    out += "null";
  }
  out += ",\"error\":null,\"incomplete_details\":";
  out += phase == ResponsePhase::kFinal && r.incomplete ? R"({"reason":"max_output_tokens"})" : "null";
  out += ",\"instructions\":" + r.echo.instructions + ",\"max_output_tokens\":" + r.echo.max_output_tokens +
         ",\"max_tool_calls\":null,\"model\":";
  append_string(out, r.model);
  out += ",\"output\":[";
  if (phase == ResponsePhase::kFinal) {
    for (size_t i = 0; i < r.output.size(); ++i) {
      if (i) out += ',';
      append_output_item(out, r.output[i], true, r.incomplete);
    }
  }
  out += ']';
  append_response_tail(out, r, phase);
}

// `event: type` + `data: {"type":…,"sequence_number":N` + `members` + `}`.
void append_event(std::string& out, std::string_view type, uint64_t seq, const std::string& members) {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",\"sequence_number\":";
  append_uint(out, seq);
  out += members;
  out += "}\n\n";
}

// Where a stream's events go (numbered by the sink).
class ResponseEventSink {
 public:
  virtual ~ResponseEventSink() = default;
  virtual void add(std::string_view type, const std::string& members, bool delta = false) = 0;
};

// Into a vector, one event each (render_response_stream()).
class ResponseVectorSink final : public ResponseEventSink {
 public:
  explicit ResponseVectorSink(std::vector<ResponseStreamEvent>& out) : out_(out) {}
  void add(std::string_view type, const std::string& members, bool delta) override {
    std::string e;
    append_event(e, type, seq_++, members);
    out_.push_back(ResponseStreamEvent{std::move(e), delta});
  }

 private:
  std::vector<ResponseStreamEvent>& out_;
  uint64_t seq_ = 0;
};

// Into one string, numbered by the caller's counter (ResponsesSseWriter).
class ResponseStringSink final : public ResponseEventSink {
 public:
  ResponseStringSink(std::string& out, uint64_t& seq) : out_(out), seq_(seq) {}
  void add(std::string_view type, const std::string& members, bool /*delta*/) override {
    append_event(out_, type, seq_++, members);
  }

 private:
  std::string& out_;
  uint64_t& seq_;
};

std::string response_member(const WireResponse& r, ResponsePhase phase) {
  std::string m = ",\"response\":";
  append_response(m, r, phase);
  return m;
}

// ,"item_id":…,"output_index":N[,"content_index":0]
std::string output_item_ref(const WireOutputItem& item, size_t index, bool content) {
  std::string m = ",\"item_id\":";
  append_string(m, item.id);
  m += ",\"output_index\":";
  append_uint(m, index);
  if (content) m += ",\"content_index\":0";
  return m;
}

// output_item.added (and content_part.added for a message).
void open_output_item(ResponseEventSink& w, const WireOutputItem& item, size_t index) {
  std::string added = ",\"output_index\":";
  append_uint(added, index);
  added += ",\"item\":";
  append_output_item(added, item, false, false);
  w.add("response.output_item.added", added);
  if (item.is_call || item.is_reasoning) return;
  w.add("response.content_part.added",
        output_item_ref(item, index, true) + R"(,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""})");
}

void output_text_delta(ResponseEventSink& w, const WireOutputItem& item, size_t index, std::string_view tok) {
  std::string m = output_item_ref(item, index, true) + ",\"delta\":";
  append_string(m, tok);
  w.add("response.output_text.delta", m + ",\"logprobs\":[]", true);
}

std::string summary_ref(const WireOutputItem& item, size_t index) {
  return output_item_ref(item, index, false) + ",\"summary_index\":0";
}

void summary_part_added(ResponseEventSink& w, const WireOutputItem& item, size_t index) {
  w.add("response.reasoning_summary_part.added", summary_ref(item, index) + R"(,"part":{"type":"summary_text","text":""})");
}

void summary_text_delta(ResponseEventSink& w, const WireOutputItem& item, size_t index, std::string_view tok) {
  std::string m = summary_ref(item, index) + ",\"delta\":";
  append_string(m, tok);
  w.add("response.reasoning_summary_text.delta", m, true);
}

// The summary's text done and part done.
void summary_done(ResponseEventSink& w, const WireOutputItem& item, size_t index) {
  const std::string ref = summary_ref(item, index);
  const std::string text = item_text(item);
  std::string done = ref + ",\"text\":";
  append_string(done, text);
  w.add("response.reasoning_summary_text.done", done);
  std::string part = ref + ",\"part\":";
  append_summary_part(part, text);
  w.add("response.reasoning_summary_part.done", part);
}

// A reasoning item's summary part added with its text deltas (summary_done() ends it).
void summary_part_events(ResponseEventSink& w, const WireOutputItem& item, size_t index) {
  summary_part_added(w, item, index);
  for (const auto& tok : item.tokens) summary_text_delta(w, item, index, tok);
}

// A reasoning item's summary: part added, text deltas, text done, part done.
void reasoning_summary_events(ResponseEventSink& w, const WireOutputItem& item, size_t index) {
  if (item.tokens.empty()) return;
  summary_part_events(w, item, index);
  summary_done(w, item, index);
}

void output_arguments_delta(ResponseEventSink& w, const WireOutputItem& item, size_t index, std::string_view frag) {
  std::string m = output_item_ref(item, index, false) + ",\"delta\":";
  append_string(m, frag);
  w.add("response.function_call_arguments.delta", m, true);
}

// The done events: output_text.done + content_part.done, or function_call_arguments.done;
// then output_item.done.
void close_output_item(ResponseEventSink& w, const WireOutputItem& item, size_t index, bool incomplete) {
  if (item.is_reasoning) {
    // (the summary events come before: reasoning_summary_events())
  } else if (item.is_call) {
    std::string done = ",\"item_id\":";
    append_string(done, item.id);
    done += ",\"name\":";
    append_string(done, item.name);
    done += ",\"output_index\":";
    append_uint(done, index);
    done += ",\"arguments\":";
    append_string(done, item.arguments);
    w.add("response.function_call_arguments.done", done);
  } else {
    const std::string ref = output_item_ref(item, index, true);
    const std::string text = item_text(item);
    std::string done = ref + ",\"text\":";
    append_string(done, text);
    w.add("response.output_text.done", done + ",\"logprobs\":[]");
    std::string part = ref + ",\"part\":";
    append_text_part(part, text);
    w.add("response.content_part.done", part);
  }
  std::string done = ",\"output_index\":";
  append_uint(done, index);
  done += ",\"item\":";
  append_output_item(done, item, true, incomplete);
  w.add("response.output_item.done", done);
}

}  // namespace

std::string render_response(const WireResponse& r) {
  std::string out;
  out.reserve(1024);
  append_response(out, r, ResponsePhase::kFinal);
  return out;
}

std::vector<ResponseStreamEvent> render_response_stream(const WireResponse& r) {
  std::vector<ResponseStreamEvent> events;
  ResponseVectorSink vector_sink(events);
  ResponseEventSink& w = vector_sink;
  w.add("response.created", response_member(r, ResponsePhase::kCreated));
  w.add("response.in_progress", response_member(r, ResponsePhase::kInProgress));
  for (size_t i = 0; i < r.output.size(); ++i) {
    const WireOutputItem& item = r.output[i];
    open_output_item(w, item, i);
    if (item.is_reasoning) {
      reasoning_summary_events(w, item, i);
    } else if (item.is_call) {
      for (const auto& frag : item.fragments) output_arguments_delta(w, item, i, frag);
    } else {
      for (const auto& tok : item.tokens) output_text_delta(w, item, i, tok);
    }
    close_output_item(w, item, i, r.incomplete);
  }
  w.add(r.incomplete ? "response.incomplete" : "response.completed", response_member(r, ResponsePhase::kFinal));
  return events;
}

std::string response_error_event(const WireError& e, uint64_t sequence_number) {
  std::string out = "event: error\ndata: {\"type\":\"error\",\"sequence_number\":";
  append_uint(out, sequence_number);
  out += ",\"code\":";
  if (e.code) {
    append_string(out, *e.code);
  } else {
    append_string(out, e.type);
  }
  out += ",\"message\":";
  append_string(out, e.message);
  out += ",\"param\":";
  if (e.param) {
    append_string(out, *e.param);
  } else {
    out += "null";
  }
  out += "}\n\n";
  return out;
}


// ---- the gateway's side ----

std::string response_id(std::string_view local_id) { return "resp_" + std::string(local_id); }

std::string render_response_deleted(std::string_view id) {
  std::string o;
  json_text::JsonWriter w(o);
  w.begin_object();
  w.key("id").str(id);
  w.key("object").str("response");
  w.key("deleted").boolean(true);
  w.end_object();
  return o;
}

namespace {

std::string output_item_id(std::string_view prefix, std::string_view local_id, size_t index) {
  std::string id(prefix);
  id += local_id;
  if (index > 0) {
    id += '_';
    append_uint(id, index);
  }
  return id;
}

// The answer's output items: its reasoning as a reasoning item's summary (when any), its
// text (when any, or when there is nothing else), then a function_call per tool call.
std::vector<WireOutputItem> output_items_of(const ChatResponse& r, std::string_view local_id) {
  std::vector<WireOutputItem> out;
  if (!r.reasoning.empty()) {
    WireOutputItem rs;
    rs.is_reasoning = true;
    rs.id = output_item_id("rs_", local_id, 0);
    rs.tokens.push_back(r.reasoning);
    out.push_back(std::move(rs));
  }
  if (!r.content.empty() || r.tool_calls.empty()) {
    WireOutputItem m;
    m.id = output_item_id("msg_", local_id, out.size());
    m.tokens.push_back(r.content);
    out.push_back(std::move(m));
  }
  for (const ToolCall& c : r.tool_calls) {
    WireOutputItem f;
    f.is_call = true;
    f.id = output_item_id("fc_", local_id, out.size());
    f.call_id = c.id;
    f.name = c.name;
    f.arguments = c.arguments_json;
    out.push_back(std::move(f));
  }
  return out;
}

void set_response_usage(WireResponse& w, const std::optional<Usage>& usage) {
  if (!usage) return;
  w.input_tokens = usage->prompt_tokens;
  w.cached_tokens = usage->cached_prompt_tokens;
  w.cache_write_tokens = usage->cache_write_tokens;
  w.output_tokens = usage->completion_tokens;
  w.reasoning_tokens = usage->reasoning_tokens;
}

}  // namespace

std::string render_openai_response(const ChatResponse& r, const std::optional<Usage>& usage, int64_t created,
                                   std::string_view local_id, const ResponseEcho& echo) {
  WireResponse w;
  w.id = response_id(local_id);
  w.model = r.model;
  w.created_at = created;
  w.incomplete = r.finish_reason == FinishReason::kLength;
  w.output = output_items_of(r, local_id);
  set_response_usage(w, usage);
  w.echo = echo;
  return render_response(w);
}

ResponsesSseWriter::ResponsesSseWriter(std::string local_id, std::string model, int64_t created, ResponseEcho echo)
    : local_id_(std::move(local_id)) {
  response_.id = response_id(local_id_);
  response_.model = std::move(model);
  response_.created_at = created;
  response_.echo = std::move(echo);
}

void ResponsesSseWriter::add(std::string& out, std::string_view type, const std::string& members) {
  append_event(out, type, seq_++, members);
}

void ResponsesSseWriter::start(std::string& out) {
  if (seq_ > 0) return;
  add(out, "response.created", response_member(response_, ResponsePhase::kCreated));
  add(out, "response.in_progress", response_member(response_, ResponsePhase::kInProgress));
}

void ResponsesSseWriter::close(std::string& out, Item& item) {
  if (!item.open) return;
  item.open = false;
  ResponseStringSink sink(out, seq_);
  // A reasoning item's summary part is open (the writer opens one with every reasoning item).
  if (item.wire.is_reasoning) summary_done(sink, item.wire, static_cast<size_t>(&item - items_.data()));
  close_output_item(sink, item.wire, static_cast<size_t>(&item - items_.data()), response_.incomplete);
}

ResponsesSseWriter::Item& ResponsesSseWriter::text_item(std::string& out) {
  if (!items_.empty() && items_.back().open && !items_.back().wire.is_call && !items_.back().wire.is_reasoning) {
    return items_.back();
  }
  for (Item& it : items_) close(out, it);
  Item item;
  item.wire.id = output_item_id("msg_", local_id_, items_.size());
  items_.push_back(std::move(item));
  ResponseStringSink sink(out, seq_);
  open_output_item(sink, items_.back().wire, items_.size() - 1);
  return items_.back();
}

ResponsesSseWriter::Item& ResponsesSseWriter::call_item(std::string& out, const StreamEvent& e) {
  for (Item& it : items_) {
    if (it.open && it.wire.is_call && it.tool_index == e.tool_index) return it;
  }
  for (Item& it : items_) {
    if (!it.wire.is_call) close(out, it);
  }
  Item item;
  item.tool_index = e.tool_index;
  item.wire.is_call = true;
  item.wire.id = output_item_id("fc_", local_id_, items_.size());
  item.wire.call_id = e.tool_call_id.empty() ? output_item_id("call_", local_id_, items_.size()) : e.tool_call_id;
  item.wire.name = e.tool_name;
  items_.push_back(std::move(item));
  ResponseStringSink sink(out, seq_);
  open_output_item(sink, items_.back().wire, items_.size() - 1);
  return items_.back();
}

ResponsesSseWriter::Item& ResponsesSseWriter::reasoning_item(std::string& out) {
  if (!items_.empty() && items_.back().open && items_.back().wire.is_reasoning) return items_.back();
  for (Item& it : items_) close(out, it);
  Item item;
  item.wire.is_reasoning = true;
  item.wire.id = output_item_id("rs_", local_id_, items_.size());
  items_.push_back(std::move(item));
  ResponseStringSink sink(out, seq_);
  open_output_item(sink, items_.back().wire, items_.size() - 1);
  summary_part_added(sink, items_.back().wire, items_.size() - 1);
  return items_.back();
}

std::string ResponsesSseWriter::event(const StreamEvent& e) {
  std::string out;
  if (e.kind == StreamEvent::Kind::kStart) {
    if (seq_ == 0 && !e.model.empty()) response_.model = e.model;
    start(out);
  } else if (e.kind == StreamEvent::Kind::kTextDelta && !e.text.empty()) {
    start(out);
    Item& it = text_item(out);
    it.wire.tokens.push_back(e.text);
    ResponseStringSink sink(out, seq_);
    output_text_delta(sink, it.wire, static_cast<size_t>(&it - items_.data()), e.text);
  } else if (e.kind == StreamEvent::Kind::kReasoningDelta && !e.text.empty()) {
    start(out);  // a signature or redacted mark has no form here
    Item& it = reasoning_item(out);
    it.wire.tokens.push_back(e.text);
    ResponseStringSink sink(out, seq_);
    summary_text_delta(sink, it.wire, static_cast<size_t>(&it - items_.data()), e.text);
  } else if (e.kind == StreamEvent::Kind::kToolCallDelta) {
    start(out);
    Item& it = call_item(out, e);
    if (!e.arguments_fragment.empty()) {
      it.wire.arguments += e.arguments_fragment;
      ResponseStringSink sink(out, seq_);
      output_arguments_delta(sink, it.wire, static_cast<size_t>(&it - items_.data()), e.arguments_fragment);
    }
  }
  return out;
}

std::string ResponsesSseWriter::finish(const ChatResponse& final_response) {
  std::string out;
  start(out);
  response_.incomplete = final_response.finish_reason == FinishReason::kLength;
  if (items_.empty()) {  // nothing streamed: the answer's items whole, one after another
    for (WireOutputItem& w : output_items_of(final_response, local_id_)) {
      items_.push_back(Item{std::move(w), 0, true});
      {
        ResponseStringSink sink(out, seq_);
        open_output_item(sink, items_.back().wire, items_.size() - 1);
        if (items_.back().wire.is_reasoning) summary_part_events(sink, items_.back().wire, items_.size() - 1);
      }
      close(out, items_.back());
    }
  }
  for (Item& it : items_) close(out, it);
  response_.output.clear();
  for (const Item& it : items_) response_.output.push_back(it.wire);
  set_response_usage(response_, final_response.usage);
  add(out, response_.incomplete ? "response.incomplete" : "response.completed", response_member(response_, ResponsePhase::kFinal));
  return out;
}

std::string ResponsesSseWriter::error(const Status& st) {
  std::string out;
  start(out);
  out += response_error_event(openai_wire_error(st), seq_++);
  return out;
}

}  // namespace ploke::adapters::openai
