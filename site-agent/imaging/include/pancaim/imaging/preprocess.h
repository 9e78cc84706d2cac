// The CT/MR preprocessing pipeline: one resampling pass that respects the input's orientation,
// spacing and origin and produces a fixed-size grid in the canonical orientation (identity
// direction in LPS: x toward the patient's left, y posterior, z superior) at the configured
// spacing, centred on the mask's foreground centroid or on the volume's centre (crop and pad in
// the same pass). Images are interpolated linearly, masks by nearest neighbour. Intensities are
// then windowed and normalised.
//
// Free functions, stateless; thread-safe (ITK may use several threads internally).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/imaging/preprocess_options.h"
#include "pancaim/imaging/volume.h"

namespace pancaim::imaging {

// A preprocessed case, ready to wrap as tensors of shape image.ShapeDhw().
struct PreprocessedCase {
  Volume image;               // windowed and normalised intensities
  std::optional<Volume> mask;  // labels (0 background, 1 pancreas, 2 tumour) on the same grid
  bool centred_on_mask = false;
  std::vector<std::string> notes;  // non-fatal remarks (empty mask, ...)
};

// Runs the pipeline on an image and an optional mask. Errors: InvalidArgument for invalid
// options, a non-orthonormal direction, an empty volume, or a mask whose physical extent does
// not overlap the image.
StatusOr<PreprocessedCase> Preprocess(const Volume& image, const Volume* mask,
                                      const PreprocessOptions& options);

// Clips to the window and normalises `voxels` in place as `options` says (used by Preprocess;
// exposed for tests).
void WindowAndNormalise(std::vector<float>& voxels, const PreprocessOptions& options);

}  // namespace pancaim::imaging
