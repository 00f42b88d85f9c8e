// File: ploke/catalog/catalog.h
//
// The model catalog: curated entries shipped as a data file
// (core/catalog/data/curated.json, compiled in; see builtin_curated_json()) plus a
// "discovered" pool of records a protocol package read from a provider's model list
// (OpenRouter's GET /models, live or the simulator: adapters/openrouter's
// parse_openrouter_models()), merged into one capability record per model id. Every field
// carries its source (curated | discovered); where both have a value, the curated one wins.
// No provider's field names are read here: the records are provider-neutral.
//
// The curated file: unknown keys and wrong types are errors naming the file and the field
// path; syntax errors name the byte offset.
//
// Persistence: CatalogCache (the discovered pool, endpoints fetched per model, the last
// refresh time from the injected Clock, the discovery count and how many refreshes ran) is
// saved atomically (temp file, fsync, rename) and loaded with errors naming the file.
//
// Thread-safety: values; a Catalog is safe to read from many threads once built.
//
// Example:
//   auto curated = catalog::parse_curated(catalog::builtin_curated_json(), "builtin curated.json");
//   auto discovered = adapters::openrouter::parse_openrouter_models(body, "GET /models");
//   catalog::Catalog cat(std::move(*curated), std::move(*discovered));
//   for (const auto* m : cat.search({"claude"})) std::cout << m->id << "\n";
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke::catalog {

enum class Source : uint8_t { kUnknown, kCurated, kDiscovered };
std::string_view source_name(Source s);  ///< "unknown" | "curated" | "discovered"

/// A value and where it came from (kUnknown: no source had it).
template <typename T>
struct Field {
  T value{};
  Source source = Source::kUnknown;
  bool known() const { return source != Source::kUnknown; }
  void set(T v, Source s) { value = std::move(v); source = s; }
  friend bool operator==(const Field&, const Field&) = default;
};

/// USD per token (prompt, completion, cache read/write) and per request.
struct Pricing {
  Field<double> prompt, completion, request, cache_read, cache_write;
  friend bool operator==(const Pricing&, const Pricing&) = default;
};

/// One normalized capability record.
struct ModelRecord {
  std::string id;  ///< "author/slug[:variant]" as OpenRouter names it
  Field<std::string> display_name;
  Field<bool> tools, json_mode, json_schema, streaming;
  Field<uint64_t> context_length, max_output_tokens;
  Field<std::vector<std::string>> input_modalities, output_modalities;
  Pricing pricing;
  /// Curated only: extra parameters to copy on promote (JSON object text), aliases.
  std::string params_json;
  std::vector<std::string> aliases;
  bool curated = false;     ///< has a curated entry
  bool discovered = false;  ///< present in the discovered pool
  friend bool operator==(const ModelRecord&, const ModelRecord&) = default;
};

/// One provider endpoint of a model (e.g. OpenRouter's GET /models/{author}/{slug}/endpoints).
struct EndpointRecord {
  std::string provider_name;  ///< "DeepInfra"
  std::string tag;            ///< provider slug for routing preferences: "deepinfra/fp4"
  std::string quantization;   ///< as sent, unknown values included ("mxfp4"); "" when null
  uint64_t context_length = 0;
  std::optional<uint64_t> max_completion_tokens;
  std::optional<double> prompt_price, completion_price;  ///< USD per token
  bool tools = false;
  std::vector<std::string> supported_parameters;
  int64_t status = 0;
  std::optional<double> uptime_last_30m;     ///< percent, last 30 min
  std::optional<double> latency_p50_s;       ///< median latency (last 30 min), seconds
  std::optional<double> throughput_p50_tps;  ///< median throughput (last 30 min), tokens/s
  friend bool operator==(const EndpointRecord&, const EndpointRecord&) = default;
};

/// What reading a provider's model list skipped or could not read (never fatal).
struct ParseStats {
  size_t models = 0;    ///< records produced
  size_t skipped = 0;   ///< entries without a usable id
  size_t warnings = 0;  ///< unreadable values (e.g. a price "cheap"), left unknown
  std::string first_warning;  ///< field path and problem, e.g. "data[3].pricing.prompt: not a price"
};

/// Parses a curated data file ({"version":1,"models":[…]}, see core/catalog/README.md).
/// kInvalidRequest naming `source` and the field path.
Result<std::vector<ModelRecord>> parse_curated(std::string_view json, std::string_view source);
/// The shipped curated file (core/catalog/data/curated.json, compiled in).
std::string_view builtin_curated_json();

/// Curated + discovered, merged by id (curated fields win; unknown curated fields are
/// filled from discovery). Records are sorted by id.
class Catalog {
 public:
  Catalog() = default;
  Catalog(std::vector<ModelRecord> curated, std::vector<ModelRecord> discovered);

  const std::vector<ModelRecord>& models() const { return merged_; }
  const ModelRecord* find(std::string_view id_or_alias) const;
  /// Every word must appear (case-insensitive) in the id, display name or an alias.
  /// Curated first, then by id.
  std::vector<const ModelRecord*> search(const std::vector<std::string>& words) const;
  size_t curated_count() const;
  size_t discovered_count() const;

 private:
  std::vector<ModelRecord> merged_;
};

/// The persisted discovery state (the cache file).
struct CatalogCache {
  std::vector<ModelRecord> discovered;
  std::map<std::string, std::vector<EndpointRecord>> endpoints;  ///< by model id
  std::optional<SystemTime> last_refresh;  ///< from the injected Clock at refresh time
  uint64_t discovery_count = 0;            ///< models found by the last refresh
  uint64_t refresh_count = 0;              ///< refreshes so far
  std::string source_url;                  ///< where the last refresh read /models
};

std::string cache_to_json(const CatalogCache& cache);
/// kInvalidRequest naming `source` (the file) and the byte offset / field path.
Result<CatalogCache> cache_from_json(std::string_view json, std::string_view source);
/// Atomic write (temp file in the same directory, fsync, rename).
Status save_cache(const std::string& path, const CatalogCache& cache);
/// A missing file is an empty cache (not an error); an unreadable or invalid one is.
Result<CatalogCache> load_cache(const std::string& path);

/// One record as JSON (each field {"value":…,"source":…}); used by `models … --json`.
std::string record_to_json(const ModelRecord& r);
std::string endpoint_to_json(const EndpointRecord& e);

}  // namespace ploke::catalog
