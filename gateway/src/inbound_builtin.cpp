// The built-in inbound protocols and register_builtin_inbound() (ploke/gateway/inbound.h):
//   openai      POST /v1/chat/completions, /chat/completions
//   openrouter  POST /api/v1/chat/completions (OpenRouter's dialect, errors and model list)
//   anthropic   POST /v1/messages, /messages; POST /v1/messages/count_tokens (local)
//   responses   POST /v1/responses, /responses; GET / DELETE /v1/responses/{id} (local)
//   embeddings  POST /v1/embeddings, /embeddings
// The OpenAI-shaped ones count under the metrics label "openai", Anthropic under its own.
#include <chrono>
#include <optional>

#include "ploke/adapters/anthropic/server.h"
#include "ploke/adapters/openai/responses.h"
#include "ploke/adapters/openai/responses_served.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/adapters/openrouter/server.h"
#include "ploke/gateway/inbound.h"
#include "embeddings_call.h"
#include "gateway_access.h"

namespace ploke::gateway {
namespace {

using adapters::inbound::InboundRequest;
namespace an = adapters::anthropic;
namespace oa = adapters::openai;

// What every built-in session keeps of its request: the trace id, the answer's `created`
// and the parsed request (owned by the call, alive until the reply's last byte).
template <typename Writer>
class WireSession : public ChatSession {
 public:
  std::string event(const StreamEvent& e) override { return w_->event(e); }
  std::string finish(const ChatResponse& r) override { return w_->finish(r); }
  std::string stream_error(const Status& st) override { return w_->error(st); }

 protected:
  void parsed(const InboundExchange& x, const InboundRequest& in) {
    trace_id_ = x.trace_id;
    created_ = std::chrono::duration_cast<std::chrono::seconds>(x.gateway.clock().system_now().time_since_epoch()).count();
    in_ = &in;
  }
  std::string model(const StreamEvent* start) const {
    return start != nullptr && !start->model.empty() ? start->model : in_->request.model;
  }
  std::string trace_id_;
  int64_t created_ = 0;
  const InboundRequest* in_ = nullptr;
  std::optional<Writer> w_;
};

// Chat Completions, in OpenAI's or OpenRouter's dialect. Both routes accept OpenRouter's
// routing members (models, provider).
class ChatCompletionsSession final : public WireSession<oa::OpenAiSseWriter> {
 public:
  explicit ChatCompletionsSession(oa::ChatDialect dialect) : dialect_(dialect) {}
  Status parse(const InboundExchange& x, InboundRequest& in) override {
    auto p = adapters::openrouter::parse_openrouter_chat_request(x.request.body);
    if (!p.ok()) return p.status();
    in = std::move(p).value();
    parsed(x, in);
    return Status::Ok();
  }
  std::string render(const std::vector<ChatResponse>& choices, const std::optional<Usage>& usage) override {
    return oa::render_openai_chat_completion(choices, usage, created_, trace_id_, dialect_);
  }
  void open_stream(const StreamEvent* start) override {
    std::string id = start != nullptr && !start->id.empty() ? start->id : oa::completion_id(trace_id_);
    w_.emplace(std::move(id), model(start), created_, in_->include_usage, dialect_);
  }
  void begin_choice(uint32_t index) override { w_->begin_choice(index); }
  std::string finish_choice(const ChatResponse& r) override { return w_->finish_choice(r); }

 private:
  oa::ChatDialect dialect_;
};

class MessagesSession final : public WireSession<an::AnthropicSseWriter> {
 public:
  Status parse(const InboundExchange& x, InboundRequest& in) override {
    auto p = an::parse_anthropic_messages_request(x.request.body);
    if (!p.ok()) return p.status();
    in = std::move(p).value();
    parsed(x, in);
    return Status::Ok();
  }
  std::string render(const std::vector<ChatResponse>& choices, const std::optional<Usage>& /*usage*/) override {
    return an::render_anthropic_message(choices.front(), trace_id_);
  }
  void open_stream(const StreamEvent* start) override {
    w_.emplace(an::local_message_id(trace_id_), model(start), adapters::inbound::estimate_prompt_tokens(in_->request));
  }
};

// A Responses create: a continuation gets the stored conversation before its input
// (instructions are not carried over); with `store` its own conversation is kept before
// the answer's last byte goes out.
class ResponsesSession final : public WireSession<oa::ResponsesSseWriter> {
 public:
  explicit ResponsesSession(internal::ResponseStore& store) : store_(store) {}
  Status parse(const InboundExchange& x, InboundRequest& in) override;
  std::string render(const std::vector<ChatResponse>& choices, const std::optional<Usage>& usage) override {
    std::string body = oa::render_openai_response(choices.front(), usage, created_, trace_id_, echo_);
    keep(choices.front(), body);
    return body;
  }
  void open_stream(const StreamEvent* start) override { w_.emplace(trace_id_, model(start), created_, echo_); }
  std::string finish(const ChatResponse& r) override {
    keep(r, oa::render_openai_response(r, r.usage, created_, trace_id_, echo_));
    return w_->finish(r);
  }

