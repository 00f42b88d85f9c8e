#include "acme_adapter.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <string>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/errors.h"

namespace acme {
namespace {

// A non-negative integer header value; nullopt when absent or not a number (adapters never throw).
std::optional<long long> header_int(const ploke::Headers& h, std::string_view name) {
  auto v = h.get(name);
  if (!v) return std::nullopt;
  long long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 0) return std::nullopt;
  return n;
}

class AcmeAdapter final : public ploke::ProviderAdapter {
 public:
  AcmeAdapter() : wire_(ploke::adapters::openai::make_openai_adapter()) {}

  std::string_view name() const override { return "acme"; }

  ploke::Result<ploke::HttpRequest> build_request(const ploke::ChatRequest& request,
                                                  const ploke::Endpoint& endpoint) const override {
    auto req = wire_->build_request(request, endpoint);
    if (!req.ok()) return req;
    req->headers.set("X-Acme-Client", "ploke");
    return req;
  }

  ploke::Result<ploke::ChatResponse> parse_response(const ploke::HttpResponse& response,
                                                    const ploke::Endpoint& endpoint) const override {
    return wire_->parse_response(response, endpoint);
  }

  ploke::Status map_error(const ploke::HttpResponse& response, const ploke::Endpoint& endpoint) const override {
    if (response.status != 420) return wire_->map_error(response, endpoint);
    // Acme's rate limit: retry after the hint (retry-after-ms / retry-after), else back off.
    ploke::Status s = ploke::RateLimitedError("acme: enhance your calm (HTTP 420)");
    s.with_provider(endpoint.provider).with_http_status(420).with_body_excerpt(response.body);
    if (auto ms = header_int(response.headers, "retry-after-ms")) {
      s.with_retry_after(std::chrono::milliseconds(*ms));
    } else if (auto sec = header_int(response.headers, "retry-after")) {
      s.with_retry_after(std::chrono::seconds(*sec));
    }
    return s;
  }

  std::unique_ptr<ploke::StreamDecoder> new_stream_decoder(const ploke::Endpoint& endpoint) const override {
    return wire_->new_stream_decoder(endpoint);
  }

  std::span<const std::string_view> request_id_headers() const override { return wire_->request_id_headers(); }

 private:
  ploke::ProviderAdapterPtr wire_;
};

}  // namespace

ploke::ProviderAdapterPtr make_acme_adapter() { return std::make_unique<AcmeAdapter>(); }

ploke::Status register_acme_adapter(ploke::AdapterRegistry& registry) {
  return registry.add("acme", [] { return make_acme_adapter(); });
}

}  // namespace acme
