// Inbound OpenAI Chat Completions: the request fast path (one JsonCursor pass, no DOM).
// See inbound_openai_internal.h.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "server_internal.h"
#include "ploke/json/cursor.h"
#include "json_writer.h"

namespace ploke::adapters::openai::fast {
namespace {

// ------------------------------------------------------------- fast path (no DOM)
//
// One pass over the body with JsonCursor for the shapes clients send every time. It
// returns false on anything unusual — a syntax error, a wrong type, a value the core
// refuses, a duplicate known key, escaped keys, a dialect's members, the "ploke" member — and
// the DOM path below then parses the body again and names the problem (or handles the
// extension). Objects carried as text (tool parameters, JSON schemas) keep the client's
// key order, compacted.

using ploke::json::JsonCursor;

bool fast_double(JsonCursor& c, std::optional<double>& out) {
  if (c.consume_null()) return true;
  double d = 0;
  if (!c.read_double(d) || !std::isfinite(d)) return c.fail();
  out = d;
  return true;
}

bool fast_opt_bool(JsonCursor& c, std::optional<bool>& out) {
  if (c.consume_null()) return true;
  bool b = false;
  if (!c.read_bool(b)) return false;
  out = b;
  return true;
}

bool fast_opt_string(JsonCursor& c, std::string& out) {
  if (c.consume_null()) return true;
  return c.read_string(out);
}

// A JSON object value as compact text.
bool fast_object_text(JsonCursor& c, std::string& out) {
  if (c.peek() != '{') return c.fail();
  const char* b = c.position();
  if (!c.skip_value()) return false;
  out.clear();
  json_text::append_compact(out, std::string_view(b, static_cast<size_t>(c.position() - b)));
  return true;
}

bool fast_content(JsonCursor& c, Message& m) {
  const char k = c.peek();
  if (k == 'n') return c.consume_null();
  if (k == '"') {
    std::string text;
    if (!c.read_string(text)) return false;
    m.content.push_back(ContentPart::Text(std::move(text)));
    return true;
  }
  bool first = true;
  while (c.next_element(first)) {
    std::string type, text, url, detail;
    bool have_text = false, have_url = false, url_is_object = false;
    uint64_t seen = 0;
    bool ofirst = true;
    std::string_view key;
    while (c.next_member(ofirst, key)) {
      if (key == "type") {
        if (!c.once(seen, 0) || !c.read_string(type)) return false;
      } else if (key == "cache_control") {  // a breakpoint: the DOM path reads it
        if (!c.consume_null()) return c.fail();
      } else if (key == "text") {
        if (!c.once(seen, 1)) return false;
        if (c.consume_null()) continue;  // text: null is refused by the DOM path (have_text stays false)
        if (!c.read_string(text)) return false;
        have_text = true;
      } else if (key == "image_url") {
        if (!c.once(seen, 2)) return false;
        if (c.peek() == '"') {
          if (!c.read_string(url)) return false;
        } else {
          url_is_object = true;
          uint64_t iseen = 0;
          bool ifirst = true;
          std::string_view ikey;
          bool have_inner_url = false;
          while (c.next_member(ifirst, ikey)) {
            if (ikey == "url") {
              if (!c.once(iseen, 0) || !c.read_string(url)) return false;
              have_inner_url = true;
            } else if (ikey == "detail") {
              if (!c.once(iseen, 1) || !fast_opt_string(c, detail)) return false;
            } else if (!c.skip_value()) {
              return false;
            }
          }
          if (c.failed() || !have_inner_url) return c.fail();
        }
        have_url = true;
      } else if (!c.skip_value()) {
        return false;
      }
    }
    if (c.failed()) return false;
    if ((seen & 1) == 0) return c.fail();
    if (type == "text") {
      if (!have_text || (seen & 4) != 0) return c.fail();  // keep it simple: mixed parts → DOM path
      m.content.push_back(ContentPart::Text(std::move(text)));
    } else if (type == "image_url") {
      if (!have_url || (seen & 2) != 0) return c.fail();
      m.content.push_back(url_is_object ? ContentPart::Image(std::move(url), std::move(detail)) : ContentPart::Image(std::move(url)));
    } else {
      return c.fail();  // refusal parts and unsupported types: DOM path
    }
  }
  return !c.failed();
}

bool fast_tool_calls(JsonCursor& c, Message& m) {
  bool first = true;
  while (c.next_element(first)) {
    ToolCall tc;
    bool have_id = false, have_fn = false;
    uint64_t seen = 0;
    bool ofirst = true;
    std::string_view key;
    while (c.next_member(ofirst, key)) {
      if (key == "id") {
        if (!c.once(seen, 0) || !c.read_string(tc.id)) return false;
        have_id = true;
      } else if (key == "function") {
        if (!c.once(seen, 1)) return false;
        bool have_name = false;
        uint64_t fseen = 0;
        bool ffirst = true;
        std::string_view fkey;
        while (c.next_member(ffirst, fkey)) {
          if (fkey == "name") {
            if (!c.once(fseen, 0) || !c.read_string(tc.name)) return false;
            have_name = true;
          } else if (fkey == "arguments") {
            // A string (what every SDK sends) or null; anything else → DOM path.
            if (!c.once(fseen, 1) || !fast_opt_string(c, tc.arguments_json)) return false;
          } else if (!c.skip_value()) {
            return false;
          }
        }
        if (c.failed() || !have_name) return c.fail();
        have_fn = true;
      } else if (!c.skip_value()) {
        return false;
      }
    }
    if (c.failed() || !have_id || !have_fn) return c.fail();
    m.tool_calls.push_back(std::move(tc));
  }
  return !c.failed();
}

bool fast_message(JsonCursor& c, Message& m) {
  std::string role, tool_call_id;
  bool have_content = false, content_null = false, have_tool_call_id = false, have_tool_calls = false;
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    if (key == "role") {
      if (!c.once(seen, 0) || !c.read_string(role)) return false;
    } else if (key == "content") {
      if (!c.once(seen, 1)) return false;
      content_null = c.peek() == 'n';
      if (!fast_content(c, m)) return false;
      have_content = true;
    } else if (key == "name") {
      if (!c.once(seen, 2) || !fast_opt_string(c, m.name)) return false;
    } else if (key == "tool_calls") {
      if (!c.once(seen, 3)) return false;
      if (c.consume_null()) continue;
      if (!fast_tool_calls(c, m)) return false;
      have_tool_calls = true;
    } else if (key == "tool_call_id") {
      if (!c.once(seen, 4) || !c.read_string(tool_call_id)) return false;
      have_tool_call_id = true;
    } else if (key == "reasoning_details") {  // an earlier answer's reasoning: the DOM path reads it
      if (!c.consume_null()) return c.fail();
    } else if (!c.skip_value()) {
      return false;
    }
  }
  if (c.failed()) return false;
  if (role == "system") m.role = Role::kSystem;
  else if (role == "developer") m.role = Role::kDeveloper;
  else if (role == "user") m.role = Role::kUser;
  else if (role == "assistant") m.role = Role::kAssistant;
  else if (role == "tool") m.role = Role::kTool;
  else return c.fail();
  // Null content is the assistant's alone (checks.cpp refuses it for the other roles).
  if ((!have_content || content_null) && m.role != Role::kAssistant) return c.fail();
  if (have_tool_calls && m.role != Role::kAssistant) return c.fail();
  if (m.role == Role::kTool) {
    if (!have_tool_call_id) return c.fail();
    m.tool_call_id = std::move(tool_call_id);
  }
  return true;
}

bool fast_tools(JsonCursor& c, ChatRequest& r) {
  bool first = true;
  while (c.next_element(first)) {
    ToolDefinition d;
    std::string type;  // required (the API's check): absent → the DOM path words the 400
    bool have_fn = false;
    uint64_t seen = 0;
    bool ofirst = true;
    std::string_view key;
    while (c.next_member(ofirst, key)) {
      if (key == "type") {
        if (!c.once(seen, 0) || !fast_opt_string(c, type)) return false;
      } else if (key == "function") {
        if (!c.once(seen, 1)) return false;
        bool have_name = false;
        uint64_t fseen = 0;
        bool ffirst = true;
        std::string_view fkey;
        while (c.next_member(ffirst, fkey)) {
          if (fkey == "name") {
            if (!c.once(fseen, 0) || !c.read_string(d.name)) return false;
            have_name = true;
          } else if (fkey == "description") {
            if (!c.once(fseen, 1) || !fast_opt_string(c, d.description)) return false;
          } else if (fkey == "parameters") {
            if (!c.once(fseen, 2)) return false;
            if (!c.consume_null() && !fast_object_text(c, d.parameters_json)) return false;
          } else if (fkey == "strict") {
            if (!c.once(fseen, 3) || !fast_opt_bool(c, d.strict)) return false;
          } else if (!c.skip_value()) {
            return false;
          }
        }
        if (c.failed() || !have_name || d.name.empty()) return c.fail();
        have_fn = true;
      } else if (!c.skip_value()) {
        return false;
      }
    }
    if (c.failed() || !have_fn || type != "function") return c.fail();
    r.tools.push_back(std::move(d));
  }
  return !c.failed();
}

bool fast_tool_choice(JsonCursor& c, ToolChoice& tc) {
  if (c.consume_null()) return true;
  if (c.peek() == '"') {
    std::string s;
    if (!c.read_string(s)) return false;
    if (s == "none") tc.mode = ToolChoice::Mode::kNone;
    else if (s == "auto") tc.mode = ToolChoice::Mode::kAuto;
    else if (s == "required") tc.mode = ToolChoice::Mode::kRequired;
    else return c.fail();
    return true;
  }
  bool have_name = false;
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    if (key == "function") {
      if (!c.once(seen, 0)) return false;
      bool ffirst = true;
      std::string_view fkey;
      uint64_t fseen = 0;
      while (c.next_member(ffirst, fkey)) {
        if (fkey == "name") {
          if (!c.once(fseen, 0) || !c.read_string(tc.function_name)) return false;
          have_name = true;
        } else if (!c.skip_value()) {
          return false;
        }
      }
    } else if (!c.skip_value()) {
      return false;
    }
  }
  if (c.failed() || !have_name) return c.fail();
  tc.mode = ToolChoice::Mode::kFunction;
  return true;
}

