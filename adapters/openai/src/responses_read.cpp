// read_served_responses_request(): the Responses API's validation of a create body, then the
// typed values a generator reads and the values a Response echoes. See responses.h.
#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>

#include "check_rules.h"
#include "ploke/adapters/openai/responses_served.h"
#include "server_internal.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;
using namespace rules;

WireError from_problem(const RequestProblem& p) {
  return invalid_request(p.message, p.param.empty() ? std::nullopt : std::optional<std::string>(p.param),
                         p.code.empty() ? std::nullopt : std::optional<std::string>(p.code));
}

std::string indexed(std::string_view base, size_t i) { return std::string(base) + "[" + std::to_string(i) + "]"; }

// A message item's content: a string, or an array of typed parts.
std::optional<RequestProblem> check_item_content(const Json& m, const std::string& path) {
  static constexpr std::string_view kParts[] = {"input_text", "input_image", "input_file", "input_audio",
                                                "output_text", "refusal"};
  const auto c = m.find("content");
  if (c == m.end()) return missing(path + ".content");
  if (c->is_string()) return std::nullopt;
  if (!c->is_array()) return wrong_type(path + ".content", "one of a string or array of objects", *c);
  for (size_t j = 0; j < c->size(); ++j) {
    if (auto p = check_tagged_object((*c)[j], indexed(path + ".content", j), "type", kParts)) return p;
  }
  return std::nullopt;
}

std::optional<RequestProblem> check_input_item(const Json& item, size_t i) {
  static constexpr std::string_view kRoles[] = {"user", "assistant", "system", "developer"};
  static constexpr std::string_view kTypes[] = {"message", "function_call", "function_call_output", "reasoning",
                                                "item_reference"};
  const std::string path = indexed("input", i);
  if (!item.is_object()) return wrong_type(path, "an object", item);
  if (item.contains("type") || !item.contains("role")) {
    if (auto p = check_tagged_object(item, path, "type", kTypes)) return p;
  }
  const std::string type = item.value("type", std::string("message"));
  if (type == "message") {
    if (auto p = check_tagged_object(item, path, "role", kRoles)) return p;
    return check_item_content(item, path);
  }
  if (type == "function_call") {
    for (const char* key : {"call_id", "name", "arguments"}) {
      if (auto p = check_required_string(item, path, key)) return p;
    }
  }
  if (type == "function_call_output") {
    if (auto p = check_required_string(item, path, "call_id")) return p;
    const auto out = item.find("output");
    if (out == item.end()) return missing(path + ".output");
    if (!out->is_string() && !out->is_array()) return wrong_type(path + ".output", "one of a string or array of objects", *out);
  }
  return std::nullopt;
}

std::optional<RequestProblem> check_response_input(const Json& b) {
  const auto in = b.find("input");
  if (in == b.end() || in->is_null() || in->is_string()) return std::nullopt;
  if (!in->is_array()) return wrong_type("input", "one of a string or array of input items", *in);
  for (size_t i = 0; i < in->size(); ++i) {
    if (auto p = check_input_item((*in)[i], i)) return p;
  }
  return std::nullopt;
}

// `tools`: flat function tools ({"type":"function","name",…,"parameters"}); the built-in tool
// types are accepted as they are.
std::optional<RequestProblem> check_response_tools(const Json& b) {
  const auto tools = b.find("tools");
  if (tools == b.end() || tools->is_null()) return std::nullopt;
  if (!tools->is_array()) return wrong_type("tools", "an array of objects", *tools);
  for (size_t i = 0; i < tools->size(); ++i) {
    const Json& t = (*tools)[i];
    const std::string path = indexed("tools", i);
    if (!t.is_object()) return wrong_type(path, "an object", t);
    if (auto p = check_required_string(t, path, "type")) return p;
    if (t["type"] != "function") continue;
    if (auto p = check_required_string(t, path, "name")) return p;
    if (auto p = check_tool_name(t["name"].get<std::string>(), path + ".name")) return p;
    if (const auto ps = t.find("parameters"); ps != t.end() && !ps->is_null() && !ps->is_object()) {
      return wrong_type(path + ".parameters", "an object", *ps);
    }
  }
  return std::nullopt;
}

bool offers_function(const Json& b, const std::string& name) {
  const auto tools = b.find("tools");
  if (tools == b.end() || !tools->is_array()) return false;
  for (const Json& t : *tools) {
    if (t.is_object() && t.value("type", std::string()) == "function" && t.value("name", std::string()) == name) return true;
  }
  return false;
}

