#include "ploke/core/embedding.h"

#include "ploke/core/adapter.h"

namespace ploke {

Result<ChatResponse> embedding_as_chat(const Result<EmbeddingResponse>& r) {
  if (!r.ok()) return r.status();
  ChatResponse out;
  out.provider = r->provider;
  out.model = r->model;
  out.request_id = r->request_id;
  Usage u;
  u.prompt_tokens = r->usage.prompt_tokens;
  u.total_tokens = r->usage.total_tokens;
  out.usage = u;
  return out;
}

uint64_t estimate_embedding_tokens(const EmbeddingRequest& request) {
  uint64_t tokens = 0;
  for (const auto& text : request.inputs) tokens += text.size() / 4 + 1;
  return tokens;
}

Status ProviderAdapter::no_embeddings() const {
  return InvalidRequestError("embeddings: the " + std::string(name()) + " protocol has no embeddings endpoint");
}

Result<HttpRequest> ProviderAdapter::build_embedding_request(const EmbeddingRequest& request,
                                                             const Endpoint& endpoint) const {
  (void)request;
  (void)endpoint;
  return no_embeddings();
}

Result<EmbeddingResponse> ProviderAdapter::parse_embedding_response(const HttpResponse& response,
                                                                    const Endpoint& endpoint) const {
  (void)response;
  (void)endpoint;
  return no_embeddings();
}

}  // namespace ploke
