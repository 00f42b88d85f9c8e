// File: ploke/core/registry.h
//
// Registry<Base>: name → factory, registered explicitly (no static self-registration,
// whose initializers are dropped from static archives). Each module exposes one
// register_builtin_*(Registry&) function that the composition root calls.
//
// Thread-safety: register everything before sharing; lookups are then const.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/status.h"

namespace ploke {

template <typename Base>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Base>()>;

  /// Fails with kInvalidRequest on a duplicate name.
  Status add(const std::string& name, Factory factory) {
    if (factories_.count(name) != 0) {
      return InvalidRequestError("duplicate registration: " + name);
    }
    factories_.emplace(name, std::move(factory));
    return Status::Ok();
  }
  Result<std::unique_ptr<Base>> create(const std::string& name) const {
    auto it = factories_.find(name);
    if (it == factories_.end()) return NotFoundError("not registered: " + name);
    return it->second();
  }
  bool contains(const std::string& name) const { return factories_.count(name) != 0; }
  /// Sorted names.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [n, f] : factories_) out.push_back(n);
    return out;
  }
  /// Test-only: replaces (or adds) a factory; returns a function restoring the previous state.
  std::function<void()> replace_for_test(const std::string& name, Factory factory) {
    auto it = factories_.find(name);
    std::optional<Factory> prev;
    if (it != factories_.end()) prev = it->second;
    factories_[name] = std::move(factory);
    return [this, name, prev] {
      if (prev) factories_[name] = *prev; else factories_.erase(name);
    };
  }

 private:
  std::map<std::string, Factory> factories_;
};

class ProviderAdapter;
using AdapterRegistry = Registry<ProviderAdapter>;

}  // namespace ploke