std::optional<WireError> check_response_tool_choice(const Json& b) {
  const auto tc = b.find("tool_choice");
  if (tc == b.end() || tc->is_null()) return std::nullopt;
  if (tc->is_string()) {
    const std::string& s = tc->get_ref<const std::string&>();
    if (s == "none" || s == "auto" || s == "required") return std::nullopt;
    return invalid_request("Invalid value: '" + s + "'. Supported values are: 'none', 'auto', and 'required'.", "tool_choice",
                   "invalid_value");
  }
  if (!tc->is_object()) return from_problem(wrong_type("tool_choice", "one of a string or object", *tc));
  if (tc->value("type", std::string()) != "function") return std::nullopt;
  const auto name = tc->find("name");
  if (name == tc->end() || !name->is_string()) {
    return invalid_request("Missing required parameter: 'tool_choice.name'.", "tool_choice.name", "missing_required_parameter");
  }
  if (!offers_function(b, name->get<std::string>())) {
    return invalid_request("Tool choice 'function' not found in 'tools' parameter.", "tool_choice");
  }
  return std::nullopt;
}

std::optional<RequestProblem> check_response_text_format(const Json& b) {
  static constexpr std::string_view kFormats[] = {"text", "json_schema", "json_object"};
  const auto text = b.find("text");
  if (text == b.end() || text->is_null()) return std::nullopt;
  if (!text->is_object()) return wrong_type("text", "an object", *text);
  const auto f = text->find("format");
  if (f == text->end() || f->is_null()) return std::nullopt;
  if (auto p = check_tagged_object(*f, "text.format", "type", kFormats)) return p;
  if ((*f)["type"] != "json_schema") return std::nullopt;
  if (auto p = check_required_string(*f, "text.format", "name")) return p;
  const auto schema = f->find("schema");
  if (schema == f->end()) return missing("text.format.schema");
  if (!schema->is_object()) return wrong_type("text.format.schema", "an object", *schema);
  return std::nullopt;
}

std::optional<WireError> check_response_flags(const Json& b) {
  for (const char* key : {"stream", "store", "parallel_tool_calls"}) {
    if (auto v = b.find(key); v != b.end() && !v->is_boolean() && !v->is_null()) {
      return from_problem(wrong_type(key, "a boolean", *v));
    }
  }
  if (auto v = b.find("previous_response_id"); v != b.end() && !v->is_string() && !v->is_null()) {
    return from_problem(wrong_type("previous_response_id", "a string", *v));
  }
  // `instructions` may also be a list of input items.
  if (auto v = b.find("instructions"); v != b.end() && !v->is_string() && !v->is_null() && !v->is_array()) {
    return from_problem(wrong_type("instructions", "a string", *v));
  }
  if (auto m = b.find("metadata"); m != b.end() && !m->is_object() && !m->is_null()) {
    return from_problem(wrong_type("metadata", "an object", *m));
  }
  return std::nullopt;
}

// `reasoning`: an object whose effort and summary are the API's values (or null);
// `include`: an array of strings.
std::optional<WireError> check_response_reasoning(const Json& b) {
  static constexpr std::string_view kSummaries[] = {"auto", "concise", "detailed"};
  if (auto inc = b.find("include"); inc != b.end() && !inc->is_null()) {
    if (!inc->is_array()) return from_problem(wrong_type("include", "an array", *inc));
    for (size_t i = 0; i < inc->size(); ++i) {
      if (!(*inc)[i].is_string()) return from_problem(wrong_type("include[" + std::to_string(i) + "]", "a string", (*inc)[i]));
    }
  }
  const auto r = b.find("reasoning");
  if (r == b.end() || r->is_null()) return std::nullopt;
  if (!r->is_object()) return from_problem(wrong_type("reasoning", "an object", *r));
  if (auto p = check_enum(*r, "effort", "reasoning.effort", kReasoningEfforts)) return from_problem(std::move(*p));
  if (auto p = check_enum(*r, "summary", "reasoning.summary", kSummaries)) return from_problem(std::move(*p));
  return std::nullopt;
}

