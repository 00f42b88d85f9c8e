// OpenAiAdapter's embeddings (client half): POST {base}/embeddings shaped with
// encoding_format "base64", and the CreateEmbeddingResponse read back with base64
// (little-endian float32) or float-array vectors. See ploke/adapters/openai/adapter.h.
#include <bit>
#include <cstring>
#include <string>

#include "internal.h"
#include "json_reader.h"
#include "json_writer.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/base64.h"

namespace ploke::adapters::openai {
namespace {

using nlohmann::json;
using EmbReader = detail::JsonReader;

// The little-endian float32 array a base64 embedding carries.
bool decode_base64_floats(const std::string& text, std::vector<float>& out, std::string& problem) {
  std::optional<std::string> bytes = base64_decode(text);
  if (!bytes) {
    problem = "invalid base64";
    return false;
  }
  if (bytes->size() % 4 != 0) {
    problem = "base64 payload of " + std::to_string(bytes->size()) + " bytes is not a float32 array";
    return false;
  }
  out.resize(bytes->size() / 4);
  for (size_t k = 0; k < out.size(); ++k) {
    uint32_t bits = 0;
    std::memcpy(&bits, bytes->data() + 4 * k, 4);
    if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap32(bits);
    out[k] = std::bit_cast<float>(bits);
  }
  return true;
}

// data[i].embedding: a float array or a base64 string.
bool read_vector(EmbReader& rd, const json& item, const std::string& path, std::vector<float>& out) {
  const json* e = EmbReader::find(item, "embedding");
  if (e == nullptr) return rd.fail(path + ".embedding", "missing");
  if (e->is_string()) {
    std::string problem;
    if (!decode_base64_floats(e->get_ref<const std::string&>(), out, problem)) return rd.fail(path + ".embedding", problem);
    return true;
  }
  if (!e->is_array()) return rd.fail(path + ".embedding", "expected array or base64 string");
  out.reserve(e->size());
  for (size_t k = 0; k < e->size(); ++k) {
    const json& v = (*e)[k];
    if (!v.is_number()) return rd.fail(path + ".embedding[" + std::to_string(k) + "]", "expected number");
    out.push_back(v.get<float>());
  }
  return true;
}

// `data`: one vector per input, placed by `index` (its position when absent).
bool read_data(EmbReader& rd, const json& doc, std::vector<std::vector<float>>& vectors) {
  const json* data = EmbReader::find(doc, "data");
  if (data == nullptr) return rd.fail("data", "missing");
  if (!data->is_array()) return rd.fail("data", "expected array");
  vectors.assign(data->size(), {});
  std::vector<bool> seen(data->size(), false);
  for (size_t i = 0; i < data->size(); ++i) {
    const std::string path = "data[" + std::to_string(i) + "]";
    const json& item = (*data)[i];
    if (!item.is_object()) return rd.fail(path, "expected object");
    uint64_t index = i;
    if (!rd.opt_u64(item, "index", path + ".", index)) return false;
    if (index >= vectors.size() || seen[index]) {
      return rd.fail(path + ".index", index >= vectors.size() ? "out of range" : "duplicate");
    }
    seen[index] = true;
    if (!read_vector(rd, item, path, vectors[index])) return false;
  }
  return true;
}

}  // namespace

Result<HttpRequest> OpenAiAdapter::build_embedding_request(const EmbeddingRequest& request,
                                                           const Endpoint& endpoint) const {
  if (request.inputs.empty()) return InvalidRequestError("input: at least one text to embed");
  if (request.dimensions && *request.dimensions == 0) return InvalidRequestError("dimensions: must be at least 1");
  HttpRequest http = openai_post_request(endpoint, "/embeddings", false);
  json_text::JsonWriter w(http.body);
  w.begin_object();
  w.key("model").str(request.model);
  w.key("input");
  w.begin_array();
  for (const auto& text : request.inputs) w.str(text);
  w.end_array();
  w.key("encoding_format").str("base64");
  if (request.dimensions) w.key("dimensions").uinteger(*request.dimensions);
  if (!request.user.empty()) w.key("user").str(request.user);
  w.end_object();
  return http;
}

Result<EmbeddingResponse> OpenAiAdapter::parse_embedding_response(const HttpResponse& response,
                                                                  const Endpoint& endpoint) const {
  try {
    if (response.status < 200 || response.status >= 300) return map_error(response, endpoint);
    PLOKE_ASSIGN_OR_RETURN(json doc, openai_body_object(response, endpoint));
    EmbReader rd;
    EmbeddingResponse out;
    out.provider = endpoint.provider;
    if (!rd.opt_string(doc, "model", "", out.model) || !read_data(rd, doc, out.vectors)) {
      return openai_malformed_body(rd.problem, response, endpoint);
    }
    if (const json* u = EmbReader::find(doc, "usage"); u != nullptr && !u->is_null()) {
      if (!u->is_object()) return openai_malformed_body("usage: expected object", response, endpoint);
      if (!rd.opt_u64(*u, "prompt_tokens", "usage.", out.usage.prompt_tokens) ||
          !rd.opt_u64(*u, "total_tokens", "usage.", out.usage.total_tokens)) {
        return openai_malformed_body(rd.problem, response, endpoint);
      }
      if (out.usage.total_tokens == 0) out.usage.total_tokens = out.usage.prompt_tokens;
    }
    return out;
  } catch (const std::exception& e) {
    return openai_malformed_body(std::string("unexpected: ") + e.what(), response, endpoint);
  }
}

}  // namespace ploke::adapters::openai
