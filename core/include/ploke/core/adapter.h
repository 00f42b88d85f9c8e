// File: ploke/core/adapter.h
//
// ProviderAdapter: translates the normalized chat API (and, for protocols that have
// them, embeddings) to one provider's wire protocol and back. Adapters translate and do not decide: retry, routing and breaker decisions
// stay in core policies, which read only Status codes.
//
// An adapter never throws: malformed bodies become kMalformedResponse naming what was
// wrong (field path or byte offset).
//
// Thread-safety: adapters are immutable after construction and safe to share; a
// StreamDecoder belongs to one stream.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/chat.h"
#include "ploke/core/embedding.h"
#include "ploke/core/rate_limit.h"
#include "ploke/core/secret.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke {

/// Where and as whom to send: one provider endpoint.
struct Endpoint {
  std::string provider;   ///< display/provider name for Status and traces, e.g. "openai"
  std::string base_url;   ///< e.g. "https://api.openai.com/v1" or "http://127.0.0.1:8080/v1"
  Secret api_key;         ///< may be empty (local servers)
  Headers extra_headers;  ///< e.g. OpenAI-Organization, HTTP-Referer
};

/// Incremental decoder for one streamed response body.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  /// Feeds the next bytes (any boundaries: mid-line, mid-UTF-8, mid-escape). Appends the
  /// events they complete to `out`. A non-OK Status is a protocol error (malformed JSON,
  /// in-band error); decoding stops there.
  virtual Status feed(std::string_view bytes, std::vector<StreamEvent>& out) = 0;
  /// The body ended. Returns an error if the stream ended without its terminator.
  virtual Status finish(std::vector<StreamEvent>& out) = 0;
  /// True once the protocol's terminator ([DONE], message_stop) was seen.
  virtual bool terminated() const = 0;
};

class ProviderAdapter {
 public:
  virtual ~ProviderAdapter() = default;
  ProviderAdapter() = default;
  ProviderAdapter(const ProviderAdapter&) = delete;
  ProviderAdapter& operator=(const ProviderAdapter&) = delete;

  /// Registry name: "openai", "anthropic", "openrouter", "custom".
  virtual std::string_view name() const = 0;
  /// Shapes the wire request. Fails with kInvalidRequest for requests the protocol cannot
  /// express.
  virtual Result<HttpRequest> build_request(const ChatRequest& request, const Endpoint& endpoint) const = 0;
  /// Parses a 2xx non-streamed body. A 2xx body carrying an error maps to that error.
  virtual Result<ChatResponse> parse_response(const HttpResponse& response, const Endpoint& endpoint) const = 0;
  /// Maps a non-2xx response (status, headers, body) onto a Status.
  virtual Status map_error(const HttpResponse& response, const Endpoint& endpoint) const = 0;
  virtual std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& endpoint) const = 0;
  /// The rate limits a response's headers report (any status), normalized; `system_now`
  /// turns absolute reset times into durations. Default: nothing observed.
  virtual RateLimitObservation observe_rate_limits(const Headers& headers, SystemTime system_now) const {
    (void)headers;
    (void)system_now;
    return {};
  }
  /// The response headers that carry the provider's request id, most preferred first
  /// (OpenAI: x-request-id; Anthropic: request-id). ChatClient fills an empty
  /// ChatResponse::request_id (streams always; non-streamed bodies the parser did not
  /// fill) from the first one present. Static storage. Default: none.
  virtual std::span<const std::string_view> request_id_headers() const { return {}; }

  // Embeddings (optional). An adapter whose protocol has them overrides all three; the
  // defaults refuse with kInvalidRequest ("embeddings: the <name> protocol has no
  // embeddings endpoint"), which is never retried. Non-2xx answers go through map_error().
  /// True when the protocol has embeddings (the façade routes embed() only to these).
  virtual bool has_embeddings() const { return false; }
  /// Shapes the wire request of one embedding call.
  virtual Result<HttpRequest> build_embedding_request(const EmbeddingRequest& request, const Endpoint& endpoint) const;
  /// Parses a 2xx embeddings body; malformed → kMalformedResponse naming the field path.
  virtual Result<EmbeddingResponse> parse_embedding_response(const HttpResponse& response,
                                                             const Endpoint& endpoint) const;

 protected:
  /// The default refusal of the embedding methods.
  Status no_embeddings() const;
};
using ProviderAdapterPtr = std::unique_ptr<ProviderAdapter>;

}  // namespace ploke
