// read_served_messages_request(): the shared checks (checks.cpp), then the typed values a
// generator reads. See ploke/adapters/anthropic/served_request.h.
#include "ploke/adapters/anthropic/served_request.h"

#include <nlohmann/json.hpp>

#include "ploke/adapters/anthropic/checks_json.h"

namespace ploke::adapters::anthropic {
namespace {

using Json = nlohmann::json;

// Text bytes of a system value or a message's content (strings, text blocks, nested
// tool_result content, tool_use input as compact JSON).
uint64_t text_chars(const Json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().size();
  uint64_t n = 0;
  if (v.is_array()) {
    for (const Json& b : v) n += text_chars(b);
  } else if (v.is_object()) {
    if (auto t = v.find("text"); t != v.end() && t->is_string()) n += t->get_ref<const std::string&>().size();
    if (auto c = v.find("content"); c != v.end()) n += text_chars(*c);
    if (auto in = v.find("input"); in != v.end() && in->is_object()) n += in->dump().size();
  }
  return n;
}

uint64_t prompt_chars(const Json& b) {
  uint64_t chars = 0;
  if (auto s = b.find("system"); s != b.end()) chars += text_chars(*s);
  for (const Json& msg : b["messages"]) {
    if (msg.is_object() && msg.contains("content")) chars += text_chars(msg["content"]);
  }
  if (auto t = b.find("tools"); t != b.end() && t->is_array()) chars += t->dump().size();
  return chars;
}

bool answers_tool_results(const Json& msgs) {
  if (msgs.empty()) return false;
  const Json& last = msgs.back();
  if (!last.is_object() || !last.contains("content") || !last["content"].is_array()) return false;
  for (const Json& blk : last["content"]) {
    if (blk.is_object() && blk.value("type", std::string()) == "tool_result") return true;
  }
  return false;
}

ServedTool served_tool(const Json& def) {
  ServedTool t;
  if (auto n = def.find("name"); n != def.end() && n->is_string()) t.name = n->get<std::string>();
  Json schema = Json::object();
  if (auto s = def.find("input_schema"); s != def.end() && s->is_object()) schema = *s;
  if (!schema.contains("type")) schema["type"] = "object";
  t.input_schema = schema.dump();
  return t;
}

// tools and tool_choice (checked: tools' names are non-empty strings, tool_choice.type one
// of the four, tool_choice.name present for "tool").
void read_tools(const Json& b, ServedMessagesRequest& out) {
  if (auto t = b.find("tools"); t != b.end() && t->is_array()) {
    for (const Json& d : *t) out.tools.push_back(served_tool(d));
  }
  const auto tc = b.find("tool_choice");
  if (tc == b.end() || !tc->is_object()) return;
  const std::string& type = (*tc)["type"].get_ref<const std::string&>();
  out.tool_choice = type == "any"    ? ToolChoiceMode::kAny
                    : type == "tool" ? ToolChoiceMode::kTool
                    : type == "none" ? ToolChoiceMode::kNone
                                     : ToolChoiceMode::kAuto;
  if (out.tool_choice == ToolChoiceMode::kTool) out.forced_name = (*tc)["name"].get<std::string>();
  if (auto d = tc->find("disable_parallel_tool_use"); d != tc->end() && d->is_boolean()) {
    out.disable_parallel_tool_use = d->get<bool>();
  }
}

std::optional<std::string> output_schema(const Json& b) {
  const auto oc = b.find("output_config");
  if (oc == b.end() || !oc->is_object()) return std::nullopt;
  const auto f = oc->find("format");
  if (f == oc->end() || !f->is_object()) return std::nullopt;
  const auto s = f->find("schema");
  if (s == f->end() || !s->is_object()) return std::nullopt;
  return s->dump();
}

}  // namespace

std::optional<std::string> read_served_messages_request(const nlohmann::json* body, bool count_tokens,
                                                        ServedMessagesRequest& out) {
  if (body == nullptr) return "There was an error parsing the body of your request: invalid JSON";
  if (auto problem = check_anthropic_request(*body, count_tokens)) return problem;
  const Json& b = *body;
  out = ServedMessagesRequest{};
  out.model = b["model"].get<std::string>();
  if (auto s = b.find("stream"); s != b.end() && s->is_boolean()) out.stream = s->get<bool>();
  if (!count_tokens) out.max_tokens = b["max_tokens"].get<uint64_t>();
  out.prompt_chars = prompt_chars(b);
  out.answers_tool_results = answers_tool_results(b["messages"]);
  read_tools(b, out);
  if (auto ss = b.find("stop_sequences"); ss != b.end() && ss->is_array()) {
    for (const Json& s : *ss) out.stop_sequences.push_back(s.get<std::string>());
  }
  out.output_schema = output_schema(b);
  return std::nullopt;
}

WireError model_not_found(std::string_view model) {
  return WireError{std::string(error_type_for_status(404)), "model: " + std::string(model), {}};
}

}  // namespace ploke::adapters::anthropic
