// The simulator's /metrics text (ploke/simulator/metrics_text.h): a strict parser of the
// Prometheus text exposition format 0.0.4 checks every line, then the values are checked
// against the requests sent (in process, on a SimulatedClock).
#include "ploke/simulator/metrics_text.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Parsed {
  std::map<std::string, std::string> type;  // metric → counter|gauge|…
  std::map<std::string, std::string> help;
  std::vector<Sample> samples;
  std::vector<std::string> errors;

  double get(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return -1;
  }
  bool has(const std::string& name, const std::map<std::string, std::string>& labels) const {
    return get(name, labels) >= 0;
  }
};

const std::regex& metric_name_re() {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return kName;
}

// "# HELP NAME text" / "# TYPE NAME type" (any other "#" line is a comment).
void parse_comment(const std::string& line, const std::string& where, Parsed& p) {
  std::istringstream ls(line);
  std::string hash, kw, name;
  ls >> hash >> kw >> name;
  if (kw != "HELP" && kw != "TYPE") return;  // a comment
  if (!std::regex_match(name, metric_name_re())) p.errors.push_back(where + "bad metric name " + name);
  std::string rest;
  std::getline(ls, rest);
  if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
  if (kw == "TYPE") {
    if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" && rest != "untyped") {
      p.errors.push_back(where + "bad type " + rest);
    }
    if (p.type.count(name) != 0) p.errors.push_back(where + "second TYPE for " + name);
    p.type[name] = rest;
  } else {
    if (rest.empty()) p.errors.push_back(where + "empty HELP");
    p.help[name] = rest;
  }
}

// The quoted label value starting at line[i] (after the opening quote), unescaped into
// `v`; false when it is not terminated. `i` ends after the closing quote.
bool parse_label_value(const std::string& line, size_t& i, const std::string& where, Parsed& p, std::string& v) {
  while (i < line.size()) {
    char c = line[i++];
    if (c == '\\') {
      if (i >= line.size()) return false;
      char e = line[i++];
      if (e == 'n') v += '\n';
      else if (e == '\\' || e == '"') v += e;
      else p.errors.push_back(where + "bad escape \\" + std::string(1, e));
    } else if (c == '"') {
      return true;
    } else {
      v += c;
    }
  }
  return false;
}

// {name="value",…} starting at line[i] == '{'; `i` ends after the '}'.
void parse_labels(const std::string& line, size_t& i, const std::string& where, Parsed& p, Sample& s) {
  static const std::regex kLabel("[a-zA-Z_][a-zA-Z0-9_]*");
  ++i;
  while (i < line.size() && line[i] != '}') {
    size_t eq = line.find('=', i);
    if (eq == std::string::npos) { p.errors.push_back(where + "label without ="); break; }
    std::string lname = line.substr(i, eq - i);
    if (!std::regex_match(lname, kLabel)) p.errors.push_back(where + "bad label name " + lname);
    i = eq + 1;
    if (i >= line.size() || line[i] != '"') { p.errors.push_back(where + "unquoted label value"); break; }
    ++i;
    std::string v;
    if (!parse_label_value(line, i, where, p, v)) { p.errors.push_back(where + "unterminated label value"); break; }
    if (s.labels.count(lname) != 0) p.errors.push_back(where + "duplicate label " + lname);
    s.labels[lname] = v;
    if (i < line.size() && line[i] == ',') ++i;
  }
  if (i >= line.size() || line[i] != '}') p.errors.push_back(where + "labels not closed");
  ++i;
}

// "NAME[{labels}] VALUE": after its TYPE, counters named *_total, each series once.
void parse_sample(const std::string& line, const std::string& where, Parsed& p, std::set<std::string>& series) {
  Sample s;
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (!std::regex_match(s.name, metric_name_re())) p.errors.push_back(where + "bad sample name " + s.name);
  if (i < line.size() && line[i] == '{') parse_labels(line, i, where, p, s);
  if (i >= line.size() || line[i] != ' ') {
    p.errors.push_back(where + "no space before the value");
    return;
  }
  const std::string value = line.substr(i + 1);
  char* end = nullptr;
  s.value = std::strtod(value.c_str(), &end);
  if (value.empty() || end == nullptr || *end != '\0') p.errors.push_back(where + "bad value '" + value + "'");
  if (p.type.count(s.name) == 0) p.errors.push_back(where + "sample before its TYPE: " + s.name);
  if (s.name.size() > 6 && p.type.count(s.name) && p.type[s.name] == "counter" &&
      s.name.substr(s.name.size() - 6) != "_total") {
    p.errors.push_back(where + "counter without _total: " + s.name);
  }
  std::string key = s.name;
  for (const auto& [k, v] : s.labels) key += "|" + k + "=" + v;
  if (!series.insert(key).second) p.errors.push_back(where + "duplicate series " + key);
  p.samples.push_back(std::move(s));
}