 private:
  void keep(const ChatResponse& r, std::string body);
  internal::ResponseStore& store_;
  oa::ResponseEcho echo_;             // what a Response repeats of the request
  bool store_answer_ = false;         // `store`
  std::vector<Message> stored_input_;  // with `store`: the conversation before the answer
};

Status ResponsesSession::parse(const InboundExchange& x, InboundRequest& in) {
  auto p = oa::parse_openai_responses_request(x.request.body);
  if (!p.ok()) return p.status();
  std::shared_ptr<const internal::StoredResponse> previous;
  if (p->previous_response_id) {
    previous = store_.get(*p->previous_response_id);
    if (!previous) {
      return InvalidRequestError("previous_response_id: Previous response with id '" + *p->previous_response_id +
                                 "' not found.");
    }
  }
  PLOKE_RETURN_IF_ERROR(internal::check_call_outputs(p->call_ids, p->output_ids, previous.get()));
  in = std::move(p->inbound);
  echo_ = std::move(p->echo);
  store_answer_ = p->store;
  std::vector<Message>& messages = in.request.messages;
  const auto input = static_cast<std::ptrdiff_t>(p->instruction_messages);
  if (previous) messages.insert(messages.begin() + input, previous->conversation.begin(), previous->conversation.end());
  if (store_answer_) stored_input_.assign(messages.begin() + input, messages.end());
  parsed(x, in);
  return Status::Ok();
}

void ResponsesSession::keep(const ChatResponse& r, std::string body) {
  if (!store_answer_) return;
  internal::StoredResponse s{internal::conversation_after(std::move(stored_input_), r), {}, std::move(body)};
  for (const ToolCall& c : r.tool_calls) s.calls.push_back(c.id);
  store_.put(oa::response_id(trace_id_), std::move(s));
}

class OpenAiProtocol final : public InboundProtocol {
 public:
  std::string_view name() const override { return "openai"; }
  std::vector<InboundRoute> routes() const override {
    return {{"POST", "/v1/chat/completions"}, {"POST", "/chat/completions"}};
  }
  void serve(InboundExchange& x) const override {
    ChatCompletionsSession s{oa::ChatDialect{}};
    serve_chat(x, s);
  }
};

class OpenRouterProtocol final : public InboundProtocol {
 public:
  std::string_view name() const override { return "openrouter"; }
  std::vector<InboundRoute> routes() const override { return {{"POST", "/api/v1/chat/completions"}}; }
  int claims(const Request& r) const override { return r.path.starts_with("/api/v1/") ? 2 : 0; }
  std::string_view metrics_label() const override { return "openai"; }
  adapters::inbound::Reply render_error(const Status& st, const std::string& /*trace_id*/) const override {
    return adapters::openrouter::render_openrouter_error(st);
  }
  std::string render_models(const std::vector<std::string>& ids, int64_t created) const override {
    return adapters::openrouter::render_openrouter_models(ids, created);
  }
  void serve(InboundExchange& x) const override {
    ChatCompletionsSession s{adapters::openrouter::openrouter_chat_dialect()};
    serve_chat(x, s);
  }
};

class AnthropicProtocol final : public InboundProtocol {
 public:
  static constexpr std::string_view kCountTokens = "/v1/messages/count_tokens";
  std::string_view name() const override { return "anthropic"; }
  std::vector<InboundRoute> routes() const override {
    return {{"POST", "/v1/messages"}, {"POST", "/messages"}, {"POST", std::string(kCountTokens), false, false}};
  }
  int claims(const Request& r) const override {
    if (r.path == "/v1/messages" || r.path == "/messages" || r.path.starts_with("/v1/messages/")) return 2;
    return r.headers.has(an::kVersionHeader) ? 1 : 0;  // e.g. GET /v1/models
  }
  std::string_view request_id_header() const override { return an::kRequestIdHeader; }
  adapters::inbound::Reply render_error(const Status& st, const std::string& trace_id) const override {
    return an::render_anthropic_error(st, trace_id);
  }
  Status busy_error(std::string message) const override { return OverloadedError(std::move(message)); }
  Status unknown_model(const std::string& model) const override { return NotFoundError("model: " + model); }
  std::string render_models(const std::vector<std::string>& ids, int64_t /*created*/) const override {
    return an::render_anthropic_models(ids);
  }
  std::string render_model(const std::string& id, int64_t /*created*/) const override {
    return an::render_anthropic_model(id);
  }
  void serve(InboundExchange& x) const override {
    if (x.route.path == kCountTokens) return count_tokens(x);
    MessagesSession s;
    serve_chat(x, s);
  }

