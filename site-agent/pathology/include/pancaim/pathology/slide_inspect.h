// InspectSlide: the per-file check `pancaim-site check-data` runs on each slide. It does all the
// work training would do up to the tile grid, plus one tile read, and summarises the result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/pathology/slide.h"
#include "pancaim/pathology/slide_tile_sampler.h"

namespace pancaim::pathology {

// What a readable slide looks like to the pipeline. A value type.
struct SlideSummary {
  std::string path;
  std::string vendor;                 // OpenSlide driver ("generic-tiff", "aperio", ...)
  std::vector<SlideLevel> levels;     // finest first
  double mpp_x = 0;                   // microns per level-0 pixel
  double mpp_y = 0;
  std::string mpp_source;             // see SlideResolution::source
  double target_mpp = 0;
  int read_level = 0;                 // level tiles are read from
  double tissue_fraction = 0;         // of the whole slide, from the tissue mask
  int tissue_threshold = 0;           // saturation threshold used (0..255)
  std::int64_t grid_tiles = 0;        // cells of the full tile grid
  std::int64_t tissue_tiles = 0;      // cells over tissue (the sampling pool)
};

// Opens and prepares `path` as SlideTileSampler::Create does with `options`, then reads the first
// tissue tile (if any) to prove the full-resolution data decodes. Never crashes on a bad file.
// Errors: those of SlideTileSampler::Create and Slide::ReadRegion, each naming the file.
StatusOr<SlideSummary> InspectSlide(const std::filesystem::path& path,
                                    const TileSamplerOptions& options);

// {"path", "vendor", "levels": [{"width","height","downsample"}], "mpp_x", "mpp_y", "mpp_source",
//  "target_mpp", "read_level", "tissue_fraction", "tissue_threshold", "grid_tiles", "tissue_tiles"}
nlohmann::json ToJson(const SlideSummary& summary);

// One line for a text report: "generic-tiff 4096x3072, 3 levels, 0.25 um/px (tiff.resolution),
// tissue 21.3%, 57 tissue tiles at 0.5 um/px".
std::string ToString(const SlideSummary& summary);

}  // namespace pancaim::pathology