// Parses the text format 0.0.4 strictly enough to catch what a Prometheus server rejects:
// HELP/TYPE syntax, TYPE before samples, metric and label name syntax, quoted and escaped
// label values, a numeric value, a final newline, no duplicate series.
Parsed parse_prometheus(const std::string& text) {
  Parsed p;
  if (text.empty() || text.back() != '\n') p.errors.push_back("text does not end with a newline");
  std::set<std::string> series;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + ": ";
    if (line.empty()) continue;
    if (line[0] == '#') parse_comment(line, where, p);
    else parse_sample(line, where, p, series);
  }
  for (const auto& [name, t] : p.type) {
    if (p.help.count(name) == 0) p.errors.push_back("no HELP for " + name);
  }
  return p;
}

std::string errors_of(const Parsed& p) {
  std::string s;
  for (const auto& e : p.errors) s += e + "\n";
  return s;
}

HttpRequest chat(const std::string& model, bool stream = false) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.body = R"({"model":")" + model + R"(","stream":)" + (stream ? "true" : "false") +
           R"(,"messages":[{"role":"user","content":"hi"}]})";
  return r;
}

HttpRequest get(const std::string& path) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  return r;
}

class MetricsTextTest : public ::testing::Test {
 protected:
  SimEngine& make(std::string_view faults = "", size_t journal_capacity = 10000) {
    SimOptions o;
    o.seed = 3;
    o.latency = LatencyModel::Fast();
    o.journal_capacity = journal_capacity;
    if (!faults.empty()) {
      auto p = parse_fault_plan(faults, "test");
      EXPECT_TRUE(p.ok()) << p.status().to_string();
      if (p.ok()) o.faults = *p;
    }
    auto e = SimEngine::Create(o, clock_);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    engine_ = std::move(e).value();
    return *engine_;
  }
  SimulatedClock clock_;
  std::unique_ptr<SimEngine> engine_;
};

TEST_F(MetricsTextTest, EmptyEngineIsValidExposition) {
  SimEngine& e = make();
  const std::string text = sim_metrics_text(e);
  Parsed p = parse_prometheus(text);
  EXPECT_TRUE(p.errors.empty()) << errors_of(p) << text;
  EXPECT_EQ(p.type["ploke_sim_requests_total"], "counter");
  EXPECT_EQ(p.type["ploke_sim_faults_active"], "gauge");
  EXPECT_EQ(p.get("ploke_sim_requests_received_total"), 0);
  EXPECT_EQ(p.get("ploke_sim_faults_active"), 0);
  // Every fault kind has a (zero) series, so rate() works from the first scrape.
  EXPECT_EQ(p.get("ploke_sim_faults_fired_total", {{"kind", "http_error"}}), 0);
  EXPECT_EQ(p.get("ploke_sim_faults_fired_total", {{"kind", "stream_cut"}}), 0);
}

