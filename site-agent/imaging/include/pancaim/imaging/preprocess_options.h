// Settings of the CT/MR preprocessing pipeline (see preprocess.h) and their fingerprint, which is
// part of the cache key: changing any setting invalidates the cached volumes.
//
// A value type; not synchronized.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim::imaging {

// What happens to intensities after windowing.
enum class IntensityNormalisation {
  kNone,          // keep the windowed values (HU for CT)
  kWindowToUnit,  // clip to [window_min, window_max], then map linearly to [0, 1] (CT default)
  kZScore,        // clip to the window, then subtract the volume mean and divide by its std (MR)
};

// Parses "none", "window_to_unit", "zscore"; InvalidArgument otherwise.
StatusOr<IntensityNormalisation> ParseIntensityNormalisation(std::string_view text);
std::string_view IntensityNormalisationName(IntensityNormalisation normalisation);

struct PreprocessOptions {
  // Output voxel spacing in mm along x, y, z of the canonical (LPS-aligned) grid.
  std::array<double, 3> spacing_mm{1.0, 1.0, 2.5};
  // Output size in voxels along x, y, z; the volume is cropped or padded to it.
  std::array<std::int64_t, 3> size{128, 128, 64};
  // Intensity window; the pancreas default is -100..240 HU.
  double window_min = -100.0;
  double window_max = 240.0;
  IntensityNormalisation normalisation = IntensityNormalisation::kWindowToUnit;
  // Centre the output on the mask's foreground centroid when a non-empty mask is given (else on
  // the centre of the volume).
  bool centre_on_mask = true;
  // Value given to voxels outside the input volume (before windowing): air in HU.
  double pad_value = -1024.0;

  // Ok, or InvalidArgument naming the first bad setting (spacing <= 0, size < 1 or above 1024,
  // window_min >= window_max, non-finite values).
  Status Validate() const;

  // Canonical text of every setting, stable across runs and platforms; hashed into cache keys.
  std::string Fingerprint() const;
};

}  // namespace pancaim::imaging