std::optional<WireError> validate_responses_body(const Json* body) {
  if (body == nullptr || !body->is_object()) return unparsable_body();
  const Json& b = *body;
  const auto model = b.find("model");
  if (model == b.end() || model->is_null()) return from_problem(missing("model"));
  if (!model->is_string()) return from_problem(wrong_type("model", "a string", *model));
  if (auto e = check_response_flags(b)) return e;
  for (auto p : {check_decimal(b, "temperature", 0.0, 2.0, "2"), check_decimal(b, "top_p", 0.0, 1.0, "1"),
                 check_integer(b, "max_output_tokens", 16, 0), check_integer(b, "top_logprobs", 0, 20), check_response_input(b),
                 check_response_tools(b), check_response_text_format(b)}) {
    if (p) return from_problem(*p);
  }
  if (auto e = check_response_reasoning(b)) return e;
  return check_response_tool_choice(b);
}

// ---- the values a generator reads, and the echo ----

void add_item_text_chars(const Json& content, uint64_t& chars) {
  if (content.is_string()) {
    chars += content.get_ref<const std::string&>().size();
    return;
  }
  if (!content.is_array()) return;
  for (const Json& p : content) {
    if (!p.is_object()) continue;
    for (const char* key : {"text", "refusal"}) {
      if (auto t = p.find(key); t != p.end() && t->is_string()) chars += t->get_ref<const std::string&>().size();
    }
  }
}

void read_response_input(const Json& b, ServedResponsesRequest& out) {
  uint64_t& chars = out.chat.prompt_chars;
  if (auto ins = b.find("instructions"); ins != b.end()) add_item_text_chars(*ins, chars);
  const auto in = b.find("input");
  if (in == b.end()) return;
  if (in->is_string()) {
    chars += in->get_ref<const std::string&>().size();
    return;
  }
  if (!in->is_array()) return;
  for (const Json& item : *in) {
    const std::string type = item.value("type", std::string("message"));
    if (type == "message") {
      if (auto c = item.find("content"); c != item.end()) add_item_text_chars(*c, chars);
    } else if (type == "function_call") {
      out.call_ids.push_back(item["call_id"].get<std::string>());
      chars += item["arguments"].get_ref<const std::string&>().size();
    } else if (type == "function_call_output") {
      out.output_ids.push_back(item["call_id"].get<std::string>());
      add_item_text_chars(item["output"], chars);
    }
  }
  out.chat.last_message_is_tool = !in->empty() && in->back().value("type", std::string()) == "function_call_output";
}

// A function tool as a Response echoes it: type, description, name, parameters, strict.
Json echoed_response_tool(const Json& t) {
  if (t.value("type", std::string()) != "function") return t;
  Json e = Json::object();
  e["type"] = "function";
  e["description"] = t.contains("description") ? t["description"] : Json(nullptr);
  e["name"] = t["name"];
  e["parameters"] = t.contains("parameters") ? t["parameters"] : Json(nullptr);
  e["strict"] = t.contains("strict") && !t["strict"].is_null() ? t["strict"] : Json(true);
  return e;
}

void read_response_tools(const Json& b, ServedResponsesRequest& out) {
  ServedChatRequest& chat = out.chat;
  Json echoed = Json::array();
  if (auto tools = b.find("tools"); tools != b.end() && tools->is_array()) {
    for (const Json& t : *tools) {
      ServedTool st;
      st.custom = t.value("type", std::string()) != "function";
      if (!st.custom) {
        st.name = t["name"].get<std::string>();
        Json schema = t.contains("parameters") && t["parameters"].is_object() ? t["parameters"] : Json::object();
        if (!schema.contains("type")) schema["type"] = "object";
        st.parameters = schema.dump();
        if (st.name == chat.forced_name) chat.forced_tool = chat.tools.size();
      }
      chat.tools.push_back(std::move(st));
      echoed.push_back(echoed_response_tool(t));
    }
  }
  out.echo.tools = echoed.dump();
  if (auto p = b.find("parallel_tool_calls"); p != b.end() && p->is_boolean()) {
    chat.parallel_tool_calls = out.echo.parallel_tool_calls = p->get<bool>();
  }
}

void read_response_tool_choice(const Json& b, ServedResponsesRequest& out) {
  const auto tc = b.find("tool_choice");
  if (tc == b.end() || tc->is_null()) return;
  out.echo.tool_choice = tc->dump();
  if (tc->is_string()) {
    const std::string& s = tc->get_ref<const std::string&>();
    out.chat.tool_choice = s == "none" ? ToolChoiceMode::kNone : s == "required" ? ToolChoiceMode::kRequired : ToolChoiceMode::kAuto;
  } else if (tc->value("type", std::string()) == "function") {
    out.chat.tool_choice = ToolChoiceMode::kFunction;
    out.chat.forced_name = (*tc)["name"].get<std::string>();
  }
}