TEST_F(MetricsTextTest, CountsRequestsByRouteModelStatusAndFaults) {
  SimEngine& e = make(R"({"faults":[
      {"id":"boom","kind":"http_error","status":503,"match":{"model":"gpt-4o"},"trigger":{"nth":1,"every":2}},
      {"id":"cut","kind":"reset","match":{"model":"gpt-4o-mini"},"trigger":{"times":1}},
      {"id":"later","kind":"hang","trigger":{"from_ms":60000}}]})");
  for (int i = 0; i < 4; ++i) e.handle(chat("gpt-4o"));  // 503, 200, 503, 200
  e.handle(chat("gpt-4o-mini"));                          // reset (no status line)
  e.handle(chat("gpt-4o-mini", true));                    // 200
  e.handle(get("/v1/models"));
  e.handle(get("/v1/models/gpt-4o"));
  e.handle(get("/v1/models/nope"));                        // 404
  e.handle(get("/some/unknown/path"));                     // 404, route "other"

  const std::string text = sim_metrics_text(e, Duration(1s));
  Parsed p = parse_prometheus(text);
  ASSERT_TRUE(p.errors.empty()) << errors_of(p) << text;
  auto req = [&](std::string method, std::string route, std::string model, std::string status) {
    return p.get("ploke_sim_requests_total",
                 {{"method", method}, {"route", route}, {"model", model}, {"status", status}});
  };
  EXPECT_EQ(req("POST", "/v1/chat/completions", "gpt-4o", "503"), 2) << text;
  EXPECT_EQ(req("POST", "/v1/chat/completions", "gpt-4o", "200"), 2);
  EXPECT_EQ(req("POST", "/v1/chat/completions", "gpt-4o-mini", "reset"), 1);
  EXPECT_EQ(req("POST", "/v1/chat/completions", "gpt-4o-mini", "200"), 1);
  EXPECT_EQ(req("GET", "/v1/models", "", "200"), 1);
  EXPECT_EQ(req("GET", "/v1/models/{id}", "gpt-4o", "200"), 1);
  EXPECT_EQ(req("GET", "/v1/models/{id}", "nope", "404"), 1);
  EXPECT_EQ(req("GET", "other", "", "404"), 1);
  EXPECT_EQ(p.get("ploke_sim_requests_received_total"), 10);
  EXPECT_EQ(p.get("ploke_sim_requests_dropped_total"), 0);

  EXPECT_EQ(p.get("ploke_sim_faults_fired_total", {{"kind", "http_error"}}), 2);
  EXPECT_EQ(p.get("ploke_sim_faults_fired_total", {{"kind", "reset"}}), 1);
  EXPECT_EQ(p.get("ploke_sim_faults_fired_total", {{"kind", "hang"}}), 0);
  EXPECT_EQ(p.get("ploke_sim_fault_fired_total", {{"fault", "boom"}, {"kind", "http_error"}}), 2);
  EXPECT_EQ(p.get("ploke_sim_fault_matched_total", {{"fault", "boom"}, {"kind", "http_error"}}), 4);
  EXPECT_EQ(p.get("ploke_sim_fault_fired_total", {{"fault", "cut"}, {"kind", "reset"}}), 1);
  // boom: every 2nd, never exhausted; cut: times 1 used up; later: window not open at 1 s.
  EXPECT_EQ(p.get("ploke_sim_fault_active", {{"fault", "boom"}, {"kind", "http_error"}}), 1);
  EXPECT_EQ(p.get("ploke_sim_fault_active", {{"fault", "cut"}, {"kind", "reset"}}), 0);
  EXPECT_EQ(p.get("ploke_sim_fault_active", {{"fault", "later"}, {"kind", "hang"}}), 0);
  EXPECT_EQ(p.get("ploke_sim_faults_active"), 1);
  // With the window open (61 s), "later" is active.
  Parsed p2 = parse_prometheus(sim_metrics_text(e, Duration(61s)));
  EXPECT_EQ(p2.get("ploke_sim_fault_active", {{"fault", "later"}, {"kind", "hang"}}), 1);
  EXPECT_EQ(p2.get("ploke_sim_faults_active"), 2);
}

TEST_F(MetricsTextTest, LabelValuesAreEscaped) {
  SimEngine& e = make();
  HttpRequest r = get("/v1/models/a\"b\\c");
  e.handle(r);
  const std::string text = sim_metrics_text(e);
  Parsed p = parse_prometheus(text);
  ASSERT_TRUE(p.errors.empty()) << errors_of(p) << text;
  EXPECT_EQ(p.get("ploke_sim_requests_total",
                  {{"method", "GET"}, {"route", "/v1/models/{id}"}, {"model", "a\"b\\c"}, {"status", "404"}}),
            1)
      << text;
}

