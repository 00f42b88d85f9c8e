// File: ploke/codec/matcher.h
//
// Request matching and the replay store (spec: cassettes/README.md, "Matching" and
// "Replay").
//
// A request matches a recorded interaction when method, path, query (as a sorted
// multiset), the configured `match_headers` and the canonical body are equal. The canonical
// body of a JSON request is the JSON value with object keys sorted and the ignore paths
// removed (MatchOptions::ignore_paths, filled by the callers with the protocol packages'
// volatile fields); a non-JSON body compares byte for byte. Incoming requests are
// redacted with the store's RedactionRules before matching, so the stable placeholders in
// the cassette match the live secret values they replaced.
//
// ReplayStore: identical requests get the recorded responses in recorded order (across all
// cassettes, in the order given); after the last one, AfterLast::kRepeatLast keeps
// answering with the last one, AfterLast::kFail treats the request as unmatched. An
// unmatched request yields a NearMiss: the nearest recorded interaction (same method+path
// first, then the smallest difference) and the difference as a list of paths. The store
// tracks uses per interaction and every miss, for the strict CI report.
//
// Thread-safety: ReplayStore is safe to call from many threads (one mutex; matching work
// that needs no shared state — redaction, canonicalization — runs outside the lock).
// Returned `const Interaction*` stay valid for the store's lifetime (the store is immutable
// apart from its counters).
//
// Example:
//   ReplayOptions opts;
//   opts.after_last = AfterLast::kFail;
//   PLOKE_ASSIGN_OR_RETURN(auto store, ReplayStore::Create({std::move(cassette)}, opts));
//   ReplayResult r = store->match(live_request_from_http(http_request));
//   if (r.ok()) play(to_scripted(r.interaction->response, Timing::Recorded()));
//   else reply_404(r.near_miss.to_string());
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/codec/redact.h"
#include "ploke/core/status.h"
#include "ploke/core/thread_annotations.h"

namespace ploke::codec {

/// One difference between a recorded request and a live one (or two JSON values).
/// Paths use the ignore-path syntax ("messages[1].content", "$method", "$query.limit",
/// "$header.anthropic-version", "$body" for non-JSON bodies).
struct DiffEntry {
  enum class Kind : uint8_t {
    kAdded,    ///< present in the live request (`b`), absent from the recording (`a`)
    kRemoved,  ///< present in the recording, absent from the live request
    kChanged,  ///< present in both with different values
  };
  Kind kind = Kind::kChanged;
  std::string path;
  std::string recorded;  ///< short JSON rendering (≤ ~60 chars, "…" when cut); empty if absent
  std::string actual;    ///< same for the live side
  /// "changed messages[0].content: \"hi\" -> \"hello\"".
  std::string to_string() const;
  friend bool operator==(const DiffEntry&, const DiffEntry&) = default;
};
std::string_view diff_kind_name(DiffEntry::Kind k);  // "added", "removed", "changed"

/// Differences between two JSON texts (`recorded` vs `actual`), ignoring `ignore_paths`.
/// Non-JSON texts compare as whole strings (one "$body" entry when different).
std::vector<DiffEntry> diff_json_text(std::string_view recorded, std::string_view actual,
                                      const std::vector<std::string>& ignore_paths = {});

struct MatchOptions {
  /// JSON paths removed from request bodies before comparing: "user", "metadata.trace",
  /// "messages[*].name", "tools[0].function.description". `*` matches any key or index.
  /// None by default: which body members are volatile is a protocol fact, so the callers
  /// fill this from the protocol packages (ploke/adapters/register.h,
  /// builtin_cassette_ignore_paths()).
  std::vector<std::string> ignore_paths;
  /// Header names (case-insensitive) whose values must be equal (after redaction).
  std::vector<std::string> match_headers;
  bool match_query = true;
};

/// The canonical match key of a request: method, path, sorted query, matched headers and
/// canonical body. Two requests match iff their keys are equal. `request` should already
/// be redacted with the same rules as the recording.
std::string canonical_request_key(const RecordedRequest& request, const MatchOptions& options);

/// Differences between a recorded request and a live one, under `options`.
std::vector<DiffEntry> diff_requests(const RecordedRequest& recorded, const RecordedRequest& actual,
                                     const MatchOptions& options);

enum class AfterLast : uint8_t {
  kRepeatLast,  ///< keep answering with the last recorded response
  kFail,        ///< treat further identical requests as unmatched
};

struct ReplayOptions {
  MatchOptions match;
  AfterLast after_last = AfterLast::kRepeatLast;
  /// Applied to every live request before matching (the recording was redacted likewise).
  RedactionRules redaction = RedactionRules::Defaults();
  /// How many NearMiss reports misses() keeps (oldest dropped first).
  size_t max_recorded_misses = 1000;
  /// Per-test cassettes: every request names its cassette (match(request, name)) and only
  /// that cassette's interactions match it or appear in its near-miss report; recorded
  /// order is kept per cassette.
  bool scope_by_cassette = false;
};

/// Where an interaction lives in the store: cassette name + its position and id.
struct InteractionRef {
  size_t global_index = 0;   ///< position across all cassettes, in load order
  std::string cassette;      ///< Cassette::name
  size_t index = 0;          ///< position inside its cassette
  std::string id;            ///< Interaction::id
  std::string method;
  std::string path;
  /// "openai-stream#3 (id 0003) POST /v1/chat/completions".
  std::string label() const;
};

/// Why a request did not match, and what it nearly matched.
struct NearMiss {
  std::string method;
  std::string path;
  bool exhausted = false;                 ///< matched, but every recorded response was used (kFail)
  std::optional<InteractionRef> nearest;  ///< none when the store is empty
  std::vector<DiffEntry> diff;            ///< nearest recording vs this request
  /// Multi-line human report: the request, the nearest interaction, one line per difference.
  std::string to_string() const;
};

struct ReplayResult {
  Status status;                              ///< OK, or kNotFound when unmatched
  const Interaction* interaction = nullptr;   ///< the recording to replay (OK only)
  std::optional<InteractionRef> ref;          ///< which one (OK only)
  uint32_t use = 0;                           ///< 1 for the first use of that interaction, …
  NearMiss near_miss;                         ///< filled when not OK
  bool ok() const { return status.ok(); }
};

struct UsageEntry {
  InteractionRef ref;
  uint32_t uses = 0;
};

/// The strict CI verdict: unmatched requests and never-used interactions are failures.
struct StrictReport {
  size_t requests = 0;
  size_t unmatched = 0;
  std::vector<NearMiss> misses;          ///< the recorded misses (capped)
  std::vector<InteractionRef> unused;
  bool ok() const { return unmatched == 0 && unused.empty(); }
  std::string to_string() const;
};

class ReplayStore {
 public:
  /// Builds the index. Errors: kInvalidRequest when an ignore path does not parse.
  static Result<std::unique_ptr<ReplayStore>> Create(std::vector<Cassette> cassettes,
                                                     ReplayOptions options);
  ReplayStore(const ReplayStore&) = delete;
  ReplayStore& operator=(const ReplayStore&) = delete;

