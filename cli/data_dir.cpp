// See data_dir.h.
#include "data_dir.h"

#include <filesystem>
#include <system_error>

namespace ploke::cli {

std::string installed_data(std::string_view relative) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const auto path = exe.parent_path().parent_path() / "share" / "ploke-sim" / relative;
  return std::filesystem::exists(path, ec) ? path.string() : "";
}

std::string data_path(std::string_view relative, const std::string& source_fallback) {
  std::string installed = installed_data(relative);
  return installed.empty() ? source_fallback : installed;
}

}  // namespace ploke::cli
