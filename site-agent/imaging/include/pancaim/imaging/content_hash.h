// Content hashes of input files, for cache keys: SHA-256 (OpenSSL) of the bytes, so a renamed or
// re-copied file still hits the cache and an edited one never does.
//
// Free functions, stateless; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim::imaging {

// Lower-case hex SHA-256 of a string.
std::string Sha256Hex(std::string_view bytes);

// Hex SHA-256 over a file's bytes, or, for a folder, over the sorted names and bytes of its
// regular files (not recursive; at most `max_files`). Streams the data; bounded memory.
// Errors: NotFound, ResourceExhausted (too many files), DataLoss (read error), naming the path.
StatusOr<std::string> HashPathContent(const std::filesystem::path& path,
                                      std::int64_t max_files = 10000);

}  // namespace pancaim::imaging
