// The engine's protocol registry (protocol.h): lookup, the common body read, and the
// wrapper that lets a ploke::SimProtocol (an adapter plugin's) answer through the engine.
#include "protocol.h"

#include <algorithm>
#include <cctype>

namespace ploke::simulator::detail {
namespace {

// "http://host:port/v1" -> "/v1"; "" when there is no path.
std::string_view url_path_prefix(std::string_view base_url) {
  size_t scheme = base_url.find("://");
  size_t from = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t slash = base_url.find('/', from);
  if (slash == std::string_view::npos) return {};
  std::string_view p = base_url.substr(slash);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  return p;
}

Fault fault_of(const SimError& e) {
  Fault f;
  f.kind = FaultKind::kHttpError;
  f.status = e.status;
  f.message = e.message;
  f.error_type = e.type;
  f.error_code = e.code;
  f.retry_after = e.retry_after;
  f.retry_after_ms = e.retry_after_ms;
  f.should_retry = e.should_retry;
  return f;
}

// What an added protocol sees of one request; answer_as() / error_as() reach the built-ins.
class Call final : public SimCall {
 public:
  Call(const ProtocolCall& c, const ProtocolRegistry& registry, double slow)
      : c_(c), registry_(registry), slow_(slow) {}
  const HttpRequest& request() const override { return c_.request; }
  std::string_view path() const override { return c_.rt.path; }
  std::string_view request_id() const override { return c_.ctx.request_id; }
  Random& rng() const override { return c_.rng; }
  double slow_factor() const override { return slow_; }
  ScriptedResponse answer_as(std::string_view protocol, const HttpRequest& request) const override {
    const Protocol* p = registry_.builtin(protocol);
    if (p == nullptr) return unknown(protocol);
    ScriptedResponse r = registry_.answer_as(*p, request, c_.ctx, c_.opts, c_.rng, c_.arrival);
    stretch(r, slow_);
    return r;
  }
  ScriptedResponse error_as(std::string_view protocol, const SimError& error) const override {
    const Protocol* p = registry_.builtin(protocol);
    if (p == nullptr) return unknown(protocol);
    const Fault f = fault_of(error);
    return p->respond(ProtocolCall{c_.request, c_.rt, c_.p, &f, c_.ctx, c_.opts, c_.rng, c_.arrival});
  }

 private:
  ScriptedResponse unknown(std::string_view protocol) const {
    return error_response(ErrorSpec{500, "simulator: no built-in protocol '" + std::string(protocol) + "'",
                                    "server_error", std::nullopt, std::nullopt},
                          c_.ctx, c_.opts);
  }
  const ProtocolCall& c_;
  const ProtocolRegistry& registry_;
  double slow_;
};

// The added protocol's bytes for the faults that write some.
class AddedFaultShapes final : public FaultShapes {
 public:
  AddedFaultShapes(const SimProtocol& protocol, const Call& call) : protocol_(protocol), call_(call) {}
  ScriptedResponse http_error(const Fault& f) const override {
    return protocol_.error_response(call_, sim_error_of(f, f.status));
  }
  std::string_view malformed_event() const override { return protocol_.malformed_event(); }
  std::string error_event(const Fault& f, int status, size_t /*events_before*/) const override {
    return protocol_.stream_error_event(call_, sim_error_of(f, status));
  }
  std::string error_body(const Fault& f, int status) const override {
    return protocol_.error_response(call_, sim_error_of(f, status)).body();
  }

 private:
  const SimProtocol& protocol_;
  const Call& call_;
};

// The method in capitals, as SimProtocol sees it ("post" -> "POST").
std::string upper(std::string_view method) {
  std::string m(method);
  for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return m;
}

class AddedProtocol final : public Protocol {
 public:
  AddedProtocol(SimProtocolPtr protocol, const ProtocolRegistry& registry)
      : protocol_(std::move(protocol)), registry_(registry) {}
  std::string_view name() const override { return protocol_->name(); }
  bool answers(const HttpRequest& request, const Routing& rt) const override {
    return protocol_->answers(upper(rt.method), rt.path, request.headers);
  }
  bool is_inference(const Routing& rt) const override { return protocol_->is_inference(upper(rt.method), rt.path); }
  ScriptedResponse respond(const ProtocolCall& c) const override {
    const double slow = (c.fault != nullptr && c.fault->kind == FaultKind::kSlowStream) ? c.fault->factor : 1.0;
    const Call call(c, registry_, slow);
    const AddedFaultShapes shapes(*protocol_, call);
    return respond_with_faults(c.fault, c.p.stream, shapes, [&](double) { return protocol_->respond(call); });
  }

