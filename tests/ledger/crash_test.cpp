// Crash safety: a writer process is killed with SIGKILL while it appends to the ledger;
// every row whose commit it reported is still there, and no transaction is half-applied.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/ledger/ledger.h"

extern char** environ;

namespace ploke::ledger {
namespace {

TEST(LedgerCrash, KillNineLosesNoCommittedRow) {
  char tmpl[] = "/tmp/ploke-ledger-crash-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/ledger.db";
  constexpr int kBatch = 37;
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::string exe = LEDGER_WRITER, batch = std::to_string(kBatch), p = path;
    char* argv[] = {exe.data(), p.data(), batch.data(), nullptr};
    pid_t pid = -1;
    ASSERT_EQ(posix_spawn(&pid, LEDGER_WRITER, &fa, nullptr, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    long committed = 0;
    char line[128];
    // Kill it mid-stream, after a varying number of commits (it keeps writing meanwhile).
    const int kill_after = 20 + 35 * round;
    for (int n = 0; n < kill_after && fgets(line, sizeof line, out); ++n) committed = std::atol(line + 10);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFSIGNALED(st));
    // Lines already in the pipe were committed too.
    while (fgets(line, sizeof line, out)) committed = std::atol(line + 10);
    fclose(out);
    ASSERT_GT(committed, 0);

    SimulatedClock clock;
    auto l = Ledger::open(path, clock);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    auto n = (*l)->count_attempts();
    ASSERT_TRUE(n.ok());
    // Each round starts numbering at r0 again, so the file holds every round's rows.
    static long before = 0;
    const long rows_this_round = static_cast<long>(*n) - before;
    EXPECT_GE(rows_this_round, committed) << "round " << round;
    EXPECT_EQ(rows_this_round % kBatch, 0) << "a transaction was half-applied";
    auto last = (*l)->attempts("r" + std::to_string(committed - 1));
    ASSERT_TRUE(last.ok());
    EXPECT_GE(last->size(), 1u);
    before = static_cast<long>(*n);
  }
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace ploke::ledger