bool fast_response_format(JsonCursor& c, ResponseFormat& f) {
  if (c.consume_null()) return true;
  std::string type, name, schema;
  std::optional<bool> strict;
  bool have_js = false, have_name = false, have_schema = false;
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    if (key == "type") {
      if (!c.once(seen, 0) || !c.read_string(type)) return false;
    } else if (key == "json_schema") {
      if (!c.once(seen, 1)) return false;
      if (c.consume_null()) continue;
      have_js = true;
      uint64_t jseen = 0;
      bool jfirst = true;
      std::string_view jkey;
      while (c.next_member(jfirst, jkey)) {
        if (jkey == "name") {
          if (!c.once(jseen, 0) || !c.read_string(name)) return false;
          have_name = true;
        } else if (jkey == "schema") {
          if (!c.once(jseen, 1) || !fast_object_text(c, schema)) return false;
          have_schema = true;
        } else if (jkey == "strict") {
          if (!c.once(jseen, 2) || !fast_opt_bool(c, strict)) return false;
        } else if (!c.skip_value()) {
          return false;
        }
      }
      if (c.failed()) return false;
    } else if (!c.skip_value()) {
      return false;
    }
  }
  if (c.failed()) return false;
  if (type == "text") {
    f.kind = ResponseFormat::Kind::kText;
  } else if (type == "json_object") {
    f.kind = ResponseFormat::Kind::kJsonObject;
  } else if (type == "json_schema") {
    if (!have_js || !have_name || !have_schema) return c.fail();
    f.kind = ResponseFormat::Kind::kJsonSchema;
    f.schema_name = std::move(name);
    f.schema_json = std::move(schema);
    f.strict = strict;
  } else {
    return c.fail();
  }
  return true;
}

