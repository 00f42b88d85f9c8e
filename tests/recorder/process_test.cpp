// The recorder as a process (record_helper = cli/cmd_record.cpp's run_record()): kill -9
// mid-session leaves a parseable cassette; SIGTERM flushes and exits 0.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "ploke/codec/cassette_json.h"
#include "ploke/core/file_io.h"
#include "recorder_test_util.h"

extern char** environ;

namespace ploke::recorder {
namespace {

using namespace ploke::recorder::testing;

// A child process running record_helper; stdout is read for the "listening on" line.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<std::string> all = {RECORD_HELPER};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, RECORD_HELPER, &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait_exit();
    }
    if (out_) fclose(out_);
  }
  /// The URL from "listening on URL" (empty when the child exits first).
  std::string url() {
    char line[512];
    while (out_ && fgets(line, sizeof line, out_)) {
      std::string s(line);
      const std::string prefix = "listening on ";
      if (s.rfind(prefix, 0) == 0) {
        s = s.substr(prefix.size());
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        return s;
      }
    }
    return "";
  }
  void signal(int sig) { if (pid_ > 0) kill(pid_, sig); }
  /// Exit code, or 128+signal.
  int wait_exit() {
    if (pid_ <= 0) return -1;
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

class RecorderProcessTest : public ::testing::Test {
 protected:
  RealClock clock_;
  TempDir dir_;
  SimUpstream sim_{clock_};
};

TEST_F(RecorderProcessTest, KillNineMidSessionLeavesAValidCassette) {
  const std::string path = dir_.file("crash.json");
  size_t previous = 0;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Child child({"--upstream", sim_.url(), "--cassette", path, "--mode", round == 0 ? "all" : "new_episodes",
                 "--port", "0", "--flush-ms", "5", "--quiet"});
    const std::string url = child.url();
    ASSERT_FALSE(url.empty());
    // Traffic on two threads: streams and non-streams, new content each time so
    // new_episodes records them all; kill -9 while they are in flight and flushes run.
    std::atomic<int> done{0};
    std::atomic<bool> stop{false};
    auto worker = [&](bool stream, int id) {
      for (int i = 0; !stop.load(); ++i) {
        Reply r = send(clock_, url, "POST", "/v1/chat/completions",
                       chat_body("gpt-4o", stream, "r" + std::to_string(round) + "w" + std::to_string(id) + "n" +
                                                      std::to_string(i)));
        if (r.status == 200) ++done;
        else break;  // the child is gone
      }
    };
    std::thread t1(worker, true, 1), t2(worker, false, 2);
    // Kill after some recordings have been flushed (bounded poll on the file).
    const TimePoint deadline = clock_.now() + std::chrono::seconds(20);
    while (clock_.now() < deadline) {
      auto c = codec::load_cassette_file(path);
      if (c.ok() && c->interactions.size() >= previous + 3 + static_cast<size_t>(round)) break;
      clock_.sleep_for(std::chrono::milliseconds(2));
    }
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait_exit(), 128 + SIGKILL);
    stop = true;
    t1.join();
    t2.join();
    auto c = codec::load_cassette_file(path);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_GE(c->interactions.size(), previous + 3);
    previous = c->interactions.size();
  }
}

TEST_F(RecorderProcessTest, SigtermFlushesAndExitsZero) {
  const std::string path = dir_.file("term.json");
  Child child({"--upstream", sim_.url(), "--cassette", path, "--mode", "all", "--port", "0", "--flush-ms", "0",
               "--quiet"});
  const std::string url = child.url();
  ASSERT_FALSE(url.empty());
  EXPECT_EQ(send(clock_, url, "POST", "/v1/chat/completions", chat_body("gpt-4o", true)).status, 200);
  EXPECT_EQ(send(clock_, url, "POST", "/v1/chat/completions", chat_body("gpt-4o", false)).status, 200);
  EXPECT_FALSE(std::filesystem::exists(path));  // flush-ms 0: only on exit
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait_exit(), 0);
  auto c = codec::load_cassette_file(path);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->interactions.size(), 2u);
}

TEST_F(RecorderProcessTest, MalformedCassetteExitsTwo) {
  const std::string path = dir_.file("bad.json");
  ASSERT_OK(ploke::write_file_atomic(path, "{\"format\":\"ploke-cassette\",\"version\":99,\"interactions\":[]}"));
  Child child({"--cassette", path, "--mode", "none", "--port", "0"});
  EXPECT_EQ(child.url(), "");
  EXPECT_EQ(child.wait_exit(), 2);
  Child usage({"--cassette", path, "--mode", "sometimes"});
  EXPECT_EQ(usage.wait_exit(), 2);
}

}  // namespace
}  // namespace ploke::recorder
