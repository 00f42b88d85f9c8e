// The logger's batching file-descriptor sink. See linger_sink.h.
#include "linger_sink.h"

#include <unistd.h>

#include <cerrno>

namespace ploke::logging::detail {

LingerFdSink::LingerFdSink(int fd, bool owned, size_t max_lines)
    : fd_(fd), owned_(owned), max_lines_(max_lines), writer_([this] { run(); }) {}

LingerFdSink::~LingerFdSink() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  writer_.join();
  drain();
  if (owned_) ::close(fd_);
}

void LingerFdSink::log(const spdlog::details::log_msg& msg) {
  std::unique_lock<std::mutex> lock(mu_);
  if (lines_ >= max_lines_) {
    ++dropped_;
    return;
  }
  const bool first = buf_.empty();
  buf_.append(msg.payload.data(), msg.payload.size());
  buf_.push_back('\n');
  ++lines_;
  // A lingering writer comes back by itself: only an idle one (or a full batch) is woken.
  const bool wake = (first && writer_idle_) || buf_.size() >= kBatchBytes;
  lock.unlock();
  if (wake) cv_.notify_one();
}

void LingerFdSink::flush() { drain(); }

uint64_t LingerFdSink::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void LingerFdSink::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    writer_idle_ = true;
    cv_.wait(lock, [&] { return stop_ || !buf_.empty(); });
    writer_idle_ = false;
    // Lingering: a batch every kLinger for as long as lines keep coming, then idle again.
    while (!stop_) {
      cv_.wait_for(lock, kLinger, [&] { return stop_ || buf_.size() >= kBatchBytes; });
      if (buf_.empty()) break;
      lock.unlock();
      drain();
      lock.lock();
    }
    if (stop_) return;  // the destructor drains
  }
}

void LingerFdSink::drain() {
  std::lock_guard<std::mutex> order(write_mu_);
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(buf_);
    lines_ = 0;
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a log that cannot be written drops the batch, never the server
    done += static_cast<size_t>(n);
  }
}

}  // namespace ploke::logging::detail
