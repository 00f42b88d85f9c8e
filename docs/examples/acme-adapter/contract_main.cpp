// acme_contract SUITE.json: registers the built-in adapters and "acme" in one registry,
// lists them, and runs the contract suite against "acme" with the SDK's contract runner
// (in-process simulator, virtual time) speaking Acme's wire protocol next to the built-ins. Exit 0 all pass, 1 a case failed, 2 bad input.
#include <cstdio>

#include "acme_adapter.h"
#include "acme_sim_protocol.h"
#include "ploke/adapters/register.h"
#include "ploke/core/registry.h"
#include "ploke/simulator/contract.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: acme_contract SUITE.json\n");
    return 2;
  }
  ploke::AdapterRegistry registry;
  if (auto st = ploke::adapters::register_builtin_adapters(registry); !st.ok()) return std::fprintf(stderr, "%s\n", st.to_string().c_str()), 1;
  if (auto st = acme::register_acme_adapter(registry); !st.ok()) return std::fprintf(stderr, "%s\n", st.to_string().c_str()), 1;
  std::printf("registered adapters:");
  for (const auto& n : registry.names()) std::printf(" %s", n.c_str());
  std::printf("\n");

  auto suite = ploke::simulator::load_contract_suite(argv[1]);
  if (!suite.ok()) {
    std::fprintf(stderr, "%s\n", suite.status().message().c_str());
    return 2;
  }
  auto adapter = registry.create(suite->adapter);
  if (!adapter.ok()) {
    std::fprintf(stderr, "%s: adapter: %s\n", argv[1], adapter.status().to_string().c_str());
    return 2;
  }
  ploke::simulator::ContractReport report = ploke::simulator::run_contract_suite(*suite, **adapter, {}, {acme::make_acme_sim_protocol()});
  std::fputs(ploke::simulator::contract_report_table(report).c_str(), stdout);
  return report.ok() ? 0 : 1;
}
