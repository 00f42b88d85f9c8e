// PluginSet (ploke/plugins/loader.h) on the test plugins of tests/plugins/CMakeLists.txt:
// the acme example plugin loads, registers "acme", its suite and its simulator protocol
// (which a SimEngine then speaks, faults in Acme's shape included), serves a request and
// passes its contract suite against its own protocol; a plugin built against the frozen
// ABI 1.0 headers loads; wrong ABI, no entry point, a duplicate adapter or simulator
// protocol name and a file that is not a shared object are refused naming the file; the
// rest stays loaded; unload + reload is clean.
#include <gtest/gtest.h>

#include <filesystem>

#include "ploke/adapters/register.h"
#include "ploke/core/chat.h"
#include "ploke/plugins/loader.h"
#include "ploke/simulator/contract.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "support/test_support.h"

namespace ploke::plugins {
namespace {

const std::string kGood = std::string(PLOKE_TEST_PLUGIN_DIR) + "/good";
const std::string kBad = std::string(PLOKE_TEST_PLUGIN_DIR) + "/bad";

std::vector<std::string> builtins() {
  AdapterRegistry r;
  EXPECT_TRUE(adapters::register_builtin_adapters(r).ok());
  return r.names();
}

using ::ploke::testing::TempDir;

TEST(PluginSetTest, LoadsTheAcmePluginAndRegistersItsAdapterAndSuite) {
  PluginSet set;
  ASSERT_TRUE(set.load(kGood + "/acme.so", builtins()).ok());
  ASSERT_EQ(set.plugins().size(), 1u);
  const PluginInfo& p = set.plugins()[0];
  EXPECT_EQ(p.name, "acme");
  EXPECT_EQ(p.version, "1.0.0");
  EXPECT_EQ(p.abi_major, host_abi_major());
  EXPECT_EQ(p.abi_minor, host_abi_minor());
  EXPECT_EQ(p.adapters, std::vector<std::string>{"acme"});
  EXPECT_EQ(set.origin("acme"), &p);
  EXPECT_EQ(set.origin("openai"), nullptr);
  ASSERT_TRUE(set.contract_suite("acme").has_value());
  EXPECT_EQ(std::filesystem::path(*set.contract_suite("acme")).filename(), "acme.json");

  AdapterRegistry registry;
  ASSERT_TRUE(adapters::register_builtin_adapters(registry).ok());
  ASSERT_TRUE(set.register_adapters(registry).ok());
  auto adapter = registry.create("acme");
  ASSERT_TRUE(adapter.ok());
  EXPECT_EQ((*adapter)->name(), "acme");
  ChatRequest req;
  req.model = "gpt-4o-mini";
  req.messages.push_back(Message::User("hi"));
  Endpoint ep{"acme", "http://127.0.0.1:1/v1", Secret("k"), {}};
  auto http = (*adapter)->build_request(req, ep);
  ASSERT_TRUE(http.ok()) << http.status().to_string();
  EXPECT_EQ(http->headers.get("X-Acme-Client").value_or(""), "ploke");
}

TEST(PluginSetTest, ThePluginAdapterPassesItsContractSuite) {
  PluginSet set;
  ASSERT_TRUE(set.load(kGood + "/acme.so", builtins()).ok());
  AdapterRegistry registry;
  ASSERT_TRUE(set.register_adapters(registry).ok());
  auto suite = simulator::load_contract_suite(*set.contract_suite("acme"));
  ASSERT_TRUE(suite.ok()) << suite.status().to_string();
  auto adapter = registry.create("acme");
  ASSERT_TRUE(adapter.ok());
  EXPECT_EQ(suite->base_url, "http://sim.invalid/acme/v1");  // the suite speaks Acme's protocol
  simulator::ContractReport rep = simulator::run_contract_suite(*suite, **adapter, {}, set.sim_protocols());
  EXPECT_TRUE(rep.ok()) << simulator::contract_report_table(rep);
  EXPECT_GT(rep.cases.size(), 5u);
  // Without the plugin's protocol the /acme/ routes are OpenAI's unknown URLs: the suite fails.
  EXPECT_FALSE(simulator::run_contract_suite(*suite, **adapter).ok());
}

HttpRequest acme_chat(bool with_client_header) {
  HttpRequest r;
  r.path = "/acme/v1/chat/completions";
  r.headers.set("content-type", "application/json");
  if (with_client_header) r.headers.set("X-Acme-Client", "ploke");
  r.body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";
  return r;
}

TEST(PluginSetTest, TheAcmePluginRegistersASimulatorProtocolTheEngineSpeaks) {
  PluginSet set;
  ASSERT_TRUE(set.load(kGood + "/acme.so", builtins(), simulator::builtin_protocol_names()).ok());
  EXPECT_EQ(set.plugins()[0].sim_protocols, std::vector<std::string>{"acme"});
  EXPECT_EQ(set.protocol_origin("acme"), &set.plugins()[0]);
  EXPECT_EQ(set.protocol_origin("openai"), nullptr);
  ASSERT_EQ(set.sim_protocols().size(), 1u);
  SimulatedClock clock;
  simulator::SimOptions o;
  o.latency = simulator::LatencyModel::Fast();
  o.protocols = set.sim_protocols();
  auto plan = simulator::parse_fault_plan(
      R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":250,"trigger":{"nth":2}}]})", "test");
  ASSERT_TRUE(plan.ok());
  o.faults = *plan;
  auto engine = simulator::SimEngine::Create(o, clock);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  ScriptedResponse ok = (*engine)->handle(acme_chat(true));
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body().find("\"chat.completion\""), std::string::npos) << ok.body();
  ScriptedResponse calm = (*engine)->handle(acme_chat(true));  // the 429 fault, in Acme's shape
  EXPECT_EQ(calm.status, 420);
  EXPECT_EQ(calm.headers.get("retry-after-ms").value_or(""), "250");
  EXPECT_NE(calm.body().find("\"code\":\"enhance_your_calm\""), std::string::npos) << calm.body();
  ScriptedResponse no_header = (*engine)->handle(acme_chat(false));
  EXPECT_EQ(no_header.status, 400);
  EXPECT_NE(no_header.body().find("missing_client_header"), std::string::npos) << no_header.body();
}

TEST(PluginSetTest, APluginBuiltForAbi10LoadsOnThisNewerMinorHost) {
  PluginSet set;
  ASSERT_TRUE(set.load(std::string(PLOKE_TEST_PLUGIN_DIR) + "/abi10/legacy10.so", builtins()).ok());
  ASSERT_EQ(set.plugins().size(), 1u);
  EXPECT_EQ(set.plugins()[0].abi_major, 1u);
  EXPECT_EQ(set.plugins()[0].abi_minor, 0u);
  EXPECT_EQ(set.plugins()[0].sdk_version, "0.1.0");
  EXPECT_GE(host_abi_minor(), 1u);
  AdapterRegistry registry;
  ASSERT_TRUE(set.register_adapters(registry).ok());
  auto adapter = registry.create("legacy10");
  ASSERT_TRUE(adapter.ok());
  EXPECT_EQ((*adapter)->name(), "legacy10");
  EXPECT_TRUE(set.sim_protocols().empty());
}

TEST(PluginSetTest, RefusesAPluginWhoseSimulatorProtocolNameIsTaken) {
  PluginSet set;
  Status s = set.load(kBad + "/dup_protocol.so", builtins(), simulator::builtin_protocol_names());
  EXPECT_EQ(s.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(s.message().find("dup_protocol.so: simulator protocol 'openai' is already registered"), std::string::npos)
      << s.message();
  EXPECT_TRUE(set.plugins().empty());  // the whole plugin: its adapter "dupproto" too
  EXPECT_EQ(set.origin("dupproto"), nullptr);
  // The rest keeps loading.
  ASSERT_TRUE(set.load(kGood + "/acme.so", builtins(), simulator::builtin_protocol_names()).ok());
  EXPECT_EQ(set.plugins().size(), 1u);
}

TEST(PluginSetTest, CollectsCassetteIgnorePaths) {
  PluginSet set;
  EXPECT_TRUE(set.cassette_ignore_paths().empty());
  ASSERT_TRUE(set.load(std::string(PLOKE_TEST_PLUGIN_DIR) + "/tagged/tagged.so", builtins()).ok());
  ASSERT_TRUE(set.load(kGood + "/acme.so", builtins()).ok());
  EXPECT_EQ(set.cassette_ignore_paths(), std::vector<std::string>{"acme_tag"});
}

TEST(PluginSetTest, RefusesAPluginBuiltForAnotherAbiMajor) {
  PluginSet set;
  Status s = set.load(kBad + "/wrong_abi.so", builtins());
  EXPECT_EQ(s.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(s.message().find("wrong_abi.so"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("built for plugin ABI 999.0"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("this ploke-sim has ABI " + std::to_string(host_abi_major()) + "."), std::string::npos);
  EXPECT_TRUE(set.plugins().empty());
}

TEST(PluginSetTest, RefusesANewerAbiMinorAndAPluginThatRegistersNothing) {
  PluginSet set;
  Status newer = set.load(kBad + "/newer_minor.so", builtins());
  EXPECT_NE(newer.message().find("newer_minor.so: built for plugin ABI " + std::to_string(host_abi_major()) + "." +
                                 std::to_string(host_abi_minor() + 1)),
            std::string::npos)
      << newer.message();
  Status empty = set.load(kBad + "/empty.so", builtins());
  EXPECT_NE(empty.message().find("empty.so: registered no adapter"), std::string::npos) << empty.message();
  EXPECT_TRUE(set.plugins().empty());
}

TEST(PluginSetTest, RefusesASharedObjectWithoutEntryPoint) {
  PluginSet set;
  Status s = set.load(kBad + "/no_entry.so", builtins());
  EXPECT_EQ(s.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(s.message().find("no_entry.so: no entry point ploke_sim_plugin_entry"), std::string::npos) << s.message();
}

TEST(PluginSetTest, RefusesADuplicateAdapterName) {
  PluginSet set;
  Status s = set.load(kBad + "/duplicate.so", builtins());
  EXPECT_NE(s.message().find("duplicate.so: adapter 'openai' is already registered"), std::string::npos) << s.message();
  EXPECT_TRUE(set.plugins().empty());
  // Between plugins too: a second copy of acme is refused, the first stays.
  TempDir dir("ploke-plugins");
  std::filesystem::copy_file(kGood + "/acme.so", dir.file("acme2.so"));
  ASSERT_TRUE(set.load(kGood + "/acme.so", {}).ok());
  Status again = set.load(dir.file("acme2.so"), {});
  EXPECT_NE(again.message().find("adapter 'acme' is already registered"), std::string::npos) << again.message();
  EXPECT_EQ(set.plugins().size(), 1u);
  EXPECT_TRUE(set.load(kGood + "/acme.so", {}).ok());  // the same file twice: loaded once
  EXPECT_EQ(set.plugins().size(), 1u);
}

TEST(PluginSetTest, RefusesAFileThatIsNotASharedObject) {
  TempDir dir("ploke-plugins");
  PluginSet set;
  Status s = set.load(dir.file("junk.so", "not an ELF file\n"), builtins());
  EXPECT_EQ(s.code(), StatusCode::kInvalidRequest);
  EXPECT_NE(s.message().find("junk.so: cannot load"), std::string::npos) << s.message();
  EXPECT_NE(set.load(dir.file("missing.so"), {}).message().find("missing.so"), std::string::npos);
}

TEST(PluginSetTest, LoadDirReportsEachRefusalAndKeepsTheRest) {
  TempDir dir("ploke-plugins");
  for (const char* f : {"wrong_abi.so", "no_entry.so", "duplicate.so"}) std::filesystem::copy_file(kBad + "/" + f, dir.file(f));
  std::filesystem::copy_file(kGood + "/acme.so", dir.file("acme.so"));
  dir.file("junk.so", "junk");
  dir.file("README.txt", "not a plugin: ignored");
  PluginSet set;
  std::vector<Status> problems = set.load_dir(dir.path(), builtins());
  EXPECT_EQ(problems.size(), 4u);
  ASSERT_EQ(set.plugins().size(), 1u);
  EXPECT_EQ(set.plugins()[0].name, "acme");
  EXPECT_EQ(set.load_dir(dir.file("nope"), {}).at(0).code(), StatusCode::kNotFound);
}

TEST(PluginSetTest, UnloadsAndLoadsAgain) {
  for (int round = 0; round < 3; ++round) {
    PluginSet set;
    ASSERT_TRUE(set.load(kGood + "/acme.so", builtins()).ok());
    AdapterRegistry registry;
    ASSERT_TRUE(set.register_adapters(registry).ok());
    auto adapter = registry.create("acme");
    ASSERT_TRUE(adapter.ok());
    EXPECT_EQ((*adapter)->name(), "acme");
  }  // adapter, registry, then the set (dlclose): in that order
}

}  // namespace
}  // namespace ploke::plugins
