#include "pancaim/coordinator/file_system.h"

#include "pancaim/common/files.h"

namespace pancaim::coordinator {
namespace {

class RealFileSystem final : public FileSystem {
 public:
  Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes) override {
    return pancaim::WriteFileAtomic(path, bytes);
  }
  StatusOr<std::string> ReadFile(const std::filesystem::path& path,
                                 std::uint64_t max_bytes) override {
    return pancaim::ReadFile(path, max_bytes);
  }
  Status CreateDirectories(const std::filesystem::path& path) override {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) {
      return UnavailableError("cannot create folder '" + path.string() + "': " + error.message());
    }
    return Status::Ok();
  }
  Status RemoveAll(const std::filesystem::path& path) override {
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (error) return UnavailableError("cannot remove '" + path.string() + "': " + error.message());
    return Status::Ok();
  }
  StatusOr<std::vector<std::string>> ListDirectory(const std::filesystem::path& path) override {
    std::error_code error;
    std::filesystem::directory_iterator it(path, error);
    if (error) {
      if (error == std::errc::no_such_file_or_directory) {
        return NotFoundError("folder '" + path.string() + "' does not exist");
      }
      return UnavailableError("cannot list '" + path.string() + "': " + error.message());
    }
    std::vector<std::string> names;
    for (const auto& entry : it) names.push_back(entry.path().filename().string());
    return names;
  }
};

}  // namespace

FileSystem& DefaultFileSystem() {
  static auto* file_system = new RealFileSystem();
  return *file_system;
}

}  // namespace pancaim::coordinator
