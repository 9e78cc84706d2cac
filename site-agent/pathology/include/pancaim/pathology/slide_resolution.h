// Physical resolution of a slide (microns per pixel) and the pyramid level to read for a target
// resolution.
#pragma once

#include <optional>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/pathology/slide.h"

namespace pancaim::pathology {

// Microns per level-0 pixel and where the figure came from.
struct SlideResolution {
  double mpp_x = 0;
  double mpp_y = 0;
  // "openslide.mpp" (the vendor's own metadata as OpenSlide reports it), "tiff.resolution"
  // (TIFF XResolution/YResolution with ResolutionUnit centimeter or inch; OpenSlide 3.4 does not
  // turn these into openslide.mpp-x for generic TIFFs), or "fallback" (configured).
  std::string source;
};

// Resolution of `slide`: openslide.mpp-x/-y when present, else the TIFF resolution tags, else
// `fallback_mpp` when configured. Errors: FAILED_PRECONDITION naming the slide when none is
// available; INVALID_ARGUMENT when a present value is not a number or outside (0.01, 100) microns.
StatusOr<SlideResolution> ResolveResolution(const Slide& slide,
                                            std::optional<double> fallback_mpp = std::nullopt);

// How to read tiles of a target resolution from a slide.
struct LevelChoice {
  int level = 0;               // pyramid level to read
  double footprint_x = 0;      // tile width in level-0 pixels
  double footprint_y = 0;
  int read_width = 0;          // pixels to read at `level`, resized to the tile size afterwards
  int read_height = 0;
};

// Chooses the coarsest level whose resolution is at least as fine as `target_mpp` (so tiles are
// only ever shrunk, never enlarged), for square tiles of `tile_size` pixels at `target_mpp`.
// Errors: OUT_OF_RANGE when the slide is coarser than the target by more than 10% (enlarging would
// invent detail), naming the slide and both resolutions. `tile_size` > 0, `target_mpp` > 0 (checked).
StatusOr<LevelChoice> ChooseLevel(const Slide& slide, const SlideResolution& resolution,
                                  double target_mpp, int tile_size);

}  // namespace pancaim::pathology
