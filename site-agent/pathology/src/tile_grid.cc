#include "pancaim/pathology/tile_grid.h"

#include <cmath>

namespace pancaim::pathology {

StatusOr<TileGrid> BuildTileGrid(const Slide& slide, const LevelChoice& read,
                                 const TissueMask& mask, double min_tissue_fraction) {
  PANCAIM_CHECK(read.footprint_x > 0 && read.footprint_y > 0);
  const SlideLevel& level0 = slide.levels()[0];
  TileGrid grid;
  grid.read = read;
  grid.columns = static_cast<std::int64_t>(std::floor(level0.width / read.footprint_x));
  grid.rows = static_cast<std::int64_t>(std::floor(level0.height / read.footprint_y));
  if (grid.columns * grid.rows > kMaxGridCells) {
    return ResourceExhaustedError("slide '" + slide.path().string() + "': tile grid of " +
                                  std::to_string(grid.columns) + "x" + std::to_string(grid.rows) +
                                  " cells is too large; use a coarser resolution or larger tiles");
  }
  for (std::int64_t row = 0; row < grid.rows; ++row) {
    for (std::int64_t col = 0; col < grid.columns; ++col) {
      const double x = col * read.footprint_x, y = row * read.footprint_y;
      const double fraction = mask.FractionInRect(x, y, read.footprint_x, read.footprint_y);
      if (fraction >= min_tissue_fraction && fraction > 0) {
        grid.tiles.push_back(TileLocation{std::llround(x), std::llround(y),
                                          static_cast<float>(fraction)});
      }
    }
  }
  return grid;
}

}  // namespace pancaim::pathology
