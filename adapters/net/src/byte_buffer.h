// Internal to ploke_net: a growable byte buffer with a read offset (no zero-fill on growth),
// and small formatting helpers. Shared by the server and the client.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace ploke::net::detail {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { std::free(data_); }
  const char* begin() const { return data_ + off_; }
  size_t size() const { return len_ - off_; }
  bool empty() const { return off_ == len_; }
  void consume(size_t n) {
    off_ += n;
    if (off_ == len_) off_ = len_ = 0;
  }
  void clear() { off_ = len_ = 0; }
  void append(std::string_view s) {
    if (s.empty()) return;
    std::memcpy(reserve(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  // Space for `n` more bytes at the tail; commit() what was written.
  char* reserve(size_t n) {
    if (cap_ - len_ < n) {
      if (off_ > 0) {  // compact first
        std::memmove(data_, data_ + off_, len_ - off_);
        len_ -= off_;
        off_ = 0;
      }
      if (cap_ - len_ < n) {
        const size_t cap = std::max(cap_ * 2, len_ + n);
        char* p = static_cast<char*>(std::realloc(data_, cap));
        if (p == nullptr) throw std::bad_alloc();
        data_ = p;
        cap_ = cap;
      }
    }
    return data_ + len_;
  }
  void commit(size_t n) { len_ += n; }
  // Frees the memory of a large, empty buffer (an idle connection keeps at most 64 KB).
  void shrink() {
    if (empty() && cap_ > 64 * 1024) {
      std::free(data_);
      data_ = nullptr;
      cap_ = 0;
    }
  }

 private:
  char* data_ = nullptr;
  size_t off_ = 0, len_ = 0, cap_ = 0;
};

inline void append_decimal(ByteBuffer& b, uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  b.append(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

inline void append_hex(ByteBuffer& b, uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v, 16);
  b.append(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

}  // namespace ploke::net::detail
