// Inbound OpenAI Chat Completions (and OpenRouter extensions): request parsing, response,
// SSE and error rendering. See ploke/adapters/inbound.h.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "json_cursor.h"
#include "json_reader.h"
#include "json_writer.h"
#include "openai_internal.h"
#include "ploke/adapters/inbound.h"

namespace ploke::inbound {
namespace {

using nlohmann::json;
using detail::JsonReader;

// ---------------------------------------------------------------- request parsing helpers

bool opt_number(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<double>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_number()) return rd.fail(path + key, "expected a number");
  out = v->get<double>();
  if (!std::isfinite(*out)) return rd.fail(path + key, "expected a finite number");
  return true;
}

bool opt_bool(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<bool>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_boolean()) return rd.fail(path + key, "expected true or false");
  out = v->get<bool>();
  return true;
}

bool opt_int(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<int64_t>& out) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (v->is_number_integer()) {
    out = v->get<int64_t>();
    return true;
  }
  if (v->is_number_float() && std::isfinite(v->get<double>()) && v->get<double>() == std::floor(v->get<double>())) {
    out = static_cast<int64_t>(v->get<double>());
    return true;
  }
  return rd.fail(path + key, "expected an integer");
}

bool opt_u32(JsonReader& rd, const json& obj, const char* key, const std::string& path, std::optional<uint32_t>& out) {
  std::optional<int64_t> v;
  if (!opt_int(rd, obj, key, path, v)) return false;
  if (!v) return true;
  if (*v <= 0 || *v > 0xFFFFFFFFLL) return rd.fail(path + key, "expected a positive integer");
  out = static_cast<uint32_t>(*v);
  return true;
}

bool string_list(JsonReader& rd, const json& obj, const char* key, const std::string& path,
                 std::vector<std::string>& out, bool allow_single = false) {
  const json* v = JsonReader::find(obj, key);
  if (v == nullptr || v->is_null()) return true;
  if (allow_single && v->is_string()) {
    out.push_back(v->get<std::string>());
    return true;
  }
  if (!v->is_array()) return rd.fail(path + key, allow_single ? "expected a string or an array of strings" : "expected an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) return rd.fail(path + key + "[" + std::to_string(i) + "]", "expected string");
    out.push_back((*v)[i].get<std::string>());
  }
  return true;
}

// JSON text of a value that must be an object (tool parameters, schemas).
bool object_text(JsonReader& rd, const json& v, const std::string& path, std::string& out) {
  if (v.is_null()) return true;
  if (!v.is_object()) return rd.fail(path, "expected a JSON object");
  out = v.dump();
  return true;
}

bool parse_content_parts(JsonReader& rd, const json& content, const std::string& path, Message& m) {
  if (content.is_null()) return true;
  if (content.is_string()) {
    m.content.push_back(ContentPart::Text(content.get<std::string>()));
    return true;
  }
  if (!content.is_array()) return rd.fail(path, "expected a string, an array of parts or null");
  for (size_t i = 0; i < content.size(); ++i) {
    const json& p = content[i];
    const std::string pp = path + "[" + std::to_string(i) + "].";
    if (!p.is_object()) return rd.fail(path + "[" + std::to_string(i) + "]", "expected an object");
    std::string type;
    if (!rd.req_string(p, "type", pp, type)) return false;
    if (type == "text") {
      std::string text;
      if (!rd.req_string(p, "text", pp, text)) return false;
      m.content.push_back(ContentPart::Text(std::move(text)));
    } else if (type == "image_url") {
      const json* iu = JsonReader::find(p, "image_url");
      if (iu == nullptr) return rd.fail(pp + "image_url", "missing");
      if (iu->is_string()) {
        m.content.push_back(ContentPart::Image(iu->get<std::string>()));
        continue;
      }
      if (!iu->is_object()) return rd.fail(pp + "image_url", "expected an object");
      std::string url, detail;
      if (!rd.req_string(*iu, "url", pp + "image_url.", url) || !rd.opt_string(*iu, "detail", pp + "image_url.", detail)) {
        return false;
      }
      m.content.push_back(ContentPart::Image(std::move(url), std::move(detail)));
    } else if (type == "refusal") {
      std::string text;
      if (!rd.opt_string(p, "refusal", pp, text)) return false;
      m.content.push_back(ContentPart::Text(std::move(text)));
    } else {
      return rd.fail(pp + "type", "unsupported part type '" + type + "' (supported: text, image_url)");
    }
  }
  return true;
}

