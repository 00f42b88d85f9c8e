// ploke::config: the [routing] and [shared] sections (validation with field paths, all errors at once;
// cli::llm_client_options() mapping every knob onto the façade's options; the policy names
// config accepts are the ones the router registers), and text-preserving edits of config.toml
// (comments kept, only the changed key lines touched, atomic, refused when invalid).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "ploke/catalog/catalog.h"
#include "ploke/config/config.h"
#include "ploke/config/edit.h"
#include "ploke/core/file_io.h"
#include "ploke/resilience/router.h"
#include "routing_options.h"

namespace ploke::config {
namespace {

using namespace std::chrono_literals;

LoadResult parse(const std::string& text, const catalog::Catalog* cat = nullptr) {
  LoadOptions o;
  o.env = fixed_env({});
  o.catalog = cat;
  return parse_config(text, "cfg.toml", o);
}

bool has_error(const LoadResult& r, const std::string& path, int line, const std::string& needle) {
  for (const auto& e : r.errors) {
    if (e.path == path && (line == 0 || e.line == line) && e.message.find(needle) != std::string::npos) return true;
  }
  return false;
}

const char* kFullRouting = R"(
[routing]
policy = "cost"
fallbacks = ["small", "test/full"]
max_chain = 4
stream_continuation = true
max_rate_limit_wait_ms = 2500
[routing.breaker]
window = 30
minimum_calls = 12
failure_rate = 0.4
consecutive_failures = 7
slow_call_ms = 8000
slow_call_rate = 0.9
open_ms = 1000
open_max_ms = 60000
half_open_trials = 2
[routing.retry]
per_endpoint = 3
max_attempts = 9
max_retry_after_ms = 12000
backoff_base_ms = 100
backoff_cap_ms = 5000
jitter = "full"
budget_ratio = 0.5
[routing.lanes]
max_in_flight = 8
interactive_capacity = 5
normal_capacity = 6
bulk_capacity = 7
short_prompt_chars = 1000
short_output_tokens = 256
long_output_tokens = 4096
[models.small]
id = "test/full"
)";

catalog::Catalog test_catalog() {
  auto recs = catalog::parse_curated(
      R"({"version":1,"models":[{"id":"test/full","aliases":["full"],"tools":true,"streaming":true}]})", "t.json");
  EXPECT_TRUE(recs.ok());
  return catalog::Catalog(recs.ok() ? *recs : std::vector<catalog::ModelRecord>{}, {});
}

TEST(RoutingConfig, EveryKnobReachesLlmClientOptions) {
  auto cat = test_catalog();
  LoadResult r = parse(kFullRouting, &cat);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const RoutingConfig& rc = r.config.routing;
  EXPECT_EQ(rc.fallbacks, (std::vector<std::string>{"small", "test/full"}));
  resilience::LlmClientOptions base;
  base.seed = 42;  // not in [routing]: kept
  const auto o = cli::llm_client_options(r.config.routing, base);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_EQ(o.router.default_policy, "cost");
  EXPECT_EQ(o.router.max_chain, 4u);
  EXPECT_TRUE(o.stream_continuation);
  EXPECT_EQ(o.max_rate_limit_wait, std::chrono::milliseconds(2500));
  EXPECT_EQ(o.breaker.window_size, 30u);
  EXPECT_EQ(o.breaker.minimum_calls, 12u);
  EXPECT_DOUBLE_EQ(o.breaker.failure_rate_threshold, 0.4);
  EXPECT_EQ(o.breaker.consecutive_failures, 7u);
  EXPECT_EQ(o.breaker.slow_call_threshold, 8000ms);
  EXPECT_DOUBLE_EQ(o.breaker.slow_call_rate_threshold, 0.9);
  EXPECT_EQ(o.breaker.open_base, 1000ms);
  EXPECT_EQ(o.breaker.open_max, 60000ms);
  EXPECT_EQ(o.breaker.half_open_trials, 2u);
  EXPECT_EQ(o.retry.max_retries_per_endpoint, 3u);
  EXPECT_EQ(o.retry.max_total_attempts, 9u);
  EXPECT_EQ(o.retry.max_retry_after, 12000ms);
  EXPECT_EQ(o.backoff.base, 100ms);
  EXPECT_EQ(o.backoff.cap, 5000ms);
  EXPECT_EQ(o.backoff.jitter, resilience::JitterMode::kFull);
  EXPECT_DOUBLE_EQ(o.budget.ratio, 0.5);
  EXPECT_EQ(o.admission.max_in_flight, 8u);
  EXPECT_EQ(o.admission.lane_capacity[0], 5u);
  EXPECT_EQ(o.admission.lane_capacity[1], 6u);
  EXPECT_EQ(o.admission.lane_capacity[2], 7u);
  EXPECT_EQ(o.lanes.short_prompt_chars, 1000u);
  EXPECT_EQ(o.lanes.short_output_tokens, 256u);
  EXPECT_EQ(o.lanes.long_output_tokens, 4096u);
  // An LlmClient accepts the options (the policy is one it registers).
  SimulatedClock clock;
  resilience::LlmClient client(clock, o);
  EXPECT_EQ(client.policy(), "cost");
}

TEST(RoutingConfig, PolicyNamesAreTheOnesTheRouterRegisters) {
  const resilience::Router router(resilience::RouterConfig{}, 0);
  EXPECT_EQ(builtin_policy_names(), router.policy_names());
}

TEST(RoutingConfig, NoSectionKeepsTheDefaults) {
  LoadResult r = parse("");
  ASSERT_TRUE(r.ok());
  const auto o = cli::llm_client_options(r.config.routing);
  const resilience::LlmClientOptions d;
  EXPECT_EQ(o.router.default_policy, d.router.default_policy);
  EXPECT_EQ(o.retry.max_total_attempts, d.retry.max_total_attempts);
  EXPECT_EQ(o.admission.max_in_flight, d.admission.max_in_flight);
}

TEST(RoutingConfig, EveryErrorWithItsPathAtOnce) {
  auto cat = test_catalog();
  LoadResult r = parse(R"([routing]
policy = "cheapest"
fallbacks = ["small", 3, "nope/none"]
max_chain = 0
colour = "red"
[routing.breaker]
failure_rate = 1.5
window = 5
minimum_calls = 10
[routing.retry]
jitter = "wild"
backoff_base_ms = 500
backoff_cap_ms = 100
per_endpoint = "two"
[routing.lanes]
max_in_flight = 0
speed = 3
[models.small]
id = "test/full"
)",
                       &cat);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_error(r, "routing.policy", 2, "unknown policy 'cheapest'")) << r.status().message();
  EXPECT_TRUE(has_error(r, "routing.policy", 2, "reliability")) << "lists the known policies";
  EXPECT_TRUE(has_error(r, "routing.fallbacks[1]", 3, "expected a string"));
  EXPECT_TRUE(has_error(r, "routing.fallbacks[2]", 3, "unknown model 'nope/none'")) << r.status().message();
  EXPECT_TRUE(has_error(r, "routing.max_chain", 4, "out of range"));
  EXPECT_TRUE(has_error(r, "routing.colour", 5, "unknown key"));
  EXPECT_TRUE(has_error(r, "routing.breaker.failure_rate", 7, "out of range"));
  EXPECT_TRUE(has_error(r, "routing.breaker.minimum_calls", 9, "exceeds window"));
  EXPECT_TRUE(has_error(r, "routing.retry.jitter", 11, "decorrelated, full or none"));
  EXPECT_TRUE(has_error(r, "routing.retry.backoff_cap_ms", 13, "below backoff_base_ms"));
  EXPECT_TRUE(has_error(r, "routing.retry.per_endpoint", 14, "expected an integer"));
  EXPECT_TRUE(has_error(r, "routing.lanes.max_in_flight", 16, "out of range"));
  EXPECT_TRUE(has_error(r, "routing.lanes.speed", 17, "unknown key"));
  EXPECT_GE(r.errors.size(), 12u);
}

