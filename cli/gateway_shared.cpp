// [shared] / --redis for `ploke-sim gateway` (see gateway_shared.h).
#include "gateway_shared.h"

#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "ploke/gateway/server.h"

namespace ploke::cli {

namespace {
constexpr const char* kSharedCmd = "ploke-sim gateway";

std::string default_instance_id() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "gateway") + "-" + std::to_string(getpid());
}
}  // namespace

std::optional<int> make_shared_state(const std::string& redis_flag, const std::string& instance_flag,
                                     const config::Config* conf, Clock& clock, SharedSetup& out) {
  const config::SharedConfig sh = conf ? conf->shared : config::SharedConfig{};
  const std::string url = !redis_flag.empty() ? redis_flag : sh.url;
  if (url.empty()) return std::nullopt;
  auto address = redis::parse_redis_url(url);
  if (!address.ok()) {
    std::fprintf(stderr, "%s: --redis / [shared] url: %s\n", kSharedCmd, address.status().message().c_str());
    return kExitUsage;
  }
  redis::RedisOptions ro;
  ro.address = *address;
  if (sh.timeout_ms) ro.command_timeout = std::chrono::milliseconds(*sh.timeout_ms);
  if (sh.connect_timeout_ms) ro.connect_timeout = std::chrono::milliseconds(*sh.connect_timeout_ms);
  resilience::SharedStateOptions so;
  so.instance_id = !instance_flag.empty() ? instance_flag : !sh.instance_id.empty() ? sh.instance_id : default_instance_id();
  if (so.instance_id.find_first_of(" \t\n|") != std::string::npos) {
    std::fprintf(stderr, "%s: --instance-id: no spaces or '|'\n", kSharedCmd);
    return kExitUsage;
  }
  if (sh.heartbeat_ms) out.heartbeat = std::chrono::milliseconds(*sh.heartbeat_ms);
  so.heartbeat_ttl = out.heartbeat * 3;
  so.refuse_rate_limits_when_degraded = sh.rate_limits_on_failure == "refuse";
  so.lease = std::chrono::milliseconds(sh.lease_ms.value_or(200));
  out.store = std::make_unique<redis::RedisStore>(ro);
  out.state = std::make_unique<resilience::SharedState>(clock, *out.store, so);
  std::fprintf(stderr, "%s: shared state on %s as instance %s\n", kSharedCmd, out.store->address_text().c_str(),
               so.instance_id.c_str());
  return std::nullopt;
}

void share_budgets(SharedSetup& s, Clock& clock, std::vector<BudgetRule> rules, UsageSink* inner,
                   resilience::LlmClientOptions& lo) {
  if (!s.state) return;
  s.budgets = std::make_unique<resilience::SharedBudgets>(clock, *s.state, std::move(rules), inner);
  lo.usage_sink = s.budgets.get();
  lo.budget_oracle = s.budgets.get();
}

void start_shared_state(SharedSetup& s, gateway::GatewayServer& server, size_t loops, logging::Logger* logger,
                        Clock& clock) {
  if (!s.state) return;
  s.state->set_log([logger, &clock](bool degraded, const std::string& message) {
    if (logger) logger->event(degraded ? logging::Level::kWarn : logging::Level::kInfo, message, clock.system_now());
    else std::fprintf(stderr, "%s: %s\n", kSharedCmd, message.c_str());
  });
  std::vector<net::EventLoop*> all;
  for (size_t i = 0; i < loops; ++i) all.push_back(&server.loop(i));
  s.store->start(all);
  s.state->start_heartbeat(s.heartbeat);
}

}  // namespace ploke::cli
