#include "ploke/core/chat_client.h"
#include "ploke/core/trace_context.h"

#include <vector>

namespace ploke {

namespace {

bool is_success(int status) { return status >= 200 && status < 300; }

// Attaches the endpoint's provider name unless the error already names one.
Status with_provider(Status st, const Endpoint& ep) {
  if (st.provider().empty()) st.with_provider(ep.provider);
  return st;
}

// Fills provider and request id from the endpoint and the response headers when the
// adapter left them empty.
// The request id comes from the header(s) the adapter names (its protocol's).
template <class Response>
void fill_identity(Response& out, const Headers& headers, const Endpoint& ep, const ProviderAdapter& adapter) {
  if (out.provider.empty()) out.provider = ep.provider;
  if (out.request_id.empty()) {
    for (std::string_view h : adapter.request_id_headers()) {
      if (auto v = headers.get(h)) {
        out.request_id = std::string(*v);
        break;
      }
    }
  }
}

// Decodes a streamed exchange as it arrives and forwards events to the caller.
class StreamingHandler final : public ResponseHandler {
 public:
  StreamingHandler(const ProviderAdapter& adapter, const Endpoint& endpoint,
                   const ChatClient::EventCallback& on_event)
      : adapter_(adapter), endpoint_(endpoint), on_event_(on_event),
        decoder_(adapter.new_stream_decoder(endpoint)) {}

  void on_head(int status, const Headers& headers) override {
    response_.status = status;
    response_.headers = headers;
  }

  bool on_body(std::string_view bytes) override {
    if (!is_success(response_.status)) {  // an error body: keep it for map_error()
      response_.body.append(bytes);
      return true;
    }
    events_.clear();
    Status st = decoder_->feed(bytes, events_);
    for (const auto& e : events_) {  // events decoded before an error still count
      if (!deliver(e)) return false;
    }
    if (!st.ok()) {
      error_ = std::move(st);
      return false;
    }
    return true;
  }

  void on_complete(Status status) override {
    if (error_.ok() && !status.ok() && status.code() != StatusCode::kCancelled) error_ = std::move(status);
    if (error_.ok() && status.code() == StatusCode::kCancelled) error_ = std::move(status);
    if (error_.ok() && is_success(response_.status)) {
      events_.clear();
      Status st = decoder_->finish(events_);
      for (const auto& e : events_) {
        if (!deliver(e)) break;
      }
      if (!st.ok() && error_.ok()) error_ = std::move(st);
    }
    completion.notify();
  }

  Result<ChatResponse> result() && {
    if (response_.status != 0 && !is_success(response_.status) && error_.ok()) {
      return with_provider(adapter_.map_error(response_, endpoint_), endpoint_);
    }
    if (!error_.ok()) {
      Status st = with_provider(std::move(error_), endpoint_);
      if (acc_.delivered().events > 0 && st.code() != StatusCode::kStreamInterrupted) {
        // Content reached the caller: never a silent truncation or a silent retry.
        Status wrapped = StreamInterruptedError(
            "stream interrupted after delivering content: " + st.to_string(), acc_.delivered());
        wrapped.with_provider(st.provider()).with_http_status(response_.status);
        if (st.timeout_phase() != TimeoutPhase::kNone) wrapped.with_timeout_phase(st.timeout_phase());
        return wrapped;
      }
      return st;
    }
    ChatResponse out = std::move(acc_).take();
    fill_identity(out, response_.headers, endpoint_, adapter_);
    return out;
  }

  Completion completion;

 private:
  bool deliver(const StreamEvent& e) {
    if (e.kind == StreamEvent::Kind::kError) {
      error_ = e.error.ok() ? MalformedResponseError("in-band error event") : e.error;
      return false;
    }
    Status st = acc_.add(e);
    if (!st.ok()) {
      error_ = std::move(st);
      return false;
    }
    if (on_event_) on_event_(e);
    return true;
  }