 private:
  SimProtocolPtr protocol_;
  const ProtocolRegistry& registry_;
};

}  // namespace

SimError sim_error_of(const Fault& f, int status) {
  SimError e;
  e.status = status;
  e.message = f.message;
  e.type = f.error_type;
  e.code = f.error_code;
  e.retry_after = f.retry_after;
  e.retry_after_ms = f.retry_after_ms;
  e.should_retry = f.should_retry;
  return e;
}

void Protocol::read(const HttpRequest& request, const Routing& rt, const SimOptions&, ParsedRequest& p) const {
  read_body(request, rt, false, p);
}

void read_body(const HttpRequest& request, const Routing& rt, bool all_posts, ParsedRequest& p) {
  if ((rt.is_inference || all_posts) && rt.is_post) {
    p.body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    p.body_ok = !p.body.is_discarded();
    if (p.body_ok && p.body.is_object()) {
      if (auto m = p.body.find("model"); m != p.body.end() && m->is_string()) p.model = m->get<std::string>();
      if (auto s = p.body.find("stream"); s != p.body.end() && s->is_boolean()) p.stream = s->get<bool>();
    }
  } else if (rt.path.rfind("/v1/models/", 0) == 0) {
    p.model = rt.path.substr(std::string_view("/v1/models/").size());
  }
}

std::string effective_path(const HttpRequest& req) {
  std::string_view path = req.path;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  std::string_view prefix = url_path_prefix(req.base_url);
  if (prefix.empty() || path.substr(0, prefix.size()) == prefix) return std::string(path);
  std::string out(prefix);
  if (path.empty() || path.front() != '/') out += '/';
  out += path;
  return out;
}

Routing basic_routing(const HttpRequest& request) {
  Routing rt;
  rt.path = effective_path(request);
  rt.method = request.method;
  rt.is_post = iequals(request.method, "POST");
  rt.is_get = iequals(request.method, "GET");
  rt.is_delete = iequals(request.method, "DELETE");
  return rt;
}

Result<std::unique_ptr<ProtocolRegistry>> ProtocolRegistry::Create(const SimOptions& opts, Clock& clock) {
  auto reg = std::make_unique<ProtocolRegistry>();
  reg->ordered_.push_back(make_anthropic_protocol());
  reg->ordered_.push_back(make_openrouter_protocol(opts, clock));
  auto openai = make_openai_protocol(opts);
  std::vector<std::string> errors;
  for (size_t i = 0; i < opts.protocols.size(); ++i) {
    const std::string at = "protocols[" + std::to_string(i) + "]";
    const SimProtocolPtr& p = opts.protocols[i];
    if (p == nullptr || p->name().empty()) {
      errors.push_back(at + ": no protocol or an empty name");
    } else if (p->name() == openai->name() || reg->by_name(p->name()) != nullptr) {
      errors.push_back(at + ": protocol '" + std::string(p->name()) + "' is already registered");
    } else {
      reg->ordered_.push_back(make_added_protocol(p, *reg));
    }
  }
  if (!errors.empty()) {
    std::string msg = "invalid simulator options:";
    for (const auto& e : errors) msg += "\n  " + e;
    return InvalidRequestError(msg);
  }
  reg->ordered_.push_back(std::move(openai));
  reg->builtins_ = {reg->ordered_.front().get(), reg->ordered_[1].get(), reg->ordered_.back().get()};
  return reg;
}

const Protocol& ProtocolRegistry::find(const HttpRequest& request, const Routing& rt) const {
  for (size_t i = 0; i + 1 < ordered_.size(); ++i) {
    if (ordered_[i]->answers(request, rt)) return *ordered_[i];
  }
  return *ordered_.back();
}

const Protocol* ProtocolRegistry::by_name(std::string_view name) const {
  for (const auto& p : ordered_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

const Protocol* ProtocolRegistry::builtin(std::string_view name) const {
  for (const Protocol* p : builtins_) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

ScriptedResponse ProtocolRegistry::answer_as(const Protocol& protocol, const HttpRequest& request,
                                             const RequestContext& ctx, const SimOptions& opts, Random& rng,
                                             TimePoint arrival) const {
  Routing rt = basic_routing(request);
  rt.protocol = &protocol;
  rt.is_inference = protocol.is_inference(rt);
  ParsedRequest p;
  protocol.read(request, rt, opts, p);
  return protocol.respond(ProtocolCall{request, rt, p, nullptr, ctx, opts, rng, arrival});
}

std::unique_ptr<Protocol> make_added_protocol(SimProtocolPtr protocol, const ProtocolRegistry& registry) {
  return std::make_unique<AddedProtocol>(std::move(protocol), registry);
}

}  // namespace ploke::simulator::detail
