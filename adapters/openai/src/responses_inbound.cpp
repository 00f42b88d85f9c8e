// parse_openai_responses_request(): a Responses create body as the normalized request a
// gateway routes (to any provider), after the API's own validation. See responses.h.
#include <nlohmann/json.hpp>

#include <string>

#include "json_guard.h"
#include "ploke/adapters/openai/responses_served.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;

Status not_served(const std::string& path, const std::string& what) {
  return InvalidRequestError(path + ": " + what + " is not supported by this gateway");
}

std::string output_text_of(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  std::string out;
  if (!v.is_array()) return out;
  for (const Json& p : v) {
    if (p.is_object() && p.contains("text") && p["text"].is_string()) out += p["text"].get_ref<const std::string&>();
  }
  return out;
}

Role role_named(const std::string& r) {
  if (r == "assistant") return Role::kAssistant;
  if (r == "system") return Role::kSystem;
  if (r == "developer") return Role::kDeveloper;
  return Role::kUser;
}

// A message item's content parts (input_text / output_text / input_image; others refused).
Status read_item_parts(const Json& content, const std::string& path, Message& m) {
  if (content.is_string()) {
    m.content.push_back(ContentPart::Text(content.get<std::string>()));
    return Status::Ok();
  }
  for (size_t j = 0; j < content.size(); ++j) {
    const Json& p = content[j];
    const std::string type = p["type"].get<std::string>();
    if (type == "input_text" || type == "output_text") {
      m.content.push_back(ContentPart::Text(p.value("text", std::string())));
    } else if (type == "input_image" && p.contains("image_url") && p["image_url"].is_string()) {
      m.content.push_back(ContentPart::Image(p["image_url"].get<std::string>(), p.value("detail", std::string())));
    } else if (type != "refusal") {
      return not_served(path + ".content[" + std::to_string(j) + "]", "'" + type + "'");
    }
  }
  return Status::Ok();
}

// One input item onto the conversation: function calls join the assistant message before
// them (parallel calls, or text then calls), outputs become tool messages.
Status read_input_item(const Json& item, const std::string& path, std::vector<Message>& out) {
  const std::string type = item.value("type", std::string("message"));
  if (type == "message") {
    Message m;
    m.role = role_named(item["role"].get<std::string>());
    PLOKE_RETURN_IF_ERROR(read_item_parts(item["content"], path, m));
    out.push_back(std::move(m));
  } else if (type == "function_call") {
    if (out.empty() || out.back().role != Role::kAssistant) out.push_back(Message{Role::kAssistant, {}, {}, {}, {}, {}});
    out.back().tool_calls.push_back(
        ToolCall{item["call_id"].get<std::string>(), item["name"].get<std::string>(), item["arguments"].get<std::string>()});
  } else if (type == "function_call_output") {
    out.push_back(Message::ToolResult(item["call_id"].get<std::string>(), output_text_of(item["output"])));
  } else if (type != "reasoning") {
    return not_served(path, "an input item of type '" + type + "'");
  }
  return Status::Ok();
}

Status read_input_messages(const Json& b, ChatRequest& r) {
  if (auto ins = b.find("instructions"); ins != b.end() && !ins->is_null()) {
    if (!ins->is_string()) return not_served("instructions", "an array");
    r.messages.push_back(Message::System(ins->get<std::string>()));
  }
  const auto in = b.find("input");
  if (in == b.end() || in->is_null()) return InvalidRequestError("input: Missing required parameter: 'input'.");
  if (in->is_string()) {
    r.messages.push_back(Message::User(in->get<std::string>()));
    return Status::Ok();
  }
  for (size_t i = 0; i < in->size(); ++i) {
    PLOKE_RETURN_IF_ERROR(read_input_item((*in)[i], "input[" + std::to_string(i) + "]", r.messages));
  }
  return Status::Ok();
}