void read_response_format(const Json& b, ServedResponsesRequest& out) {
  const auto text = b.find("text");
  if (text == b.end() || !text->is_object()) return;
  Json echoed = {{"format", {{"type", "text"}}}, {"verbosity", text->value("verbosity", std::string("medium"))}};
  if (auto f = text->find("format"); f != text->end() && f->is_object()) {
    echoed["format"] = *f;
    const std::string type = f->value("type", std::string());
    if (type == "json_object") {
      out.chat.response_schema =
          Json{{"type", "object"}, {"properties", {{"answer", {{"type", "string"}}}}}, {"required", {"answer"}}}.dump();
    } else if (type == "json_schema") {
      out.chat.response_schema = (*f)["schema"].dump();
    }
  }
  out.echo.text = echoed.dump();
}

std::string dump_or_default(const Json& b, const char* key, std::string fallback) {
  const auto v = b.find(key);
  return v == b.end() || v->is_null() ? fallback : v->dump();
}

void read_response_values(const Json& b, ServedResponsesRequest& out) {
  ServedChatRequest& chat = out.chat;
  chat.model = b["model"].get<std::string>();
  if (auto s = b.find("stream"); s != b.end() && s->is_boolean()) chat.stream = s->get<bool>();
  if (auto m = b.find("max_output_tokens"); m != b.end() && m->is_number_integer()) chat.max_tokens = m->get<uint64_t>();
  if (auto s = b.find("store"); s != b.end() && s->is_boolean()) out.store = out.echo.store = s->get<bool>();
  if (auto p = b.find("previous_response_id"); p != b.end() && p->is_string()) out.previous_response_id = p->get<std::string>();
  read_response_input(b, out);
  read_response_tool_choice(b, out);
  read_response_tools(b, out);
  read_response_format(b, out);
  if (auto r = b.find("reasoning"); r != b.end() && r->is_object()) {
    if (auto v = r->find("effort"); v != r->end() && v->is_string()) out.reasoning_effort = v->get<std::string>();
    if (auto v = r->find("summary"); v != r->end() && v->is_string()) out.reasoning_summary = v->get<std::string>();
  }
  if (auto inc = b.find("include"); inc != b.end() && inc->is_array()) {
    for (const Json& v : *inc) out.encrypted_reasoning = out.encrypted_reasoning || v == "reasoning.encrypted_content";
  }
  ResponseEcho& e = out.echo;
  e.instructions = dump_or_default(b, "instructions", "null");
  e.max_output_tokens = dump_or_default(b, "max_output_tokens", "null");
  e.previous_response_id = dump_or_default(b, "previous_response_id", "null");
  e.temperature = dump_or_default(b, "temperature", "1.0");
  e.top_p = dump_or_default(b, "top_p", "1.0");
  e.metadata = dump_or_default(b, "metadata", "{}");
  e.user = dump_or_default(b, "user", "null");
}

}  // namespace

std::optional<WireError> read_served_responses_request(const nlohmann::json* body, ServedResponsesRequest& out) {
  if (auto err = validate_responses_body(body)) return err;
  out = ServedResponsesRequest{};
  read_response_values(*body, out);
  return std::nullopt;
}

WireError reasoning_unsupported() {
  return invalid_request("Unsupported parameter: 'reasoning.effort' is not supported with this model.", "reasoning.effort",
                         "unsupported_parameter");
}

WireError previous_response_not_found(std::string_view id) {
  return invalid_request("Previous response with id '" + std::string(id) + "' not found.", "previous_response_id",
                 "previous_response_not_found");
}

WireError unknown_call_output(std::string_view call_id) {
  return invalid_request("No tool call found for function call output with call_id " + std::string(call_id) + ".", "input");
}

WireError unanswered_call(std::string_view call_id) {
  return invalid_request("No tool output found for function call " + std::string(call_id) + ".", "input");
}

WireError response_not_found(std::string_view id) {
  return WireError{404, "Response with id '" + std::string(id) + "' not found.", "invalid_request_error", std::nullopt,
                   std::nullopt};
}

}  // namespace ploke::adapters::openai
