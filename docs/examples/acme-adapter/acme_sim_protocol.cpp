#include "acme_sim_protocol.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace acme {
namespace {

constexpr std::string_view kPrefix = "/acme";

// A JSON string literal (quotes, backslashes and control characters escaped).
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

long long ms_ceil(ploke::Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (std::chrono::milliseconds(ms) < d) ++ms;
  return ms;
}

class AcmeSimProtocol final : public ploke::SimProtocol {
 public:
  std::string_view name() const override { return "acme"; }

  bool answers(std::string_view, std::string_view path, const ploke::Headers&) const override {
    return path.substr(0, kPrefix.size() + 1) == "/acme/";
  }

  bool is_inference(std::string_view method, std::string_view path) const override {
    return method == "POST" && path == "/acme/v1/chat/completions";
  }

  ploke::ScriptedResponse respond(const ploke::SimCall& call) const override {
    if (!call.request().headers.has("x-acme-client")) {
      ploke::SimError e;
      e.status = 400;
      e.message = "Acme requires the X-Acme-Client header.";
      e.type = "invalid_request_error";
      e.code = "missing_client_header";
      return error_response(call, e);
    }
    ploke::HttpRequest openai = call.request();
    openai.base_url.clear();
    openai.path = std::string(call.path().substr(kPrefix.size()));  // "/acme/v1/…" -> "/v1/…"
    return call.answer_as("openai", openai);
  }

  ploke::ScriptedResponse error_response(const ploke::SimCall& call, const ploke::SimError& e) const override {
    const bool calm = e.status == 429 || e.status == 420;
    const int status = calm ? 420 : e.status;
    std::string message = !e.message.empty() ? e.message
                          : calm             ? "Enhance your calm."
                                             : "Acme error " + std::to_string(status) + ".";
    std::string type = !e.type.empty() ? e.type : calm ? "rate_limit_error" : "acme_error";
    std::string code = !e.code.empty() ? e.code : calm ? "enhance_your_calm" : "acme_" + std::to_string(status);
    ploke::Headers h;
    h.set("content-type", "application/json");
    h.set("x-request-id", std::string(call.request_id()));
    if (e.retry_after) h.set("retry-after", std::to_string((ms_ceil(*e.retry_after) + 999) / 1000));
    if (e.retry_after_ms) h.set("retry-after-ms", std::to_string(ms_ceil(*e.retry_after_ms)));
    if (e.should_retry) h.set("x-should-retry", *e.should_retry ? "true" : "false");
    std::string body = "{\"error\":{\"message\":" + json_string(message) + ",\"type\":" + json_string(type) +
                       ",\"code\":" + json_string(code) + "}}";
    return ploke::ScriptedResponse::Simple(status, std::move(h), std::move(body));
  }
};

}  // namespace

ploke::SimProtocolPtr make_acme_sim_protocol() { return std::make_shared<AcmeSimProtocol>(); }

}  // namespace acme
