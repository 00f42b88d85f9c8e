// Catalog prices for the commands that run the façade with a cost ledger (`chat`,
// `gateway`): which catalog record prices an endpoint, the endpoint's forecast prices,
// and the ledger's price rows. Source: cmd_pricing.cpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ploke/catalog/catalog.h"
#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/ledger/ledger.h"
#include "ploke/resilience/router.h"

namespace ploke::cli {

/// The catalog endpoints are priced from: the curated file (compiled in) plus the
/// discovered pool of the models cache when there is one ($XDG_CACHE_HOME/ploke-sim/
/// models-cache.json, written by `ploke-sim models refresh`).
catalog::Catalog price_catalog();

/// The catalog record whose prices apply to `model` as sent through `adapter`: the id or
/// an alias ("gpt-4o-mini" → openai/gpt-4o-mini), else "<adapter>/<model>"; null when
/// none has a known price.
const catalog::ModelRecord* priced_record(const catalog::Catalog& cat, const std::string& adapter, const std::string& model);

/// `m`'s prices as a ledger price row for (provider, model) from `from`.
ledger::PriceRecord price_of(const catalog::ModelRecord& m, const std::string& provider, const std::string& model,
                             SystemTime from);

/// The façade's forecasts and the cost policy use these (USD per million tokens, per request).
void set_candidate_prices(resilience::EndpointCandidate& c, const catalog::ModelRecord& m);

/// The catalog's embedding models (output modality "embeddings") with a known input price,
/// once per name a client sends for them (each alias, and the id after "author/").
std::vector<std::pair<std::string, const catalog::ModelRecord*>> embedding_models(const catalog::Catalog& cat);

/// Adds `p` to the ledger unless the same prices are already in effect at p.effective_from.
Status ensure_price(ledger::Ledger& book, const ledger::PriceRecord& p);

}  // namespace ploke::cli
