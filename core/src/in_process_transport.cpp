#include "ploke/core/in_process_transport.h"
#include "ploke/core/thread_annotations.h"

#include <memory>
#include <mutex>
#include <vector>

namespace ploke {

namespace {

// One exchange being played out on the clock. Shared by its timers and its Call.
class PlayState : public std::enable_shared_from_this<PlayState> {
 public:
  PlayState(Clock& clock, ResponseHandler& handler, CallOptions options, TimePoint start)
      : clock_(clock), handler_(handler), options_(std::move(options)), start_(start) {}

  void play(ScriptedResponse script) {
    script_ = std::move(script);
    auto self = shared_from_this();
    MutexLock lock(mu_);
    if (options_.total_timeout) {
      timers_.push_back(clock_.schedule_at(start_ + *options_.total_timeout, [self] {
        self->fail(TimeoutError(TimeoutPhase::kTotal, "total timeout"));
      }));
    }
    if (options_.first_byte_timeout) {
      first_byte_timer_ = clock_.schedule_at(start_ + *options_.first_byte_timeout, [self] {
        self->fail(TimeoutError(TimeoutPhase::kFirstByte, "no response byte within the first-byte timeout"));
      });
      timers_.push_back(first_byte_timer_);
    }
    const bool no_head = !script_.send_head || script_.ending == Ending::kCloseNoReply;
    if (no_head) {
      if (script_.ending == Ending::kHang) return;  // silence: only timeouts end it
      timers_.push_back(clock_.schedule_at(start_ + script_.head_at, [self] {
        self->fail(ConnectionResetError(self->script_.ending == Ending::kCloseNoReply
                                            ? "connection closed without a reply"
                                            : "connection reset by peer"));
      }));
      return;
    }
    timers_.push_back(clock_.schedule_at(start_ + script_.head_at, [self] { self->deliver_head(); }));
    for (size_t i = 0; i < script_.chunks.size(); ++i) {
      const TimePoint at = start_ + std::max(script_.chunks[i].at, script_.head_at);
      timers_.push_back(clock_.schedule_at(at, [self, i] { self->deliver_chunk(i); }));
    }
    Duration last = script_.head_at;
    if (!script_.chunks.empty()) last = std::max(last, script_.chunks.back().at);
    if (script_.ending == Ending::kComplete) {
      timers_.push_back(clock_.schedule_at(start_ + last, [self] { self->finish(Status::Ok()); }));
    } else if (script_.ending == Ending::kReset) {
      timers_.push_back(clock_.schedule_at(start_ + last, [self] {
        self->fail(ConnectionResetError("connection reset by peer mid-response"));
      }));
    }  // kHang: after the last chunk, silence.
  }

  void cancel() {
    auto self = shared_from_this();
    clock_.schedule_after(Duration{0}, [self] { self->fail(CancelledError("call cancelled")); });
  }

  bool done() const {
    MutexLock lock(mu_);
    return done_;
  }

 private:
  void deliver_head() {
    {
      MutexLock lock(mu_);
      if (done_) return;
      clock_.cancel(first_byte_timer_);
      arm_idle_locked();
    }
    handler_.on_head(script_.status, script_.headers);
  }

  void deliver_chunk(size_t i) {
    {
      MutexLock lock(mu_);
      if (done_) return;
      arm_idle_locked();
    }
    if (!handler_.on_body(script_.chunks[i].bytes)) fail(CancelledError("aborted by the response handler"));
  }

  void arm_idle_locked() {
    if (!options_.idle_timeout) return;
    if (idle_timer_ != 0) clock_.cancel(idle_timer_);
    auto self = shared_from_this();
    idle_timer_ = clock_.schedule_after(*options_.idle_timeout, [self] {
      self->fail(TimeoutError(TimeoutPhase::kIdle, "no data within the idle timeout"));
    });
    timers_.push_back(idle_timer_);
  }

  void finish(Status st) { complete(std::move(st)); }
  void fail(Status st) { complete(std::move(st)); }

  void complete(Status st) {
    {
      MutexLock lock(mu_);
      if (done_) return;
      done_ = true;
      for (TimerId t : timers_) clock_.cancel(t);
    }
    handler_.on_complete(std::move(st));
  }

  Clock& clock_;
  ResponseHandler& handler_;
  const CallOptions options_;
  const TimePoint start_;
  ScriptedResponse script_;
  mutable Mutex mu_;
  bool done_ = false;
  std::vector<TimerId> timers_;
  TimerId first_byte_timer_ = 0;
  TimerId idle_timer_ = 0;
};

class InProcessCall final : public Call {
 public:
  explicit InProcessCall(std::shared_ptr<PlayState> state) : state_(std::move(state)) {}
  void cancel() override {
    if (!state_->done()) state_->cancel();
  }
  bool done() const override { return state_->done(); }

 private:
  std::shared_ptr<PlayState> state_;
};

}  // namespace

InProcessTransport::InProcessTransport(Clock& clock, Handler handler)
    : clock_(clock), handler_(std::move(handler)) {}

CallPtr InProcessTransport::start(const HttpRequest& request, const CallOptions& options,
                                  ResponseHandler& handler) {
  auto state = std::make_shared<PlayState>(clock_, handler, options, clock_.now());
  state->play(handler_(request));
  return std::make_unique<InProcessCall>(std::move(state));
}

}  // namespace ploke