bool parse_message(JsonReader& rd, const json& mj, const std::string& path, Message& m) {
  if (!mj.is_object()) return rd.fail(path, "expected an object");
  const std::string p = path + ".";
  std::string role;
  if (!rd.req_string(mj, "role", p, role)) return false;
  if (role == "system") m.role = Role::kSystem;
  else if (role == "developer") m.role = Role::kDeveloper;
  else if (role == "user") m.role = Role::kUser;
  else if (role == "assistant") m.role = Role::kAssistant;
  else if (role == "tool") m.role = Role::kTool;
  else return rd.fail(p + "role", "unsupported role '" + role + "' (expected system, developer, user, assistant or tool)");
  if (const json* c = JsonReader::find(mj, "content"); c != nullptr) {
    if (!parse_content_parts(rd, *c, p + "content", m)) return false;
  } else if (m.role != Role::kAssistant) {
    return rd.fail(p + "content", "missing");
  }
  if (!rd.opt_string(mj, "name", p, m.name)) return false;
  if (const json* tcs = JsonReader::find(mj, "tool_calls"); tcs != nullptr && !tcs->is_null()) {
    if (m.role != Role::kAssistant) return rd.fail(p + "tool_calls", "only assistant messages carry tool calls");
    if (!tcs->is_array()) return rd.fail(p + "tool_calls", "expected an array");
    for (size_t i = 0; i < tcs->size(); ++i) {
      const json& tj = (*tcs)[i];
      const std::string tp = p + "tool_calls[" + std::to_string(i) + "].";
      if (!tj.is_object()) return rd.fail(tp.substr(0, tp.size() - 1), "expected an object");
      ToolCall tc;
      if (!rd.req_string(tj, "id", tp, tc.id)) return false;
      const json* fn = JsonReader::find(tj, "function");
      if (fn == nullptr || !fn->is_object()) return rd.fail(tp + "function", fn == nullptr ? "missing" : "expected an object");
      if (!rd.req_string(*fn, "name", tp + "function.", tc.name)) return false;
      if (const json* a = JsonReader::find(*fn, "arguments"); a != nullptr && !a->is_null()) {
        tc.arguments_json = a->is_string() ? a->get<std::string>() : a->dump();
      }
      m.tool_calls.push_back(std::move(tc));
    }
  }
  if (m.role == Role::kTool) {
    if (!rd.req_string(mj, "tool_call_id", p, m.tool_call_id)) return false;
  }
  return true;
}

bool parse_tools(JsonReader& rd, const json& body, ChatRequest& r) {
  if (const json* tools = JsonReader::find(body, "tools"); tools != nullptr && !tools->is_null()) {
    if (!tools->is_array()) return rd.fail("tools", "expected an array");
    for (size_t i = 0; i < tools->size(); ++i) {
      const json& t = (*tools)[i];
      const std::string tp = "tools[" + std::to_string(i) + "].";
      if (!t.is_object()) return rd.fail("tools[" + std::to_string(i) + "]", "expected an object");
      std::string type = "function";
      if (!rd.opt_string(t, "type", tp, type)) return false;
      if (type != "function") return rd.fail(tp + "type", "unsupported tool type '" + type + "' (expected function)");
      const json* fn = JsonReader::find(t, "function");
      if (fn == nullptr || !fn->is_object()) return rd.fail(tp + "function", fn == nullptr ? "missing" : "expected an object");
      ToolDefinition d;
      const std::string fp = tp + "function.";
      if (!rd.req_string(*fn, "name", fp, d.name) || !rd.opt_string(*fn, "description", fp, d.description)) return false;
      if (d.name.empty()) return rd.fail(fp + "name", "must not be empty");
      if (const json* params = JsonReader::find(*fn, "parameters"); params != nullptr) {
        if (!object_text(rd, *params, fp + "parameters", d.parameters_json)) return false;
      }
      if (!opt_bool(rd, *fn, "strict", fp, d.strict)) return false;
      r.tools.push_back(std::move(d));
    }
  }
  if (const json* tc = JsonReader::find(body, "tool_choice"); tc != nullptr && !tc->is_null()) {
    if (tc->is_string()) {
      const std::string s = tc->get<std::string>();
      if (s == "none") r.tool_choice.mode = ToolChoice::Mode::kNone;
      else if (s == "auto") r.tool_choice.mode = ToolChoice::Mode::kAuto;
      else if (s == "required") r.tool_choice.mode = ToolChoice::Mode::kRequired;
      else return rd.fail("tool_choice", "unknown value '" + s + "' (expected none, auto, required or an object)");
    } else if (tc->is_object()) {
      const json* fn = JsonReader::find(*tc, "function");
      if (fn == nullptr || !fn->is_object()) return rd.fail("tool_choice.function", fn == nullptr ? "missing" : "expected an object");
      r.tool_choice.mode = ToolChoice::Mode::kFunction;
      if (!rd.req_string(*fn, "name", "tool_choice.function.", r.tool_choice.function_name)) return false;
    } else {
      return rd.fail("tool_choice", "expected a string or an object");
    }
  }
  return opt_bool(rd, body, "parallel_tool_calls", "", r.parallel_tool_calls);
}

bool parse_response_format(JsonReader& rd, const json& body, ChatRequest& r) {
  const json* rf = JsonReader::find(body, "response_format");
  if (rf == nullptr || rf->is_null()) return true;
  if (!rf->is_object()) return rd.fail("response_format", "expected an object");
  std::string type;
  if (!rd.req_string(*rf, "type", "response_format.", type)) return false;
  if (type == "text") {
    r.response_format.kind = ResponseFormat::Kind::kText;
  } else if (type == "json_object") {
    r.response_format.kind = ResponseFormat::Kind::kJsonObject;
  } else if (type == "json_schema") {
    r.response_format.kind = ResponseFormat::Kind::kJsonSchema;
    const json* js = JsonReader::find(*rf, "json_schema");
    if (js == nullptr || !js->is_object()) {
      return rd.fail("response_format.json_schema", js == nullptr ? "missing" : "expected an object");
    }
    if (!rd.req_string(*js, "name", "response_format.json_schema.", r.response_format.schema_name)) return false;
    const json* schema = JsonReader::find(*js, "schema");
    if (schema == nullptr) return rd.fail("response_format.json_schema.schema", "missing");
    if (!object_text(rd, *schema, "response_format.json_schema.schema", r.response_format.schema_json)) return false;
    if (!opt_bool(rd, *js, "strict", "response_format.json_schema.", r.response_format.strict)) return false;
  } else {
    return rd.fail("response_format.type", "unknown value '" + type + "' (expected text, json_object or json_schema)");
  }
  return true;
}