bool fast_u32(JsonCursor& c, std::optional<uint32_t>& out) {
  if (c.consume_null()) return true;
  int64_t v = 0;
  if (!c.read_integer(v)) return false;
  if (v <= 0 || v > 0xFFFFFFFFLL) return c.fail();
  out = static_cast<uint32_t>(v);
  return true;
}

bool fast_messages(JsonCursor& c, ChatRequest& r) {
  bool afirst = true;
  while (c.next_element(afirst)) {
    r.messages.emplace_back();
    if (!fast_message(c, r.messages.back())) return false;
  }
  return !c.failed();
}

// top_k, seed, or n (only 1 here: other counts take the DOM path).
bool fast_int_key(JsonCursor& c, std::string_view key, ChatRequest& r) {
  if (c.consume_null()) return true;
  int64_t v = 0;
  if (!c.read_integer(v)) return false;
  if (key == "top_k") r.top_k = static_cast<int>(v);
  else if (key == "seed") r.seed = v;
  else if (v != 1) return c.fail();
  return true;
}

// A string or an array of strings.
bool fast_stop(JsonCursor& c, ChatRequest& r) {
  if (c.consume_null()) return true;
  if (c.peek() == '"') {
    r.stop.emplace_back();
    return c.read_string(r.stop.back());
  }
  bool afirst = true;
  while (c.next_element(afirst)) {
    r.stop.emplace_back();
    if (!c.read_string(r.stop.back())) return false;
  }
  return !c.failed();
}

