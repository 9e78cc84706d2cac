// On-disk cache of preprocessed imaging cases, one folder per site. The key is the SHA-256 of
// the input files' contents (image, mask; every file of a DICOM folder), the series UID and the
// preprocessing settings' fingerprint, so later epochs and later runs skip reading and
// resampling, while any change to a file or a setting recomputes.
//
// Entry file <folder>/<key>.pcv: "PCVOL001", uint64 little-endian header length, a JSON header
// (geometry of image and mask, input geometry, notes), then the float32 voxels of the image and of
// the mask. Entries are written atomically (temp file + rename), so concurrent processes can
// share a folder; a corrupt entry is ignored and rewritten.
//
// Thread-compatible: one VolumeCache per thread, or external locking (the counters are plain).
#pragma once

#include <cstdint>
#include <filesystem>

#include "pancaim/common/status.h"
#include "pancaim/imaging/case_loader.h"

namespace pancaim::imaging {

class VolumeCache {
 public:
  // `folder` is created on first store.
  explicit VolumeCache(std::filesystem::path folder) : folder_(std::move(folder)) {}

  // The cached case for `source` under `options`, or LoadCase's result, stored for next time.
  // Errors: those of LoadCase and HashPathContent; a failure to store is logged, not returned.
  StatusOr<LoadedCase> Load(const CaseSource& source, const PreprocessOptions& options,
                            const ReadLimits& limits = {});

  // Cache key for a case (hex SHA-256), exposed for tests and reports.
  StatusOr<std::string> Key(const CaseSource& source, const PreprocessOptions& options) const;

  std::int64_t hits() const { return hits_; }
  std::int64_t misses() const { return misses_; }
  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
  std::int64_t hits_ = 0;
  std::int64_t misses_ = 0;
};

}  // namespace pancaim::imaging
