// OpenAiResponsesAdapter: request shaping, non-stream parsing, errors and rate limits. The
// stream decoder is in responses_client_stream.cpp. See responses_adapter.h.
#include <nlohmann/json.hpp>

#include "json_guard.h"
#include "internal.h"
#include "json_writer.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/errors.h"
#include "ploke/adapters/openai/responses_adapter.h"
#include "responses_client.h"

namespace ploke::adapters::openai {
namespace {

using json_text::JsonWriter;

std::string_view role_word(Role r) {
  switch (r) {
    case Role::kSystem: return "system";
    case Role::kDeveloper: return "developer";
    case Role::kAssistant: return "assistant";
    default: return "user";
  }
}

// A message's content: one string, or input parts (text, images) for a user with images.
void write_content(JsonWriter& w, const Message& m) {
  const bool images = std::any_of(m.content.begin(), m.content.end(),
                                  [](const ContentPart& p) { return p.kind == ContentPart::Kind::kImageUrl; });
  if (!images) {
    w.key("content").str(m.text());
    return;
  }
  w.key("content").begin_array();
  for (const ContentPart& p : m.content) {
    w.begin_object();
    if (p.kind == ContentPart::Kind::kImageUrl) {
      w.key("type").str("input_image");
      w.key("image_url").str(p.image_url);
      if (!p.image_detail.empty()) w.key("detail").str(p.image_detail);
    } else {
      w.key("type").str("input_text");
      w.key("text").str(p.text);
    }
    w.end_object();
  }
  w.end_array();
}

void write_input(JsonWriter& w, const std::vector<Message>& messages) {
  w.key("input").begin_array();
  for (const Message& m : messages) {
    if (m.role == Role::kTool) {
      w.begin_object();
      w.key("type").str("function_call_output");
      w.key("call_id").str(m.tool_call_id);
      w.key("output").str(m.text());
      w.end_object();
      continue;
    }
    if (!m.content.empty() || m.tool_calls.empty()) {
      w.begin_object();
      w.key("role").str(role_word(m.role));
      write_content(w, m);
      w.end_object();
    }
    for (const ToolCall& c : m.tool_calls) {
      w.begin_object();
      w.key("type").str("function_call");
      w.key("call_id").str(c.id);
      w.key("name").str(c.name);
      w.key("arguments").str(c.arguments_json);
      w.end_object();
    }
  }
  w.end_array();
}

Status write_tools(JsonWriter& w, const ChatRequest& r) {
  if (!r.tools.empty()) {
    w.key("tools").begin_array();
    for (size_t i = 0; i < r.tools.size(); ++i) {
      const ToolDefinition& t = r.tools[i];
      w.begin_object();
      w.key("type").str("function");
      w.key("name").str(t.name);
      if (!t.description.empty()) w.key("description").str(t.description);
      const std::string params = t.parameters_json.empty() ? R"({"type":"object","properties":{}})" : t.parameters_json;
      if (!nlohmann::json::accept(params)) return InvalidRequestError("tools[" + std::to_string(i) + "].parameters: invalid JSON");
      w.key("parameters").raw(params);
      w.key("strict").boolean(t.strict.value_or(false));
      w.end_object();
    }
    w.end_array();
  }
  switch (r.tool_choice.mode) {
    case ToolChoice::Mode::kUnset: break;
    case ToolChoice::Mode::kNone: w.key("tool_choice").str("none"); break;
    case ToolChoice::Mode::kAuto: w.key("tool_choice").str("auto"); break;
    case ToolChoice::Mode::kRequired: w.key("tool_choice").str("required"); break;
    case ToolChoice::Mode::kFunction:
      w.key("tool_choice").begin_object();
      w.key("type").str("function");
      w.key("name").str(r.tool_choice.function_name);
      w.end_object();
      break;
  }
  if (r.parallel_tool_calls) w.key("parallel_tool_calls").boolean(*r.parallel_tool_calls);
  return Status::Ok();
}

Status write_format(JsonWriter& w, const ResponseFormat& f) {
  if (f.kind == ResponseFormat::Kind::kUnset) return Status::Ok();
  w.key("text").begin_object();
  w.key("format").begin_object();
  if (f.kind == ResponseFormat::Kind::kJsonSchema) {
    if (f.schema_name.empty()) return InvalidRequestError("response_format.json_schema.name: required");
    if (!nlohmann::json::accept(f.schema_json)) return InvalidRequestError("response_format.json_schema.schema: invalid JSON");
    w.key("type").str("json_schema");
    w.key("name").str(f.schema_name);
    w.key("schema").raw(f.schema_json);
    if (f.strict) w.key("strict").boolean(*f.strict);
  } else {
    w.key("type").str(f.kind == ResponseFormat::Kind::kJsonObject ? "json_object" : "text");
  }
  w.end_object();
  w.end_object();
  return Status::Ok();
}

// What Chat Completions has and the Responses API does not.
Status check_expressible(const ChatRequest& r) {
  if (r.model.empty()) return InvalidRequestError("model: required");
  if (r.messages.empty()) return InvalidRequestError("messages: at least one message is required");
  if (!r.stop.empty()) return InvalidRequestError("stop: the Responses API has no stop sequences");
  if (r.seed) return InvalidRequestError("seed: the Responses API has no seed");
  if (r.frequency_penalty || r.presence_penalty) return InvalidRequestError("frequency_penalty: the Responses API has no penalties");
  if (r.logprobs) return InvalidRequestError("logprobs: not supported by the openai-responses adapter");
  return Status::Ok();
}

Result<HttpRequest> build_impl(const ChatRequest& r, const Endpoint& ep) {
  PLOKE_RETURN_IF_ERROR(check_expressible(r));
  HttpRequest http = openai_post_request(ep, "/responses", r.stream);
  JsonWriter w(http.body);
  w.begin_object();
  w.key("model").str(r.model);
  write_input(w, r.messages);
  PLOKE_RETURN_IF_ERROR(write_tools(w, r));
  PLOKE_RETURN_IF_ERROR(write_format(w, r.response_format));
  if (r.temperature) w.key("temperature").number(*r.temperature);
  if (r.top_p) w.key("top_p").number(*r.top_p);
  if (r.max_output_tokens) w.key("max_output_tokens").integer(*r.max_output_tokens);
  if (!r.user.empty()) w.key("user").str(r.user);
  w.key("store").boolean(false);
  if (r.stream) w.key("stream").boolean(true);
  w.end_object();
  return http;
}

using Json = nlohmann::json;

uint64_t count_at(const Json& obj, const char* key) {
  const auto v = obj.find(key);
  return v != obj.end() && v->is_number_unsigned() ? v->get<uint64_t>() : 0;
}

void read_output(const Json& output, ChatResponse& out) {
  for (const Json& item : output) {
    if (!item.is_object()) continue;
    const std::string type = item.value("type", std::string());
    if (type == "function_call") {
      out.tool_calls.push_back(ToolCall{item.value("call_id", std::string()), item.value("name", std::string()),
                                        item.value("arguments", std::string())});
    } else if (type == "reasoning" && item.contains("summary") && item["summary"].is_array()) {
      for (const Json& part : item["summary"]) {
        if (part.is_object() && part.value("type", std::string()) == "summary_text") out.reasoning += part.value("text", std::string());
      }
    } else if (type == "message" && item.contains("content") && item["content"].is_array()) {
      for (const Json& part : item["content"]) {
        if (!part.is_object()) continue;
        if (part.value("type", std::string()) == "output_text") out.content += part.value("text", std::string());
        if (part.value("type", std::string()) == "refusal") out.refusal += part.value("refusal", std::string());
      }
    }
  }
}

}  // namespace

/// The usage of a Response's `usage` object (shared with the stream decoder).
Usage responses_usage(const Json& u) {
  Usage out;
  out.prompt_tokens = count_at(u, "input_tokens");
  out.completion_tokens = count_at(u, "output_tokens");
  out.total_tokens = count_at(u, "total_tokens");
  if (out.total_tokens == 0) out.total_tokens = out.prompt_tokens + out.completion_tokens;
  if (auto d = u.find("input_tokens_details"); d != u.end() && d->is_object()) out.cached_prompt_tokens = count_at(*d, "cached_tokens");
  if (auto d = u.find("output_tokens_details"); d != u.end() && d->is_object()) out.reasoning_tokens = count_at(*d, "reasoning_tokens");
  return out;
}

/// A Response object as the normalized answer (shared with the stream decoder).
Result<ChatResponse> responses_answer(const Json& j, const std::string& provider) {
  if (!j.is_object()) return MalformedResponseError("response: expected a JSON object").with_provider(provider);
  const std::string status = j.value("status", std::string());
  if (status == "failed") {
    const Json err = j.contains("error") && j["error"].is_object() ? j["error"] : Json::object();
    return ServerError("response failed: " + err.value("message", std::string("no message"))).with_provider(provider);
  }
  ChatResponse out;
  out.provider = provider;
  out.id = j.value("id", std::string());
  out.model = j.value("model", std::string());
  if (auto o = j.find("output"); o != j.end() && o->is_array()) read_output(*o, out);
  out.native_finish_reason = status;
  out.finish_reason = status == "incomplete"      ? FinishReason::kLength
                      : !out.tool_calls.empty()   ? FinishReason::kToolCalls
                                                  : FinishReason::kStop;
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) out.usage = responses_usage(*u);
  return out;
}