TEST(RoutingConfig, RenderRoundTrips) {
  LoadResult r = parse(kFullRouting);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  LoadResult again = parse(render_config(r.config));
  ASSERT_TRUE(again.ok()) << again.status().to_string() << "\n" << render_config(r.config);
  EXPECT_EQ(again.config.routing, r.config.routing);
}

TEST(SharedConfigTest, ParsesValidatesRedactsAndRenders) {
  LoadResult r = parse(R"([shared]
url = "redis://:FAKE-redis-pw-123@127.0.0.1:6390/1"
instance_id = "gw-1"
timeout_ms = 40
connect_timeout_ms = 300
heartbeat_ms = 500
rate_limits_on_failure = "refuse"
lease_ms = 0
)");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const SharedConfig& sh = r.config.shared;
  EXPECT_EQ(sh.url, "redis://:FAKE-redis-pw-123@127.0.0.1:6390/1");
  EXPECT_EQ(sh.instance_id, "gw-1");
  EXPECT_EQ(sh.timeout_ms, 40);
  EXPECT_EQ(sh.connect_timeout_ms, 300);
  EXPECT_EQ(sh.heartbeat_ms, 500);
  EXPECT_EQ(sh.rate_limits_on_failure, "refuse");
  EXPECT_EQ(sh.lease_ms, 0);  // 0 (per-request admissions) is kept, not taken as unset
  const std::string saved = render_config(r.config);
  EXPECT_EQ(saved.find("FAKE-redis-pw-123"), std::string::npos) << saved;  // redacted unless with_keys
  LoadResult again = parse(render_config(r.config, SaveOptions{.with_keys = true}));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again.config.shared, sh);
  EXPECT_EQ(parse("").config.shared, SharedConfig{});

  LoadResult bad = parse(R"([shared]
url = "http://:FAKE-redis-pw-456@h:1"
instance_id = "has space"
timeout_ms = 0
rate_limits_on_failure = "ignore"
colour = 1
lease_ms = 20000
)");
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(has_error(bad, "shared.url", 2, "expected redis://")) << bad.status().message();
  EXPECT_TRUE(has_error(bad, "shared.instance_id", 3, "without spaces"));
  EXPECT_TRUE(has_error(bad, "shared.timeout_ms", 4, "out of range"));
  EXPECT_TRUE(has_error(bad, "shared.rate_limits_on_failure", 5, "local_share or refuse"));
  EXPECT_TRUE(has_error(bad, "shared.colour", 6, "unknown key"));
  EXPECT_TRUE(has_error(bad, "shared.lease_ms", 7, "out of range"));
  EXPECT_EQ(bad.status().message().find("FAKE-redis-pw-456"), std::string::npos);
}

