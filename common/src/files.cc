#include "pancaim/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

namespace pancaim {
namespace {

Status ErrnoError(const std::string& what, const std::filesystem::path& path, int err) {
  std::string message = what + " '" + path.string() + "': " + std::strerror(err);
  if (err == ENOENT) return NotFoundError(message);
  if (err == EACCES || err == EPERM) return PermissionDeniedError(message);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(message);
  return UnavailableError(message);
}

// Writes all of `bytes`, retrying short writes and EINTR.
bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

StatusOr<std::string> ReadFile(const std::filesystem::path& path, std::uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("cannot stat", path, err);
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    return InvalidArgumentError("'" + path.string() + "' is a directory, expected a file");
  }
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    ::close(fd);
    return ResourceExhaustedError("'" + path.string() + "' is " + std::to_string(info.st_size) +
                                  " bytes, over the limit of " + std::to_string(max_bytes));
  }
  std::string data;
  data.resize(static_cast<size_t>(info.st_size));
  size_t offset = 0;
  while (offset < data.size()) {
    ssize_t got = ::read(fd, data.data() + offset, data.size() - offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoError("cannot read", path, err);
    }
    if (got == 0) break;  // file shrank while reading
    offset += static_cast<size_t>(got);
  }
  data.resize(offset);
  ::close(fd);
  return data;
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes, int mode) {
  std::filesystem::path folder = path.parent_path().empty() ? "." : path.parent_path();
  std::random_device random;
  std::filesystem::path temp =
      folder / ("." + path.filename().string() + ".tmp" + std::to_string(random()));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("cannot create", temp, errno);
  if (!WriteAll(fd, bytes) || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return ErrnoError("cannot write", temp, err);
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return ErrnoError("cannot close", temp, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return ErrnoError("cannot rename into", path, err);
  }
  int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);  // makes the rename itself durable
    ::close(dir);
  }
  return Status::Ok();
}

}  // namespace pancaim
