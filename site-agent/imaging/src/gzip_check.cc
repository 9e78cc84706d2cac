#include "gzip_check.h"

#include <zlib.h>

#include <memory>
#include <string>
#include <vector>

namespace pancaim::imaging::internal {

StatusOr<std::uint64_t> GzipUncompressedSize(const std::filesystem::path& path,
                                             std::uint64_t max_bytes) {
  std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (!file) return NotFoundError(path.string() + ": cannot open");
  gzbuffer(file.get(), 1 << 17);
  std::vector<char> buffer(1 << 20);
  std::uint64_t total = 0;
  while (true) {
    const int got = gzread(file.get(), buffer.data(), static_cast<unsigned>(buffer.size()));
    if (got < 0) break;
    if (got == 0) break;
    total += static_cast<std::uint64_t>(got);
    if (total > max_bytes) {
      return ResourceExhaustedError(path.string() + ": more than " + std::to_string(max_bytes) +
                                    " bytes once decompressed");
    }
  }
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  if (code != Z_OK) {
    std::string reason = message != nullptr ? message : "zlib error";
    // zlib prefixes the reason with the path it was given.
    if (reason.rfind(path.string() + ": ", 0) == 0) reason.erase(0, path.string().size() + 2);
    return DataLossError(path.string() + ": truncated or corrupt gzip stream (" + reason + ")");
  }
  return total;
}

}  // namespace pancaim::imaging::internal
