// The OpenRouter server half on top of the OpenAI one: error bodies
// ({"error":{"code":<int>,"message","metadata":{"error_type"}}}) and the models list
// (ModelsListResponse with total_count and links). See ploke/adapters/openrouter/server.h.
#include "ploke/adapters/openrouter/server.h"

#include <algorithm>
#include <string>

#include "json_writer.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/adapters/openrouter/render.h"

namespace ploke::adapters::openrouter {
namespace {

// OpenRouter's typed error_type for a status code.
std::string_view openrouter_error_type(StatusCode c) {
  switch (c) {
    case StatusCode::kRateLimited: return "rate_limit_exceeded";
    case StatusCode::kOverloaded: return "provider_overloaded";
    case StatusCode::kTimeout: return "timeout";
    case StatusCode::kAuth: return "authentication";
    case StatusCode::kPermission: return "permission_denied";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kInvalidRequest: return "invalid_request";
    case StatusCode::kContextLengthExceeded: return "context_length_exceeded";
    case StatusCode::kContentFilter: return "content_policy_violation";
    case StatusCode::kInsufficientCredits: return "payment_required";
    case StatusCode::kServerError:
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
    case StatusCode::kStreamInterrupted: return "provider_unavailable";
    default: return "server";
  }
}

}  // namespace

int openrouter_error_http_status(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInsufficientCredits: return 402;
    case StatusCode::kTimeout: return 408;
    case StatusCode::kServerError:
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
    case StatusCode::kStreamInterrupted: return 502;
    default: return adapters::openai::openai_error_http_status(st);
  }
}

void write_openrouter_error_object(std::string& out, int code, const Status& st) {
  const bool local = st.provider().empty() && st.http_status() == 0 &&
                     (st.code() == StatusCode::kInvalidRequest || st.code() == StatusCode::kNotFound);
  ErrorBody e{code, local ? st.message() : adapters::openai::openai_client_error_message(st), {}, {}, {}};
  e.error_type = std::string(openrouter_error_type(st.code()));
  write_openrouter_error_object(out, e);
}

Reply render_openrouter_error(const Status& st) {
  Reply out;
  out.status = openrouter_error_http_status(st);
  if (st.retry_after() && (out.status == 429 || out.status == 503)) {
    const int64_t ms = std::max<int64_t>(0, st.retry_after()->count());
    out.headers.emplace_back("retry-after", std::to_string((ms + 999) / 1000));
  }
  out.body = "{\"error\":";
  write_openrouter_error_object(out.body, out.status, st);
  out.body += '}';
  return out;
}

namespace {

void write_or_model(json_text::JsonWriter& w, const std::string& id, int64_t created) {
  auto text_list = [&](const char* k) {
    w.key(k);
    w.begin_array();
    w.str("text");
    w.end_array();
  };
  w.begin_object();
  w.key("id"); w.str(id);
  w.key("canonical_slug"); w.str(id);
  w.key("name"); w.str(id);
  w.key("created"); w.integer(created);
  w.key("description"); w.str("Served by the ploke gateway.");
  w.key("context_length"); w.null();
  w.key("architecture"); w.begin_object();
  w.key("modality"); w.str("text->text");
  text_list("input_modalities");
  text_list("output_modalities");
  w.key("tokenizer"); w.str("Other");
  w.key("instruct_type"); w.null();
  w.end_object();
  w.key("pricing"); w.begin_object();
  w.key("prompt"); w.str("0");
  w.key("completion"); w.str("0");
  w.end_object();
  w.key("top_provider"); w.begin_object();
  w.key("context_length"); w.null();
  w.key("max_completion_tokens"); w.null();
  w.key("is_moderated"); w.boolean(false);
  w.end_object();
  w.key("per_request_limits"); w.null();
  w.key("supported_parameters"); w.begin_array();
  for (const char* p : {"max_tokens", "temperature", "top_p", "stop", "seed", "tools", "tool_choice", "response_format"}) w.str(p);
  w.end_array();
  w.key("default_parameters"); w.null();
  w.key("supported_voices"); w.null();
  w.key("links"); w.begin_object();
  w.key("details"); w.str("/api/v1/models/" + id + "/endpoints");
  w.end_object();
  w.end_object();
}

}  // namespace

std::string render_openrouter_models(const std::vector<std::string>& ids, int64_t created) {
  std::string o;
  json_text::JsonWriter w(o);
  w.begin_object();
  w.key("data");
  w.begin_array();
  for (const auto& id : ids) write_or_model(w, id, created);
  w.end_array();
  w.key("total_count");
  w.integer(static_cast<int64_t>(ids.size()));
  w.key("links");
  w.begin_object();
  w.key("next");
  w.null();
  w.end_object();
  w.end_object();
  return o;
}

}  // namespace ploke::adapters::openrouter
