// Colour augmentation for H&E tiles: stain (HED) jitter after Ruifrok & Johnston's colour
// deconvolution, then brightness and contrast jitter. Models scanner and staining differences
// between sites, so a model does not learn one lab's colours.
#pragma once

#include "pancaim/pathology/deterministic_rng.h"
#include "pancaim/pathology/rgb_image.h"

namespace pancaim::pathology {

struct ColorAugmentOptions {
  bool enabled = true;
  // Each stain concentration c (haematoxylin, eosin, DAB) becomes c * a + b with
  // a ~ U(1 - hed_scale, 1 + hed_scale), b ~ U(-hed_shift, hed_shift) (optical density units).
  double hed_scale = 0.05;
  double hed_shift = 0.02;
  // Value v (0..255) becomes (v - 128) * c + 128 + 255 * d, c ~ U(1 - contrast, 1 + contrast),
  // d ~ U(-brightness, brightness), then clamped.
  double brightness = 0.05;
  double contrast = 0.05;
};

// Applies one random draw of the jitters above to every pixel of `image` (the same draw for the
// whole tile). Deterministic for a given `rng` state. A no-op when !options.enabled.
void AugmentColors(const ColorAugmentOptions& options, DeterministicRng& rng, RgbImage& image);

}  // namespace pancaim::pathology
