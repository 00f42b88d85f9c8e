// File: ploke/core/transport.h
//
// Transport: sends one HTTP exchange and reports the response as it arrives. Adapters
// shape bytes; transports move them. Implementations:
//   - HttpTransport (ploke/adapters/http_transport.h): cpp-httplib client, HTTPS via
//     OpenSSL, keep-alive connection reuse, per-phase timeouts enforced by the Clock.
//   - InProcessTransport (ploke/core/in_process_transport.h): hands the request to a
//     handler (the simulator engine, a cassette) and plays its ScriptedResponse out on
//     the Clock, with no sockets. Under a SimulatedClock, whole scenarios run in virtual time.
//
// Contract: start() calls the handler's on_head() at most once, then on_body() zero or
// more times, then on_complete() exactly once (OK = the body ended normally). Callbacks
// may run inside start() (blocking transports) or later from the Clock's timers (in-
// process); callers must accept both. Call::cancel() makes on_complete(kCancelled) come
// soon unless the call already completed.
//
// Thread-safety: a Transport may be shared by threads; each call's handler is invoked
// from one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/core/ascii.h"
#include "ploke/core/clock.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/cooperative.h"
#include "ploke/core/status.h"

namespace ploke {

/// Ordered header list; names compare case-insensitively.
class Headers {
 public:
  void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  /// Replaces every header named `name`.
  void set(std::string name, std::string value);
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  void erase(std::string_view name);
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  friend bool operator==(const Headers&, const Headers&) = default;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct HttpRequest {
  std::string method = "POST";
  std::string base_url;  ///< scheme://host[:port][/prefix], e.g. "http://127.0.0.1:8080/v1"
  std::string path;      ///< appended to base_url's prefix, e.g. "/chat/completions"
  Headers headers;
  std::string body;
  bool expect_stream = false;  ///< a hint: the response is SSE; deliver bytes as they come
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

/// Per-phase time limits. Unset = no limit for that phase.
struct CallOptions {
  std::optional<Duration> connect_timeout;
  std::optional<Duration> first_byte_timeout;  ///< request sent → first response byte
  std::optional<Duration> idle_timeout;        ///< between body chunks
  std::optional<Duration> total_timeout;       ///< whole exchange
};

class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  virtual void on_head(int status, const Headers& headers) = 0;
  /// Returns false to abort the call (on_complete(kCancelled) follows).
  virtual bool on_body(std::string_view bytes) = 0;
  virtual void on_complete(Status status) = 0;
};

/// A call in flight.
class Call {
 public:
  virtual ~Call() = default;
  virtual void cancel() = 0;
  virtual bool done() const = 0;
};
using CallPtr = std::unique_ptr<Call>;

class Transport {
 public:
  virtual ~Transport() = default;
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Starts the exchange. `handler` must outlive the call (until on_complete()).
  virtual CallPtr start(const HttpRequest& request, const CallOptions& options,
                        ResponseHandler& handler) = 0;
};

/// A one-shot completion flag that a caller can wait on with any Clock: under a
/// SimulatedClock wait() fires timers (virtual time) until notified; under a real clock it
/// blocks on a condition variable. Inside a fiber of a CooperativeScheduler driving that
/// clock (ploke/core/cooperative.h), wait() suspends the fiber instead and notify() makes
/// it runnable, so many waits can be pending at once in virtual time.
class Completion {
 public:
  void notify();
  bool done() const;
  /// Returns false if a SimulatedClock ran out of timers before notify() (a hang with no
  /// timeout); true once notified.
  bool wait(Clock& clock);

 private:
  mutable Mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  CooperativeScheduler* coop_ PLOKE_GUARDED_BY(mu_) = nullptr;  // the fiber suspended in wait()
  void* coop_fiber_ PLOKE_GUARDED_BY(mu_) = nullptr;
};

/// Collects a whole exchange (head, body, final status) and signals its Completion.
class BufferingHandler final : public ResponseHandler {
 public:
  // ResponseHandler
  void on_head(int status, const Headers& headers) override;
  bool on_body(std::string_view bytes) override;
  void on_complete(Status status) override;

  Completion& completion() { return completion_; }
  const HttpResponse& response() const { return response_; }
  /// The transport-level outcome (OK when a response arrived, whatever its status).
  const Status& final_status() const { return final_; }
  /// The response, or the transport-level error.
  Result<HttpResponse> take();

 private:
  Completion completion_;
  Status final_;
  HttpResponse response_;
};

/// Drives `transport` to completion and returns the whole response (status + body).
/// For an in-process transport on a SimulatedClock, runs the clock's timers until done.
/// Transport-level failures (timeouts, resets) come back as a non-OK Result.
Result<HttpResponse> send_and_wait(Transport& transport, Clock& clock, const HttpRequest& request,
                                   const CallOptions& options);

}  // namespace ploke
