// POST /v1/embeddings: synthetic unit vectors. The request is read and checked, and the
// body rendered, by the OpenAI package (ploke/adapters/openai/embeddings.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include "openai_wire.h"
#include "ploke/adapters/openai/embeddings.h"

namespace ploke::simulator::detail {
namespace {

namespace oa = adapters::openai;

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t fnv1a(const void* data, size_t n, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
  return h;
}

// The stream a vector is drawn from: the model and the input (a text, or token ids, which
// never collide with a text), nothing else — so the same input gets the same vector in any
// request and any batch position.
uint64_t input_key(std::string_view model, const oa::EmbeddingInput& in) {
  uint64_t h = fnv1a(model.data(), model.size(), kFnvOffset);
  const unsigned char tag = in.is_tokens ? 1 : 0;
  h = fnv1a(&tag, 1, h);
  if (!in.is_tokens) return fnv1a(in.text.data(), in.text.size(), h);
  for (int64_t t : in.tokens) h = fnv1a(&t, sizeof t, h);
  return h;
}

uint64_t input_tokens(const oa::EmbeddingInput& in) {
  if (in.is_tokens) return in.tokens.size();
  return std::max<uint64_t>(1, in.text.size() / 4);
}

// The first `dims` components of the input's vector (each the sum of two 16-bit uniform
// draws, two components from one 64-bit number, so roughly bell-shaped), scaled to unit length and rounded to
// multiples of 1e-6: short decimals, which the package writes by integer formatting (its
// float text reads back as the same float32 either way). A shortened vector is the head of
// the full one, renormalized, as text-embedding-3's are.
void fill_vector(float* out, size_t dims, Random rng, std::vector<double>& raw) {
  raw.resize(dims + 1);
  double sum = 0;
  for (size_t k = 0; k < dims; k += 2) {
    const uint64_t u = rng.next_u64();
    const auto a = static_cast<double>(static_cast<int16_t>(u) + static_cast<int16_t>(u >> 16));
    const auto b = static_cast<double>(static_cast<int16_t>(u >> 32) + static_cast<int16_t>(u >> 48));
    raw[k] = a;
    raw[k + 1] = b;
    sum += a * a + (k + 1 < dims ? b * b : 0.0);
  }
  const double scale = sum > 0 ? 1e6 / std::sqrt(sum) : 0.0;
  constexpr double kRound = 6755399441055744.0;  // 2^52 + 2^51: adding it rounds to an integer, branch-free
  for (size_t k = 0; k < dims; ++k) {
    const double q = (raw[k] * scale + kRound) - kRound;  // millionths
    out[k] = static_cast<float>(q * 1e-6);
  }
  if (sum == 0 && dims > 0) out[0] = 1.0f;
}

// The model, and `dimensions` against it: the size of the vectors, or the API's error.
std::optional<ErrorSpec> vector_size(const SimOptions& opts, const oa::ServedEmbeddingRequest& req, size_t& dims) {
  const ModelInfo* m = find_model(opts, req.model);
  if (m == nullptr || m->kind != ModelKind::kEmbedding || m->embedding_dims == 0) {
    return oa::model_not_found(req.model);
  }
  dims = m->embedding_dims;
  if (!req.dimensions) return std::nullopt;
  if (!m->embedding_shortening) return oa::embedding_dimensions_unsupported();
  if (*req.dimensions > m->embedding_dims) return oa::embedding_dimensions_above_max(m->embedding_dims, *req.dimensions);
  dims = static_cast<size_t>(*req.dimensions);
  return std::nullopt;
}

}  // namespace

ScriptedResponse generate_embeddings(const Json* body, const SimOptions& opts, const RequestContext& ctx,
                                     double slow_factor) {
  oa::ServedEmbeddingRequest req;
  size_t dims = 0;
  std::optional<ErrorSpec> err = oa::read_served_embedding_request(body, req);
  if (!err) err = vector_size(opts, req, dims);
  if (err) return error_response(*err, ctx, opts);

  const size_t count = req.inputs.size();
  thread_local std::vector<float> values;
  thread_local std::vector<double> raw;
  values.resize(count * dims);
  const Random base = Random(opts.seed).fork(0xE5BEDD1665ULL);
  uint64_t tokens = 0;
  for (size_t i = 0; i < count; ++i) {
    fill_vector(values.data() + i * dims, dims, base.fork(input_key(req.model, req.inputs[i])), raw);
    tokens += input_tokens(req.inputs[i]);
  }
  oa::WireEmbeddings wire;
  wire.model = req.model;
  wire.encoding = req.encoding;
  wire.count = count;
  wire.dims = dims;
  wire.values = std::span<const float>(values.data(), count * dims);
  wire.prompt_tokens = tokens;

  ScriptedResponse r;
  r.status = 200;
  r.head_at = pacing(opts, slow_factor).ttft;
  const uint64_t limit = opts.rate_limits.limit_requests;
  r.headers = base_headers("application/json", ctx, opts, limit > 0 ? limit - 1 : 0, tokens, std::chrono::milliseconds(6));
  r.chunks.push_back(TimedChunk{r.head_at, oa::render_embeddings(wire)});
  if (values.capacity() > (16u << 20)) std::vector<float>().swap(values);  // do not pin a huge buffer
  if (raw.capacity() > (1u << 16)) std::vector<double>().swap(raw);
  return r;
}

}  // namespace ploke::simulator::detail