// OpenRouter: `models`, `provider`, `route`, `transforms`.
bool parse_openrouter(JsonReader& rd, const json& body, OpenRouterPreferences& prefs) {
  if (!string_list(rd, body, "models", "", prefs.models)) return false;
  if (!rd.opt_string(body, "route", "", prefs.route)) return false;
  if (!string_list(rd, body, "transforms", "", prefs.transforms)) return false;
  const json* pv = JsonReader::find(body, "provider");
  if (pv == nullptr || pv->is_null()) return true;
  if (!pv->is_object()) return rd.fail("provider", "expected an object");
  const std::string p = "provider.";
  for (const auto& [k, v] : pv->items()) {
    if (k == "order") {
      if (!string_list(rd, *pv, "order", p, prefs.order)) return false;
    } else if (k == "only") {
      if (!string_list(rd, *pv, "only", p, prefs.only)) return false;
    } else if (k == "ignore") {
      if (!string_list(rd, *pv, "ignore", p, prefs.ignore)) return false;
    } else if (k == "quantizations") {
      if (!string_list(rd, *pv, "quantizations", p, prefs.quantizations)) return false;
    } else if (k == "allow_fallbacks") {
      if (!opt_bool(rd, *pv, "allow_fallbacks", p, prefs.allow_fallbacks)) return false;
    } else if (k == "require_parameters") {
      if (!opt_bool(rd, *pv, "require_parameters", p, prefs.require_parameters)) return false;
    } else if (k == "zdr") {
      if (!opt_bool(rd, *pv, "zdr", p, prefs.zdr)) return false;
    } else if (k == "data_collection") {
      if (!rd.opt_string(*pv, "data_collection", p, prefs.data_collection)) return false;
      if (!prefs.data_collection.empty() && prefs.data_collection != "allow" && prefs.data_collection != "deny") {
        return rd.fail(p + "data_collection", "expected allow or deny");
      }
    } else if (k == "sort" && v.is_string()) {
      prefs.sort = v.get<std::string>();
    } else if (k == "max_price") {
      if (!v.is_object()) return rd.fail(p + "max_price", "expected an object");
      for (const auto& [mk, mv] : v.items()) {
        double d = 0;
        if (mv.is_number()) {
          d = mv.get<double>();
        } else if (mv.is_string()) {
          const std::string s = mv.get<std::string>();
          char* end = nullptr;
          d = std::strtod(s.c_str(), &end);
          if (s.empty() || end != s.c_str() + s.size()) return rd.fail(p + "max_price." + mk, "expected a number");
        } else {
          return rd.fail(p + "max_price." + mk, "expected a number");
        }
        if (mk == "prompt") prefs.max_price_prompt = d;
        else if (mk == "completion") prefs.max_price_completion = d;
        else if (mk == "request") prefs.max_price_request = d;
        else if (mk == "image") prefs.max_price_image = d;
        else if (mk == "audio") prefs.max_price_audio = d;
        else return rd.fail(p + "max_price." + mk, "unknown key (expected prompt, completion, request, image, audio)");
      }
    } else {
      prefs.extra.emplace_back(k, v.dump());  // passed through; an OpenRouter upstream decides
    }
  }
  return true;
}

// ploke's own body extension: "ploke": {provider, policy, deadline_ms, priority}.
bool parse_ploke_extension(JsonReader& rd, const json& body, RoutingHints& h) {
  const json* pv = JsonReader::find(body, "ploke");
  if (pv == nullptr || pv->is_null()) return true;
  if (!pv->is_object()) return rd.fail("ploke", "expected an object");
  for (const auto& [k, v] : pv->items()) {
    if (k == "provider" || k == "pin") {
      if (!v.is_string()) return rd.fail("ploke." + k, "expected string");
      h.pin = v.get<std::string>();
    } else if (k == "policy") {
      if (!v.is_string()) return rd.fail("ploke.policy", "expected string");
      h.policy = v.get<std::string>();
    } else if (k == "deadline_ms") {
      if (!v.is_number_integer() || v.get<int64_t>() <= 0) return rd.fail("ploke.deadline_ms", "expected a positive integer");
      h.deadline_ms = v.get<int64_t>();
    } else if (k == "priority") {
      const std::string s = v.is_string() ? v.get<std::string>() : v.is_number_integer() ? v.dump() : "";
      h.priority = parse_priority(s);
      if (!h.priority) return rd.fail("ploke.priority", "expected low, normal, high or critical");
    } else {
      return rd.fail("ploke." + k, "unknown key (expected provider, policy, deadline_ms, priority)");
    }
  }
  return true;
}

// ------------------------------------------------------------- fast path (no DOM)
//
// One pass over the body with JsonCursor for the shapes clients send every time. It
// returns false on anything unusual — a syntax error, a wrong type, a value the core
// refuses, a duplicate known key, escaped keys, the OpenRouter / "ploke" extensions — and
// the DOM path below then parses the body again and names the problem (or handles the
// extension). Objects carried as text (tool parameters, JSON schemas) keep the client's
// key order, compacted.

