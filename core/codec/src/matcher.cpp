// Request matching (canonical keys), request/JSON differences, and the replay store.
#include "ploke/core/ascii.h"
#include "ploke/codec/matcher.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <cctype>

#include "json_util.h"
#include "redact_internal.h"

namespace ploke::codec {

using internal::SortedJson;

std::string_view diff_kind_name(DiffEntry::Kind k) {
  switch (k) {
    case DiffEntry::Kind::kAdded: return "added";
    case DiffEntry::Kind::kRemoved: return "removed";
    case DiffEntry::Kind::kChanged: return "changed";
  }
  return "changed";
}

std::string DiffEntry::to_string() const {
  std::string s(diff_kind_name(kind));
  s += " " + path + ": ";
  switch (kind) {
    case Kind::kAdded: s += actual; break;
    case Kind::kRemoved: s += recorded; break;
    case Kind::kChanged: s += recorded + " -> " + actual; break;
  }
  return s;
}

namespace {

using Segs = std::vector<internal::PathSeg>;

std::vector<Segs> parse_ignore(const std::vector<std::string>& paths) {
  std::vector<Segs> out;
  for (const auto& p : paths) {
    if (auto s = internal::parse_json_path(p)) out.push_back(std::move(*s));
  }
  return out;
}

std::optional<SortedJson> body_json(std::string_view bytes, const std::vector<Segs>& ignore) {
  if (bytes.empty() || (bytes[0] != '{' && bytes[0] != '[')) return std::nullopt;
  auto j = internal::try_parse_sorted(bytes);
  if (!j) return std::nullopt;
  for (const auto& segs : ignore) internal::erase_at_path(*j, segs);
  return j;
}

std::string canonical_body(const RecordedBody& body, const std::vector<Segs>& ignore) {
  if (body.bytes.empty()) return "E";
  if (auto j = body_json(body.bytes, ignore)) return "J" + internal::dump_safe(*j);
  return "B" + body.bytes;
}

QueryParams sorted_query(QueryParams q) {
  std::sort(q.begin(), q.end());
  return q;
}

std::vector<std::string> sorted_lower(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(ascii_lower(n));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string key_with_body(const RecordedRequest& r, const MatchOptions& o, const std::string& canonical) {
  std::string key = r.method;
  key += '\n';
  key += r.path;
  key += '\n';
  if (o.match_query) key += encode_query(sorted_query(r.query));
  key += '\n';
  for (const auto& name : sorted_lower(o.match_headers)) {
    const auto v = r.headers.get(name);
    key += name;
    key += v ? "=" + std::string(*v) : std::string("<absent>");
    key += '\n';
  }
  key += canonical;
  return key;
}

std::string quote_json(std::string_view s) { return internal::short_json(internal::Json(std::string(s))); }

void diff_body(const RecordedBody& a, const RecordedBody& b, const std::vector<Segs>& ignore,
               std::vector<DiffEntry>* out) {
  auto ja = body_json(a.bytes, ignore);
  auto jb = body_json(b.bytes, ignore);
  if (ja && jb) {
    internal::diff_json(*ja, *jb, "", out);
    return;
  }
  if (canonical_body(a, ignore) == canonical_body(b, ignore)) return;
  DiffEntry e;
  e.path = "$body";
  e.kind = a.bytes.empty() ? DiffEntry::Kind::kAdded : b.bytes.empty() ? DiffEntry::Kind::kRemoved : DiffEntry::Kind::kChanged;
  if (!a.bytes.empty()) e.recorded = quote_json(a.bytes);
  if (!b.bytes.empty()) e.actual = quote_json(b.bytes);
  out->push_back(std::move(e));
}

std::vector<DiffEntry> diff_requests_impl(const RecordedRequest& a, const RecordedRequest& b, const MatchOptions& o,
                                          const std::vector<Segs>& ignore) {
  std::vector<DiffEntry> out;
  if (a.method != b.method) out.push_back({DiffEntry::Kind::kChanged, "$method", quote_json(a.method), quote_json(b.method)});
  if (a.path != b.path) out.push_back({DiffEntry::Kind::kChanged, "$path", quote_json(a.path), quote_json(b.path)});
  if (o.match_query) {
    const auto qa = sorted_query(a.query);
    const auto qb = sorted_query(b.query);
    size_t i = 0;
    size_t k = 0;
    while (i < qa.size() || k < qb.size()) {
      if (k == qb.size() || (i < qa.size() && qa[i].first < qb[k].first)) {
        out.push_back({DiffEntry::Kind::kRemoved, "$query." + qa[i].first, quote_json(qa[i].second), ""});
        ++i;
      } else if (i == qa.size() || qb[k].first < qa[i].first) {
        out.push_back({DiffEntry::Kind::kAdded, "$query." + qb[k].first, "", quote_json(qb[k].second)});
        ++k;
      } else {
        if (qa[i].second != qb[k].second) {
          out.push_back({DiffEntry::Kind::kChanged, "$query." + qa[i].first, quote_json(qa[i].second), quote_json(qb[k].second)});
        }
        ++i;
        ++k;
      }
    }
  }
  for (const auto& name : sorted_lower(o.match_headers)) {
    const auto va = a.headers.get(name);
    const auto vb = b.headers.get(name);
    if (va == vb) continue;
    DiffEntry e;
    e.path = "$header." + name;
    e.kind = !va ? DiffEntry::Kind::kAdded : !vb ? DiffEntry::Kind::kRemoved : DiffEntry::Kind::kChanged;
    if (va) e.recorded = quote_json(*va);
    if (vb) e.actual = quote_json(*vb);
    out.push_back(std::move(e));
  }
  diff_body(a.body, b.body, ignore, &out);
  return out;
}

}  // namespace

std::vector<DiffEntry> diff_json_text(std::string_view recorded, std::string_view actual,
                                      const std::vector<std::string>& ignore_paths) {
  RecordedBody a;
  a.bytes = std::string(recorded);
  RecordedBody b;
  b.bytes = std::string(actual);
  std::vector<DiffEntry> out;
  diff_body(a, b, parse_ignore(ignore_paths), &out);
  return out;
}

std::string canonical_request_key(const RecordedRequest& request, const MatchOptions& options) {
  return key_with_body(request, options, canonical_body(request.body, parse_ignore(options.ignore_paths)));
}

std::vector<DiffEntry> diff_requests(const RecordedRequest& recorded, const RecordedRequest& actual,
                                     const MatchOptions& options) {
  return diff_requests_impl(recorded, actual, options, parse_ignore(options.ignore_paths));
}

// ------------------------------------------------------------------------------------------

std::string InteractionRef::label() const {
  std::string s = cassette.empty() ? std::string("cassette") : cassette;
  s += "#" + std::to_string(index);
  if (!id.empty()) s += " (id " + id + ")";
  s += " " + method + " " + path;
  return s;
}

std::string NearMiss::to_string() const {
  std::string s;
  if (exhausted) {
    s = "every recorded response for " + method + " " + path + " was already used (after_last = fail)";
    if (nearest) s += "; last: " + nearest->label();
    return s;
  }
  s = "no recorded interaction matches " + method + " " + path;
  if (!nearest) return s + " (the cassette is empty)";
  s += "\nnearest: " + nearest->label();
  constexpr size_t kMaxLines = 20;
  for (size_t i = 0; i < diff.size() && i < kMaxLines; ++i) s += "\n  " + diff[i].to_string();
  if (diff.size() > kMaxLines) s += "\n  … and " + std::to_string(diff.size() - kMaxLines) + " more differences";
  if (diff.empty()) s += "\n  (no difference under the match options)";
  return s;
}

std::string StrictReport::to_string() const {
  std::string s = "replay: " + std::to_string(requests) + " requests, " + std::to_string(unmatched) + " unmatched, " +
                  std::to_string(unused.size()) + " unused interactions: " + (ok() ? "OK" : "FAILED");
  for (const auto& m : misses) {
    std::string block = m.to_string();
    size_t pos = 0;
    while ((pos = block.find('\n', pos)) != std::string::npos) block.insert(++pos, "  ");
    s += "\nunmatched: " + block;
  }
  for (const auto& u : unused) s += "\nunused: " + u.label();
  return s;
}

Result<std::unique_ptr<ReplayStore>> ReplayStore::Create(std::vector<Cassette> cassettes, ReplayOptions options) {
  for (size_t i = 0; i < options.match.ignore_paths.size(); ++i) {
    if (!internal::parse_json_path(options.match.ignore_paths[i])) {
      return Status(StatusCode::kInvalidRequest, "match.ignore_paths[" + std::to_string(i) + "]: cannot parse \"" +
                                                     options.match.ignore_paths[i] + "\"");
    }
  }
  return std::unique_ptr<ReplayStore>(new ReplayStore(std::move(cassettes), std::move(options)));
}

ReplayStore::ReplayStore(std::vector<Cassette> cassettes, ReplayOptions options)
    : cassettes_(std::move(cassettes)), options_(std::move(options)) {
  const auto ignore = parse_ignore(options_.match.ignore_paths);
  for (const auto& c : cassettes_) {
    for (size_t i = 0; i < c.interactions.size(); ++i) {
      const Interaction& in = c.interactions[i];
      Entry e;
      e.interaction = &in;
      e.ref = InteractionRef{entries_.size(), c.name, i, in.id, in.request.method, in.request.path};
      // Recordings are normally redacted already; redacting again is idempotent and makes
      // hand-written cassettes behave the same.
      const RecordedRequest req = redact_request(in.request, options_.redaction, /*drop_headers=*/true);
      e.canonical_body = canonical_body(req.body, ignore);
      e.key = scope_prefix(c.name) + key_with_body(req, options_.match, e.canonical_body);
      by_key_[e.key].entries.push_back(entries_.size());
      entries_.push_back(std::move(e));
    }
  }
  uses_.assign(entries_.size(), 0);
}

std::string ReplayStore::scope_prefix(std::string_view cassette) const {
  if (!options_.scope_by_cassette) return {};
  std::string p(cassette);
  p += '\x1f';  // cannot occur in a sanitized cassette name
  return p;
}

bool ReplayStore::has_cassette(std::string_view name) const {
  return std::any_of(cassettes_.begin(), cassettes_.end(), [&](const Cassette& c) { return c.name == name; });
}

NearMiss ReplayStore::near_miss_for(const RecordedRequest& live, std::string_view cassette) const {
  NearMiss m;
  m.method = live.method;
  m.path = live.path;
  const auto in_scope = [&](const Entry& e) { return !options_.scope_by_cassette || e.ref.cassette == cassette; };
  const auto ignore = parse_ignore(options_.match.ignore_paths);
  bool any_same_route = false;
  for (const auto& e : entries_) {
    any_same_route = any_same_route || (in_scope(e) && e.ref.method == live.method && e.ref.path == live.path);
  }
  size_t best = entries_.size();
  std::vector<DiffEntry> best_diff;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (!in_scope(e)) continue;
    if (any_same_route && (e.ref.method != live.method || e.ref.path != live.path)) continue;
    const RecordedRequest rec = redact_request(e.interaction->request, options_.redaction, true);
    auto d = diff_requests_impl(rec, live, options_.match, ignore);
    if (best == entries_.size() || d.size() < best_diff.size()) {
      best = i;
      best_diff = std::move(d);
    }
  }
  if (best == entries_.size()) return m;
  m.nearest = entries_[best].ref;
  m.diff = std::move(best_diff);
  return m;
}

ReplayResult ReplayStore::match(const RecordedRequest& request) { return match(request, {}); }

ReplayResult ReplayStore::match(const RecordedRequest& request, std::string_view cassette) {
  // Redaction and canonicalization need no shared state: do them before locking.
  std::optional<internal::Json> dom;
  const RecordedRequest live = internal::redact_request_keep_json(request, options_.redaction, /*drop_headers=*/true, &dom);
  const auto ignore = parse_ignore(options_.match.ignore_paths);
  std::string canonical;
  if (dom) {
    SortedJson sorted(*dom);  // same value as parsing the redacted bytes, without re-lexing
    for (const auto& segs : ignore) internal::erase_at_path(sorted, segs);
    canonical = "J" + internal::dump_safe(sorted);
  } else {
    canonical = canonical_body(live.body, ignore);
  }
  const std::string key = scope_prefix(cassette) + key_with_body(live, options_.match, canonical);

  ReplayResult r;
  std::optional<size_t> exhausted_last;
  {
    MutexLock lock(mu_);
    ++requests_;
    auto it = by_key_.find(key);
    if (it != by_key_.end()) {
      Queue& q = it->second;
      std::optional<size_t> pick;
      if (q.next < q.entries.size()) pick = q.entries[q.next++];
      else if (options_.after_last == AfterLast::kRepeatLast) pick = q.entries.back();
      else exhausted_last = q.entries.back();
      if (pick) {
        r.interaction = entries_[*pick].interaction;
        r.ref = entries_[*pick].ref;
        r.use = ++uses_[*pick];
        return r;
      }
    }
  }
  // Unmatched (or exhausted): build the report outside the lock, then record it.
  if (exhausted_last) {
    r.near_miss.method = live.method;
    r.near_miss.path = live.path;
    r.near_miss.exhausted = true;
    r.near_miss.nearest = entries_[*exhausted_last].ref;
  } else {
    r.near_miss = near_miss_for(live, cassette);
  }
  r.status = Status(StatusCode::kNotFound, r.near_miss.to_string());
  MutexLock lock(mu_);
  ++unmatched_;
  misses_.push_back(r.near_miss);
  if (misses_.size() > options_.max_recorded_misses) misses_.erase(misses_.begin());
  return r;
}

std::vector<UsageEntry> ReplayStore::usage() const {
  MutexLock lock(mu_);
  std::vector<UsageEntry> out;
  for (size_t i = 0; i < entries_.size(); ++i) out.push_back({entries_[i].ref, uses_[i]});
  return out;
}

std::vector<InteractionRef> ReplayStore::unused() const {
  MutexLock lock(mu_);
  std::vector<InteractionRef> out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (uses_[i] == 0) out.push_back(entries_[i].ref);
  }
  return out;
}

std::vector<NearMiss> ReplayStore::misses() const {
  MutexLock lock(mu_);
  return misses_;
}

StrictReport ReplayStore::strict_report() const {
  StrictReport rep;
  rep.unused = unused();
  MutexLock lock(mu_);
  rep.requests = requests_;
  rep.unmatched = unmatched_;
  rep.misses = misses_;
  return rep;
}

void ReplayStore::reset() {
  MutexLock lock(mu_);
  for (auto& [k, q] : by_key_) q.next = 0;
  std::fill(uses_.begin(), uses_.end(), 0);
  misses_.clear();
  requests_ = 0;
  unmatched_ = 0;
}

}  // namespace ploke::codec
