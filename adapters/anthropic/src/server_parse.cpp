// The server half of Anthropic Messages: request parsing (rendering: server_render.cpp).
// See ploke/adapters/anthropic/server.h.
#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "ploke/json/cursor.h"
#include "json_reader.h"
#include "json_writer.h"
#include "json_guard.h"
#include "ploke/adapters/anthropic/checks_json.h"
#include "ploke/adapters/anthropic/request_summary.h"
#include "ploke/adapters/anthropic/server.h"

namespace ploke::adapters::anthropic {
namespace {

using nlohmann::json;
using ploke::adapters::detail::JsonReader;
using inbound::parse_priority;

bool opt_number(JsonReader& rd, const json& obj, const char* key, std::optional<double>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_number() || !std::isfinite(v->get<double>())) return rd.fail(key, "expected a number");
  out = v->get<double>();
  return true;
}

// A block's `cache_control` (its shape already checked: check_anthropic_request) as a breakpoint.
CacheControl read_cache_control(const json& holder) {
  const json* cc = JsonReader::find(holder, "cache_control");
  if (cc == nullptr || !cc->is_object()) return CacheControl::kNone;
  const json* ttl = JsonReader::find(*cc, "ttl");
  const bool hour = ttl != nullptr && ttl->is_string() && ttl->get_ref<const std::string&>() == "1h";
  return hour ? CacheControl::kEphemeral1h : CacheControl::kEphemeral5m;
}

// Text of a tool_result's content (string or text blocks).
bool tool_result_text(JsonReader& rd, const json& c, const std::string& path, std::string& out) {
  if (c.is_null()) return true;
  if (c.is_string()) {
    out = c.get<std::string>();
    return true;
  }
  if (!c.is_array()) return rd.fail(path, "expected a string or an array of blocks");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string bp = path + "[" + std::to_string(i) + "].";
    if (!c[i].is_object()) return rd.fail(path + "[" + std::to_string(i) + "]", "expected an object");
    std::string type, text;
    if (!rd.req_string(c[i], "type", bp, type)) return false;
    if (type != "text") return rd.fail(bp + "type", "unsupported block type '" + type + "' in tool_result (supported: text)");
    if (!rd.req_string(c[i], "text", bp, text)) return false;
    if (!out.empty()) out += "\n";
    out += text;
  }
  return true;
}

bool image_part(JsonReader& rd, const json& b, const std::string& bp, ContentPart& out) {
  const json* src = JsonReader::find(b, "source");
  if (src == nullptr || !src->is_object()) return rd.fail(bp + "source", src == nullptr ? "missing" : "expected an object");
  std::string st;
  if (!rd.req_string(*src, "type", bp + "source.", st)) return false;
  if (st == "url") {
    std::string url;
    if (!rd.req_string(*src, "url", bp + "source.", url)) return false;
    out = ContentPart::Image(std::move(url));
    return true;
  }
  if (st == "base64") {
    std::string media, data;
    if (!rd.req_string(*src, "media_type", bp + "source.", media) || !rd.req_string(*src, "data", bp + "source.", data)) {
      return false;
    }
    out = ContentPart::Image("data:" + media + ";base64," + data);
    return true;
  }
  return rd.fail(bp + "source.type", "unsupported image source '" + st + "' (expected base64 or url)");
}

// One Anthropic message → one or more normalized messages (tool_result blocks become
// tool messages, placed before the turn's other content).
// An assistant turn's thinking / redacted_thinking block (other turns' are ignored, as the API does).
bool read_reasoning_block(JsonReader& rd, const json& b, const std::string& type, const std::string& bp,
                          std::vector<ReasoningBlock>& out) {
  ReasoningBlock rb;
  if (type == "thinking") {
    if (!rd.req_string(b, "thinking", bp, rb.text) || !rd.opt_string(b, "signature", bp, rb.signature)) return false;
  } else {
    rb.kind = ReasoningBlock::Kind::kRedacted;
    if (!rd.req_string(b, "data", bp, rb.data)) return false;
  }
  out.push_back(std::move(rb));
  return true;
}