TEST(RouteLabel, KnownRoutesAndBoundedCardinality) {
  EXPECT_EQ(route_label("/v1/chat/completions"), "/v1/chat/completions");
  EXPECT_EQ(route_label("/v1/messages"), "/v1/messages");
  EXPECT_EQ(route_label("/api/v1/chat/completions"), "/api/v1/chat/completions");
  EXPECT_EQ(route_label("/v1/models/gpt-4o"), "/v1/models/{id}");
  EXPECT_EQ(route_label("/api/v1/models/moonshotai/kimi-k2/endpoints"), "/api/v1/models/{id}/endpoints");
  EXPECT_EQ(route_label("/v1/models/"), "other");
  EXPECT_EQ(route_label("/random/123"), "other");
  EXPECT_EQ(route_label("/random/456"), "other");
}

// Counters stay exact and monotonic when the journal ring is smaller than the traffic, as
// long as the counter reads at least once per ring's worth of requests.
TEST_F(MetricsTextTest, CounterIsExactAcrossJournalWrapAround) {
  SimEngine& e = make("", /*journal_capacity=*/8);
  SimRequestCounter counter(e);
  uint64_t last = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 6; ++i) e.handle(chat("gpt-4o"));
    SimRequestCounts c = counter.update();
    const uint64_t n = c.requests[std::make_tuple("POST", "/v1/chat/completions", "gpt-4o", "200")];
    EXPECT_EQ(n, static_cast<uint64_t>(6 * (round + 1)));
    EXPECT_GE(n, last);
    last = n;
    EXPECT_EQ(c.dropped, 0u);
    EXPECT_EQ(c.counted, c.received);
  }
  // A read twice in a row counts nothing twice.
  SimRequestCounts again = counter.update();
  EXPECT_EQ(again.counted, 60u);
}

TEST_F(MetricsTextTest, EntriesThatLeftTheRingUnreadAreDropped) {
  SimEngine& e = make("", /*journal_capacity=*/8);
  SimRequestCounter counter(e);
  for (int i = 0; i < 1100; ++i) e.handle(get("/v1/models"));
  SimRequestCounts c = counter.update();
  EXPECT_EQ(c.received, 1100u);
  EXPECT_EQ(c.counted, 8u);  // what the ring still held
  // Arrivals more than a ring + 1024 back are settled as dropped; the rest wait (they
  // might still be in flight in a concurrent handle()).
  EXPECT_EQ(c.dropped, 1100u - 8u - 1024u);
  EXPECT_LE(c.counted + c.dropped, c.received);
}

TEST_F(MetricsTextTest, FaultCountersSurvivePlanReplacement) {
  SimEngine& e = make(R"({"faults":[{"id":"a","kind":"http_error","status":500}]})");
  SimRequestCounter counter(e);
  for (int i = 0; i < 3; ++i) e.handle(chat("gpt-4o"));
  EXPECT_EQ(counter.update().fired_by_kind["http_error"], 3u);
  // The engine resets a replaced fault's counters; the cumulative counter does not go back.
  auto plan = parse_fault_plan(R"({"faults":[{"id":"a","kind":"http_error","status":502}]})", "t");
  ASSERT_OK(plan);
  ASSERT_OK(e.set_faults(*plan));
  e.handle(chat("gpt-4o"));
  SimRequestCounts c = counter.update();
  EXPECT_EQ(c.fired_by_kind["http_error"], 4u);
  e.clear_faults();
  e.handle(chat("gpt-4o"));
  EXPECT_EQ(counter.update().fired_by_kind["http_error"], 4u);
}

TEST_F(MetricsTextTest, ObservabilityUsesTheClockForFaultWindows) {
  SimEngine& e = make(R"({"faults":[{"id":"w","kind":"http_error","status":500,"trigger":{"until_ms":5000}}]})");
  SimObservability obs(e, clock_);
  Parsed p = parse_prometheus(obs.metrics_text());
  EXPECT_EQ(p.get("ploke_sim_fault_active", {{"fault", "w"}, {"kind", "http_error"}}), 1);
  clock_.advance(6s);
  p = parse_prometheus(obs.metrics_text());
  EXPECT_EQ(p.get("ploke_sim_fault_active", {{"fault", "w"}, {"kind", "http_error"}}), 0);
}

}  // namespace
}  // namespace ploke::simulator
