// Cassette files: one file, every *.json of a directory, or a per-test cassette folder.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "ploke/codec/cassette_json.h"
#include "ploke/core/file_io.h"

namespace ploke::codec {

Result<Cassette> load_cassette_file(const std::string& path) {
  PLOKE_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_cassette(text, path);
}

Result<std::vector<Cassette>> load_cassettes(const std::string& file_or_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(file_or_dir, ec)) {
    PLOKE_ASSIGN_OR_RETURN(Cassette c, load_cassette_file(file_or_dir));
    std::vector<Cassette> one;
    one.push_back(std::move(c));
    return one;
  }
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(file_or_dir, ec)) {
    if (e.path().extension() == ".json" && e.is_regular_file(ec)) files.push_back(e.path().string());
  }
  if (ec) return Status(StatusCode::kInternal, "cannot list " + file_or_dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return Status(StatusCode::kNotFound, file_or_dir + ": no *.json cassette in this directory");
  std::vector<Cassette> out;
  std::string errors;
  for (const auto& f : files) {
    auto c = load_cassette_file(f);
    if (!c.ok()) {
      errors += (errors.empty() ? "" : "\n") + c.status().message();
      continue;
    }
    out.push_back(std::move(c).value());
  }
  if (!errors.empty()) return Status(StatusCode::kInvalidRequest, errors);
  return out;
}

Status check_cassette_name(std::string_view name) {
  auto bad = [&](const char* why) {
    return Status(StatusCode::kInvalidRequest, "invalid cassette name \"" + std::string(name.substr(0, 80)) + "\": " + why);
  };
  if (name.empty() || name.size() > 200) return bad("must be 1 to 200 characters");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view seg = name.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return bad("empty, \".\" and \"..\" path segments are not allowed");
    for (char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
      if (!ok) return bad("only A-Z a-z 0-9 . _ - and / between folders are allowed");
    }
    start = end + 1;
  }
  return Status();
}

std::string cassette_path_in(const std::string& dir, std::string_view name) {
  return (std::filesystem::path(dir) / (std::string(name) + ".json")).string();
}

Result<std::vector<Cassette>> load_cassette_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status(StatusCode::kNotFound, dir + ": not a directory");
  std::vector<std::pair<std::string, std::string>> files;  // name, path
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() != ".json" || !it->is_regular_file(ec)) continue;
    std::string name = fs::relative(it->path(), dir, ec).replace_extension().generic_string();
    if (check_cassette_name(name).ok()) files.emplace_back(std::move(name), it->path().string());
  }
  if (ec) return Status(StatusCode::kInternal, "cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return Status(StatusCode::kNotFound, dir + ": no *.json cassette under this directory");
  std::vector<Cassette> out;
  std::string errors;
  for (const auto& [name, path] : files) {
    auto c = load_cassette_file(path);
    if (!c.ok()) {
      errors += (errors.empty() ? "" : "\n") + c.status().message();
      continue;
    }
    out.push_back(std::move(c).value());
    out.back().name = name;
  }
  if (!errors.empty()) return Status(StatusCode::kInvalidRequest, errors);
  return out;
}

}  // namespace ploke::codec
