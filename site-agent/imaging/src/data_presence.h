// Internal to pancaim::imaging: checks that a volume file holds all of its voxel data before
// ITK reads it. Both niftilib (NIfTI) and MetaIO (MetaImage) print a warning and carry on when a
// file is short, leaving zeros or garbage in the missing voxels; we refuse such files instead.
#pragma once

#include <cstdint>
#include <filesystem>

#include "pancaim/common/status.h"

namespace pancaim::imaging::internal {

// .nii or .nii.gz (whole gzip stream inflated and verified): DataLoss naming the file when fewer
// than the 348-byte header plus `voxel_bytes` are present.
Status CheckNiftiDataPresent(const std::filesystem::path& path, std::uint64_t voxel_bytes);

// .mha/.mhd: checks the local data after the header, or the data file named by ElementDataFile,
// against `voxel_bytes` (or CompressedDataSize when compressed). Lists and patterns of slice files
// are not checked here. DataLoss naming the file when short.
Status CheckMetaImageDataPresent(const std::filesystem::path& path, std::uint64_t voxel_bytes);

}  // namespace pancaim::imaging::internal
