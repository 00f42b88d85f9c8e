// The CLI's deciding steps alone: `usage` time forms, totals and renderings
// (cli/usage_report.h), and `model use`'s URL parsing and TCP reachability
// (cli/reachable.h; loopback only, port 0).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "reachable.h"
#include "usage_report.h"

namespace ploke::cli {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

ledger::AggregateRow row(const std::string& key, uint64_t requests, double cost, uint64_t unpriced = 0) {
  ledger::AggregateRow r;
  r.key = key;
  r.requests = requests;
  r.attempts = requests + 1;
  r.cost_usd = cost;
  r.spend_usd = cost;
  r.unpriced = unpriced;
  return r;
}

TEST(UsageReport, WhenFormsAreDatesPeriodsOrDurationsBack) {
  const SystemTime now = *ledger::parse_time("2026-11-24T05:30:00Z");
  EXPECT_EQ(parse_when("30m", now), now - minutes(30));
  EXPECT_EQ(parse_when("24h", now), now - hours(24));
  EXPECT_EQ(parse_when("7d", now), now - hours(24 * 7));
  EXPECT_EQ(parse_when("today", now), ledger::parse_time("2026-11-24T00:00:00Z"));
  EXPECT_EQ(parse_when("month", now), ledger::parse_time("2026-11-01T00:00:00Z"));
  EXPECT_EQ(parse_when("2026-11-20", now), ledger::parse_time("2026-11-20"));
  for (const char* bad : {"", "m", "5", "5s", "-3h", "x3h", "3.5h", "yesterday"}) {
    EXPECT_FALSE(parse_when(bad, now).has_value()) << bad;
  }
}

TEST(UsageReport, DefaultLedgerFollowsXdgDataHomeThenHome) {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const std::string saved = xdg ? xdg : "";
  ::setenv("XDG_DATA_HOME", "/tmp/xdg-data", 1);
  EXPECT_EQ(default_ledger_path(), "/tmp/xdg-data/ploke-sim/ledger.db");
  ::setenv("XDG_DATA_HOME", "", 1);
  const char* home = std::getenv("HOME");
  EXPECT_EQ(default_ledger_path(), std::string(home ? home : ".") + "/.local/share/ploke-sim/ledger.db");
  if (xdg) ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
  else ::unsetenv("XDG_DATA_HOME");
}

TEST(UsageReport, TotalSumsEveryColumn) {
  auto t = total_of({row("a", 2, 0.5, 1), row("b", 3, 0.25)});
  EXPECT_EQ(t.key, "");
  EXPECT_EQ(t.requests, 5u);
  EXPECT_EQ(t.attempts, 7u);
  EXPECT_EQ(t.cost_usd, 0.75);
  EXPECT_EQ(t.spend_usd, 0.75);
  EXPECT_EQ(t.unpriced, 1u);
}

TEST(UsageReport, JsonHasRowsTotalWindowAndEscapedText) {
  UsageReport r;
  r.ledger = "/l.db";
  r.by = "model";
  r.until = ledger::parse_time("2026-11-24T00:00:00Z");
  r.rows = {row("gpt \"4o\"\n", 1, 0.5)};
  r.budget_lines = {"budget day global: 0.5 of 1 USD spent (stop)"};
  const std::string j = usage_json(r);
  EXPECT_EQ(j.rfind("{\"ledger\":\"/l.db\",\"by\":\"model\",\"since\":null,\"until\":\"", 0), 0u) << j;
  EXPECT_NE(j.find("{\"key\":\"gpt \\\"4o\\\"\\n\",\"requests\":1,\"attempts\":2,"), std::string::npos) << j;
  EXPECT_NE(j.find("\"total\":{\"requests\":1,"), std::string::npos) << j;
  EXPECT_NE(j.find("\"budgets\":[\"budget day global: 0.5 of 1 USD spent (stop)\"]}\n"), std::string::npos) << j;
}

TEST(UsageReport, CsvQuotesKeysThatNeedIt) {
  UsageReport r;
  r.by = "provider";
  r.rows = {row("plain", 1, 0.5), row("a,\"b\"", 2, 0)};
  const std::string c = usage_csv(r);
  EXPECT_EQ(c.rfind("provider,requests,attempts,", 0), 0u);
  EXPECT_NE(c.find("\nplain,1,2,0,0,0,0,0.5,0,0.5,0\n"), std::string::npos) << c;
  EXPECT_NE(c.find("\n\"a,\"\"b\"\"\",2,3,"), std::string::npos) << c;
}

TEST(UsageReport, TableEndsWithTotalAndBudgets) {
  UsageReport r;
  r.by = "provider";
  r.rows = {row("openai", 2, 0.5, 3)};
  r.budget_lines = {"budget month global: 0.5 of 10 USD spent (warn)"};
  const std::string t = usage_table(r);
  EXPECT_EQ(t.rfind("provider ", 0), 0u);
  EXPECT_NE(t.find("openai "), std::string::npos);
  EXPECT_NE(t.find(" (3 unpriced)\nTOTAL "), std::string::npos) << t;
  EXPECT_NE(t.find("\nbudget month global: 0.5 of 10 USD spent (warn)\n"), std::string::npos) << t;
}

TEST(Reachable, HostAndPortOfABaseUrl) {
  HostPort u;
  ASSERT_TRUE(parse_host_port("https://user:pw@api.example.com/v1/x", u));
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "api.example.com");
  EXPECT_EQ(u.port, "443");
  ASSERT_TRUE(parse_host_port("http://127.0.0.1:8080/v1", u));
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8080");
  ASSERT_TRUE(parse_host_port("http://[::1]/v1", u));
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.port, "80");
  EXPECT_FALSE(parse_host_port("localhost:8080", u));
  EXPECT_FALSE(parse_host_port("http:///v1", u));
}

// A listening loopback socket on port 0, closed at the end.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0) return;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

TEST(Reachable, ALoopbackListenerAcceptsAndAClosedPortRefuses) {
  int closed_port = 0;
  {
    Listener l;
    ASSERT_GT(l.port, 0);
    std::string detail;
    const std::string url = "http://127.0.0.1:" + std::to_string(l.port) + "/v1";
    EXPECT_TRUE(reachable(url, 2000, detail)) << detail;
    EXPECT_EQ(detail, "127.0.0.1:" + std::to_string(l.port) + " accepts connections");
    closed_port = l.port;
  }
  std::string detail;
  EXPECT_FALSE(reachable("http://127.0.0.1:" + std::to_string(closed_port), 2000, detail));
  EXPECT_NE(detail.find("127.0.0.1:" + std::to_string(closed_port) + ": "), std::string::npos) << detail;
  EXPECT_FALSE(reachable("not a url", 2000, detail));
  EXPECT_EQ(detail, "cannot parse URL");
}

}  // namespace
}  // namespace ploke::cli
