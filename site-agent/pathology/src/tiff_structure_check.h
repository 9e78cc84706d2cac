// CheckTiffStructure: walks a TIFF file's directory chain and tile/strip tables without decoding
// pixels, to tell a truncated or corrupt TIFF apart from a file that simply is not a slide.
// Internal to pancaim::pathology.
#pragma once

#include <filesystem>

#include "pancaim/common/status.h"

namespace pancaim::pathology::internal {

// True when the file starts with a TIFF or BigTIFF signature. Errors: NOT_FOUND when unreadable.
StatusOr<bool> HasTiffSignature(const std::filesystem::path& path);

// OK when every directory, and every tile or strip it points to, lies inside the file.
// DATA_LOSS naming the file, the directory and the offset otherwise ("truncated TIFF: ...").
// At most 4096 directories and 2^24 tiles per directory are examined.
Status CheckTiffStructure(const std::filesystem::path& path);

}  // namespace pancaim::pathology::internal
