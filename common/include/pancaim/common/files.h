// File helpers that return Status instead of throwing, with the path in every error.
// Stateless; safe to call from any thread (concurrent writers to one path are the caller's problem).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim {

// Reads a whole file. Refuses files larger than `max_bytes` before reading them.
StatusOr<std::string> ReadFile(const std::filesystem::path& path,
                               std::uint64_t max_bytes = std::uint64_t{1} << 32);

// Writes `bytes` so that a crash leaves either the old file or the new one, never a mix:
// a temporary file in the same folder, fsync, rename over `path`, fsync of the folder.
// On failure (e.g. a full disk) the temporary file is removed and the previous `path` is intact.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes,
                       int mode = 0644);

}  // namespace pancaim
