// Reasoning beside an OpenAI-shaped answer's content. See reasoning.h.
#include "reasoning.h"

namespace ploke::adapters::openai::reasoning {

using nlohmann::json;

/// Reasoning text that OpenAI-compatible servers send beside the content: `reasoning`
/// (OpenRouter) or `reasoning_content` (DeepSeek, vLLM, llama.cpp); the latter wins when both
/// are present. OpenAI itself sends neither.
bool read_text(Reader& rd, const json& obj, const std::string& path, std::string& out) {
  for (const char* k : {"reasoning_content", "reasoning"}) {
    const json* r = Reader::find(obj, k);
    if (r == nullptr || r->is_null()) continue;
    if (!r->is_string()) return rd.fail(path + k, "expected string or null");
    if (out.empty()) out = r->get_ref<const std::string&>();
  }
  return true;
}

/// OpenRouter's `reasoning_details` as reasoning blocks in order: `reasoning.text` (text and
/// signature), `reasoning.summary` (its summary as text), `reasoning.encrypted` (redacted
/// data); entries of other types are skipped (drift). A malformed entry names its path.
bool read_details(Reader& rd, const json& obj, const std::string& path, std::vector<ReasoningBlock>& out) {
  const json* d = Reader::find(obj, "reasoning_details");
  if (d == nullptr || d->is_null()) return true;
  if (!d->is_array()) return rd.fail(path + "reasoning_details", "expected array");
  for (size_t i = 0; i < d->size(); ++i) {
    const json& e = (*d)[i];
    const std::string p = path + "reasoning_details[" + std::to_string(i) + "]";
    if (!e.is_object()) return rd.fail(p, "expected object");
    std::string type;
    ReasoningBlock b;
    if (!rd.opt_string(e, "type", p + ".", type)) return false;
    bool ok = true;
    if (type == "reasoning.encrypted") {
      b.kind = ReasoningBlock::Kind::kRedacted;
      ok = rd.opt_string(e, "data", p + ".", b.data);
    } else if (type == "reasoning.text") {
      ok = rd.opt_string(e, "text", p + ".", b.text) && rd.opt_string(e, "signature", p + ".", b.signature);
    } else if (type == "reasoning.summary") {
      ok = rd.opt_string(e, "summary", p + ".", b.text);
    } else {
      continue;
    }
    if (!ok) return false;
    out.push_back(std::move(b));
  }
  return true;
}

std::string text_of(const std::vector<ReasoningBlock>& blocks) {
  std::string t;
  for (const ReasoningBlock& b : blocks) t += b.text;
  return t;
}

/// The answer's reasoning: the details' blocks when there are any, else the text as one
/// block without a signature (as the stream assembles it).
void set(ChatResponse& out, std::string text, std::vector<ReasoningBlock> details) {
  if (!details.empty()) {
    out.reasoning = text.empty() ? text_of(details) : std::move(text);
    out.reasoning_blocks = std::move(details);
    return;
  }
  if (text.empty()) return;
  out.reasoning = text;
  out.reasoning_blocks.push_back(ReasoningBlock{ReasoningBlock::Kind::kThinking, std::move(text), {}, {}});
}

}  // namespace ploke::adapters::openai::reasoning
