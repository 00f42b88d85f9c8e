// AdmissionQueue: slots, strict lane priority, FIFO, backpressure and waits, in virtual time.
#include "ploke/resilience/admission.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

struct RecordingWaiter : Waiter {
  RecordingWaiter(std::string n, std::vector<std::string>& log) : name(std::move(n)), log_(log) {}
  void granted(Duration w) override {
    waited = w;
    log_.push_back(name);
  }
  std::string name;
  Duration waited{-1};
  std::vector<std::string>& log_;
};

TEST(AdmissionTest, AdmitsUpToMaxInFlight) {
  SimulatedClock clock;
  AdmissionQueue q(AdmissionConfig{2, {4, 4, 4}});
  std::vector<std::string> log;
  RecordingWaiter w("w", log);
  EXPECT_EQ(q.admit(Lane::kNormal, clock.now(), &w), Admit::kAdmitted);
  EXPECT_EQ(q.admit(Lane::kNormal, clock.now(), &w), Admit::kAdmitted);
  EXPECT_EQ(q.in_flight(), 2u);
  EXPECT_EQ(q.admit(Lane::kNormal, clock.now(), &w), Admit::kQueued);
  EXPECT_EQ(q.depth(Lane::kNormal), 1u);
  clock.advance(250ms);
  q.release(clock.now());
  EXPECT_EQ(log, std::vector<std::string>{"w"});
  EXPECT_EQ(w.waited, 250ms);
  EXPECT_EQ(q.in_flight(), 2u);
  q.release(clock.now());
  q.release(clock.now());
  EXPECT_EQ(q.in_flight(), 0u);
}

TEST(AdmissionTest, PriorityOrderUnderLoad) {
  SimulatedClock clock;
  AdmissionQueue q(AdmissionConfig{1, {8, 8, 8}});
  std::vector<std::string> log;
  std::vector<std::unique_ptr<RecordingWaiter>> ws;
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), nullptr), Admit::kAdmitted);  // the running request
  const std::vector<std::pair<std::string, Lane>> arrivals = {
      {"bulk1", Lane::kBulk}, {"norm1", Lane::kNormal}, {"tool1", Lane::kInteractive},
      {"bulk2", Lane::kBulk}, {"tool2", Lane::kInteractive}, {"norm2", Lane::kNormal}};
  for (const auto& a : arrivals) {
    ws.push_back(std::make_unique<RecordingWaiter>(a.first, log));
    ASSERT_EQ(q.admit(a.second, clock.now(), ws.back().get()), Admit::kQueued);
    clock.advance(1ms);
  }
  for (size_t i = 0; i < arrivals.size(); ++i) {
    clock.advance(10ms);
    q.release(clock.now());  // the running one finishes; the next waiter takes its slot
  }
  EXPECT_EQ(log, (std::vector<std::string>{"tool1", "tool2", "norm1", "norm2", "bulk1", "bulk2"}));
  auto st = q.status();
  EXPECT_EQ(st.lanes[0].queued, 2u);
  EXPECT_EQ(st.lanes[2].admitted, 2u);
  EXPECT_GT(st.lanes[2].wait_ms.max, st.lanes[0].wait_ms.max);  // bulk waited longest
}

TEST(AdmissionTest, FullLaneRejects) {
  SimulatedClock clock;
  AdmissionQueue q(AdmissionConfig{1, {1, 2, 0}});
  std::vector<std::string> log;
  RecordingWaiter a("a", log), b("b", log), c("c", log);
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), &a), Admit::kAdmitted);
  EXPECT_EQ(q.admit(Lane::kNormal, clock.now(), &a), Admit::kQueued);
  EXPECT_EQ(q.admit(Lane::kNormal, clock.now(), &b), Admit::kQueued);
  EXPECT_EQ(q.admit(Lane::kNormal, clock.now(), &c), Admit::kRejected);
  EXPECT_EQ(q.admit(Lane::kBulk, clock.now(), &c), Admit::kRejected);  // capacity 0: no queueing
  EXPECT_EQ(q.admit(Lane::kInteractive, clock.now(), &c), Admit::kQueued);  // other lane has room
  EXPECT_EQ(q.status().lanes[1].rejected, 1u);
  EXPECT_EQ(q.status().lanes[2].rejected, 1u);
  EXPECT_EQ(q.queued(), 3u);
}

TEST(AdmissionTest, CancelRemovesAWaiter) {
  SimulatedClock clock;
  AdmissionQueue q(AdmissionConfig{1, {4, 4, 4}});
  std::vector<std::string> log;
  RecordingWaiter a("a", log), b("b", log);
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), nullptr), Admit::kAdmitted);
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), &a), Admit::kQueued);
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), &b), Admit::kQueued);
  EXPECT_TRUE(q.cancel(&a));
  EXPECT_FALSE(q.cancel(&a));
  q.release(clock.now());
  EXPECT_EQ(log, std::vector<std::string>{"b"});
  EXPECT_EQ(q.status().lanes[1].cancelled, 1u);
}