using json_fast::JsonCursor;

// Reads an integer written without fraction or exponent.
bool fast_int(JsonCursor& c, int64_t& v) {
  std::string_view t;
  if (!c.read_number_text(t)) return false;
  if (t.find_first_of(".eE") != std::string_view::npos) return c.fail();  // DOM path: integral floats
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc() && p == t.data() + t.size() ? true : c.fail();
}

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

// Marks `bit` seen; a second occurrence of a known key fails (the DOM keeps the last).
bool once(JsonCursor& c, uint64_t& seen, int bit) {
  const uint64_t m = uint64_t{1} << bit;
  if ((seen & m) != 0) return c.fail();
  seen |= m;
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
        if (!once(c, seen, 0) || !c.read_string(type)) return false;
      } else if (key == "text") {
        if (!once(c, seen, 1)) return false;
        if (c.consume_null()) continue;  // text: null is refused by the DOM path (have_text stays false)
        if (!c.read_string(text)) return false;
        have_text = true;
      } else if (key == "image_url") {
        if (!once(c, seen, 2)) return false;
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
              if (!once(c, iseen, 0) || !c.read_string(url)) return false;
              have_inner_url = true;
            } else if (ikey == "detail") {
              if (!once(c, iseen, 1) || !fast_opt_string(c, detail)) return false;
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
        if (!once(c, seen, 0) || !c.read_string(tc.id)) return false;
        have_id = true;
      } else if (key == "function") {
        if (!once(c, seen, 1)) return false;
        bool have_name = false;
        uint64_t fseen = 0;
        bool ffirst = true;
        std::string_view fkey;
        while (c.next_member(ffirst, fkey)) {
          if (fkey == "name") {
            if (!once(c, fseen, 0) || !c.read_string(tc.name)) return false;
            have_name = true;
          } else if (fkey == "arguments") {
            // A string (what every SDK sends) or null; anything else → DOM path.
            if (!once(c, fseen, 1) || !fast_opt_string(c, tc.arguments_json)) return false;
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
  bool have_content = false, have_tool_call_id = false, have_tool_calls = false;
  uint64_t seen = 0;
  bool first = true;
  std::string_view key;
  while (c.next_member(first, key)) {
    if (key == "role") {
      if (!once(c, seen, 0) || !c.read_string(role)) return false;
    } else if (key == "content") {
      if (!once(c, seen, 1) || !fast_content(c, m)) return false;
      have_content = true;
    } else if (key == "name") {
      if (!once(c, seen, 2) || !fast_opt_string(c, m.name)) return false;
    } else if (key == "tool_calls") {
      if (!once(c, seen, 3)) return false;
      if (c.consume_null()) continue;
      if (!fast_tool_calls(c, m)) return false;
      have_tool_calls = true;
    } else if (key == "tool_call_id") {
      if (!once(c, seen, 4) || !c.read_string(tool_call_id)) return false;
      have_tool_call_id = true;
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
  if (!have_content && m.role != Role::kAssistant) return c.fail();
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
    std::string type = "function";
    bool have_fn = false;
    uint64_t seen = 0;
    bool ofirst = true;
    std::string_view key;
    while (c.next_member(ofirst, key)) {
      if (key == "type") {
        if (!once(c, seen, 0) || !fast_opt_string(c, type)) return false;
      } else if (key == "function") {
        if (!once(c, seen, 1)) return false;
        bool have_name = false;
        uint64_t fseen = 0;
        bool ffirst = true;
        std::string_view fkey;
        while (c.next_member(ffirst, fkey)) {
          if (fkey == "name") {
            if (!once(c, fseen, 0) || !c.read_string(d.name)) return false;
            have_name = true;
          } else if (fkey == "description") {
            if (!once(c, fseen, 1) || !fast_opt_string(c, d.description)) return false;
          } else if (fkey == "parameters") {
            if (!once(c, fseen, 2)) return false;
            if (!c.consume_null() && !fast_object_text(c, d.parameters_json)) return false;
          } else if (fkey == "strict") {
            if (!once(c, fseen, 3) || !fast_opt_bool(c, d.strict)) return false;
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
      if (!once(c, seen, 0)) return false;
      bool ffirst = true;
      std::string_view fkey;
      uint64_t fseen = 0;
      while (c.next_member(ffirst, fkey)) {
        if (fkey == "name") {
          if (!once(c, fseen, 0) || !c.read_string(tc.function_name)) return false;
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
      if (!once(c, seen, 0) || !c.read_string(type)) return false;
    } else if (key == "json_schema") {
      if (!once(c, seen, 1)) return false;
      if (c.consume_null()) continue;
      have_js = true;
      uint64_t jseen = 0;
      bool jfirst = true;
      std::string_view jkey;
      while (c.next_member(jfirst, jkey)) {
        if (jkey == "name") {
          if (!once(c, jseen, 0) || !c.read_string(name)) return false;
          have_name = true;
        } else if (jkey == "schema") {
          if (!once(c, jseen, 1) || !fast_object_text(c, schema)) return false;
          have_schema = true;
        } else if (jkey == "strict") {
          if (!once(c, jseen, 2) || !fast_opt_bool(c, strict)) return false;
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
  if (!fast_int(c, v)) return false;
  if (v <= 0 || v > 0xFFFFFFFFLL) return c.fail();
  out = static_cast<uint32_t>(v);
  return true;
}

bool fast_parse_openai(std::string_view body, InboundRequest& in) {
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
      if (!once(c, seen, 0) || !c.read_string(r.model)) return false;
      have_model = true;
    } else if (key == "messages") {
      if (!once(c, seen, 1)) return false;
      bool afirst = true;
      while (c.next_element(afirst)) {
        r.messages.emplace_back();
        if (!fast_message(c, r.messages.back())) return false;
      }
      if (c.failed()) return false;
      have_messages = true;
    } else if (key == "stream") {
      std::optional<bool> s;
      if (!once(c, seen, 2) || !fast_opt_bool(c, s)) return false;
      r.stream = s.value_or(false);
    } else if (key == "max_tokens") {
      if (!once(c, seen, 3) || !fast_u32(c, max_tokens)) return false;
    } else if (key == "max_completion_tokens") {
      if (!once(c, seen, 4) || !fast_u32(c, max_completion)) return false;
    } else if (key == "temperature") {
      if (!once(c, seen, 5) || !fast_double(c, r.temperature)) return false;
    } else if (key == "top_p") {
      if (!once(c, seen, 6) || !fast_double(c, r.top_p)) return false;
    } else if (key == "frequency_penalty") {
      if (!once(c, seen, 7) || !fast_double(c, r.frequency_penalty)) return false;
    } else if (key == "presence_penalty") {
      if (!once(c, seen, 8) || !fast_double(c, r.presence_penalty)) return false;
    } else if (key == "top_k" || key == "seed" || key == "n") {
      if (!once(c, seen, key == "top_k" ? 9 : key == "seed" ? 10 : 11)) return false;
      if (c.consume_null()) continue;
      int64_t v = 0;
      if (!fast_int(c, v)) return false;
      if (key == "top_k") r.top_k = static_cast<int>(v);
      else if (key == "seed") r.seed = v;
      else if (v != 1) return c.fail();
    } else if (key == "stop") {
      if (!once(c, seen, 12)) return false;
      if (c.consume_null()) continue;
      if (c.peek() == '"') {
        r.stop.emplace_back();
        if (!c.read_string(r.stop.back())) return false;
        continue;
      }
      bool afirst = true;
      while (c.next_element(afirst)) {
        r.stop.emplace_back();
        if (!c.read_string(r.stop.back())) return false;
      }
      if (c.failed()) return false;
    } else if (key == "user") {
      if (!once(c, seen, 13) || !fast_opt_string(c, r.user)) return false;
    } else if (key == "stream_options") {
      if (!once(c, seen, 14)) return false;
      if (c.consume_null()) continue;
      bool ofirst = true;
      std::string_view okey;
      uint64_t oseen = 0;
      while (c.next_member(ofirst, okey)) {
        if (okey == "include_usage") {
          std::optional<bool> iu;
          if (!once(c, oseen, 0) || !fast_opt_bool(c, iu)) return false;
          in.include_usage = iu.value_or(false);
        } else if (!c.skip_value()) {
          return false;
        }
      }
      if (c.failed()) return false;
    } else if (key == "tools") {
      if (!once(c, seen, 15)) return false;
      if (!c.consume_null() && !fast_tools(c, r)) return false;
    } else if (key == "tool_choice") {
      if (!once(c, seen, 16) || !fast_tool_choice(c, r.tool_choice)) return false;
    } else if (key == "parallel_tool_calls") {
      if (!once(c, seen, 17) || !fast_opt_bool(c, r.parallel_tool_calls)) return false;
    } else if (key == "response_format") {
      if (!once(c, seen, 18) || !fast_response_format(c, r.response_format)) return false;
    } else if (key == "models" || key == "provider" || key == "route" || key == "transforms" || key == "ploke") {
      if (!c.consume_null()) return c.fail();  // routing extensions: the DOM path reads them
    } else if (!c.skip_value()) {
      return false;
    }
  }
  if (c.failed() || !c.at_end()) return false;
  if (!have_model || r.model.empty() || !have_messages || r.messages.empty()) return false;
  r.max_output_tokens = max_completion ? max_completion : max_tokens;
  return true;
}

// What routing must respect, and the OpenRouter tags (both paths).
void finish_openai_request(InboundRequest& in) {
  ChatRequest& r = in.request;
  for (auto& t : in.hints.openrouter.to_tags()) r.meta.tags.push_back(std::move(t));
  r.meta.required.tools = !r.tools.empty();
  r.meta.required.json_mode = r.response_format.kind == ResponseFormat::Kind::kJsonObject;
  r.meta.required.json_schema = r.response_format.kind == ResponseFormat::Kind::kJsonSchema;
  r.meta.required.streaming = r.stream;
  for (const Message& m : r.messages) {
    for (const ContentPart& p : m.content) r.meta.required.vision = r.meta.required.vision || p.kind == ContentPart::Kind::kImageUrl;
  }
}

Result<InboundRequest> parse_openai_impl(std::string_view body, ParsePath path) {
  if (path != ParsePath::kDomOnly) {
    InboundRequest fast;
    if (fast_parse_openai(body, fast)) {
      finish_openai_request(fast);
      return fast;
    }
    if (path == ParsePath::kFastOnly) return InternalError("fast path declined");
  }
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Re-parse with exceptions for the byte offset.
    try {
      const json unused = json::parse(body.begin(), body.end());
      (void)unused;
    } catch (const json::parse_error& e) {
      return InvalidRequestError("body: invalid JSON at byte " + std::to_string(e.byte));
    }
    return InvalidRequestError("body: invalid JSON");
  }
  if (!j.is_object()) return InvalidRequestError("body: expected a JSON object");
  JsonReader rd;
  InboundRequest in;
  ChatRequest& r = in.request;
  auto fail = [&]() -> Result<InboundRequest> { return InvalidRequestError(rd.problem); };
  if (!rd.req_string(j, "model", "", r.model)) return fail();
  if (r.model.empty()) return InvalidRequestError("model: must not be empty");
  const json* msgs = JsonReader::find(j, "messages");
  if (msgs == nullptr) return InvalidRequestError("messages: missing");
  if (!msgs->is_array()) return InvalidRequestError("messages: expected an array");
  if (msgs->empty()) return InvalidRequestError("messages: at least one message is required");
  r.messages.reserve(msgs->size());
  for (size_t i = 0; i < msgs->size(); ++i) {
    Message m;
    if (!parse_message(rd, (*msgs)[i], "messages[" + std::to_string(i) + "]", m)) return fail();
    r.messages.push_back(std::move(m));
  }
  if (!parse_tools(rd, j, r) || !parse_response_format(rd, j, r)) return fail();
  if (!opt_number(rd, j, "temperature", "", r.temperature) || !opt_number(rd, j, "top_p", "", r.top_p) ||
      !opt_number(rd, j, "frequency_penalty", "", r.frequency_penalty) ||
      !opt_number(rd, j, "presence_penalty", "", r.presence_penalty)) {
    return fail();
  }
  std::optional<int64_t> top_k, seed, n;
  if (!opt_int(rd, j, "top_k", "", top_k) || !opt_int(rd, j, "seed", "", seed) || !opt_int(rd, j, "n", "", n)) return fail();
  if (top_k) r.top_k = static_cast<int>(*top_k);
  r.seed = seed;
  if (n && *n != 1) return InvalidRequestError("n: only 1 choice is supported by the gateway");
  std::optional<uint32_t> max_tokens, max_completion;
  if (!opt_u32(rd, j, "max_tokens", "", max_tokens) || !opt_u32(rd, j, "max_completion_tokens", "", max_completion)) {
    return fail();
  }
  r.max_output_tokens = max_completion ? max_completion : max_tokens;
  if (!string_list(rd, j, "stop", "", r.stop, /*allow_single=*/true)) return fail();
  if (!rd.opt_string(j, "user", "", r.user)) return fail();
  std::optional<bool> stream;
  if (!opt_bool(rd, j, "stream", "", stream)) return fail();
  r.stream = stream.value_or(false);
  if (const json* so = JsonReader::find(j, "stream_options"); so != nullptr && !so->is_null()) {
    if (!so->is_object()) return InvalidRequestError("stream_options: expected an object");
    std::optional<bool> iu;
    if (!opt_bool(rd, *so, "include_usage", "stream_options.", iu)) return fail();
    in.include_usage = iu.value_or(false);
  }
  if (!parse_openrouter(rd, j, in.hints.openrouter) || !parse_ploke_extension(rd, j, in.hints)) return fail();
  finish_openai_request(in);
  return in;
}

std::string_view openai_finish(const ChatResponse& r) {
  switch (r.finish_reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kContentFilter: return "content_filter";
    case FinishReason::kError: return "error";
    default: return r.tool_calls.empty() ? "stop" : "tool_calls";
  }
}

std::string_view openai_finish(FinishReason f) {
  switch (f) {
    case FinishReason::kLength: return "length";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kContentFilter: return "content_filter";
    case FinishReason::kError: return "error";
    default: return "stop";
  }
}

void write_usage(std::string& o, const Usage& u) {
  o += "{\"prompt_tokens\":";
  json_text::append_uint(o, u.prompt_tokens);
  o += ",\"completion_tokens\":";
  json_text::append_uint(o, u.completion_tokens);
  o += ",\"total_tokens\":";
  json_text::append_uint(o, u.total_tokens != 0 ? u.total_tokens : u.prompt_tokens + u.completion_tokens);
  o += ",\"prompt_tokens_details\":{\"cached_tokens\":";
  json_text::append_uint(o, u.cached_prompt_tokens);
  o += "},\"completion_tokens_details\":{\"reasoning_tokens\":";
  json_text::append_uint(o, u.reasoning_tokens);
  o += '}';
  if (u.reported_cost_usd) {
    o += ",\"cost\":";
    json_text::append_double(o, *u.reported_cost_usd);
  }
  o += '}';
}

std::string error_message(const Status& st) {
  std::string msg = st.message();
  std::string ctx;
  if (!st.provider().empty()) ctx += "provider=" + st.provider();
  if (st.http_status() != 0) {
    if (!ctx.empty()) ctx += ' ';
    ctx += "upstream_http=";
    ctx += std::to_string(st.http_status());
  }
  if (st.code() == StatusCode::kTimeout && st.timeout_phase() != TimeoutPhase::kNone) {
    if (!ctx.empty()) ctx += ' ';
    ctx += "phase=";
    ctx += timeout_phase_name(st.timeout_phase());
  }
  if (!ctx.empty()) msg += " (" + ctx + ")";
  return msg;
}

void add_retry_headers(const Status& st, Reply& out) {
  if (!st.retry_after()) return;
  const int64_t ms = std::max<int64_t>(0, st.retry_after()->count());
  out.headers.emplace_back("retry-after", std::to_string((ms + 999) / 1000));
  out.headers.emplace_back("retry-after-ms", std::to_string(ms));
}

// Field path of an inbound 400 ("messages[2].content: …" → "messages[2].content").
std::string param_of(const Status& st) {
  const std::string& m = st.message();
  const size_t c = m.find(": ");
  if (c == std::string::npos || c == 0 || m.find(' ') < c) return {};
  return m.substr(0, c);
}

}  // namespace

// ------------------------------------------------------------------------------ public

std::optional<Priority> parse_priority(std::string_view s) {
  if (s == "low" || s == "0") return Priority::kLow;
  if (s == "normal" || s == "1") return Priority::kNormal;
  if (s == "high" || s == "2") return Priority::kHigh;
  if (s == "critical" || s == "3") return Priority::kCritical;
  return std::nullopt;
}

uint64_t estimate_prompt_tokens(const ChatRequest& r) {
  size_t chars = 0;
  for (const Message& m : r.messages) {
    for (const ContentPart& p : m.content) chars += p.text.size();
    for (const ToolCall& tc : m.tool_calls) chars += tc.name.size() + tc.arguments_json.size();
  }
  for (const ToolDefinition& t : r.tools) chars += t.name.size() + t.description.size() + t.parameters_json.size();
  return std::max<uint64_t>(1, chars / 4);
}

Result<InboundRequest> parse_openai_chat_request(std::string_view body) { return parse_openai_chat_request(body, ParsePath::kAuto); }

Result<InboundRequest> parse_openai_chat_request(std::string_view body, ParsePath path) {
  try {
    return parse_openai_impl(body, path);
  } catch (const std::exception& e) {
    return InvalidRequestError(std::string("body: ") + e.what());
  }
}

std::string render_openai_chat_completion(const ChatResponse& r, int64_t created, std::string_view fallback_id) {
  // Written as text (OpenAI's field order); see json_writer.h.
  std::string o;
  o.reserve(320 + r.content.size() + r.id.size() + r.model.size());
  o += "{\"id\":";
  if (r.id.empty()) {
    o += "\"chatcmpl-";
    json_text::append_escaped_body(o, fallback_id);
    o += '"';
  } else {
    json_text::append_string(o, r.id);
  }
  o += ",\"object\":\"chat.completion\",\"created\":";
  json_text::append_int(o, created);
  o += ",\"model\":";
  json_text::append_string(o, r.model);
  if (!r.provider.empty()) {
    o += ",\"provider\":";
    json_text::append_string(o, r.provider);
  }
  o += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
  if (r.content.empty() && !r.tool_calls.empty()) o += "null";
  else json_text::append_string(o, r.content);
  o += ",\"refusal\":";
  if (r.refusal.empty()) o += "null";
  else json_text::append_string(o, r.refusal);
  if (!r.tool_calls.empty()) {
    o += ",\"tool_calls\":[";
    for (size_t i = 0; i < r.tool_calls.size(); ++i) {
      const ToolCall& tc = r.tool_calls[i];
      if (i != 0) o += ',';
      o += "{\"id\":";
      json_text::append_string(o, tc.id);
      o += ",\"type\":\"function\",\"function\":{\"name\":";
      json_text::append_string(o, tc.name);
      o += ",\"arguments\":";
      json_text::append_string(o, tc.arguments_json);
      o += "}}";
    }
    o += ']';
  }
  o += "},\"logprobs\":null,\"finish_reason\":\"";
  o += openai_finish(r);
  o += '"';
  if (!r.native_finish_reason.empty()) {
    o += ",\"native_finish_reason\":";
    json_text::append_string(o, r.native_finish_reason);
  }
  o += "}]";
  if (r.usage) {
    o += ",\"usage\":";
    write_usage(o, *r.usage);
  }
  o += '}';
  return o;
}

int openai_error_http_status(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kRateLimited: return 429;
    case StatusCode::kOverloaded: return 503;
    case StatusCode::kServerError: return st.http_status() >= 500 && st.http_status() <= 599 ? st.http_status() : 502;
    case StatusCode::kTimeout: return 504;
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
    case StatusCode::kStreamInterrupted: return 502;
    case StatusCode::kAuth: return 401;
    case StatusCode::kPermission: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidRequest:
    case StatusCode::kContextLengthExceeded:
    case StatusCode::kContentFilter: return 400;
    case StatusCode::kInsufficientCredits: return 429;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

Reply render_openai_error(const Status& st) {
  Reply out;
  out.status = openai_error_http_status(st);
  std::string_view type = "server_error";
  std::string_view code;  // "" = null
  std::string param;      // "" = null
  switch (st.code()) {
    case StatusCode::kRateLimited: type = "requests"; code = "rate_limit_exceeded"; break;
    case StatusCode::kOverloaded: code = "overloaded"; break;
    case StatusCode::kTimeout: type = "timeout"; code = "timeout"; break;
    case StatusCode::kAuth: type = "invalid_request_error"; code = "invalid_api_key"; break;
    case StatusCode::kPermission: type = "invalid_request_error"; code = "permission_denied"; break;
    case StatusCode::kNotFound: type = "invalid_request_error"; code = "model_not_found"; break;
    case StatusCode::kInvalidRequest: {
      type = "invalid_request_error";
      param = param_of(st);
      break;
    }
    case StatusCode::kContextLengthExceeded: type = "invalid_request_error"; code = "context_length_exceeded"; break;
    case StatusCode::kContentFilter: type = "invalid_request_error"; code = "content_filter"; break;
    case StatusCode::kInsufficientCredits:
      type = "insufficient_quota";
      code = "insufficient_quota";
      out.headers.emplace_back("x-should-retry", "false");
      break;
    case StatusCode::kCancelled: type = "cancelled"; code = "cancelled"; break;
    default: break;
  }
  if (st.code() == StatusCode::kRateLimited || st.code() == StatusCode::kOverloaded) add_retry_headers(st, out);
  json_text::JsonWriter w(out.body);
  w.begin_object();
  w.key("error").begin_object();
  w.key("message").str(error_message(st));
  w.key("type").str(type);
  w.key("param").str_or_null(param);
  w.key("code").str_or_null(code);
  w.end_object();
  w.end_object();
  return out;
}

std::string render_openai_models(const std::vector<std::string>& ids, int64_t created) {
  std::string o;
  json_text::JsonWriter w(o);
  w.begin_object();
  w.key("object").str("list");
  w.key("data").begin_array();
  for (const auto& id : ids) {
    w.begin_object();
    w.key("id").str(id);
    w.key("object").str("model");
    w.key("created").integer(created);
    w.key("owned_by").str("ploke");
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return o;
}

// ------------------------------------------------------------------------- SSE writer

OpenAiSseWriter::OpenAiSseWriter(std::string id, std::string model, int64_t created, bool include_usage)
    : id_(std::move(id)), model_(std::move(model)), created_(created), include_usage_(include_usage) {
  // Every chunk starts the same way: built once.
  prefix_ = "data: {\"id\":";
  json_text::append_string(prefix_, id_);
  prefix_ += ",\"object\":\"chat.completion.chunk\",\"created\":";
  json_text::append_int(prefix_, created_);
  prefix_ += ",\"model\":";
  json_text::append_string(prefix_, model_);
  prefix_ += ",\"choices\":[";
}

const std::string& OpenAiSseWriter::chunk_prefix() const { return prefix_; }

std::string OpenAiSseWriter::event(const StreamEvent& e) {
  std::string o;
  const char* tail = include_usage_ ? "}],\"usage\":null}\n\n" : "}]}\n\n";
  switch (e.kind) {
    case StreamEvent::Kind::kTextDelta: {
      o.reserve(prefix_.size() + e.text.size() + 96);
      o = chunk_prefix();
      o += "{\"index\":0,\"delta\":{";
      if (!sent_role_) o += "\"role\":\"assistant\",";
      sent_role_ = true;
      o += "\"content\":";
      json_text::append_string(o, e.text);
      o += "},\"logprobs\":null,\"finish_reason\":null";
      o += tail;
      return o;
    }
    case StreamEvent::Kind::kToolCallDelta: {
      o = chunk_prefix();
      o += "{\"index\":0,\"delta\":{";
      if (!sent_role_) o += "\"role\":\"assistant\",\"content\":null,";
      sent_role_ = true;
      o += "\"tool_calls\":[{\"index\":";
      o += std::to_string(e.tool_index);
      const bool first = std::find(seen_tools_.begin(), seen_tools_.end(), e.tool_index) == seen_tools_.end();
      if (first) {
        seen_tools_.push_back(e.tool_index);
        o += ",\"id\":";
        json_text::append_string(o, e.tool_call_id);
        o += ",\"type\":\"function\",\"function\":{\"name\":";
        json_text::append_string(o, e.tool_name);
        o += ",\"arguments\":";
      } else {
        o += ",\"function\":{\"arguments\":";
      }
      json_text::append_string(o, e.arguments_fragment);
      o += "}}]},\"logprobs\":null,\"finish_reason\":null";
      o += tail;
      return o;
    }
    case StreamEvent::Kind::kUsage:
      usage_ = e.usage;
      return o;
    case StreamEvent::Kind::kFinish: {
      if (sent_finish_) return o;
      if (!sent_role_) {
        o = chunk_prefix() + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null" + tail;
        sent_role_ = true;
      }
      sent_finish_ = true;
      o += chunk_prefix();
      o += "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"";
      o += openai_finish(e.finish_reason);
      o += "\"";
      o += tail;
      return o;
    }
    default:
      return o;
  }
}

std::string OpenAiSseWriter::finish(const ChatResponse& final_response) {
  std::string o;
  if (!sent_finish_) {
    StreamEvent f;
    f.kind = StreamEvent::Kind::kFinish;
    f.finish_reason = final_response.finish_reason;
    if (f.finish_reason == FinishReason::kUnknown && !final_response.tool_calls.empty()) f.finish_reason = FinishReason::kToolCalls;
    o += event(f);
  }
  if (include_usage_) {
    const Usage u = final_response.usage ? *final_response.usage : usage_.value_or(Usage{});
    o += chunk_prefix();
    o += "],\"usage\":";
    write_usage(o, u);
    o += "}\n\n";
  }
  o += "data: [DONE]\n\n";
  return o;
}

std::string OpenAiSseWriter::error(const Status& st) {
  const Reply r = render_openai_error(st);
  return "data: " + r.body + "\n\n";
}

}  // namespace ploke::inbound
