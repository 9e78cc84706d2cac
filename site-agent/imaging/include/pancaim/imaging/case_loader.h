// One imaging case (a CT/MR volume plus an optional segmentation mask) read and preprocessed,
// optionally through an on-disk cache (volume_cache.h).
#pragma once

#include <optional>

#include "pancaim/common/status.h"
#include "pancaim/imaging/preprocess.h"
#include "pancaim/imaging/volume_io.h"

namespace pancaim::imaging {

// Where one case's files are.
struct CaseSource {
  VolumeSource image;
  std::optional<VolumeSource> mask;
};

// A preprocessed case and what was read to make it.
struct LoadedCase {
  PreprocessedCase data;
  VolumeGeometry image_geometry;  // geometry of the image as stored, before resampling
  VolumeFormat image_format = VolumeFormat::kNifti;
  std::vector<std::filesystem::path> files_read;
  std::vector<std::string> notes;
  bool from_cache = false;
};

// Reads the image and mask and runs Preprocess. Errors from ReadVolume (with "mask" context for
// the mask) and Preprocess, each naming the file.
StatusOr<LoadedCase> LoadCase(const CaseSource& source, const PreprocessOptions& options,
                              const ReadLimits& limits = {});

}  // namespace pancaim::imaging
