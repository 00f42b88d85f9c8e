// MetricsRegistry: the declared list and the Prometheus text format.
#include "ploke/resilience/metrics.h"

#include <gtest/gtest.h>

#include <set>

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

TEST(MetricsTest, DeclaredListIsWellFormed) {
  std::set<std::string_view> names;
  for (const auto& d : metric_defs()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    EXPECT_EQ(d.name.rfind("ploke_llm_", 0), 0u) << d.name;
    if (d.type == MetricType::kCounter) {
      EXPECT_EQ(d.name.substr(d.name.size() - 6), "_total") << d.name;
    }
    EXPECT_FALSE(d.help.empty());
  }
  EXPECT_EQ(metric_defs().size(), static_cast<size_t>(MetricId::kCount));
}

TEST(MetricsTest, CountersGaugesAndEscaping) {
  MetricsRegistry m;
  m.add(MetricId::kAttempts, {"openai/gpt-4o", "ok"});
  m.add(MetricId::kAttempts, {"openai/gpt-4o", "ok"}, 2);
  m.add(MetricId::kAttempts, {"we\"ird\\ep\nx", "server_error"});
  m.set(MetricId::kInFlight, {}, 3);
  m.set(MetricId::kQueueDepth, {"bulk"}, 7);
  m.clear_gauge(MetricId::kQueueDepth);
  m.add(MetricId::kCostUsd, {"a"}, 0.00125);
  EXPECT_EQ(m.value(MetricId::kAttempts, {"openai/gpt-4o", "ok"}), 3.0);
  const std::string t = m.render_prometheus();
  EXPECT_NE(t.find("# HELP ploke_llm_attempts_total Attempts by endpoint and outcome.\n"
                   "# TYPE ploke_llm_attempts_total counter\n"),
            std::string::npos);
  EXPECT_NE(t.find("ploke_llm_attempts_total{endpoint=\"openai/gpt-4o\",outcome=\"ok\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ploke_llm_attempts_total{endpoint=\"we\\\"ird\\\\ep\\nx\",outcome=\"server_error\"} 1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("ploke_llm_in_flight 3\n"), std::string::npos);
  EXPECT_EQ(t.find("ploke_llm_queue_depth{"), std::string::npos);
  EXPECT_NE(t.find("ploke_llm_cost_usd_total{endpoint=\"a\"} 0.00125\n"), std::string::npos);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry m;
  m.observe(MetricId::kTtft, {"e"}, 3ms);
  m.observe(MetricId::kTtft, {"e"}, 40ms);
  m.observe(MetricId::kTtft, {"e"}, 2s);
  m.observe(MetricId::kTtft, {"e"}, 100s);
  const std::string t = m.render_prometheus();
  EXPECT_NE(t.find("ploke_llm_ttft_seconds_bucket{endpoint=\"e\",le=\"0.005\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ploke_llm_ttft_seconds_bucket{endpoint=\"e\",le=\"0.05\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("ploke_llm_ttft_seconds_bucket{endpoint=\"e\",le=\"2.5\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("ploke_llm_ttft_seconds_bucket{endpoint=\"e\",le=\"60\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("ploke_llm_ttft_seconds_bucket{endpoint=\"e\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(t.find("ploke_llm_ttft_seconds_sum{endpoint=\"e\"} 102.043\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ploke_llm_ttft_seconds_count{endpoint=\"e\"} 4\n"), std::string::npos);
  EXPECT_EQ(m.histogram_count(MetricId::kTtft, {"e"}), 4u);
}

}  // namespace
}  // namespace ploke::resilience
