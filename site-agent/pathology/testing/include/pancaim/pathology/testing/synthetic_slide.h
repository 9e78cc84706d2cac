// WriteSyntheticSlide: writes a small pyramidal, tiled, JPEG-compressed TIFF with resolution tags,
// the layout OpenSlide's generic-tiff driver opens, so tests and benchmarks have a real slide file
// without shipping one. Not for production data: the cohort generator in scenarios/ owns that.
#pragma once

#include <cstdint>
#include <filesystem>

#include "pancaim/common/status.h"

namespace pancaim::pathology::testing {

// What to draw. Tissue is `tissue_blobs` pink, textured ellipses on white glass; their placement
// and texture depend only on `seed`.
struct SyntheticSlideOptions {
  int width = 4096;            // level 0, pixels
  int height = 3072;
  int tile_size = 256;         // TIFF tile edge; a multiple of 16 (checked)
  int levels = 3;              // each level halves the previous one (downsample 2^k)
  double mpp = 0.25;           // microns per level-0 pixel, written as pixels per centimetre;
                               // <= 0 writes no resolution tags at all
  int jpeg_quality = 85;
  int tissue_blobs = 3;
  std::uint64_t seed = 1;
  // false: level 0 only, uncompressed strips instead of tiles (an ordinary TIFF image, which
  // OpenSlide's generic-tiff driver does not take as a slide).
  bool tiled = true;
};

// Writes the slide to `path` (overwriting). Errors: INTERNAL when libtiff cannot create or write
// the file (naming it).
Status WriteSyntheticSlide(const std::filesystem::path& path, const SyntheticSlideOptions& options);

// Fraction of level-0 pixels inside tissue blobs, computed from the same geometry the writer draws
// (on a coarse grid), so tests can compare tissue detection against the truth.
double SyntheticTissueFraction(const SyntheticSlideOptions& options);

}  // namespace pancaim::pathology::testing