// --- text-preserving edits ---------------------------------------------------------------

const char* kCommented = R"(# my ploke config — hand written
default_model = "small"   # the one I use

# routing: I like it cheap
[routing]
policy = "reliability"  # was latency before
max_chain = 2

# models I promoted
[models.small]
id = "test/full"
)";

TEST(ConfigEdit, ReplacesOnlyTheChangedLineAndKeepsComments) {
  auto out = apply_edits(kCommented, {{{"routing"}, "policy", toml_string("cost")}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  std::string want = kCommented;
  want.replace(want.find("policy = \"reliability\"  # was latency before"),
               std::string("policy = \"reliability\"  # was latency before").size(), "policy = \"cost\"");
  EXPECT_EQ(*out, want);
  LoadResult r = parse(*out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.routing.policy, "cost");
  EXPECT_EQ(r.config.routing.max_chain, 2);
}

TEST(ConfigEdit, AppendsKeysToTheirTableAndNewTablesAtTheEnd) {
  auto out = apply_edits(kCommented, {{{"routing"}, "stream_continuation", "true"},
                                      {{"models", "openai/gpt-4o"}, "id", toml_string("openai/gpt-4o")},
                                      {{}, "default_preset", toml_string("precise")}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const std::string& t = *out;
  // Every original line is still there, in order.
  std::istringstream orig(kCommented);
  std::string line;
  size_t pos = 0;
  while (std::getline(orig, line)) {
    size_t at = t.find(line, pos);
    ASSERT_NE(at, std::string::npos) << "lost line: " << line << "\n" << t;
    pos = at + line.size();
  }
  EXPECT_LT(t.find("stream_continuation = true"), t.find("# models I promoted")) << t;
  EXPECT_GT(t.find("stream_continuation = true"), t.find("max_chain = 2")) << t;
  EXPECT_NE(t.find("[models.\"openai/gpt-4o\"]\nid = \"openai/gpt-4o\"\n"), std::string::npos) << t;
  EXPECT_LT(t.find("default_preset = \"precise\""), t.find("[routing]")) << t;
  LoadResult r = parse(t);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.config.routing.stream_continuation, true);
  EXPECT_EQ(r.config.models.at("openai/gpt-4o").id, "openai/gpt-4o");
  EXPECT_EQ(r.config.file_default_preset, "precise");
}

TEST(ConfigEdit, RootKeyInAFileWithOnlyCommentsAndTables) {
  auto out = apply_edits("# header comment\n[routing]\npolicy = \"cost\"\n", {{{}, "default_model", toml_string("m")}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "default_model = \"m\"\n\n# header comment\n[routing]\npolicy = \"cost\"\n");
}

TEST(ConfigEdit, MultiLineArrayIsReplacedWhole) {
  const char* text = "[routing]\nfallbacks = [\n  \"a\",  # first\n  \"b\",\n]\nmax_chain = 2\n";
  auto out = apply_edits(text, {{{"routing"}, "fallbacks", "[\"c\"]"}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "[routing]\nfallbacks = [\"c\"]\nmax_chain = 2\n");
}

TEST(ConfigEdit, RemovesAKey) {
  auto out = apply_edits(kCommented, {{{"routing"}, "max_chain", ""}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->find("max_chain"), std::string::npos);
  EXPECT_NE(out->find("# was latency before"), std::string::npos);
}

TEST(ConfigEdit, InlineTableOrArrayOfTablesIsRefusedNotCorrupted) {
  auto a = apply_edits("routing = { policy = \"cost\" }\n", {{{"routing"}, "policy", toml_string("latency")}});
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("[routing]"), std::string::npos) << a.status().message();
  auto b = apply_edits("[[budgets]]\nlimit_usd = 1\n", {{{"budgets"}, "limit_usd", "2"}});
  EXPECT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("array of tables"), std::string::npos) << b.status().message();
}

TEST(ConfigEdit, ValuesAreRedactedUnlessAsked) {
  const std::string key = "sk-or-v1-FAKE0123456789abcdef0123456789abcdef";  // fake key
  auto red = apply_edits("", {{{"credentials", "k"}, "key", toml_string(key)}});
  ASSERT_TRUE(red.ok());
  EXPECT_EQ(red->find("FAKE0123"), std::string::npos) << *red;
  auto kept = apply_edits("", {{{"credentials", "k"}, "key", toml_string(key)}}, SaveOptions{true});
  ASSERT_TRUE(kept.ok());
  EXPECT_NE(kept->find(key), std::string::npos);
}

class EditFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ploke-edit-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string dir_;
};

TEST_F(EditFileTest, WritesAtomicallyKeepsModeAndRefusesAnInvalidResult) {
  const std::string path = dir_ + "/sub/config.toml";
  LoadOptions lo;
  lo.env = fixed_env({});
  // A missing file (and directory) is created.
  auto r = edit_config_file(path, {{{"routing"}, "policy", toml_string("latency")}}, lo);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->config.routing.policy, "latency");
  auto text = ploke::read_file(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "[routing]\npolicy = \"latency\"\n");
  // Comments survive; the mode survives.
  std::ofstream(path) << kCommented;
  ::chmod(path.c_str(), 0640);
  r = edit_config_file(path, {{{"routing"}, "policy", toml_string("weighted")}}, lo);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  text = ploke::read_file(path);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("# routing: I like it cheap"), std::string::npos);
  EXPECT_NE(text->find("policy = \"weighted\""), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  // An edit that would make the config invalid writes nothing.
  const std::string before = *text;
  auto bad = edit_config_file(path, {{{"routing"}, "policy", toml_string("cheapest")}}, lo);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("routing.policy"), std::string::npos) << bad.status().message();
  EXPECT_EQ(*ploke::read_file(path), before);
}

}  // namespace
}  // namespace ploke::config
