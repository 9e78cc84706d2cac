// FileSystem: the file operations the coordinator's durable state goes through, behind an
// interface so tests can inject faults (a full disk, a failing read) without root or special
// mounts, in the manner of leveldb's Env.
//
// Implementations must be safe to call from one thread at a time; the default one is stateless
// and thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::coordinator {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Atomic replace (temporary file, fsync, rename, fsync of the folder): a crash or an error
  // leaves either the old file or the new one. A full disk is ResourceExhausted.
  virtual Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes) = 0;
  virtual StatusOr<std::string> ReadFile(const std::filesystem::path& path,
                                         std::uint64_t max_bytes) = 0;
  virtual Status CreateDirectories(const std::filesystem::path& path) = 0;
  // Removes a file or a folder tree; a missing path is not an error.
  virtual Status RemoveAll(const std::filesystem::path& path) = 0;
  // Names (not paths) of the entries of a folder; NotFound when it does not exist.
  virtual StatusOr<std::vector<std::string>> ListDirectory(const std::filesystem::path& path) = 0;
};

// The real file system (common/files.h for reads and atomic writes). Never destroyed.
FileSystem& DefaultFileSystem();

}  // namespace pancaim::coordinator
