// File: embeddings_call.h (private to ploke::gateway)
//
// One `POST /v1/embeddings` through the gateway (the "embeddings" inbound protocol's serve()): the body read and checked by the OpenAI
// package's read_served_embedding_body() (the simulator's reader: the same 400s), the
// x-ploke-* header overrides and the policy, then one LlmClient::embed call (a pin
// applies; when the model is a configured name or some endpoints' model, only those
// serve it; the request's model is sent as is); the trace recorded (trace store, on_completed with the usage) before the
// reply, which is the CreateEmbeddingResponse in the client's `encoding_format` (float or
// base64) or the error in OpenAI's shape, with the trace id headers of a chat reply.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ploke/adapters/openai/embeddings.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/inbound.h"
#include "ploke/resilience/trace.h"
#include "model_names.h"

namespace ploke::gateway::internal {

class EmbeddingsCall {
 public:
  explicit EmbeddingsCall(InboundExchange& x);
  void run();

 private:
  std::optional<adapters::openai::WireError> read();
  Status prepare();
  static Result<EmbeddingResponse> flatten(EmbeddingResponse r, std::vector<float>& values);
  void record(const std::optional<Usage>& usage, const Status& st);
  void refuse_wire(const adapters::openai::WireError& e);
  void reply(const EmbeddingResponse& r, const std::vector<float>& values);
  Headers json_head() const;

  Gateway& gw_;
  const InboundProtocol& protocol_;
  const Request& request_;
  Responder& out_;
  Inflight& inflight_;
  const std::string& trace_id_;
  const TimePoint t0_;
  adapters::openai::ServedEmbeddingRequest served_;
  EmbeddingRequest req_;
  resilience::CallControl control_;
  resilience::RequestTrace merged_;
  Result<EmbeddingResponse> result_ = InternalError("no façade call made");
};

}  // namespace ploke::gateway::internal
