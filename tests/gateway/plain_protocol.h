// File: plain_protocol.h (tests/gateway)
//
// PlainProtocol: an inbound protocol only the tests know, registered by name to show that
// the gateway serves one without naming it. POST /plain/chat with the prompt as the body
// (header x-plain-stream: 1 streams); the answer's text back as text/plain; errors as
// "plain error <code>: <message>" with OpenAI's status for the code; request id in
// `plain-request-id`; metrics label "plain".
#pragma once

#include <string>
#include <vector>

#include "ploke/gateway/inbound.h"

namespace ploke::gateway::testing_support {

class PlainSession final : public ChatSession {
 public:
  Status parse(const InboundExchange& x, adapters::inbound::InboundRequest& in) override {
    if (x.request.body.empty()) return InvalidRequestError("empty prompt");
    in.request.model = "gpt-4o-mini";
    in.request.messages.push_back(Message::User(x.request.body));
    in.request.stream = x.request.headers.has("x-plain-stream");
    return Status::Ok();
  }
  std::string render(const std::vector<ChatResponse>& choices, const std::optional<Usage>& /*usage*/) override {
    return choices.front().content;
  }
  void open_stream(const StreamEvent* /*start*/) override {}
  std::string event(const StreamEvent& e) override {
    return e.kind == StreamEvent::Kind::kTextDelta ? e.text : std::string();
  }
  std::string finish(const ChatResponse& /*r*/) override { return "\n[end]"; }
  std::string stream_error(const Status& st) override { return "\n[error] " + st.message(); }
  std::string_view content_type(bool /*stream*/) const override { return "text/plain; charset=utf-8"; }
};

class PlainProtocol final : public InboundProtocol {
 public:
  std::string_view name() const override { return "plain"; }
  std::vector<InboundRoute> routes() const override { return {{"POST", "/plain/chat"}}; }
  std::string_view request_id_header() const override { return "plain-request-id"; }
  adapters::inbound::Reply render_error(const Status& st, const std::string& /*trace_id*/) const override {
    adapters::inbound::Reply r = InboundProtocol::render_error(st, "");  // OpenAI's status for the code
    r.body = "plain error " + std::string(status_code_name(st.code())) + ": " + st.message();
    return r;
  }
  void serve(InboundExchange& x) const override {
    PlainSession s;
    serve_chat(x, s);
  }
};

}  // namespace ploke::gateway::testing_support
