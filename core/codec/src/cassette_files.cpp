// Cassette files: one file, or every *.json of a directory.
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

}  // namespace ploke::codec
