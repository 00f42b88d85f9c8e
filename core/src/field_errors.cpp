// FieldErrors: rendering and conversion (the format is described in field_errors.h).
#include "ploke/core/field_errors.h"

#include "ploke/core/secret.h"

namespace ploke {

std::string FieldError::to_string() const {
  std::string s;
  if (!file.empty()) {
    s += file;
    if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
    s += ": ";
  }
  if (byte_offset) {
    s += "byte " + std::to_string(*byte_offset);
    if (!path.empty()) s += " (" + path + ")";
    s += ": ";
  } else if (!path.empty()) {
    s += path + ": ";
  }
  return s + message;
}

std::string field_path(std::string_view base, std::string_view key) {
  std::string s(base);
  if (!s.empty()) s.push_back('.');
  s.append(key);
  return s;
}

std::string index_path(std::string_view base, size_t index) {
  std::string s(base);
  s.push_back('[');
  s += std::to_string(index);
  s.push_back(']');
  return s;
}

void FieldErrors::add(std::string path, std::string message) {
  FieldError e;
  e.path = std::move(path);
  e.message = std::move(message);
  list_.push_back(std::move(e));
}

void FieldErrors::add_at(size_t byte_offset, std::string path, std::string message) {
  FieldError e;
  e.path = std::move(path);
  e.message = std::move(message);
  e.byte_offset = byte_offset;
  list_.push_back(std::move(e));
}

void FieldErrors::merge(const FieldErrors& other, std::string_view path_prefix) {
  for (FieldError e : other.list_) {
    if (!path_prefix.empty()) {
      if (e.path.empty()) e.path = std::string(path_prefix);
      else if (e.path.front() == '[') e.path = std::string(path_prefix) + e.path;
      else e.path = field_path(path_prefix, e.path);
    }
    list_.push_back(std::move(e));
  }
}

std::string FieldErrors::to_string() const {
  if (list_.empty()) return {};
  std::string out = source_;
  if (!out.empty()) out += ": ";
  if (list_.size() == 1) return out + list_[0].to_string();
  out += std::to_string(list_.size()) + " errors:";
  for (size_t i = 0; i < list_.size() && i < kMaxListed; ++i) out += "\n  " + list_[i].to_string();
  if (list_.size() > kMaxListed) out += "\n  \xe2\x80\xa6 and " + std::to_string(list_.size() - kMaxListed) + " more";
  return out;
}

Status FieldErrors::to_status(StatusCode code) const {
  if (list_.empty()) return Status::Ok();
  return Status(code == StatusCode::kOk ? StatusCode::kInvalidRequest : code, redact_secrets(to_string()));
}

}  // namespace ploke
