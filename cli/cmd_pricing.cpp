// Catalog prices for `chat` and `gateway` (see pricing.h).
#include <algorithm>
#include <cstdlib>
#include <vector>

#include "pricing.h"

namespace ploke::cli {

catalog::Catalog price_catalog() {
  auto curated = catalog::parse_curated(catalog::builtin_curated_json(), "builtin curated.json");
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg ? std::string(xdg) : std::string(home ? home : ".") + "/.cache";
  std::vector<catalog::ModelRecord> discovered;
  if (auto cache = catalog::load_cache(base + "/ploke-sim/models-cache.json"); cache.ok()) discovered = std::move(cache->discovered);
  return catalog::Catalog(curated.ok() ? std::move(curated).value() : std::vector<catalog::ModelRecord>{},
                          std::move(discovered));
}

const catalog::ModelRecord* priced_record(const catalog::Catalog& cat, const std::string& adapter, const std::string& model) {
  const catalog::ModelRecord* m = cat.find(model);
  if (!m) m = cat.find(adapter + "/" + model);
  if (m && (m->pricing.prompt.known() || m->pricing.completion.known())) return m;
  return nullptr;
}

ledger::PriceRecord price_of(const catalog::ModelRecord& m, const std::string& provider, const std::string& model,
                             SystemTime from) {
  ledger::PriceRecord p;
  p.provider = provider;
  p.model = model;
  p.effective_from = from;
  const auto& pr = m.pricing;
  p.prompt = pr.prompt.known() ? pr.prompt.value : 0;
  p.completion = pr.completion.known() ? pr.completion.value : 0;
  p.request = pr.request.known() ? pr.request.value : 0;
  p.cache_read = pr.cache_read.known() ? pr.cache_read.value : 0;
  p.cache_write = pr.cache_write.known() ? pr.cache_write.value : 0;
  p.source = "catalog";
  return p;
}

void set_candidate_prices(resilience::EndpointCandidate& c, const catalog::ModelRecord& m) {
  const auto& pr = m.pricing;
  c.input_usd_per_mtok = pr.prompt.known() ? pr.prompt.value * 1e6 : 0;
  c.output_usd_per_mtok = pr.completion.known() ? pr.completion.value * 1e6 : 0;
  c.request_usd = pr.request.known() ? pr.request.value : 0;
}

std::vector<std::pair<std::string, const catalog::ModelRecord*>> embedding_models(const catalog::Catalog& cat) {
  std::vector<std::pair<std::string, const catalog::ModelRecord*>> out;
  auto add = [&](std::string name, const catalog::ModelRecord& m) {
    for (const auto& [n, r] : out) {
      if (n == name) return;
    }
    out.emplace_back(std::move(name), &m);
  };
  for (const catalog::ModelRecord& m : cat.models()) {
    const auto& outputs = m.output_modalities;
    if (!outputs.known() || !m.pricing.prompt.known()) continue;
    if (std::find(outputs.value.begin(), outputs.value.end(), "embeddings") == outputs.value.end()) continue;
    for (const auto& a : m.aliases) add(a, m);
    add(m.id.substr(m.id.find('/') + 1), m);
  }
  return out;
}

Status ensure_price(ledger::Ledger& book, const ledger::PriceRecord& p) {
  auto cur = book.price_at(p.provider, p.model, p.effective_from);
  if (cur && cur->prompt == p.prompt && cur->completion == p.completion && cur->request == p.request &&
      cur->cache_read == p.cache_read && cur->cache_write == p.cache_write) {
    return Status::Ok();
  }
  return book.add_price(p);
}

}  // namespace ploke::cli
