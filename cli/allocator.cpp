// File: cli/allocator.cpp — see allocator.h.
#include "allocator.h"

#include <dlfcn.h>

#include <string_view>

#include "ploke/core/sanitizer.h"

namespace ploke::cli {

std::string active_allocator() {
  if (kSanitizerRuntime) return "sanitizer";
  void* sym = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info{};
  if (sym == nullptr || dladdr(sym, &info) == 0 || info.dli_fname == nullptr) return "unknown";
  std::string_view file = info.dli_fname;
  if (auto slash = file.rfind('/'); slash != std::string_view::npos) file.remove_prefix(slash + 1);
  if (file.find("mimalloc") != std::string_view::npos) return "mimalloc";
  if (file.find("jemalloc") != std::string_view::npos) return "jemalloc";
  if (file.rfind("libc.so", 0) == 0) return "system";
  return std::string(file);
}

}  // namespace ploke::cli