bool fast_stream_options(JsonCursor& c, bool& include_usage) {
  if (c.consume_null()) return true;
  bool ofirst = true;
  std::string_view okey;
  uint64_t oseen = 0;
  while (c.next_member(ofirst, okey)) {
    if (okey == "include_usage") {
      std::optional<bool> iu;
      if (!c.once(oseen, 0) || !fast_opt_bool(c, iu)) return false;
      include_usage = iu.value_or(false);
    } else if (!c.skip_value()) {
      return false;
    }
  }
  return !c.failed();
}

}  // namespace

bool fast_parse_openai(std::string_view body, const RequestExtension* ext, InboundRequest& in) {
  JsonCursor c(body);
  ChatRequest& r = in.request;
  bool have_model = false, have_messages = false;
  std::optional<uint32_t> max_tokens, max_completion;
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  // Top-level keys, in the order clients usually send them.
  while (c.next_member(first, key)) {
    if (key == "model") {
      if (!c.once(seen, 0) || !c.read_string(r.model)) return false;
      have_model = true;
    } else if (key == "messages") {
      if (!c.once(seen, 1) || !fast_messages(c, r)) return false;
      have_messages = true;
    } else if (key == "stream") {
      std::optional<bool> s;
      if (!c.once(seen, 2) || !fast_opt_bool(c, s)) return false;
      r.stream = s.value_or(false);
    } else if (key == "max_tokens") {
      if (!c.once(seen, 3) || !fast_u32(c, max_tokens)) return false;
    } else if (key == "max_completion_tokens") {
      if (!c.once(seen, 4) || !fast_u32(c, max_completion)) return false;
    } else if (key == "temperature") {
      if (!c.once(seen, 5) || !fast_double(c, r.temperature)) return false;
    } else if (key == "top_p") {
      if (!c.once(seen, 6) || !fast_double(c, r.top_p)) return false;
    } else if (key == "frequency_penalty") {
      if (!c.once(seen, 7) || !fast_double(c, r.frequency_penalty)) return false;
    } else if (key == "presence_penalty") {
      if (!c.once(seen, 8) || !fast_double(c, r.presence_penalty)) return false;
    } else if (key == "top_k" || key == "seed" || key == "n") {
      if (!c.once(seen, key == "top_k" ? 9 : key == "seed" ? 10 : 11) || !fast_int_key(c, key, r)) return false;
    } else if (key == "stop") {
      if (!c.once(seen, 12) || !fast_stop(c, r)) return false;
    } else if (key == "user") {
      if (!c.once(seen, 13) || !fast_opt_string(c, r.user)) return false;
    } else if (key == "stream_options") {
      if (!c.once(seen, 14) || !fast_stream_options(c, in.include_usage)) return false;
    } else if (key == "tools") {
      if (!c.once(seen, 15)) return false;
      if (!c.consume_null() && !fast_tools(c, r)) return false;
    } else if (key == "tool_choice") {
      if (!c.once(seen, 16) || !fast_tool_choice(c, r.tool_choice)) return false;
    } else if (key == "parallel_tool_calls") {
      if (!c.once(seen, 17) || !fast_opt_bool(c, r.parallel_tool_calls)) return false;
    } else if (key == "response_format") {
      if (!c.once(seen, 18) || !fast_response_format(c, r.response_format)) return false;
    } else if (key == "logprobs") {
      std::optional<bool> lp;
      if (!c.once(seen, 19) || !fast_opt_bool(c, lp)) return false;
      r.logprobs = lp.value_or(false);
    } else if (key == "ploke" || key == "top_logprobs" || key == "reasoning_effort" ||  // ranges, enums: the DOM path
               (ext != nullptr && std::find(ext->keys.begin(), ext->keys.end(), key) != ext->keys.end())) {
      if (!c.consume_null()) return c.fail();  // extensions: the DOM path reads them
    } else if (!c.skip_value()) {
      return false;
    }
  }
  if (c.failed() || !c.at_end()) return false;
  if (!have_model || r.model.empty() || !have_messages || r.messages.empty()) return false;
  r.max_output_tokens = max_completion ? max_completion : max_tokens;
  return true;
}

}  // namespace ploke::adapters::openai::fast
