// Writes an RGB image as a pyramidal, tiled, JPEG-compressed TIFF: level 0 in the first
// directory, each further level (halved with a box filter until it fits in one tile) in a
// following directory marked as a reduced-resolution image, X/YResolution in pixels per
// centimetre. Two flavours:
//  - generic: OpenSlide's generic-tiff driver opens it; OpenSlide 4.0+ reports openslide.mpp-x/y
//    from the resolution tags, 3.4 (Debian 12) exposes them only as tiff.X/YResolution;
//  - Aperio-style (SVS): level 0's ImageDescription is an Aperio header with AppMag and MPP, so
//    OpenSlide's aperio driver reports openslide.mpp-x/y and objective-power in every version.
// No dates or host names are written: identical input gives identical bytes.
#pragma once

#include <filesystem>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/slide_synthesis.h"

namespace pancaim::scenarios {

struct PyramidTiffOptions {
  int tile_px = 256;        // multiple of 16
  int jpeg_quality = 85;    // 1..100
  double mpp = 0.5;         // microns per pixel at level 0
  bool aperio = false;       // Aperio-style ImageDescription (see above)
  std::string description;  // generic: ImageDescription of level 0; Aperio: appended as a field
};

// The ImageDescription written for level 0 of an image of `width` × `height` pixels.
std::string LevelZeroDescription(const PyramidTiffOptions& options, int width, int height);

// Writes `level0` and its pyramid to `path` (replaced atomically: a temporary file is renamed).
// Errors (libtiff failures, disk full) name the path.
Status WritePyramidTiff(const RgbImage& level0, const PyramidTiffOptions& options,
                        const std::filesystem::path& path);

// Halves an image with a 2×2 box filter (odd edges keep their last row/column).
RgbImage Downsample2x(const RgbImage& image);

}  // namespace pancaim::scenarios