bool parse_message(JsonReader& rd, const json& mj, const std::string& path, std::vector<Message>& out) {
  if (!mj.is_object()) return rd.fail(path, "expected an object");
  const std::string p = path + ".";
  std::string role;
  if (!rd.req_string(mj, "role", p, role)) return false;
  Message m;
  if (role == "user") m.role = Role::kUser;
  else if (role == "assistant") m.role = Role::kAssistant;
  else if (role == "system") m.role = Role::kSystem;
  else return rd.fail(p + "role", "unsupported role '" + role + "' (expected user or assistant)");
  const json* c = JsonReader::find(mj, "content");
  if (c == nullptr) return rd.fail(p + "content", "missing");
  if (c->is_string()) {
    m.content.push_back(ContentPart::Text(c->get<std::string>()));
    out.push_back(std::move(m));
    return true;
  }
  if (!c->is_array()) return rd.fail(p + "content", "expected a string or an array of blocks");
  std::vector<Message> tool_results;
  for (size_t i = 0; i < c->size(); ++i) {
    const json& b = (*c)[i];
    const std::string bp = p + "content[" + std::to_string(i) + "].";
    if (!b.is_object()) return rd.fail(p + "content[" + std::to_string(i) + "]", "expected an object");
    std::string type;
    if (!rd.req_string(b, "type", bp, type)) return false;
    if (type == "text") {
      std::string text;
      if (!rd.req_string(b, "text", bp, text)) return false;
      m.content.push_back(ContentPart::CachedText(std::move(text), read_cache_control(b)));
    } else if (type == "image") {
      ContentPart part;
      if (!image_part(rd, b, bp, part)) return false;
      part.cache = read_cache_control(b);
      m.content.push_back(std::move(part));
    } else if (type == "tool_use") {
      if (m.role != Role::kAssistant) return rd.fail(bp + "type", "tool_use blocks belong to assistant turns");
      ToolCall tc;
      if (!rd.req_string(b, "id", bp, tc.id) || !rd.req_string(b, "name", bp, tc.name)) return false;
      const json* input = JsonReader::find(b, "input");
      if (input == nullptr) return rd.fail(bp + "input", "missing");
      if (!input->is_object()) return rd.fail(bp + "input", "expected an object");
      tc.arguments_json = input->dump();
      m.tool_calls.push_back(std::move(tc));
    } else if (type == "tool_result") {
      if (m.role != Role::kUser) return rd.fail(bp + "type", "tool_result blocks belong to user turns");
      Message t;
      t.role = Role::kTool;
      if (!rd.req_string(b, "tool_use_id", bp, t.tool_call_id)) return false;
      std::string text;
      if (const json* tc = JsonReader::find(b, "content"); tc != nullptr) {
        if (!tool_result_text(rd, *tc, bp + "content", text)) return false;
      }
      if (const json* e = JsonReader::find(b, "is_error"); e != nullptr && e->is_boolean() && e->get<bool>()) {
        text = "Error: " + text;
      }
      t.content.push_back(ContentPart::CachedText(std::move(text), read_cache_control(b)));
      tool_results.push_back(std::move(t));
    } else if (type == "thinking" || type == "redacted_thinking") {
      if (m.role == Role::kAssistant && !read_reasoning_block(rd, b, type, bp, m.reasoning_blocks)) return false;
    } else {
      return rd.fail(bp + "type", "unsupported block type '" + type + "' (supported: text, image, tool_use, tool_result)");
    }
  }
  for (auto& t : tool_results) out.push_back(std::move(t));
  if (!m.content.empty() || !m.tool_calls.empty() || !m.reasoning_blocks.empty() || tool_results.empty()) {
    out.push_back(std::move(m));
  }
  return true;
}

