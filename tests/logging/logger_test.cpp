// ploke::logging: access and event lines (logfmt text, JSON), levels, redaction of planted
// keys, the file writer (asynchronous, everything written by destruction), and a file that
// cannot be opened.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "ploke/core/secret_registry.h"
#include "ploke/logging/logger.h"
#include "support/test_support.h"

namespace ploke::logging {
namespace {

const SystemTime kAt = SystemTime(std::chrono::milliseconds(1764896523456));  // 2025-12-05T01:02:03.456Z

AccessRecord sample_access() {
  AccessRecord r;
  r.trace_id = "gw-x-1";
  r.protocol = "openai";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.model = "gpt-4o";
  r.provider = "sim-a/gpt-4o";
  r.attempts = 2;
  r.status = 200;
  r.latency_ms = 12.5;
  r.input_tokens = 10;
  r.output_tokens = 20;
  r.cost_usd = 0.000123;
  return r;
}

TEST(Logging, AccessLineAsTextAndJson) {
  EXPECT_EQ(format_access(sample_access(), Format::kText, "gateway", kAt),
            "ts=2025-12-05T01:02:03.456Z level=info component=gateway event=access trace_id=gw-x-1 protocol=openai "
            "method=POST path=/v1/chat/completions model=gpt-4o provider=sim-a/gpt-4o attempts=2 status=200 "
            "latency_ms=12.5 input_tokens=10 output_tokens=20 cost_usd=0.000123");
  AccessRecord failed = sample_access();
  failed.status = 503;
  failed.error = "kUnavailable";
  failed.model = "my model";
  const nlohmann::json j = nlohmann::json::parse(format_access(failed, Format::kJson, "gateway", kAt));
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["status"], 503);
  EXPECT_EQ(j["latency_ms"], 12.5);
  EXPECT_EQ(j["model"], "my model");
  EXPECT_EQ(j["error"], "kUnavailable");
  EXPECT_EQ(j["ts"], "2025-12-05T01:02:03.456Z");
  // logfmt quotes a value with spaces.
  EXPECT_NE(format_access(failed, Format::kText, "gateway", kAt).find("model=\"my model\""), std::string::npos);
}

TEST(Logging, LevelsFilterLines) {
  std::ostringstream out;
  LogOptions o;
  o.level = Level::kWarn;
  auto log = Logger::ToStream(out, o);
  log->access(sample_access(), kAt);  // info: filtered
  AccessRecord bad = sample_access();
  bad.status = 502;
  log->access(bad, kAt);  // warn: written
  log->event(Level::kError, "ledger write failed", kAt);
  log->event(Level::kDebug, "noise", kAt);
  const std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 2);
  EXPECT_NE(s.find("status=502"), std::string::npos);
  EXPECT_NE(s.find("message=\"ledger write failed\""), std::string::npos);
  EXPECT_EQ(parse_level("warn"), Level::kWarn);
  EXPECT_FALSE(parse_level("loud"));
  EXPECT_FALSE(parse_format("xml"));
}

// A simulator's answer that carried a fault, or ended other than complete, is a warn line
// even with a 2xx/4xx status (or none: a reset).
TEST(Logging, FaultedAnswersAreWarnLines) {
  AccessRecord r = sample_access();
  EXPECT_EQ(access_level(r), Level::kInfo);
  r.status = 429;
  r.fault = "storm";
  EXPECT_EQ(access_level(r), Level::kWarn);
  EXPECT_NE(format_access(r, Format::kText, "serve", kAt).find("level=warn"), std::string::npos);
  EXPECT_NE(format_access(r, Format::kText, "serve", kAt).find("fault=storm"), std::string::npos);
  AccessRecord reset = sample_access();
  reset.status = 0;
  reset.ending = "reset";
  EXPECT_EQ(access_level(reset), Level::kWarn);
  EXPECT_NE(format_access(reset, Format::kText, "serve", kAt).find("ending=reset"), std::string::npos);
}