  const ProviderAdapter& adapter_;
  const Endpoint& endpoint_;
  const ChatClient::EventCallback& on_event_;
  std::unique_ptr<StreamDecoder> decoder_;
  HttpResponse response_;
  std::vector<StreamEvent> events_;
  StreamAccumulator acc_;
  Status error_;
};

// Waits for `completion`, cancelling the call if a simulated clock ran dry (a hang with no
// timeout configured would otherwise never end).
void wait_or_cancel(Completion& completion, Call& call, Clock& clock) {
  if (!completion.wait(clock)) {
    call.cancel();
    (void)completion.wait(clock);
  }
}

// complete()'s exchange for an already shaped request: the response, or the transport's
// or the provider's error (mapped by the adapter).
Result<HttpResponse> exchange_unary(const HttpRequest& http, Transport& transport, const CallOptions& options,
                                    Clock& clock, const ProviderAdapter& adapter, const Endpoint& endpoint) {
  BufferingHandler handler;
  CallPtr call = transport.start(http, options, handler);
  wait_or_cancel(handler.completion(), *call, clock);
  Result<HttpResponse> response = handler.take();
  if (!response.ok()) return with_provider(response.status(), endpoint);
  if (!is_success(response->status)) return with_provider(adapter.map_error(*response, endpoint), endpoint);
  return response;
}

}  // namespace

ChatClient::ChatClient(const ProviderAdapter& adapter, Endpoint endpoint, Transport& transport, Clock& clock,
                       CallOptions options)
    : adapter_(adapter), endpoint_(std::move(endpoint)), transport_(transport), clock_(clock),
      options_(std::move(options)) {}

Result<ChatResponse> ChatClient::complete(const ChatRequest& request) const {
  ChatRequest req = request;
  req.stream = false;
  PLOKE_ASSIGN_OR_RETURN(HttpRequest http, adapter_.build_request(req, endpoint_));
  add_trace_context(http.headers, traceparent_.empty() ? req.meta.traceparent : traceparent_, req.meta.tracestate);
  PLOKE_ASSIGN_OR_RETURN(HttpResponse response, exchange_unary(http, transport_, options_, clock_, adapter_, endpoint_));
  Result<ChatResponse> parsed = adapter_.parse_response(response, endpoint_);
  if (!parsed.ok()) return with_provider(parsed.status(), endpoint_);
  fill_identity(*parsed, response.headers, endpoint_, adapter_);
  return parsed;
}

Result<EmbeddingResponse> ChatClient::embed(const EmbeddingRequest& request) const {
  PLOKE_ASSIGN_OR_RETURN(HttpRequest http, adapter_.build_embedding_request(request, endpoint_));
  add_trace_context(http.headers, traceparent_.empty() ? request.meta.traceparent : traceparent_, request.meta.tracestate);
  PLOKE_ASSIGN_OR_RETURN(HttpResponse response, exchange_unary(http, transport_, options_, clock_, adapter_, endpoint_));
  Result<EmbeddingResponse> parsed = adapter_.parse_embedding_response(response, endpoint_);
  if (!parsed.ok()) return with_provider(parsed.status(), endpoint_);
  if (parsed->vectors.size() != request.inputs.size()) {
    Status st = MalformedResponseError("embeddings: " + std::to_string(parsed->vectors.size()) + " vectors for " +
                                       std::to_string(request.inputs.size()) + " inputs");
    st.with_http_status(response.status);
    return with_provider(std::move(st), endpoint_);
  }
  fill_identity(*parsed, response.headers, endpoint_, adapter_);
  return parsed;
}

Result<ChatResponse> ChatClient::stream(const ChatRequest& request, const EventCallback& on_event) const {
  ChatRequest req = request;
  req.stream = true;
  PLOKE_ASSIGN_OR_RETURN(HttpRequest http, adapter_.build_request(req, endpoint_));
  add_trace_context(http.headers, traceparent_.empty() ? req.meta.traceparent : traceparent_, req.meta.tracestate);
  StreamingHandler handler(adapter_, endpoint_, on_event);
  CallPtr call = transport_.start(http, options_, handler);
  wait_or_cancel(handler.completion, *call, clock_);
  return std::move(handler).result();
}

}  // namespace ploke
