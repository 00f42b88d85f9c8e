#include "redacting_responder.h"

#include <utility>

#include "ploke/core/secret_registry.h"

namespace ploke::gateway::internal {

namespace {

/// Copies only when there is something to replace.
std::string scrub(std::string s) {
  if (!contains_registered_secret(s)) return s;
  return redact_registered_secrets(s);
}

class RedactingResponder final : public Responder {
 public:
  explicit RedactingResponder(ResponderPtr inner) : inner_(std::move(inner)) {}
  void reply(int status, const Headers& headers, std::string body) override {
    inner_->reply(status, headers, scrub(std::move(body)));
  }
  void begin(int status, const Headers& headers) override { inner_->begin(status, headers); }
  void chunk(std::string data) override { inner_->chunk(scrub(std::move(data))); }
  void finish() override { inner_->finish(); }

 private:
  ResponderPtr inner_;
};

}  // namespace

ResponderPtr redacting_responder(ResponderPtr out) {
  if (!has_registered_secrets()) return out;
  return std::make_shared<RedactingResponder>(std::move(out));
}

}  // namespace ploke::gateway::internal