// `thinking` (already checked: check_anthropic_request) as the normalized reasoning options.
void parse_thinking(const json& j, ReasoningOptions& out) {
  const json* t = JsonReader::find(j, "thinking");
  if (t == nullptr || !t->is_object()) return;
  const std::string type = t->value("type", std::string());
  if (type == "enabled") {
    out.mode = ReasoningOptions::Mode::kEnabled;
    if (const json* b = JsonReader::find(*t, "budget_tokens"); b != nullptr && b->is_number_unsigned()) {
      out.budget_tokens = static_cast<uint32_t>(b->get<uint64_t>());
    }
  } else if (type == "adaptive") {
    out.mode = ReasoningOptions::Mode::kAdaptive;
  } else if (type == "disabled") {
    out.mode = ReasoningOptions::Mode::kDisabled;
  }
}

// tools and tool_choice (parse_impl()).
Status parse_tools(JsonReader& rd, const json& j, ChatRequest& r) {
  // tools
  if (const json* tools = JsonReader::find(j, "tools"); tools != nullptr && !tools->is_null()) {
    if (!tools->is_array()) return InvalidRequestError("tools: expected an array");
    for (size_t i = 0; i < tools->size(); ++i) {
      const json& t = (*tools)[i];
      const std::string tp = "tools[" + std::to_string(i) + "].";
      if (!t.is_object()) return InvalidRequestError("tools[" + std::to_string(i) + "]: expected an object");
      std::string type;
      if (!rd.opt_string(t, "type", tp, type)) return InvalidRequestError(rd.problem);
      if (!type.empty() && type != "custom") {
        return InvalidRequestError(tp + "type: server tool '" + type + "' is not supported by the gateway");
      }
      ToolDefinition d;
      if (!rd.req_string(t, "name", tp, d.name) || !rd.opt_string(t, "description", tp, d.description)) return InvalidRequestError(rd.problem);
      const json* schema = JsonReader::find(t, "input_schema");
      if (schema == nullptr) return InvalidRequestError(tp + "input_schema: Field required");
      if (!schema->is_object()) return InvalidRequestError(tp + "input_schema: expected an object");
      d.parameters_json = schema->dump();
      d.cache = read_cache_control(t);
      r.tools.push_back(std::move(d));
    }
  }
  if (const json* tc = JsonReader::find(j, "tool_choice"); tc != nullptr && !tc->is_null()) {
    if (!tc->is_object()) return InvalidRequestError("tool_choice: expected an object");
    std::string type;
    if (!rd.req_string(*tc, "type", "tool_choice.", type)) return InvalidRequestError(rd.problem);
    if (type == "auto") r.tool_choice.mode = ToolChoice::Mode::kAuto;
    else if (type == "any") r.tool_choice.mode = ToolChoice::Mode::kRequired;
    else if (type == "none") r.tool_choice.mode = ToolChoice::Mode::kNone;
    else if (type == "tool") {
      r.tool_choice.mode = ToolChoice::Mode::kFunction;
      if (!rd.req_string(*tc, "name", "tool_choice.", r.tool_choice.function_name)) return InvalidRequestError(rd.problem);
    } else {
      return InvalidRequestError("tool_choice.type: unknown value '" + type + "' (expected auto, any, tool or none)");
    }
    if (const json* d = JsonReader::find(*tc, "disable_parallel_tool_use"); d != nullptr && !d->is_null()) {
      if (!d->is_boolean()) return InvalidRequestError("tool_choice.disable_parallel_tool_use: expected true or false");
      if (d->get<bool>()) r.parallel_tool_calls = false;
    }
  }
  return Status::Ok();
}

