// File: adapters/src/sse_stream_decoder.h (internal)
//
// SseStreamDecoder: the part every SSE-based StreamDecoder shares — an incremental
// SseParser, the sticky error, exception safety at the adapter boundary and the "ended
// without its terminator" rule. A protocol decoder derives from it and implements
// on_event() (append StreamEvents to *out_, set terminated_ at the protocol's end marker,
// set error_ and return false to stop).
//
// Thread-safety: one decoder per stream, used from one thread at a time.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/sse.h"
#include "ploke/core/adapter.h"

namespace ploke::adapters::detail {

class SseStreamDecoder : public StreamDecoder {
 public:
  Status feed(std::string_view bytes, std::vector<StreamEvent>& out) final { return run(&out, bytes, false); }
  /// The body ended: flushes the parser; a stream that never reached its end marker is
  /// kConnectionReset ("stream ended without <end_marker>").
  Status finish(std::vector<StreamEvent>& out) final {
    if (Status st = run(&out, {}, true); !st.ok() || terminated_) return st;
    return ConnectionResetError("stream ended without " + std::string(end_marker_)).with_provider(provider_);
  }
  bool terminated() const final { return terminated_; }

 protected:
  /// `name` prefixes internal errors ("openai stream decoder"); `end_marker` names the
  /// terminator in the truncation error ("[DONE]", "message_stop").
  SseStreamDecoder(std::string provider, std::string_view name, std::string_view end_marker)
      : provider_(std::move(provider)), name_(name), end_marker_(end_marker) {}
  virtual bool on_event(const SseEvent& e) = 0;

  std::string provider_;
  std::vector<StreamEvent>* out_ = nullptr;  ///< set while feed()/finish() run
  Status error_;                             ///< sticky: once set, every call returns it
  bool terminated_ = false;

 private:
  Status run(std::vector<StreamEvent>* out, std::string_view bytes, bool at_end) {
    if (!error_.ok() || terminated_) return error_;
    out_ = out;
    Status st;
    try {
      st = at_end ? parser_.finish(cb_) : parser_.feed(bytes, cb_);
    } catch (const std::exception& ex) {
      error_ = InternalError(std::string(name_) + ": " + ex.what());
    }
    out_ = nullptr;
    if (!st.ok() && error_.ok()) error_ = std::move(st.with_provider(provider_));
    return error_;
  }

  std::string_view name_, end_marker_;
  SseParser parser_;
  SseParser::Callback cb_ = [this](const SseEvent& e) { return on_event(e); };
};

}  // namespace ploke::adapters::detail
