// Internal to pancaim::imaging: integrity check of gzip files. ITK's NIfTI reader (niftilib)
// silently fills the missing part of a truncated .nii.gz with zeros, so we inflate the stream
// ourselves first and refuse it unless it ends cleanly.
#pragma once

#include <cstdint>
#include <filesystem>

#include "pancaim/common/status.h"

namespace pancaim::imaging::internal {

// Inflates the whole file (bounded memory) and returns its uncompressed size. DataLoss naming the
// file when the stream is truncated or corrupt (bad CRC, bad data); NotFound when it cannot be
// opened. Stops with ResourceExhausted beyond `max_bytes` of output.
StatusOr<std::uint64_t> GzipUncompressedSize(const std::filesystem::path& path,
                                             std::uint64_t max_bytes);

}  // namespace pancaim::imaging::internal
