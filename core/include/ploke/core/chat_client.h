// File: ploke/core/chat_client.h
//
// ChatClient: one provider endpoint behind the normalized chat (and embeddings) API — shape with the
// adapter, send with the transport, parse or decode the answer, map errors. This is the
// single-attempt building block; routing, retries and fallbacks wrap it.
//
// Mid-stream contract: once any content reached the caller, a failure is reported as
// kStreamInterrupted carrying what was delivered — never a silent truncation.
//
// Thread-safety: const methods may be called concurrently if the transport allows it.
#pragma once

#include <functional>

#include "ploke/core/adapter.h"
#include "ploke/core/chat.h"
#include "ploke/core/clock.h"
#include "ploke/core/embedding.h"
#include "ploke/core/transport.h"

namespace ploke {

class ChatClient {
 public:
  using EventCallback = std::function<void(const StreamEvent&)>;

  ChatClient(const ProviderAdapter& adapter, Endpoint endpoint, Transport& transport, Clock& clock,
             CallOptions options);

  /// One non-streamed attempt (request.stream is ignored).
  Result<ChatResponse> complete(const ChatRequest& request) const;
  /// One streamed attempt; `on_event` sees every event as it is decoded. Returns the
  /// assembled response.
  Result<ChatResponse> stream(const ChatRequest& request, const EventCallback& on_event) const;
  /// One embeddings attempt: the adapter's build_embedding_request() (adapters without
  /// embeddings refuse with kInvalidRequest before anything is sent), the same transport,
  /// timeouts, trace context and error mapping as complete().
  Result<EmbeddingResponse> embed(const EmbeddingRequest& request) const;

  const Endpoint& endpoint() const { return endpoint_; }
  /// The attempt's own `traceparent`, sent instead of the request's (a caller that makes a
  /// span per attempt); "" = the request's (RequestMeta::traceparent).
  void set_traceparent(std::string traceparent) { traceparent_ = std::move(traceparent); }

 private:
  const ProviderAdapter& adapter_;
  Endpoint endpoint_;
  Transport& transport_;
  Clock& clock_;
  CallOptions options_;
  std::string traceparent_;
};

}  // namespace ploke
