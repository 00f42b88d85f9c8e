#include "ploke/core/secret_registry.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include "ploke/core/transport.h"
#include "secret_spans.h"

namespace ploke {

namespace {

struct Snapshot {
  std::vector<std::string> values;
  size_t max_len = 0;
};

struct Registry {
  Mutex mu;  // serialises writers; readers load `snap`
  std::atomic<std::shared_ptr<const Snapshot>> snap;
  std::atomic<bool> any{false};
  std::atomic<uint64_t> generation{0};  // bumped after each store of `snap`
  std::atomic<size_t> dropped{0};
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: usable from static destructors
  return *r;
}

/// The current snapshot, cached per thread: a read is one atomic load and a compare; the
/// shared snapshot is loaded again only after a registration.
const Snapshot* snapshot() {
  Registry& r = registry();
  if (!r.any.load(std::memory_order_acquire)) return nullptr;
  thread_local std::shared_ptr<const Snapshot> cached;
  thread_local uint64_t cached_generation = ~uint64_t{0};
  const uint64_t g = r.generation.load(std::memory_order_acquire);
  if (g != cached_generation) {
    cached = r.snap.load(std::memory_order_acquire);
    cached_generation = g;
  }
  return cached.get();
}

bool is_placeholder(std::string_view v) { return v.rfind("[REDACTED", 0) == 0; }

}  // namespace

namespace detail {

std::vector<SecretSpan> merge_secret_spans(std::vector<SecretSpan> spans) {
  if (spans.size() <= 1) return spans;
  std::sort(spans.begin(), spans.end(), [](const SecretSpan& a, const SecretSpan& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<SecretSpan> merged;
  for (const SecretSpan& sp : spans) {
    if (!merged.empty() && sp.begin < merged.back().end) {
      merged.back().end = std::max(merged.back().end, sp.end);
    } else {
      merged.push_back(sp);
    }
  }
  return merged;
}

std::string replace_secret_spans(std::string_view text, const std::vector<SecretSpan>& spans) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const SecretSpan& sp : spans) {
    out.append(text.substr(pos, sp.begin - pos));
    out.append(kRedacted);
    pos = sp.end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace detail

bool register_secret(std::string_view value) {
  if (value.size() < kMinRegisteredSecretLength || is_placeholder(value)) return false;
  if (const Snapshot* cur = snapshot(); cur && std::find(cur->values.begin(), cur->values.end(), value) != cur->values.end()) {
    return true;  // known already: no lock (the gateway calls this per request)
  }
  Registry& r = registry();
  MutexLock lk(r.mu);
  auto cur = r.snap.load(std::memory_order_acquire);
  if (cur && std::find(cur->values.begin(), cur->values.end(), value) != cur->values.end()) return true;
  if (cur && cur->values.size() >= kMaxRegisteredSecrets) {
    r.dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  auto next = std::make_shared<Snapshot>(cur ? *cur : Snapshot{});
  next->values.emplace_back(value);
  next->max_len = std::max(next->max_len, value.size());
  r.snap.store(std::move(next), std::memory_order_release);
  r.generation.fetch_add(1, std::memory_order_acq_rel);
  r.any.store(true, std::memory_order_release);
  return true;
}

bool has_registered_secrets() { return registry().any.load(std::memory_order_acquire); }

size_t registered_secret_count() {
  const Snapshot* s = snapshot();
  return s ? s->values.size() : 0;
}

size_t registered_secrets_dropped() { return registry().dropped.load(std::memory_order_relaxed); }

size_t registered_secret_max_length() {
  const Snapshot* s = snapshot();
  return s ? s->max_len : 0;
}

std::vector<SecretSpan> find_registered_secrets(std::string_view text) {
  std::vector<SecretSpan> spans;
  const Snapshot* s = snapshot();
  if (!s || text.size() < kMinRegisteredSecretLength) return spans;
  for (const std::string& v : s->values) {
    size_t pos = 0;
    while ((pos = text.find(v, pos)) != std::string_view::npos) {
      spans.push_back({pos, pos + v.size()});
      pos += v.size();
    }
  }
  return detail::merge_secret_spans(std::move(spans));
}

std::string redact_registered_secrets(std::string_view text) {
  const std::vector<SecretSpan> spans = find_registered_secrets(text);
  if (spans.empty()) return std::string(text);
  return detail::replace_secret_spans(text, spans);
}

bool contains_registered_secret(std::string_view text) {
  const Snapshot* s = snapshot();
  if (!s || text.size() < kMinRegisteredSecretLength) return false;
  for (const std::string& v : s->values) {
    if (text.find(v) != std::string_view::npos) return true;
  }
  return false;
}

size_t registered_secret_prefix_suffix(std::string_view text) {
  const Snapshot* s = snapshot();
  if (!s) return 0;
  size_t best = 0;
  for (const std::string& v : s->values) {
    // Longest k < |v| with text's last k bytes == v's first k bytes.
    for (size_t k = std::min(v.size() - 1, text.size()); k > best; --k) {
      if (text.compare(text.size() - k, k, v, 0, k) == 0) {
        best = k;
        break;
      }
    }
  }
  return best;
}

void register_client_credentials(const Headers& headers) {
  for (const auto& [name, value] : headers.items()) {
    if (iequals(name, "authorization") || iequals(name, "proxy-authorization")) {
      std::string_view v = value;
      const size_t sp = v.find(' ');
      if (sp != std::string_view::npos) v = v.substr(sp + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      register_secret(v);
    } else if (iequals(name, "x-api-key") || iequals(name, "api-key") || iequals(name, "x-goog-api-key")) {
      register_secret(value);
    }
  }
}

void clear_registered_secrets_for_testing() {
  Registry& r = registry();
  MutexLock lk(r.mu);
  r.any.store(false, std::memory_order_release);
  r.snap.store(nullptr, std::memory_order_release);
  r.generation.fetch_add(1, std::memory_order_acq_rel);
  r.dropped.store(0, std::memory_order_relaxed);
}

}  // namespace ploke
