// File: ploke/core/field_errors.h
//
// FieldErrors: the one error collector every loader of a user-written document (fault plans,
// contract suites, scenarios, cassettes, HAR files, config) pushes its problems into, each
// with a field path ("scenarios[2].faults[0].status") and, when known, where in the text it
// is (a byte offset, or a file with line and column). It renders them in one format and
// converts to a Status, so every loader reports bad input the same way:
//
//   SOURCE: ITEM                              (exactly one error: one line)
//   SOURCE: N errors:\n  ITEM\n  ITEM ...     (several; at most kMaxListed, then "… and K more")
//
// where SOURCE is the loader's label (e.g. "fault plan 'plan.json'") and ITEM is
//
//   [FILE[:LINE:COL]: ]byte N (PATH): MESSAGE     with a byte offset
//   [FILE[:LINE:COL]: ]byte N: MESSAGE            with a byte offset, no path
//   [FILE[:LINE:COL]: ]PATH: MESSAGE              with a path
//   [FILE[:LINE:COL]: ]MESSAGE                    neither (a document-level message that
//                                                 names its own subject)
//
// FILE is only set on an error that comes from a different file than SOURCE names (config
// errors that come from the environment, a cassette a suite refers to) or when the loader has
// no single SOURCE. Paths are built with field_path()/index_path(): keys joined by '.', array
// indices as [i].
//
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/core/status.h"

namespace ploke {

/// One problem in an input document.
struct FieldError {
  std::string path;                   ///< "interactions[3].request.path"; empty: the document
  std::string message;                ///< what is wrong, e.g. "must be an integer"
  std::optional<size_t> byte_offset;  ///< where in the text, when known
  std::string file;                   ///< set only when not the collector's source
  int line = 0;                       ///< 1-based with `column`, 0 when unknown
  int column = 0;
  friend bool operator==(const FieldError&, const FieldError&) = default;

  /// The ITEM form described at the top of this file.
  std::string to_string() const;
};

/// A FieldError with just a path and a message.
inline FieldError field_error(std::string path, std::string message) {
  FieldError e;
  e.path = std::move(path);
  e.message = std::move(message);
  return e;
}

/// `base.key` (just `key` when base is empty).
std::string field_path(std::string_view base, std::string_view key);
/// `base[index]`.
std::string index_path(std::string_view base, size_t index);

class FieldErrors {
 public:
  static constexpr size_t kMaxListed = 50;

  FieldErrors() = default;
  /// `source` labels every rendering, e.g. "scenario 'smoke.json'" or a file path.
  explicit FieldErrors(std::string source) : source_(std::move(source)) {}

  void add(std::string path, std::string message);
  void add_at(size_t byte_offset, std::string path, std::string message);
  void add(FieldError e) { list_.push_back(std::move(e)); }
  /// Appends every error of `other`, prefixing each path with `path_prefix` (joined with '.'
  /// unless the other path starts with '[').
  void merge(const FieldErrors& other, std::string_view path_prefix = {});

  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<FieldError>& list() const { return list_; }
  std::vector<FieldError>::const_iterator begin() const { return list_.begin(); }
  std::vector<FieldError>::const_iterator end() const { return list_.end(); }
  std::vector<FieldError>& mutable_list() { return list_; }
  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }

  /// The rendering described at the top of this file; empty when there are no errors.
  std::string to_string() const;
  /// Ok when empty; otherwise `code` (kInvalidRequest: bad input, exit 2 from the CLI) with
  /// to_string() as the message (secrets redacted, as every Status factory does).
  Status to_status(StatusCode code = StatusCode::kInvalidRequest) const;

 private:
  std::string source_;
  std::vector<FieldError> list_;
};

}  // namespace ploke
