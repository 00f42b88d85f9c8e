// POST /v1/embeddings: request validation and the response body. See
// ploke/adapters/openai/embeddings.h.
#include "ploke/adapters/openai/embeddings.h"

#include <nlohmann/json.hpp>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "json_guard.h"
#include "json_writer.h"
#include "ploke/core/base64.h"
#include "server_internal.h"

namespace ploke::adapters::openai {
namespace {

using Json = nlohmann::json;

// The embeddings route validates its body against its schema and names the first member
// that fails as a JSON path, with no param and no code.
WireError schema_invalid(std::string_view member) {
  return invalid_request("'$." + std::string(member) +
                         "' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
}

bool read_tokens(const Json& arr, EmbeddingInput& in) {
  if (!arr.is_array() || arr.empty()) return false;
  in.is_tokens = true;
  in.tokens.reserve(arr.size());
  for (const Json& t : arr) {
    if (!t.is_number_integer()) return false;
    in.tokens.push_back(t.get<int64_t>());
  }
  return true;
}

// `input`: a non-empty string, or an array of 1–2048 elements that are all non-empty
// strings, all integers (one token array), or all non-empty integer arrays.
bool read_inputs(const Json& input, std::vector<EmbeddingInput>& out) {
  if (input.is_string()) {
    if (input.get_ref<const std::string&>().empty()) return false;
    out.push_back(EmbeddingInput{input.get<std::string>(), {}, false});
    return true;
  }
  if (!input.is_array() || input.empty() || input.size() > kMaxEmbeddingInputs) return false;
  const Json& first = input.front();
  if (first.is_number_integer()) {
    out.emplace_back();
    return read_tokens(input, out.back());
  }
  out.reserve(input.size());
  for (const Json& e : input) {
    EmbeddingInput in;
    if (first.is_string()) {
      if (!e.is_string() || e.get_ref<const std::string&>().empty()) return false;
      in.text = e.get<std::string>();
    } else if (!read_tokens(e, in)) {
      return false;
    }
    out.push_back(std::move(in));
  }
  return true;
}

// encoding_format, dimensions, user (absent or null: the defaults).
std::optional<WireError> read_options(const Json& b, ServedEmbeddingRequest& out) {
  if (auto f = b.find("encoding_format"); f != b.end() && !f->is_null()) {
    if (*f == "base64") out.encoding = EmbeddingEncoding::kBase64;
    else if (*f != "float") return schema_invalid("encoding_format");
  }
  if (auto d = b.find("dimensions"); d != b.end() && !d->is_null()) {
    if (!d->is_number_integer() || (d->is_number_unsigned() ? d->get<uint64_t>() < 1 : d->get<int64_t>() < 1)) {
      return schema_invalid("dimensions");
    }
    out.dimensions = d->get<uint64_t>();
  }
  if (auto u = b.find("user"); u != b.end() && !u->is_null() && !u->is_string()) return schema_invalid("user");
  return std::nullopt;
}

// 000 … 999 as three digits, then how many of them are left without trailing zeros.
struct Digits3 {
  char c[4];
};
constexpr std::array<Digits3, 1000> make_digits3() {
  std::array<Digits3, 1000> t{};
  for (int i = 0; i < 1000; ++i) {
    t[i].c[0] = static_cast<char>('0' + i / 100);
    t[i].c[1] = static_cast<char>('0' + i / 10 % 10);
    t[i].c[2] = static_cast<char>('0' + i % 10);
    t[i].c[3] = static_cast<char>(i % 1000 == 0 ? 0 : i % 100 == 0 ? 1 : i % 10 == 0 ? 2 : 3);
  }
  return t;
}
constexpr std::array<Digits3, 1000> kDigits3 = make_digits3();

// `q` millionths (|q| < 2e9) in fixed notation, trailing zeros dropped: "-0.012345", "1".
// Writes at most 14 bytes (the last digit group is copied 4 bytes at a time).
char* write_millionths(char* p, int64_t q) {
  if (q < 0) *p++ = '-';
  const uint64_t a = q < 0 ? static_cast<uint64_t>(-q) : static_cast<uint64_t>(q);
  const uint64_t whole = a / 1000000;
  const auto frac = static_cast<uint32_t>(a - whole * 1000000);
  if (whole == 0) *p++ = '0';
  else p = std::to_chars(p, p + 8, whole).ptr;
  if (frac == 0) return p;
  *p++ = '.';
  const uint32_t hi = frac / 1000;
  const uint32_t lo = frac - hi * 1000;
  std::memcpy(p, kDigits3[hi].c, 4);
  if (lo == 0) return p + kDigits3[hi].c[3];
  std::memcpy(p + 3, kDigits3[lo].c, 4);
  return p + 3 + kDigits3[lo].c[3];
}

// A float as JSON number text that reads back (decimal → double → float, as JSON parsers
// and Math.fround do) as the same float32. A value whose nearest millionth lies well inside
// its rounding interval — every value a server that quantizes its vectors to 1e-6 makes —
// is written as that millionth by integer formatting; anything else by std::to_chars'
// shortest form; non-finite values (JSON has none) as 0. At most 18 bytes. The test is
// exact without a division: f × 1e6 is exact in a double (24 × 14 significant bits), and
// so are |q − f × 1e6| and half an ulp of f in millionths.
char* write_float(char* p, float f) {
  const uint32_t exponent = (std::bit_cast<uint32_t>(f) >> 23) & 0xFF;
  const double scaled = static_cast<double>(f) * 1e6;
  if (exponent != 0 && exponent != 0xFF && scaled > -2e9 && scaled < 2e9) {
    constexpr double kRound = 6755399441055744.0;  // 2^52 + 2^51: adding it rounds to an integer, branch-free
    const double q = (scaled + kRound) - kRound;
    const double half_ulp = std::bit_cast<double>(uint64_t{exponent - 127 - 24 + 1023} << 52) * 1e6;
    // The margin covers the decimal → double rounding a reader does first (2^-29 of it).
    if (std::abs(q - scaled) < half_ulp * 0.999999) return write_millionths(p, static_cast<int64_t>(q));
  }
  if (!std::isfinite(f)) {
    *p = '0';
    return p + 1;
  }
  return std::to_chars(p, p + 16, f).ptr;
}

constexpr size_t kMaxFloatText = 19;  // a float and its comma

// The renderer's per-thread scratch: the body is written into memory that stays mapped
// from one request to the next (a fresh multi-megabyte buffer costs a page fault per 4 KB
// and a zero fill), then copied out once at its exact size.
class Scratch {
 public:
  char* get(size_t n) {
    if (n > cap_) {
      buf_ = std::make_unique_for_overwrite<char[]>(n);
      cap_ = n;
    }
    return buf_.get();
  }
  void trim() {  // do not pin more than 64 MiB per thread
    if (cap_ > (64u << 20)) {
      buf_.reset();
      cap_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
};

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* write_row(char* p, const WireEmbeddings& e, size_t i) {
  p = put(p, i ? ",{\"object\":\"embedding\",\"index\":" : "{\"object\":\"embedding\",\"index\":");
  p = std::to_chars(p, p + 24, i).ptr;
  p = put(p, ",\"embedding\":");
  const std::span<const float> row = e.values.subspan(i * e.dims, e.dims);
  if (e.encoding == EmbeddingEncoding::kBase64) {
    *p++ = '"';
    if constexpr (std::endian::native == std::endian::little) {
      p = base64_write(p, std::string_view(reinterpret_cast<const char*>(row.data()), row.size() * sizeof(float)));
    } else {
      std::string bytes(row.size() * sizeof(float), '\0');
      for (size_t k = 0; k < row.size(); ++k) {
        const uint32_t u = std::bit_cast<uint32_t>(row[k]);
        for (size_t b = 0; b < 4; ++b) bytes[k * 4 + b] = static_cast<char>((u >> (8 * b)) & 0xFF);
      }
      p = base64_write(p, bytes);
    }
    *p++ = '"';
  } else {
    *p++ = '[';
    for (size_t k = 0; k < row.size(); ++k) {
      if (k) *p++ = ',';
      p = write_float(p, row[k]);
    }
    *p++ = ']';
  }
  *p++ = '}';
  return p;
}

}  // namespace

std::optional<WireError> read_served_embedding_request(const nlohmann::json* body, ServedEmbeddingRequest& out) {
  if (auto e = check_body_and_model(body)) return e;
  const Json& b = *body;
  out = ServedEmbeddingRequest{};
  const auto input = b.find("input");
  if (input == b.end() || !read_inputs(*input, out.inputs)) return schema_invalid("input");
  if (auto e = read_options(b, out)) return e;
  out.model = b["model"].get<std::string>();
  return std::nullopt;
}

std::optional<WireError> read_served_embedding_body(std::string_view body, ServedEmbeddingRequest& out) {
  if (!detail::check_json_input(body).ok()) return read_served_embedding_request(nullptr, out);
  const Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  return read_served_embedding_request(doc.is_discarded() ? nullptr : &doc, out);
}

WireError embedding_dimensions_unsupported() {
  return invalid_request("This model does not support specifying dimensions.");
}

WireError embedding_dimensions_above_max(uint64_t max, uint64_t got) {
  return invalid_request("Invalid 'dimensions': integer above maximum value. Expected a value <= " + std::to_string(max) +
                             ", but got " + std::to_string(got) + " instead.",
                         "dimensions", "integer_above_max_value");
}

std::string render_embeddings(const WireEmbeddings& e) {
  std::string tail = "],\"model\":";
  json_text::append_string(tail, e.model);
  tail += ",\"usage\":{\"prompt_tokens\":";
  json_text::append_uint(tail, e.prompt_tokens);
  tail += ",\"total_tokens\":";
  json_text::append_uint(tail, e.prompt_tokens);
  tail += "}}";
  constexpr std::string_view kHead = "{\"object\":\"list\",\"data\":[";
  const size_t row_max = 64 + (e.encoding == EmbeddingEncoding::kBase64 ? base64_size(e.dims * sizeof(float))
                                                                         : e.dims * kMaxFloatText);
  thread_local Scratch scratch;
  char* const begin = scratch.get(kHead.size() + e.count * row_max + tail.size());
  char* p = put(begin, kHead);
  for (size_t i = 0; i < e.count; ++i) p = write_row(p, e, i);
  p = put(p, tail);
  std::string body(begin, static_cast<size_t>(p - begin));
  scratch.trim();
  return body;
}

}  // namespace ploke::adapters::openai
