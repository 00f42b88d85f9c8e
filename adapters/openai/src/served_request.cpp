// read_served_chat_request(): validation (server_validate.cpp), then the typed values a
// generator reads. See served_request.h.
#include "ploke/adapters/openai/served_request.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "server_internal.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;

uint64_t prompt_chars(const Json& messages) {
  uint64_t chars = 0;
  for (const Json& m : messages) {
    if (!m.is_object()) continue;
    if (auto c = m.find("content"); c != m.end()) {
      if (c->is_string()) {
        chars += c->get_ref<const std::string&>().size();
      } else if (c->is_array()) {
        for (const Json& p : *c) {
          if (p.is_object() && p.contains("text") && p["text"].is_string()) chars += p["text"].get_ref<const std::string&>().size();
        }
      }
    }
    if (auto tc = m.find("tool_calls"); tc != m.end() && tc->is_array()) {
      for (const Json& c : *tc) {
        if (c.is_object() && c.contains("function") && c["function"].is_object()) {
          chars += c["function"].value("arguments", std::string()).size();
        }
      }
    }
  }
  return chars;
}

// Never throws: a member of the wrong type reads as absent.
ServedTool served_tool(const Json& def) {
  ServedTool t;
  if (!def.is_object()) return t;
  const auto type = def.find("type");
  if (const auto ct = def.find("custom"); type != def.end() && *type == "custom" && ct != def.end() && ct->is_object()) {
    t.custom = true;
    if (auto name = ct->find("name"); name != ct->end() && name->is_string()) t.name = name->get<std::string>();
    return t;
  }
  const auto fn = def.find("function");
  if (fn == def.end() || !fn->is_object()) return t;
  if (auto name = fn->find("name"); name != fn->end() && name->is_string()) t.name = name->get<std::string>();
  Json schema = Json::object();
  if (auto p = fn->find("parameters"); p != fn->end() && (p->is_object() || p->is_null())) schema = *p;
  if (!schema.is_object() || !schema.contains("type")) schema["type"] = "object";
  t.parameters = schema.dump();
  return t;
}

// tools, tool_choice, parallel_tool_calls.
void read_tools(const Json& b, ServedChatRequest& out) {
  if (auto t = b.find("tools"); t != b.end() && t->is_array()) {
    for (const Json& d : *t) out.tools.push_back(served_tool(d));
  }
  if (auto tc = b.find("tool_choice"); tc != b.end()) {
    if (tc->is_string()) {
      const std::string& s = tc->get_ref<const std::string&>();
      out.tool_choice = s == "none" ? ToolChoiceMode::kNone
                        : s == "required" ? ToolChoiceMode::kRequired
                                          : ToolChoiceMode::kAuto;
    } else if (tc->is_object()) {
      out.tool_choice = ToolChoiceMode::kFunction;
      out.forced_name = (*tc)["function"]["name"].get<std::string>();
    }
  }
  if (!out.forced_name.empty()) {
    const Json& defs = b["tools"];
    for (size_t i = 0; i < defs.size(); ++i) {
      const Json& d = defs[i];
      const auto fn = d.is_object() ? d.find("function") : d.end();
      if (!d.is_object() || fn == d.end() || !fn->is_object()) continue;
      const auto name = fn->find("name");
      if (name != fn->end() && name->is_string() && name->get_ref<const std::string&>() == out.forced_name) out.forced_tool = i;
    }
  }
  if (auto p = b.find("parallel_tool_calls"); p != b.end() && p->is_boolean() && !p->get<bool>()) {
    out.parallel_tool_calls = false;
  }
}

std::optional<std::string> response_schema(const Json& b) {
  const auto rf = b.find("response_format");
  if (rf == b.end() || !rf->is_object()) return std::nullopt;
  const std::string type = rf->value("type", std::string());
  if (type == "json_object") {
    return Json{{"type", "object"}, {"properties", {{"answer", {{"type", "string"}}}}}, {"required", {"answer"}}}.dump();
  }
  if (type != "json_schema") return std::nullopt;
  const auto js = rf->find("json_schema");
  if (js == rf->end() || !js->is_object()) return Json::object().dump();
  const auto schema = js->find("schema");
  return schema != js->end() && schema->is_object() ? schema->dump() : Json::object().dump();
}


// Everything but the tools (the body passed validation).
void read_values(const Json& b, ServedChatRequest& out) {
  out.model = b["model"].get<std::string>();
  out.stream = json_flag(b, "stream");
  if (auto so = b.find("stream_options"); so != b.end() && so->is_object()) out.include_usage = json_flag(*so, "include_usage");
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (auto m = b.find(key); m != b.end() && m->is_number_integer() && m->get<int64_t>() >= 1 && !out.max_tokens) {
      out.max_tokens = m->get<uint64_t>();
    }
  }
  if (auto nn = b.find("n"); nn != b.end() && nn->is_number_integer()) out.n = nn->get<size_t>();
  const Json& msgs = b["messages"];
  out.prompt_chars = prompt_chars(msgs);
  out.last_message_is_tool =
      !msgs.empty() && msgs.back().is_object() && msgs.back().value("role", std::string()) == "tool";
  if (auto sd = b.find("seed"); sd != b.end() && sd->is_number_integer()) out.seed = sd->get<int64_t>();
  out.logprobs = json_flag(b, "logprobs");
  if (auto top = b.find("top_logprobs"); top != b.end() && top->is_number_integer()) {
    out.top_logprobs = static_cast<uint32_t>(top->get<int64_t>());
  }
  out.response_schema = response_schema(b);
  if (auto e = b.find("reasoning_effort"); e != b.end() && e->is_string()) out.reasoning_effort = e->get<std::string>();
}

}  // namespace

bool json_flag(const nlohmann::json& obj, const char* key) {
  const auto v = obj.find(key);
  return v != obj.end() && v->is_boolean() && v->get<bool>();
}

std::optional<WireError> read_served_chat_request(const nlohmann::json* body, ServedChatRequest& out) {
  if (auto err = validate_served_chat_request(body)) return err;
  out = ServedChatRequest{};
  read_values(*body, out);
  read_tools(*body, out);
  return std::nullopt;
}

WireError reasoning_effort_unsupported() {
  return invalid_request("Unsupported parameter: 'reasoning_effort' is not supported with this model.", "reasoning_effort",
                         "unsupported_parameter");
}

ServedChatRequest served_from_plain(const PlainChatRequest& plain) {
  ServedChatRequest out;
  out.model = plain.model;
  out.stream = plain.stream;
  out.n = plain.n;
  out.max_tokens = plain.max_tokens;
  out.prompt_chars = plain.prompt_chars;
  return out;
}

}  // namespace ploke::adapters::openai