TEST(Logging, PlantedKeysNeverReachALine) {
  const std::string planted = "sk-FAKE-planted-log-0123456789";
  register_secret(planted);
  std::ostringstream out;
  auto log = Logger::ToStream(out, LogOptions{});
  AccessRecord r = sample_access();
  r.path = "/v1/chat/completions";
  r.model = planted;
  r.error = "upstream said Bearer " + planted;
  log->access(r, kAt);
  log->event(Level::kInfo, "key " + planted, kAt);
  EXPECT_EQ(out.str().find(planted), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("trace_id=gw-x-1"), std::string::npos);
}

TEST(Logging, FileWriterAppendsEverythingAndBadPathIsAnInputError) {
  const std::string path = ::testing::TempDir() + "/ploke-logging-test.log";
  std::remove(path.c_str());
  LogOptions o;
  o.path = path;
  o.format = Format::kJson;
  {
    auto log = Logger::Open(o);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    for (int i = 0; i < 100; ++i) (*log)->access(sample_access(), kAt);
  }  // destruction writes what is queued
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    EXPECT_EQ(nlohmann::json::parse(line)["trace_id"], "gw-x-1");
    ++n;
  }
  EXPECT_EQ(n, 100);
  // A path under a regular file cannot be a log file (spdlog makes missing folders).
  std::ofstream(path) << "x";
  o.path = path + "/y.log";
  auto bad = Logger::Open(o);
  std::remove(path.c_str());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidRequest);
  EXPECT_NE(bad.status().message().find(o.path), std::string::npos);
}

}  // namespace
}  // namespace ploke::logging

namespace ploke::logging {
namespace {

// The writer batches lines that queue up, but a line with nothing behind it is written at
// once (no flush(), no destruction): an idle server's log is never held back.
TEST(Logging, ALoneLineIsWrittenWithoutAFlushAndBurstsArriveWhole) {
  const std::string path = ::testing::TempDir() + "/ploke-logging-batch.log";
  std::remove(path.c_str());
  LogOptions o;
  o.path = path;
  auto log = Logger::Open(o);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  auto lines = [&] {
    std::ifstream in(path);
    size_t n = 0;
    for (std::string l; std::getline(in, l);) n += l.find("trace_id=gw-x-1") != std::string::npos;
    return n;
  };
  RealClock clock;
  (*log)->access(sample_access(), kAt);
  EXPECT_TRUE(ploke::testing::wait_until(clock, [&] { return lines() == 1; })) << lines();
  for (int i = 0; i < 5000; ++i) (*log)->access(sample_access(), kAt);
  EXPECT_TRUE(ploke::testing::wait_until(clock, [&] { return lines() == 5001; })) << lines();
  EXPECT_EQ((*log)->dropped(), 0u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ploke::logging

namespace ploke::logging {
namespace {

// A reader that stops reading (a stuck terminal, a full pipe) never blocks the request's
// thread: once the pipe is full and `queue` lines wait, newer lines are dropped and counted,
// and every line is either written whole or counted as dropped.
TEST(Logging, AStuckReaderDropsAndCountsLinesInsteadOfBlocking) {
  const std::string path = ::testing::TempDir() + "/ploke-logging-fifo";
  std::remove(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);  // a reader exists, reads nothing yet
  ASSERT_GE(reader, 0);
  LogOptions o;
  o.path = path;
  o.queue = 16;
  auto log = Logger::Open(o);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  uint64_t sent = 0;
  while ((*log)->dropped() == 0 && sent < 2'000'000) {  // the pipe holds 64 KiB: fills quickly
    (*log)->access(sample_access(), kAt);
    ++sent;
  }
  ASSERT_GT((*log)->dropped(), 0u) << "sent " << sent;
  std::string got;
  std::thread drain([&] {
    ::fcntl(reader, F_SETFL, 0);  // blocking: read until the logger closes its end
    char buf[65536];
    for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  });
  const uint64_t dropped = (*log)->dropped();
  log->reset();  // writes what waits, closes the pipe
  drain.join();
  ::close(reader);
  std::remove(path.c_str());
  size_t lines = 0;
  std::istringstream in(got);
  for (std::string l; std::getline(in, l);) {
    EXPECT_NE(l.find("trace_id=gw-x-1 "), std::string::npos) << l;
    ++lines;
  }
  EXPECT_EQ(lines + dropped, sent);
}

}  // namespace
}  // namespace ploke::logging