TEST(AdmissionTest, NewArrivalDoesNotOvertakeQueuedHigherLane) {
  SimulatedClock clock;
  AdmissionQueue q(AdmissionConfig{2, {4, 4, 4}});
  std::vector<std::string> log;
  RecordingWaiter t("tool", log), n("normal", log);
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), nullptr), Admit::kAdmitted);
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), nullptr), Admit::kAdmitted);
  ASSERT_EQ(q.admit(Lane::kInteractive, clock.now(), &t), Admit::kQueued);
  q.release(clock.now());  // tool gets the slot
  EXPECT_EQ(log, std::vector<std::string>{"tool"});
  EXPECT_EQ(q.admit(Lane::kNormal, clock.now(), &n), Admit::kQueued);  // no free slot
}

TEST(AdmissionTest, ClassifyLanes) {
  ChatRequest r;
  r.messages.push_back(Message::User("short question"));
  EXPECT_EQ(classify(r), Lane::kInteractive);
  r.max_output_tokens = 4096;
  EXPECT_EQ(classify(r), Lane::kBulk);
  r.messages.push_back(Message::ToolResult("call_1", "{\"temp\":20}"));
  EXPECT_EQ(classify(r), Lane::kInteractive);  // tool-call turn, even with a long answer budget
  ChatRequest longp;
  longp.messages.push_back(Message::User(std::string(5000, 'x')));
  EXPECT_EQ(classify(longp), Lane::kNormal);
  longp.meta.priority = Priority::kLow;
  EXPECT_EQ(classify(longp), Lane::kBulk);
  longp.meta.priority = Priority::kCritical;
  EXPECT_EQ(classify(longp), Lane::kInteractive);
}

TEST(AdmissionTest, RenderQueueStatus) {
  SimulatedClock clock;
  AdmissionQueue q(AdmissionConfig{1, {4, 4, 4}});
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), nullptr), Admit::kAdmitted);
  std::string text = render_queue_status(q.status());
  EXPECT_NE(text.find("in flight: 1 / 1"), std::string::npos) << text;
  EXPECT_NE(text.find("interactive"), std::string::npos);
  EXPECT_NE(text.find("bulk"), std::string::npos);
}

TEST(AdmissionTest, RenderQueueStatusJsonIsValidAndComplete) {
  SimulatedClock clock;
  AdmissionQueue q(AdmissionConfig{1, {4, 3, 2}});
  ASSERT_EQ(q.admit(Lane::kNormal, clock.now(), nullptr), Admit::kAdmitted);
  std::vector<std::string> names;
  RecordingWaiter w1("bulk1", names), w2("bulk2", names);
  ASSERT_EQ(q.admit(Lane::kBulk, clock.now(), &w1), Admit::kQueued);
  ASSERT_EQ(q.admit(Lane::kBulk, clock.now(), &w2), Admit::kQueued);
  EXPECT_EQ(q.admit(Lane::kBulk, clock.now(), nullptr), Admit::kRejected);
  clock.advance(std::chrono::milliseconds(40));
  q.release(clock.now());  // bulk1 waited 40 ms
  const std::string js = render_queue_status_json(q.status());
  auto j = nlohmann::json::parse(js);  // throws (fails the test) on invalid JSON
  EXPECT_EQ(j["in_flight"], 1);
  EXPECT_EQ(j["max_in_flight"], 1);
  EXPECT_EQ(j["queued"], 1);
  ASSERT_EQ(j["lanes"].size(), 3u);
  EXPECT_EQ(j["lanes"][0]["lane"], "interactive");
  EXPECT_EQ(j["lanes"][1]["lane"], "normal");
  EXPECT_EQ(j["lanes"][1]["admitted"], 1);
  const auto& bulk = j["lanes"][2];
  EXPECT_EQ(bulk["lane"], "bulk");
  EXPECT_EQ(bulk["depth"], 1);
  EXPECT_EQ(bulk["capacity"], 2);
  EXPECT_EQ(bulk["queued"], 2);
  EXPECT_EQ(bulk["rejected"], 1);
  EXPECT_EQ(bulk["max_depth"], 2);
  EXPECT_EQ(bulk["wait_ms"]["count"], 1);
  EXPECT_NEAR(bulk["wait_ms"]["max"].get<double>(), 40.0, 40.0 * 0.07);
  EXPECT_EQ(render_queue_status_text(q.status()), render_queue_status(q.status()));
}

}  // namespace
}  // namespace ploke::resilience