 private:
  // The request checked as /v1/messages checks it (bar max_tokens), answered locally with
  // the gateway's prompt estimate (no upstream call).
  static void count_tokens(InboundExchange& x) {
    auto in = an::parse_anthropic_count_tokens_request(x.request.body);
    if (!in.ok()) return x.gateway.reply_error(x.protocol, x.out, in.status(), x.trace_id);
    Headers h;
    h.add("content-type", "application/json");
    h.add(std::string(an::kRequestIdHeader), x.trace_id);
    x.out.reply(200, h, an::render_anthropic_count_tokens(adapters::inbound::estimate_prompt_tokens(in->request)));
  }
};

class ResponsesProtocol final : public InboundProtocol {
 public:
  static constexpr std::string_view kStored = "/v1/responses/";
  std::string_view name() const override { return "responses"; }
  std::vector<InboundRoute> routes() const override {
    return {{"POST", "/v1/responses"},
            {"POST", "/responses"},
            {"GET", std::string(kStored), true, false},
            {"DELETE", std::string(kStored), true, false}};
  }
  std::string_view metrics_label() const override { return "openai"; }
  void serve(InboundExchange& x) const override {
    internal::ResponseStore& store = internal::GatewayAccess::responses(x.gateway);
    if (x.route.prefix) return stored(x, store);
    ResponsesSession s(store);
    serve_chat(x, s);
  }

 private:
  // GET /v1/responses/{id}: the stored Response; DELETE forgets it (the API's
  // {"id","object":"response","deleted":true}). Unknown: the API's 404.
  static void stored(InboundExchange& x, internal::ResponseStore& store) {
    const std::string id = x.request.path.substr(kStored.size());
    const auto found = store.get(id);
    Headers h;
    h.add("content-type", "application/json");
    if (!found) {
      const oa::WireError e = oa::response_not_found(id);
      internal::GatewayAccess::count(x.gateway, x.protocol, e.status);
      return x.out.reply(e.status, h, oa::error_body(e));
    }
    internal::GatewayAccess::count(x.gateway, x.protocol, 200);
    if (x.request.method == "GET") return x.out.reply(200, h, found->body);
    store.erase(id);
    x.out.reply(200, h, oa::render_response_deleted(id));
  }
};

class EmbeddingsProtocol final : public InboundProtocol {
 public:
  std::string_view name() const override { return "embeddings"; }
  std::vector<InboundRoute> routes() const override { return {{"POST", "/v1/embeddings"}, {"POST", "/embeddings"}}; }
  std::string_view metrics_label() const override { return "openai"; }
  void serve(InboundExchange& x) const override { internal::EmbeddingsCall(x).run(); }
};

}  // namespace

Status register_builtin_inbound(InboundRegistry& registry) {
  PLOKE_RETURN_IF_ERROR(registry.add("openai", [] { return std::make_unique<OpenAiProtocol>(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("openrouter", [] { return std::make_unique<OpenRouterProtocol>(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("anthropic", [] { return std::make_unique<AnthropicProtocol>(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("responses", [] { return std::make_unique<ResponsesProtocol>(); }));
  PLOKE_RETURN_IF_ERROR(registry.add("embeddings", [] { return std::make_unique<EmbeddingsProtocol>(); }));
  return Status::Ok();
}

}  // namespace ploke::gateway
