// Crash-safe file writes and whole-file reads (see ploke/core/file_io.h).
#include "ploke/core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ploke {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

Status io_error(std::string_view what, const std::string& path, int err) {
  const StatusCode code = (err == EACCES || err == EPERM || err == EROFS) ? StatusCode::kPermission
                          : err == ENOENT                                   ? StatusCode::kNotFound
                                                                            : StatusCode::kInternal;
  return Status(code, std::string(what) + " " + path + ": " + errno_text(err));
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool write_all(int fd, std::string_view data, int* err) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view data) {
  if (path.empty() || path.back() == '/') return Status(StatusCode::kInvalidRequest, "write_file_atomic: bad path \"" + path + "\"");
  const std::string dir = parent_dir(path);
  const std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  std::string tmp = dir + "/." + base + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return io_error("cannot create a temp file for", path, errno);

  // Keep the existing file's permissions; a new cassette gets 0644 (mkstemp makes 0600).
  struct stat st {};
  const mode_t mode = (::stat(path.c_str(), &st) == 0) ? (st.st_mode & 07777) : 0644;
  int err = 0;
  bool ok = ::fchmod(fd, mode) == 0 || (err = errno, false);
  ok = ok && (write_all(fd, data, &err));
  ok = ok && (::fsync(fd) == 0 || (err = errno, false));
  if (::close(fd) != 0 && ok) {
    err = errno;
    ok = false;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return io_error("cannot write", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot rename temp file over", path, err);
  }
  // Make the rename itself durable.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const int rc = ::fsync(dfd);
    err = errno;
    ::close(dfd);
    if (rc != 0 && err != EINVAL) return io_error("cannot fsync directory of", path, err);
  }
  return Status::Ok();
}

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path, errno);
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) out.reserve(static_cast<size_t>(st.st_size));
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status(StatusCode::kInvalidRequest, path + ": is a directory");
  }
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return io_error("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace ploke