  /// Matches a live request (redacted here with options.redaction) and advances that
  /// request's cursor. Thread-safe.
  ReplayResult match(const RecordedRequest& request);
  /// With ReplayOptions::scope_by_cassette: matches only against the cassette named
  /// `cassette` (Cassette::name). Without it, `cassette` is ignored.
  ReplayResult match(const RecordedRequest& request, std::string_view cassette);
  /// ReplayOptions::scope_by_cassette.
  bool scoped() const { return options_.scope_by_cassette; }
  /// True when a cassette of that name was loaded (it may hold no interaction).
  bool has_cassette(std::string_view name) const;

  size_t size() const { return entries_.size(); }
  /// REQUIRES: global_index < size().
  const Interaction& interaction(size_t global_index) const { return *entries_[global_index].interaction; }
  std::vector<UsageEntry> usage() const;
  std::vector<InteractionRef> unused() const;
  std::vector<NearMiss> misses() const;
  StrictReport strict_report() const;
  /// Forgets uses, cursors and misses (e.g. between test cases).
  void reset();

 private:
  struct Entry {
    const Interaction* interaction = nullptr;
    InteractionRef ref;
    std::string key;             ///< canonical_request_key
    std::string canonical_body;  ///< canonical JSON (or raw bytes) for near-miss diffs
  };
  struct Queue {
    std::vector<size_t> entries;  ///< global indexes in recorded order
    size_t next = 0;  // guarded by the matcher's mu_ (the analysis cannot name it from here)
  };

  ReplayStore(std::vector<Cassette> cassettes, ReplayOptions options);
  NearMiss near_miss_for(const RecordedRequest& request, std::string_view cassette) const;
  /// The key prefix that scopes a cassette's interactions ("" unless scope_by_cassette).
  std::string scope_prefix(std::string_view cassette) const;

  const std::vector<Cassette> cassettes_;
  const ReplayOptions options_;
  std::vector<Entry> entries_;                        // immutable after Create()
  std::unordered_map<std::string, Queue> by_key_;     // keys immutable; Queue::next guarded by mu_

  mutable Mutex mu_;
  std::vector<uint32_t> uses_ PLOKE_GUARDED_BY(mu_);
  std::vector<NearMiss> misses_ PLOKE_GUARDED_BY(mu_);
  size_t requests_ PLOKE_GUARDED_BY(mu_) = 0;
  size_t unmatched_ PLOKE_GUARDED_BY(mu_) = 0;
};

}  // namespace ploke::codec