// Sampling, stop sequences, structured output, metadata, stream and ploke hints (parse_impl()).
Status parse_options(JsonReader& rd, const json& j, InboundRequest& in) {
  ChatRequest& r = in.request;
  if (!opt_number(rd, j, "temperature", r.temperature) || !opt_number(rd, j, "top_p", r.top_p)) return InvalidRequestError(rd.problem);
  if (const json* tk = JsonReader::find(j, "top_k"); tk != nullptr && !tk->is_null()) {
    if (!tk->is_number_integer()) return InvalidRequestError("top_k: expected an integer");
    r.top_k = tk->get<int>();
  }
  if (const json* ss = JsonReader::find(j, "stop_sequences"); ss != nullptr && !ss->is_null()) {
    if (!ss->is_array()) return InvalidRequestError("stop_sequences: expected an array of strings");
    for (size_t i = 0; i < ss->size(); ++i) {
      if (!(*ss)[i].is_string()) return InvalidRequestError("stop_sequences[" + std::to_string(i) + "]: expected string");
      r.stop.push_back((*ss)[i].get<std::string>());
    }
  }
  // Structured output (checked above): the normalized response_format, so an OpenAI
  // upstream gets json_schema and the answer's text is JSON valid against the schema.
  if (const json* oc = JsonReader::find(j, "output_config"); oc != nullptr && oc->is_object()) {
    if (const json* f = JsonReader::find(*oc, "format"); f != nullptr && f->is_object()) {
      r.response_format.kind = ResponseFormat::Kind::kJsonSchema;
      r.response_format.schema_name = "output";
      r.response_format.schema_json = (*f)["schema"].dump();
      r.response_format.strict = true;
    }
  }
  if (const json* md = JsonReader::find(j, "metadata"); md != nullptr && md->is_object()) {
    if (!rd.opt_string(*md, "user_id", "metadata.", r.user)) return InvalidRequestError(rd.problem);
  }
  if (const json* s = JsonReader::find(j, "stream"); s != nullptr && !s->is_null()) {
    if (!s->is_boolean()) return InvalidRequestError("stream: expected true or false");
    r.stream = s->get<bool>();
  }
  // ploke's body extension (same as on the OpenAI route).
  if (const json* pv = JsonReader::find(j, "ploke"); pv != nullptr && !pv->is_null()) {
    if (!pv->is_object()) return InvalidRequestError("ploke: expected an object");
    for (const auto& [k, v] : pv->items()) {
      if ((k == "provider" || k == "pin") && v.is_string()) in.hints.pin = v.get<std::string>();
      else if (k == "policy" && v.is_string()) in.hints.policy = v.get<std::string>();
      else if (k == "deadline_ms" && v.is_number_integer() && v.get<int64_t>() > 0) in.hints.deadline_ms = v.get<int64_t>();
      else if (k == "priority" && (in.hints.priority = parse_priority(v.is_string() ? v.get<std::string>() : v.dump()))) {}
      else return InvalidRequestError("ploke." + k + ": unknown key or bad value (expected provider, policy, deadline_ms, priority)");
    }
  }
  return Status::Ok();
}

