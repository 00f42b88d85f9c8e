// InboundProtocol's defaults (OpenAI's), InboundProtocols (the route index) and
// serve_chat(). See ploke/gateway/inbound.h.
#include "ploke/gateway/inbound.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "chat_call.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/server.h"

namespace ploke::gateway {
namespace {

// The gateway's own routes (Gateway::handle after the protocols'): no protocol may take them.
constexpr std::array<std::string_view, 6> kGatewayPaths = {"/healthz", "/readyz", "/metrics",
                                                           "/v1/models", "/models", "/api/v1/models"};
constexpr std::array<std::string_view, 2> kGatewayPrefixes = {"/__admin", "/v1/models/"};

bool takes_gateway_route(const InboundRoute& r) {
  for (std::string_view p : kGatewayPrefixes) {
    if (r.path.starts_with(p) || (r.prefix && p.starts_with(r.path))) return true;
  }
  for (std::string_view p : kGatewayPaths) {
    if (r.path == p || (r.prefix && p.starts_with(r.path))) return true;
  }
  return false;
}

}  // namespace

int InboundProtocol::claims(const Request& /*request*/) const { return 0; }
std::string_view InboundProtocol::metrics_label() const { return name(); }
std::string_view InboundProtocol::request_id_header() const { return adapters::openai::kRequestIdHeader; }

adapters::inbound::Reply InboundProtocol::render_error(const Status& st, const std::string& /*trace_id*/) const {
  return adapters::openai::render_openai_error(st);
}

Status InboundProtocol::busy_error(std::string message) const { return RateLimitedError(std::move(message)); }

Status InboundProtocol::unknown_model(const std::string& model) const {
  return NotFoundError("The model `" + model + "` does not exist or you do not have access to it.");
}

std::string InboundProtocol::render_models(const std::vector<std::string>& ids, int64_t created) const {
  return adapters::openai::render_openai_models(ids, created);
}

std::string InboundProtocol::render_model(const std::string& id, int64_t created) const {
  return adapters::openai::render_openai_model(id, created);
}

void serve_chat(InboundExchange& x, ChatSession& session) { internal::ChatCall(x, session).run(); }

Result<std::shared_ptr<const InboundProtocols>> InboundProtocols::Create(const InboundRegistry& registry,
                                                                         const std::vector<std::string>& names) {
  std::vector<std::string> wanted = names.empty() ? registry.names() : names;
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::shared_ptr<InboundProtocols> set(new InboundProtocols());
  for (const std::string& n : wanted) {
    if (!registry.contains(n)) {
      std::string known;
      for (const auto& r : registry.names()) known += (known.empty() ? "" : ", ") + r;
      return NotFoundError("inbound protocol '" + n + "' is not registered (registered: " + known + ")");
    }
    PLOKE_ASSIGN_OR_RETURN(std::unique_ptr<InboundProtocol> p, registry.create(n));
    Entry e;
    e.routes = p->routes();
    e.protocol = std::move(p);
    set->entries_.push_back(std::move(e));
  }
  if (set->entries_.empty()) return InvalidRequestError("no inbound protocol to serve");
  PLOKE_RETURN_IF_ERROR(set->index());
  return std::shared_ptr<const InboundProtocols>(std::move(set));
}

// Routes into the exact and prefix tables (clashes reported), labels numbered.
Status InboundProtocols::index() {
  auto who = [this](const Keyed& k) { return "'" + std::string(entries_[k.entry].protocol->name()) + "'"; };
  for (size_t i = 0; i < entries_.size(); ++i) {
    for (size_t j = 0; j < entries_[i].routes.size(); ++j) {
      const InboundRoute& r = entries_[i].routes[j];
      Keyed k{r.method, r.path, i, j};
      if (takes_gateway_route(r)) {
        return InvalidRequestError("inbound protocol " + who(k) + ": " + r.method + " " + r.path +
                                   " is the gateway's own route");
      }
      std::vector<Keyed>& table = r.prefix ? prefixes_ : exact_;
      for (const Keyed& o : table) {
        if (o.method == k.method && o.path == k.path) {
          return InvalidRequestError("inbound protocols " + who(o) + " and " + who(k) + " both serve " + r.method + " " +
                                     r.path + (r.prefix ? "…" : ""));
        }
      }
      table.push_back(std::move(k));
    }
  }
  std::sort(exact_.begin(), exact_.end(),
            [](const Keyed& a, const Keyed& b) { return std::tie(a.path, a.method) < std::tie(b.path, b.method); });
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const Keyed& a, const Keyed& b) { return a.path.size() > b.path.size(); });
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].protocol->name() == "openai") default_ = i;
  }
  labels_.emplace_back(entries_[default_].protocol->metrics_label());
  for (Entry& e : entries_) {
    const std::string label(e.protocol->metrics_label());
    auto it = std::find(labels_.begin(), labels_.end(), label);
    e.label = static_cast<size_t>(it - labels_.begin());
    if (it == labels_.end()) labels_.push_back(label);
  }
  return Status::Ok();
}

InboundProtocols::Match InboundProtocols::match_of(const Keyed& k) const {
  const Entry& e = entries_[k.entry];
  return Match{e.protocol.get(), &e.routes[k.route]};
}

std::optional<InboundProtocols::Match> InboundProtocols::route(const Request& request) const {
  const std::string_view path = request.path, method = request.method;
  auto it = std::lower_bound(exact_.begin(), exact_.end(), path,
                             [](const Keyed& k, std::string_view p) { return std::string_view(k.path) < p; });
  for (; it != exact_.end() && it->path == path; ++it) {
    if (it->method == method) return match_of(*it);
  }
  for (const Keyed& k : prefixes_) {
    if (k.method == method && path.starts_with(k.path)) return match_of(k);
  }
  return std::nullopt;
}

const InboundProtocol& InboundProtocols::speaks(const Request& request) const {
  if (auto m = route(request)) return *m->protocol;
  size_t best = default_;
  int strength = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const int c = entries_[i].protocol->claims(request);
    if (c > strength) {
      strength = c;
      best = i;
    }
  }
  return *entries_[best].protocol;
}

const InboundProtocol* InboundProtocols::find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.protocol->name() == name) return e.protocol.get();
  }
  return nullptr;
}

size_t InboundProtocols::label_index(const InboundProtocol& p) const {
  for (const Entry& e : entries_) {
    if (e.protocol.get() == &p) return e.label;
  }
  return 0;
}

std::shared_ptr<const InboundProtocols> InboundProtocols::builtin() {
  static const std::shared_ptr<const InboundProtocols> set = [] {
    InboundRegistry registry;
    (void)register_builtin_inbound(registry);  // a fresh registry: no duplicate
    auto made = Create(registry);
    return made.ok() ? *made : nullptr;  // the built-ins' routes do not clash (tested)
  }();
  return set;
}

}  // namespace ploke::gateway