Result<HttpRequest> OpenAiResponsesAdapter::build_request(const ChatRequest& request, const Endpoint& endpoint) const {
  try {
    return build_impl(request, endpoint);
  } catch (const std::exception& e) {
    return InternalError(std::string("openai-responses build_request: ") + e.what());
  }
}

Result<ChatResponse> OpenAiResponsesAdapter::parse_response(const HttpResponse& response, const Endpoint& endpoint) const {
  if (Status st = detail::check_json_input(response.body); !st.ok()) {
    return MalformedResponseError("response body: " + st.message()).with_provider(endpoint.provider);
  }
  const Json j = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MalformedResponseError("response body: invalid JSON").with_provider(endpoint.provider);
  try {
    // A 200 whose body is an error object (no Response): the error it carries.
    if (j.is_object() && j.contains("error") && j["error"].is_object() && !j.contains("output")) {
      return map_openai_error(response.status, response.body, response.headers, endpoint.provider);
    }
    Result<ChatResponse> r = responses_answer(j, endpoint.provider);
    if (r.ok()) {
      if (auto rid = response.headers.get(kRequestIdHeader)) r->request_id = std::string(*rid);
    }
    return r;
  } catch (const std::exception& e) {
    return MalformedResponseError(std::string("response body: ") + e.what()).with_provider(endpoint.provider);
  }
}

Status OpenAiResponsesAdapter::map_error(const HttpResponse& response, const Endpoint& endpoint) const {
  try {
    return map_openai_error(response.status, response.body, response.headers, endpoint.provider);
  } catch (const std::exception& e) {
    return InternalError(std::string("openai-responses map_error: ") + e.what());
  }
}

RateLimitObservation OpenAiResponsesAdapter::observe_rate_limits(const Headers& headers, SystemTime system_now) const {
  return OpenAiAdapter().observe_rate_limits(headers, system_now);
}

std::span<const std::string_view> OpenAiResponsesAdapter::request_id_headers() const {
  static constexpr std::string_view kHeaders[] = {kRequestIdHeader};
  return kHeaders;
}

ProviderAdapterPtr make_openai_responses_adapter() { return std::make_unique<OpenAiResponsesAdapter>(); }

}  // namespace ploke::adapters::openai
