// SlideTileSampler: everything the trainer needs from one slide. Opens it, resolves its resolution,
// finds tissue, lays the tile grid at the target resolution, and each epoch draws a seeded sample
// of tiles, reads them and jitters their colours.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/pathology/color_augment.h"
#include "pancaim/pathology/rgb_image.h"
#include "pancaim/pathology/slide.h"
#include "pancaim/pathology/slide_resolution.h"
#include "pancaim/pathology/tile_grid.h"
#include "pancaim/pathology/tissue_mask.h"

namespace pancaim::pathology {

struct TileSamplerOptions {
  double target_mpp = 0.5;             // microns per pixel of the tiles (0.5 ~ "20x")
  int tile_size = 224;                 // tile edge in pixels at target_mpp
  int tiles_per_slide = 16;            // per epoch
  std::uint64_t seed = 0;              // with the slide key and the epoch, fixes every draw
  double min_tissue_fraction = 0.5;    // tiles with less tissue under them are never sampled
  // When a slide has no resolution metadata: use this, or (nullopt) refuse the slide.
  std::optional<double> fallback_mpp;
  // Draw with replacement when the slide has fewer tissue tiles than tiles_per_slide (otherwise
  // such a slide yields all its tiles, fewer than asked).
  bool with_replacement = false;
  TissueDetectionOptions tissue;
  ColorAugmentOptions augment;
};

// A tile drawn for an epoch.
struct SampledTile {
  std::size_t grid_index = 0;  // index into grid().tiles
  TileLocation location;
  RgbImage image;              // tile_size x tile_size RGB
};

// Owns its Slide. Immutable after Create; all const methods may run concurrently (OpenSlide's
// reads are thread-safe, draws use local generators).
class SlideTileSampler {
 public:
  // Opens `path` and prepares the grid. `slide_key` names the slide in the seed (use something
  // stable across machines, such as "patient/slide-index"; empty: the file name).
  // Errors: those of Slide::Open, ResolveResolution, ChooseLevel, DetectTissue and BuildTileGrid,
  // each naming the slide. A slide without tissue is not an error: grid().tiles is empty.
  static StatusOr<std::unique_ptr<SlideTileSampler>> Create(const std::filesystem::path& path,
                                                            const TileSamplerOptions& options,
                                                            const std::string& slide_key = "");

  const Slide& slide() const { return *slide_; }
  const SlideResolution& resolution() const { return resolution_; }
  const TissueMask& tissue() const { return tissue_; }
  const TileGrid& grid() const { return grid_; }
  const TileSamplerOptions& options() const { return options_; }

  // Grid indices drawn for `epoch`: min(tiles_per_slide, grid size) distinct tiles (or exactly
  // tiles_per_slide with replacement when so configured), the same for the same seed, key and
  // epoch on every machine.
  std::vector<std::size_t> SampleIndices(std::uint64_t epoch) const;

  // Reads grid tile `index` at the target resolution, without augmentation. `index` must be
  // < grid().tiles.size() (checked). Errors: those of Slide::ReadRegion.
  StatusOr<RgbImage> ReadTile(std::size_t index) const;

  // SampleIndices(epoch), each tile read and (when enabled) colour-jittered with a generator
  // seeded by (seed, key, epoch, draw position). Errors: the first failed read.
  StatusOr<std::vector<SampledTile>> SampleEpoch(std::uint64_t epoch) const;

 private:
  SlideTileSampler() = default;

  std::unique_ptr<Slide> slide_;
  TileSamplerOptions options_;
  std::uint64_t key_hash_ = 0;
  SlideResolution resolution_;
  TissueMask tissue_;
  TileGrid grid_;
};

}  // namespace pancaim::pathology