Status read_flat_tools(const Json& b, ChatRequest& r) {
  const auto tools = b.find("tools");
  if (tools == b.end() || !tools->is_array()) return Status::Ok();
  for (size_t i = 0; i < tools->size(); ++i) {
    const Json& t = (*tools)[i];
    const std::string type = t["type"].get<std::string>();
    if (type != "function") return not_served("tools[" + std::to_string(i) + "]", "a tool of type '" + type + "'");
    ToolDefinition d;
    d.name = t["name"].get<std::string>();
    if (auto desc = t.find("description"); desc != t.end() && desc->is_string()) d.description = desc->get<std::string>();
    if (auto p = t.find("parameters"); p != t.end() && p->is_object()) d.parameters_json = p->dump();
    if (auto s = t.find("strict"); s != t.end() && s->is_boolean()) d.strict = s->get<bool>();
    r.tools.push_back(std::move(d));
  }
  return Status::Ok();
}

void read_responses_choice_and_format(const Json& b, const ServedResponsesRequest& served, ChatRequest& r) {
  const ServedChatRequest& c = served.chat;
  if (b.contains("tool_choice") && !b["tool_choice"].is_null()) {
    r.tool_choice.mode = c.tool_choice == ToolChoiceMode::kNone       ? ToolChoice::Mode::kNone
                         : c.tool_choice == ToolChoiceMode::kRequired ? ToolChoice::Mode::kRequired
                         : c.tool_choice == ToolChoiceMode::kFunction ? ToolChoice::Mode::kFunction
                                                                      : ToolChoice::Mode::kAuto;
    r.tool_choice.function_name = c.forced_name;
  }
  if (auto p = b.find("parallel_tool_calls"); p != b.end() && p->is_boolean()) r.parallel_tool_calls = p->get<bool>();
  const auto text = b.find("text");
  if (text == b.end() || !text->is_object() || !text->contains("format") || !(*text)["format"].is_object()) return;
  const Json& f = (*text)["format"];
  const std::string type = f.value("type", std::string());
  if (type == "json_object") r.response_format.kind = ResponseFormat::Kind::kJsonObject;
  if (type == "text") r.response_format.kind = ResponseFormat::Kind::kText;
  if (type != "json_schema") return;
  r.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  r.response_format.schema_name = f.value("name", std::string());
  r.response_format.schema_json = f["schema"].dump();
  if (auto s = f.find("strict"); s != f.end() && s->is_boolean()) r.response_format.strict = s->get<bool>();
}

Result<InboundResponsesRequest> parse_responses_impl(std::string_view body) {
  if (Status st = detail::check_json_input(body); !st.ok()) return InvalidRequestError("body: " + st.message());
  const Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  ServedResponsesRequest served;
  if (auto e = read_served_responses_request(j.is_discarded() ? nullptr : &j, served)) {
    return InvalidRequestError(e->param ? *e->param + ": " + e->message : e->message);
  }
  InboundResponsesRequest out;
  out.previous_response_id = std::move(served.previous_response_id);
  out.store = served.store;
  out.call_ids = std::move(served.call_ids);
  out.output_ids = std::move(served.output_ids);
  ChatRequest& r = out.inbound.request;
  r.model = served.chat.model;
  r.stream = served.chat.stream;
  PLOKE_RETURN_IF_ERROR(read_input_messages(j, r));
  if (auto ins = j.find("instructions"); ins != j.end() && ins->is_string()) out.instruction_messages = 1;
  PLOKE_RETURN_IF_ERROR(read_flat_tools(j, r));
  read_responses_choice_and_format(j, served, r);
  if (auto t = j.find("temperature"); t != j.end() && t->is_number()) r.temperature = t->get<double>();
  if (auto t = j.find("top_p"); t != j.end() && t->is_number()) r.top_p = t->get<double>();
  if (served.chat.max_tokens) r.max_output_tokens = static_cast<uint32_t>(std::min<uint64_t>(*served.chat.max_tokens, UINT32_MAX));
  if (auto u = j.find("user"); u != j.end() && u->is_string()) r.user = u->get<std::string>();
  // A preference each upstream honours as it can (OpenAI's reasoning models, OpenRouter, an
  // Anthropic thinking budget) and the others drop.
  if (served.reasoning_effort) r.reasoning.effort = *served.reasoning_effort;
  out.echo = std::move(served.echo);
  return out;
}

}  // namespace

Result<InboundResponsesRequest> parse_openai_responses_request(std::string_view body) {
  try {
    return parse_responses_impl(body);
  } catch (const std::exception& e) {
    return InvalidRequestError(std::string("body: ") + e.what());
  }
}

}  // namespace ploke::adapters::openai
