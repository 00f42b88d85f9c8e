// The served request's validation (served_request.h): the API's own checks (checks.h,
// shared with the gateway), tool/tool_call pairing, tool_choice.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "ploke/adapters/openai/checks_json.h"
#include "ploke/adapters/openai/served_request.h"
#include "server_internal.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;
using ErrorSpec = WireError;

ErrorSpec invalid(std::string msg, std::optional<std::string> param = std::nullopt,
                  std::optional<std::string> code = std::nullopt) {
  return invalid_request(std::move(msg), std::move(param), std::move(code));
}

// Tool messages must answer a preceding assistant tool_calls, and every call must be
// answered.
std::optional<ErrorSpec> validate_tool_pairing(const Json& messages) {
  std::vector<std::string> pending;  // tool_call ids awaiting a tool message
  size_t pending_from = 0;
  bool tool_allowed = false;
  for (size_t i = 0; i < messages.size(); ++i) {
    const Json& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      return invalid("Missing required parameter: 'messages.[" + std::to_string(i) + "].role'.",
                     "messages.[" + std::to_string(i) + "].role", "missing_required_parameter");
    }
    const std::string& role = m["role"].get_ref<const std::string&>();
    if (role == "tool") {
      if (!tool_allowed) {
        return invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                       "message with 'tool_calls'.",
                       "messages.[" + std::to_string(i) + "].role");
      }
      if (auto id = m.find("tool_call_id"); id != m.end() && id->is_string()) {
        pending.erase(std::remove(pending.begin(), pending.end(), id->get<std::string>()), pending.end());
      }
      continue;
    }
    if (!pending.empty()) break;
    tool_allowed = false;
    if (role == "assistant") {
      if (auto tc = m.find("tool_calls"); tc != m.end() && tc->is_array() && !tc->empty()) {
        tool_allowed = true;
        pending_from = i;
        for (const Json& c : *tc) {
          if (c.is_object() && c.contains("id") && c["id"].is_string()) pending.push_back(c["id"].get<std::string>());
        }
      }
    }
  }
  if (!pending.empty()) {
    std::string ids;
    for (const auto& id : pending) ids += (ids.empty() ? "" : ", ") + id;
    return invalid("An assistant message with 'tool_calls' must be followed by tool messages responding to "
                   "each 'tool_call_id'. The following tool_call_ids did not have response messages: " + ids,
                   "messages.[" + std::to_string(pending_from) + "].role");
  }
  return std::nullopt;
}

std::optional<ErrorSpec> validate_tool_choice(const Json& b) {
  const Json* tools = nullptr;
  if (auto t = b.find("tools"); t != b.end() && t->is_array() && !t->empty()) tools = &*t;
  if (auto tc = b.find("tool_choice"); tc != b.end() && !tc->is_null()) {
    std::string fname;
    bool needs_tools = false;
    if (tc->is_string()) {
      const auto& s = tc->get_ref<const std::string&>();
      if (s != "none" && s != "auto" && s != "required") {
        return invalid("Invalid value: '" + s + "'. Supported values are: 'none', 'auto', and 'required'.",
                       "tool_choice", "invalid_value");
      }
      needs_tools = (s == "required");
    } else if (tc->is_object()) {
      needs_tools = true;
      if (auto f = tc->find("function"); f != tc->end() && f->is_object() && f->contains("name") &&
                                         (*f)["name"].is_string()) {
        fname = (*f)["name"].get<std::string>();
      } else {
        return invalid("Missing required parameter: 'tool_choice.function.name'.", "tool_choice.function.name",
                       "missing_required_parameter");
      }
    }
    if (needs_tools && tools == nullptr) {
      return invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                     "tool_choice");
    }
    if (!fname.empty()) {
      bool found = false;
      for (const Json& t : *tools) {
        if (t.is_object() && t.contains("function") && t["function"].is_object() &&
            t["function"].value("name", std::string()) == fname) {
          found = true;
        }
      }
      if (!found) {
        return invalid("Invalid value for 'tool_choice': function '" + fname +
                           "' is not one of the tools provided in 'tools'.",
                       "tool_choice");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<WireError> check_body_and_model(const Json* body) {
  if (body == nullptr || !body->is_object()) return unparsable_body();
  auto model_it = body->find("model");
  if (model_it == body->end() || !model_it->is_string() || model_it->get_ref<const std::string&>().empty()) {
    return invalid("you must provide a model parameter");
  }
  return std::nullopt;
}

std::optional<ErrorSpec> validate_served_chat_request(const Json* body) {
  if (auto e = check_body_and_model(body)) return e;
  const Json& b = *body;
  auto msgs_it = b.find("messages");
  if (msgs_it == b.end()) {
    return invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  }
  if (!msgs_it->is_array()) {
    return invalid("Invalid type for 'messages': expected an array of objects, but got " +
                       std::string(msgs_it->type_name()) + " instead.",
                   "messages", "invalid_type");
  }
  if (msgs_it->empty()) {
    return invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
                   "empty array instead.",
                   "messages", "empty_array");
  }
  if (auto s = b.find("stream"); s != b.end() && !s->is_boolean() && !s->is_null()) {
    return invalid("Invalid type for 'stream': expected a boolean, but got " + std::string(s->type_name()) +
                       " instead.",
                   "stream", "invalid_type");
  }
  if (auto p = adapters::openai::checks::check_parsed(b)) {  // ranges, enums, content types
    return invalid(p->message, p->param.empty() ? std::nullopt : std::optional<std::string>(p->param),
                   p->code.empty() ? std::nullopt : std::optional<std::string>(p->code));
  }
  if (auto e = validate_tool_pairing(*msgs_it)) return e;
  if (auto e = validate_tool_choice(b)) return e;
  return std::nullopt;
}

WireError invalid_request(std::string msg, std::optional<std::string> param, std::optional<std::string> code) {
  return WireError{400, std::move(msg), "invalid_request_error", std::move(param), std::move(code)};
}

WireError unparsable_body() {
  return invalid(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
      "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
      "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
      "help center at help.openai.com.)");
}

WireError model_not_found(std::string_view model) {
  return WireError{404, "The model `" + std::string(model) + "` does not exist or you do not have access to it.",
                   "invalid_request_error", std::nullopt, "model_not_found"};
}

}  // namespace ploke::adapters::openai