Result<InboundRequest> parse_impl(std::string_view body, bool count_tokens) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    try {
      const json unused = json::parse(body.begin(), body.end());
      (void)unused;
    } catch (const json::parse_error& e) {
      return InvalidRequestError("body: invalid JSON at byte " + std::to_string(e.byte));
    }
    return InvalidRequestError("body: invalid JSON");
  }
  // The API's own checks first (ploke/adapters/anthropic/checks_json.h): its wording, its field paths.
  if (auto problem = check_anthropic_request(j, count_tokens)) return InvalidRequestError(std::move(*problem));
  JsonReader rd;
  InboundRequest in;
  ChatRequest& r = in.request;
  auto fail = [&]() -> Result<InboundRequest> { return InvalidRequestError(rd.problem); };
  if (!rd.req_string(j, "model", "", r.model)) return fail();
  if (r.model.empty()) return InvalidRequestError("model: must not be empty");
  const json* mt = JsonReader::find(j, "max_tokens");
  if (mt == nullptr && !count_tokens) return InvalidRequestError("max_tokens: Field required");
  if (mt != nullptr) {
    if (!mt->is_number_integer() || mt->get<int64_t>() <= 0 || mt->get<int64_t>() > 0xFFFFFFFFLL) {
      return InvalidRequestError("max_tokens: expected a positive integer");
    }
    r.max_output_tokens = static_cast<uint32_t>(mt->get<int64_t>());
  }
  // system: string or text blocks.
  if (const json* sys = JsonReader::find(j, "system"); sys != nullptr && !sys->is_null()) {
    if (sys->is_string()) {
      r.messages.push_back(Message::System(sys->get<std::string>()));
    } else if (sys->is_array()) {
      for (size_t i = 0; i < sys->size(); ++i) {
        const std::string bp = "system[" + std::to_string(i) + "].";
        if (!(*sys)[i].is_object()) return InvalidRequestError("system[" + std::to_string(i) + "]: expected an object");
        std::string type, text;
        if (!rd.req_string((*sys)[i], "type", bp, type)) return fail();
        if (type != "text") return InvalidRequestError(bp + "type: expected text");
        if (!rd.req_string((*sys)[i], "text", bp, text)) return fail();
        r.messages.push_back(Message::System(std::move(text)));
        r.messages.back().content.back().cache = read_cache_control((*sys)[i]);
      }
    } else {
      return InvalidRequestError("system: expected a string or an array of text blocks");
    }
  }
  const json* msgs = JsonReader::find(j, "messages");
  if (msgs == nullptr) return InvalidRequestError("messages: Field required");
  if (!msgs->is_array()) return InvalidRequestError("messages: expected an array");
  if (msgs->empty()) return InvalidRequestError("messages: at least one message is required");
  for (size_t i = 0; i < msgs->size(); ++i) {
    if (!parse_message(rd, (*msgs)[i], "messages[" + std::to_string(i) + "]", r.messages)) return fail();
  }
  if (Status st = parse_tools(rd, j, r); !st.ok()) return st;
  if (Status st = parse_options(rd, j, in); !st.ok()) return st;
  parse_thinking(j, r.reasoning);
  r.cache = read_cache_control(j);
  r.meta.required.tools = !r.tools.empty();
  r.meta.required.streaming = r.stream;
  for (const Message& m : r.messages) {
    for (const ContentPart& p : m.content) r.meta.required.vision = r.meta.required.vision || p.kind == ContentPart::Kind::kImageUrl;
  }
  return in;
}

// A plain text conversation in one pass (request_summary.h), read as parse_impl() reads it.
bool fast_plain(std::string_view body, InboundRequest& in) {
  PlainMessagesRequest plain;
  PlainMessagesText text;
  if (!read_plain_messages_request(body, plain, text)) return false;
  if (plain.model.empty() || plain.max_tokens > 0xFFFFFFFFu) return false;
  ChatRequest& r = in.request;
  r.model = std::move(plain.model);
  r.max_output_tokens = static_cast<uint32_t>(plain.max_tokens);
  r.stream = plain.stream;
  r.messages.reserve(text.turns.size() + (text.system ? 1 : 0));
  if (text.system) r.messages.push_back(Message::System(std::move(*text.system)));
  for (size_t i = 0; i < text.turns.size(); ++i) {
    r.messages.push_back(i % 2 == 0 ? Message::User(std::move(text.turns[i])) : Message::Assistant(std::move(text.turns[i])));
  }
  r.meta.required.streaming = r.stream;
  return true;
}

}  // namespace

Result<InboundRequest> parse_anthropic_messages_request(std::string_view body, ParsePath path) {
  if (path != ParsePath::kDomOnly) {
    if (InboundRequest fast; fast_plain(body, fast)) return fast;
    if (path == ParsePath::kFastOnly) return InternalError("fast path declined");
  }
  // The limits guard before the DOM (JsonCursor applies the same limits as it reads).
  if (Status st = ploke::adapters::detail::check_json_input(body); !st.ok()) return InvalidRequestError("body: " + st.message());
  try {
    return parse_impl(body, false);
  } catch (const std::exception& e) {
    return InvalidRequestError(std::string("body: ") + e.what());
  }
}

Result<InboundRequest> parse_anthropic_count_tokens_request(std::string_view body) {
  try {
    return parse_impl(body, true);
  } catch (const std::exception& e) {
    return InvalidRequestError(std::string("body: ") + e.what());
  }
}

}  // namespace ploke::adapters::anthropic
