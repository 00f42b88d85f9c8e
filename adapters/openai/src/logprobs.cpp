// A choice's logprobs object, read and written (logprobs.h).
#include "logprobs.h"

#include <cmath>
#include <optional>

#include "json_writer.h"

namespace ploke::adapters::openai::logprobs {

namespace {

using nlohmann::json;

struct Reader {
  std::string& problem;
  bool fail(const std::string& path, const char* what) {
    problem = path + ": " + what;
    return false;
  }

  bool bytes(const json& e, const std::string& path, std::optional<std::vector<uint8_t>>& out) {
    auto it = e.find("bytes");
    if (it == e.end() || it->is_null()) return true;
    if (!it->is_array()) return fail(path + ".bytes", "expected array");
    out.emplace();
    for (const json& b : *it) {
      if (!b.is_number_integer() || b.get<int64_t>() < 0 || b.get<int64_t>() > 255) {
        return fail(path + ".bytes", "expected integers 0-255");
      }
      out->push_back(static_cast<uint8_t>(b.get<int64_t>()));
    }
    return true;
  }

  // token, logprob, bytes of a TokenLogprob or TopLogprob.
  template <typename T>
  bool common(const json& e, const std::string& path, T& out) {
    if (!e.is_object()) return fail(path, "expected object");
    auto t = e.find("token");
    if (t == e.end() || !t->is_string()) return fail(path + ".token", "expected string");
    out.token = t->get<std::string>();
    auto l = e.find("logprob");
    if (l == e.end() || !l->is_number()) return fail(path + ".logprob", "expected number");
    out.logprob = l->get<double>();
    return bytes(e, path, out.bytes);
  }

  bool token(const json& e, const std::string& path, TokenLogprob& out) {
    if (!common(e, path, out)) return false;
    auto top = e.find("top_logprobs");
    if (top == e.end() || top->is_null()) return true;
    if (!top->is_array()) return fail(path + ".top_logprobs", "expected array");
    for (size_t k = 0; k < top->size(); ++k) {
      TopLogprob t;
      if (!common((*top)[k], path + ".top_logprobs[" + std::to_string(k) + "]", t)) return false;
      out.top_logprobs.push_back(std::move(t));
    }
    return true;
  }
};

void append_common(std::string& o, const std::string& token, double logprob,
                   const std::optional<std::vector<uint8_t>>& bytes) {
  o += "{\"token\":";
  json_text::append_string(o, token);
  o += ",\"logprob\":";
  json_text::append_double(o, std::isfinite(logprob) ? logprob : -9999.0);
  o += ",\"bytes\":";
  if (!bytes) {
    o += "null";
    return;
  }
  o += '[';
  for (size_t i = 0; i < bytes->size(); ++i) {
    if (i != 0) o += ',';
    json_text::append_uint(o, (*bytes)[i]);
  }
  o += ']';
}

}  // namespace

bool read_choice(const json& choice, const std::string& path, std::vector<TokenLogprob>& out, std::string& problem) {
  auto lp = choice.find("logprobs");
  if (lp == choice.end() || lp->is_null()) return true;
  Reader rd{problem};
  if (!lp->is_object()) return rd.fail(path + ".logprobs", "expected object");
  auto content = lp->find("content");
  if (content == lp->end() || content->is_null()) return true;
  if (!content->is_array()) return rd.fail(path + ".logprobs.content", "expected array");
  for (size_t i = 0; i < content->size(); ++i) {
    TokenLogprob t;
    if (!rd.token((*content)[i], path + ".logprobs.content[" + std::to_string(i) + "]", t)) return false;
    out.push_back(std::move(t));
  }
  return true;
}

void append_object(std::string& o, const std::vector<TokenLogprob>& lps) {
  if (lps.empty()) {
    o += "null";
    return;
  }
  o += "{\"content\":[";
  for (size_t i = 0; i < lps.size(); ++i) {
    const TokenLogprob& t = lps[i];
    if (i != 0) o += ',';
    append_common(o, t.token, t.logprob, t.bytes);
    o += ",\"top_logprobs\":[";
    for (size_t k = 0; k < t.top_logprobs.size(); ++k) {
      if (k != 0) o += ',';
      append_common(o, t.top_logprobs[k].token, t.top_logprobs[k].logprob, t.top_logprobs[k].bytes);
      o += '}';
    }
    o += "]}";
  }
  o += "],\"refusal\":null}";
}

}  // namespace ploke::adapters::openai::logprobs
