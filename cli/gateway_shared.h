// `ploke-sim gateway` with shared state ([shared] / --redis): the Redis store and the
// instance's SharedState (the failure policy), made before the façade (which takes the
// SharedState), started on the gateway server's first event loop once it runs.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ploke/config/config.h"
#include "ploke/core/clock.h"
#include "ploke/logging/logger.h"
#include "ploke/redis/redis_store.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/resilience/shared_budgets.h"
#include "ploke/resilience/shared_state.h"

namespace ploke::gateway {
class GatewayServer;
}

namespace ploke::cli {

struct SharedSetup {
  std::unique_ptr<redis::RedisStore> store;
  std::unique_ptr<resilience::SharedState> state;
  std::unique_ptr<resilience::SharedBudgets> budgets;
  Duration heartbeat{std::chrono::seconds(1)};
};

/// --redis (wins) or [shared] url: the store (not yet started) and the SharedState, or
/// nothing when neither is set. An invalid URL or instance id: a message on stderr
/// (password redacted) and the exit code.
std::optional<int> make_shared_state(const std::string& redis_flag, const std::string& instance_flag,
                                     const config::Config* conf, Clock& clock, SharedSetup& out);
/// With shared state: the budget rules over shared spend become the façade's budget oracle
/// and usage sink (the ledger, `inner`, still gets every attempt first).
void share_budgets(SharedSetup& s, Clock& clock, std::vector<BudgetRule> rules, UsageSink* inner,
                   resilience::LlmClientOptions& lo);
/// Connects the store on each of the server's `loops` event loops (a command connection
/// each: a request's Redis calls never change threads), logs its transitions, starts the
/// heartbeat.
void start_shared_state(SharedSetup& s, gateway::GatewayServer& server, size_t loops, logging::Logger* logger,
                        Clock& clock);

}  // namespace ploke::cli
