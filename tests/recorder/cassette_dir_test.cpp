// Per-test cassettes in the recorder (RecorderOptions::cassette_dir): one recorder, a
// cassette per name the requests give (header or /cassettes/NAME/ prefix), the mode applied
// to each DIR/NAME.json on its own. The simulator is the upstream; loopback, ephemeral ports.
#include "ploke/recorder/recorder.h"

#include <filesystem>

#include "ploke/codec/cassette_json.h"
#include "recorder_test_util.h"

namespace ploke::recorder {
namespace {

using namespace ploke::recorder::testing;

class CassetteDirTest : public ::testing::Test {
 protected:
  std::unique_ptr<Recorder> start(RecordMode mode, bool with_upstream = true) {
    RecorderOptions o;
    if (with_upstream) o.upstream = sim_.url();
    o.cassette_dir = dir_.file("cassettes");
    o.mode = mode;
    o.flush_interval = Duration{0};
    auto r = Recorder::Create(o, clock_);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return nullptr;
    EXPECT_OK((*r)->Start());
    return std::move(r).value();
  }
  static Headers named(const std::string& name) {
    Headers h;
    h.add("x-ploke-cassette", name);
    return h;
  }

  RealClock clock_;
  TempDir dir_;
  SimUpstream sim_{clock_};
};

TEST_F(CassetteDirTest, OnceRecordsEachNameThenNoneReplaysThem) {
  const std::string body = chat_body("gpt-4o", false, "per test");
  std::string a_body;
  {
    auto rec = start(RecordMode::kOnce);
    ASSERT_TRUE(rec);
    Reply a = send(clock_, rec->url(), "POST", "/v1/chat/completions", body, named("suite/a"));
    ASSERT_EQ(a.status, 200) << a.body;
    a_body = a.body;
    Reply b = send(clock_, rec->url(), "POST", "/cassettes/b/v1/chat/completions", body);
    EXPECT_EQ(b.status, 200) << b.body;
    Reply unnamed = send(clock_, rec->url(), "POST", "/v1/chat/completions", body);
    EXPECT_EQ(unnamed.status, 400);
    EXPECT_NE(unnamed.body.find("cassette_not_found"), std::string::npos) << unnamed.body;
    EXPECT_EQ(rec->stats().recorded, 2u);
    ASSERT_OK(rec->stop());
    EXPECT_EQ(rec->interaction_count(), 2u);
  }
  auto a = codec::load_cassette_file(dir_.file("cassettes/suite/a.json"));
  ASSERT_OK(a);
  EXPECT_EQ(a->name, "suite/a");
  ASSERT_EQ(a->interactions.size(), 1u);
  EXPECT_FALSE(a->interactions[0].request.headers.has("x-ploke-cassette"));
  auto b = codec::load_cassette_file(dir_.file("cassettes/b.json"));
  ASSERT_OK(b);
  EXPECT_EQ(b->interactions[0].request.path, "/v1/chat/completions");  // the prefix is not recorded

  const uint64_t upstream_before = sim_.requests();
  auto rec = start(RecordMode::kNone, /*with_upstream=*/false);
  ASSERT_TRUE(rec);
  Reply again = send(clock_, rec->url(), "POST", "/v1/chat/completions", body, named("suite/a"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, a_body);
  Reply missing = send(clock_, rec->url(), "POST", "/v1/chat/completions", body, named("suite/missing"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("suite/missing"), std::string::npos) << missing.body;
  Reply bad = send(clock_, rec->url(), "POST", "/v1/chat/completions", body, named("../escape"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("invalid cassette name"), std::string::npos) << bad.body;
  EXPECT_EQ(sim_.requests(), upstream_before);
  ASSERT_OK(rec->stop());
  EXPECT_FALSE(std::filesystem::exists(dir_.file("cassettes/suite/missing.json")));
}

}  // namespace
}  // namespace ploke::recorder
