// The client-side facts of a journal entry (journal_facts.h).
#include "journal_facts.h"

#include <functional>
#include <string_view>

#include "ploke/adapters/retry_after.h"
#include "ploke/core/ascii.h"

namespace ploke::simulator::detail {
namespace {

// The API key the request authenticates with: `Authorization: Bearer K`, `x-api-key: K`
// (Anthropic) or `api-key: K` (Azure style); "" when none.
std::string_view request_key(const Headers& headers) {
  if (auto a = headers.get("authorization")) {
    std::string_view v = *a;
    if (v.size() > 7 && iequals(v.substr(0, 7), "bearer ")) return v.substr(7);
    return v;
  }
  if (auto k = headers.get("x-api-key")) return *k;
  if (auto k = headers.get("api-key")) return *k;
  return {};
}

// A query parameter whose name says it carries a credential (key=, api_key=, api-key=,
// token=, access_token=) with a non-empty value.
bool query_names_a_credential(std::string_view query) {
  static constexpr std::string_view kNames[] = {"key", "api_key", "api-key", "apikey", "token", "access_token"};
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view param = query.substr(pos, amp - pos);
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && eq + 1 < param.size()) {
      for (std::string_view n : kNames) {
        if (iequals(param.substr(0, eq), n)) return true;
      }
    }
    pos = amp + 1;
  }
  return false;
}

bool breaks_stream(const Fault& f) {
  return f.kind == FaultKind::kStreamCut || f.kind == FaultKind::kMidStreamError || f.kind == FaultKind::kHang ||
         f.kind == FaultKind::kMalformedJson;
}

}  // namespace

void add_client_facts(JournalEntry& e, const HttpRequest& request, const ScriptedResponse& r, const Fault* fault) {
  e.body_hash = std::hash<std::string_view>{}(request.body);  // an identity within one run
  if (e.status != 0) {
    if (auto ra = adapters::parse_retry_after(r.headers)) e.retry_after = *ra;
    if (auto sr = r.headers.get("x-should-retry")) e.should_retry = iequals(*sr, "true");
  }
  e.broke_after_output = fault != nullptr && r.streaming && r.status == 200 && breaks_stream(*fault) &&
                         fault->after_events > 0 && !r.chunks.empty();
  const std::string_view path = request.path;
  const size_t q = path.find('?');
  const std::string_view query = q == std::string_view::npos ? std::string_view() : path.substr(q + 1);
  const std::string_view key = request_key(request.headers);
  if (key.size() >= 8 && query.find(key) != std::string_view::npos) {
    e.secret_in = "url";
  } else if (query_names_a_credential(query)) {
    e.secret_in = "url";
  } else if (key.size() >= 8 && request.body.find(key) != std::string::npos) {
    e.secret_in = "body";
  }
}

}  // namespace ploke::simulator::detail
