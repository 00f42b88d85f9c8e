// ploke::config key commands: real /bin/sh children on a RealClock (hence "integration"):
// output is the key, a failing command's stderr is redacted and stdout never shown, a slow
// command is killed at its timeout, and the credential source order env > file > command >
// inline.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "ploke/config/config.h"
#include "ploke/config/credentials.h"
#include "ploke/core/clock.h"
#include "support/test_support.h"

namespace ploke::config {
namespace {

constexpr const char* kPlantedKey = "sk-or-v1-FAKE0123456789abcdef0123456789abcdef";  // fake key
constexpr const char* kPlantedKey2 = "sk-proj-FAKEabcdefghijklmnop0123456789";        // fake key

using ::ploke::testing::TempDir;

TEST(Credentials, CommandOutputIsTheKey) {
  RealClock clock;
  auto k = run_key_command(std::string("printf '") + kPlantedKey + "\\nother\\n'", std::chrono::seconds(5), clock);
  ASSERT_TRUE(k.ok()) << k.status().to_string();
  EXPECT_EQ(k->reveal(), kPlantedKey);
}

TEST(Credentials, FailingCommandReportsRedactedStderrNeverStdout) {
  RealClock clock;
  auto k = run_key_command(std::string("echo ") + kPlantedKey + "; echo 'vault locked: token " + kPlantedKey2 +
                               "' >&2; exit 3",
                           std::chrono::seconds(5), clock);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), StatusCode::kAuth);
  const std::string m = k.status().message();
  EXPECT_NE(m.find("exit status 3"), std::string::npos) << m;
  EXPECT_NE(m.find("vault locked"), std::string::npos) << m;
  EXPECT_EQ(m.find("FAKE"), std::string::npos) << m;
  auto empty = run_key_command("true", std::chrono::seconds(5), clock);
  EXPECT_EQ(empty.status().code(), StatusCode::kAuth);
  EXPECT_NE(empty.status().message().find("printed nothing"), std::string::npos);
}

TEST(Credentials, SlowCommandIsKilledAtTheTimeout) {
  RealClock clock;
  const TimePoint start = clock.now();
  auto k = run_key_command("sleep 30; echo late", std::chrono::milliseconds(200), clock);
  const auto took = clock.now() - start;
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), StatusCode::kTimeout);
  EXPECT_NE(k.status().message().find("timed out after 200 ms"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(10));
  // A simulated clock never advances: the poll timeout alone ends the wait.
  SimulatedClock sim;
  auto s = run_key_command("sleep 30", std::chrono::milliseconds(100), sim);
  EXPECT_EQ(s.status().code(), StatusCode::kTimeout);
}

TEST(Credentials, SourceOrderEnvThenFileThenCommandThenInline) {
  TempDir d;
  RealClock clock;
  CredentialSpec c;
  c.name = "c";
  c.env = "MY_KEY";
  c.file = d.file("k", "sk-FAKE-from-file-0123456789", 0600);
  c.command = "echo sk-FAKE-from-command-0123456789";
  c.key = Secret("sk-FAKE-inline-0123456789");
  auto a = resolve_credential(c, fixed_env({{"MY_KEY", "sk-FAKE-from-env-0123456789"}}), clock);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->source, "env:MY_KEY");
  auto b = resolve_credential(c, fixed_env({{"MY_KEY", ""}}), clock);  // empty = unset
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->source, "file:" + c.file);
  EXPECT_EQ(b->key.reveal(), "sk-FAKE-from-file-0123456789");
  ::chmod(c.file.c_str(), 0644);  // an unsafe file refuses; it does not fall through
  auto refused = resolve_credential(c, fixed_env({}), clock);
  EXPECT_EQ(refused.status().code(), StatusCode::kPermission);
  EXPECT_NE(refused.status().message().find("credential 'c'"), std::string::npos);
  c.file.clear();
  auto cmd = resolve_credential(c, fixed_env({}), clock);
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(cmd->source, "command");
  c.command.clear();
  auto in = resolve_credential(c, fixed_env({}), clock);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->source, "inline");
  c.key = Secret();
  EXPECT_EQ(resolve_credential(c, fixed_env({}), clock).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ploke::config
