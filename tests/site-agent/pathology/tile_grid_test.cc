#include "pancaim/pathology/tile_grid.h"

#include <gtest/gtest.h>

#include "slide_test_files.h"

namespace pancaim::pathology {
namespace {

TEST(TileGridTest, KeepsOnlyTilesOverTissue) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok()) << slide.status();
  auto mask = DetectTissue(**slide, TissueDetectionOptions{.mask_size = 512});
  ASSERT_TRUE(mask.ok());
  auto choice = ChooseLevel(**slide, SlideResolution{0.25, 0.25, "t"}, 0.5, 64);
  ASSERT_TRUE(choice.ok());
  auto grid = BuildTileGrid(**slide, *choice, *mask, 0.5);
  ASSERT_TRUE(grid.ok()) << grid.status();
  EXPECT_EQ(grid->columns, 2048 / 128);
  EXPECT_EQ(grid->rows, 1536 / 128);
  ASSERT_FALSE(grid->tiles.empty());
  EXPECT_LT(grid->tiles.size(), static_cast<std::size_t>(grid->columns * grid->rows));
  for (const TileLocation& tile : grid->tiles) {
    EXPECT_GE(tile.tissue_fraction, 0.5f);
    EXPECT_EQ(tile.x % 128, 0);
    EXPECT_EQ(tile.y % 128, 0);
  }
  // Stricter minimum keeps a subset.
  auto strict = BuildTileGrid(**slide, *choice, *mask, 1.0);
  ASSERT_TRUE(strict.ok());
  EXPECT_LE(strict->tiles.size(), grid->tiles.size());
}

TEST(TileGridTest, HugeGridIsRefused) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok());
  const TissueMask mask(1, 1, {1}, 4096, 4096, 0);
  LevelChoice tiny;
  tiny.footprint_x = tiny.footprint_y = 0.01;
  tiny.read_width = tiny.read_height = 1;
  EXPECT_EQ(BuildTileGrid(**slide, tiny, mask, 0.5).status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace pancaim::pathology
