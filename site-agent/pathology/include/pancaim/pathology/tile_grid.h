// TileGrid: the non-overlapping grid of tiles at a target resolution that lie over tissue.
#pragma once

#include <cstdint>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/pathology/slide_resolution.h"
#include "pancaim/pathology/tissue_mask.h"

namespace pancaim::pathology {

// One tile: its top-left corner in level-0 pixels and the tissue fraction under it.
struct TileLocation {
  std::int64_t x = 0;
  std::int64_t y = 0;
  float tissue_fraction = 0;
};

// Largest grid (cells examined) BuildTileGrid accepts, so a tiny target resolution on a huge slide
// cannot exhaust memory.
inline constexpr std::int64_t kMaxGridCells = std::int64_t{1} << 24;

// The tiles kept, in row-major order, plus how to read them. A value type; not synchronized.
struct TileGrid {
  LevelChoice read;                  // level and region size to read per tile
  std::int64_t columns = 0;          // full grid size (kept tiles are a subset)
  std::int64_t rows = 0;
  std::vector<TileLocation> tiles;   // tiles whose tissue fraction >= the minimum
};

// Lays tiles of `read.footprint_*` level-0 pixels edge to edge from the slide's origin (partial
// tiles at the right and bottom edges are dropped) and keeps those with at least
// `min_tissue_fraction` tissue in `mask`. Errors: RESOURCE_EXHAUSTED above kMaxGridCells.
StatusOr<TileGrid> BuildTileGrid(const Slide& slide, const LevelChoice& read,
                                 const TissueMask& mask, double min_tissue_fraction);

}  // namespace pancaim::pathology
