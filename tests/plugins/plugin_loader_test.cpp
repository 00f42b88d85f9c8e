// PluginSet (ploke/plugins/loader.h) on the test plugins of tests/plugins/CMakeLists.txt:
// the acme example plugin loads, registers "acme" and its suite, serves a request and passes
// its contract suite; wrong ABI, no entry point, a duplicate name and a file that is not a
// shared object are refused naming the file; the rest stays loaded; unload + reload is clean.
#include <gtest/gtest.h>

#include <filesystem>

#include "ploke/adapters/register.h"
#include "ploke/core/chat.h"
#include "ploke/plugins/loader.h"
#include "ploke/simulator/contract.h"
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
  simulator::ContractReport rep = simulator::run_contract_suite(*suite, **adapter);
  EXPECT_TRUE(rep.ok()) << simulator::contract_report_table(rep);
  EXPECT_GT(rep.cases.size(), 5u);
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
