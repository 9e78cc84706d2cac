#include "pancaim/pathology/slide_tile_sampler.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "slide_test_files.h"

namespace pancaim::pathology {
namespace {

TileSamplerOptions SmallTiles() {
  TileSamplerOptions options;
  options.target_mpp = 0.5;
  options.tile_size = 64;
  options.tiles_per_slide = 6;
  options.seed = 11;
  return options;
}

TEST(SlideTileSamplerTest, SamplesDistinctTissueTilesOfTheRequestedShape) {
  auto sampler = SlideTileSampler::Create(testfiles::GoodSlide(), SmallTiles(), "p1/0");
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  EXPECT_EQ((*sampler)->grid().read.level, 1);
  ASSERT_GE((*sampler)->grid().tiles.size(), 6u);
  auto tiles = (*sampler)->SampleEpoch(0);
  ASSERT_TRUE(tiles.ok()) << tiles.status();
  ASSERT_EQ(tiles->size(), 6u);
  std::set<std::size_t> distinct;
  for (const SampledTile& tile : *tiles) {
    EXPECT_EQ(tile.image.Shape(), (std::vector<std::int64_t>{64, 64, 3}));
    EXPECT_GE(tile.location.tissue_fraction, 0.5f);
    distinct.insert(tile.grid_index);
  }
  EXPECT_EQ(distinct.size(), 6u);
}

TEST(SlideTileSamplerTest, DeterministicPerSeedKeyAndEpoch) {
  auto a = SlideTileSampler::Create(testfiles::GoodSlide(), SmallTiles(), "p1/0");
  auto b = SlideTileSampler::Create(testfiles::GoodSlide(), SmallTiles(), "p1/0");
  auto other_key = SlideTileSampler::Create(testfiles::GoodSlide(), SmallTiles(), "p2/0");
  ASSERT_TRUE(a.ok() && b.ok() && other_key.ok());
  EXPECT_EQ((*a)->SampleIndices(3), (*b)->SampleIndices(3));
  EXPECT_NE((*a)->SampleIndices(3), (*a)->SampleIndices(4));
  EXPECT_NE((*a)->SampleIndices(3), (*other_key)->SampleIndices(3));
  auto ta = (*a)->SampleEpoch(1), tb = (*b)->SampleEpoch(1);
  ASSERT_TRUE(ta.ok() && tb.ok());
  for (std::size_t i = 0; i < ta->size(); ++i) EXPECT_EQ((*ta)[i].image.pixels, (*tb)[i].image.pixels);
}

TEST(SlideTileSamplerTest, AugmentationChangesColoursButNotGeometry) {
  TileSamplerOptions plain = SmallTiles();
  plain.augment.enabled = false;
  auto sampler = SlideTileSampler::Create(testfiles::GoodSlide(), plain, "k");
  auto jittered = SlideTileSampler::Create(testfiles::GoodSlide(), SmallTiles(), "k");
  ASSERT_TRUE(sampler.ok() && jittered.ok());
  auto p = (*sampler)->SampleEpoch(0), j = (*jittered)->SampleEpoch(0);
  ASSERT_TRUE(p.ok() && j.ok());
  ASSERT_EQ(p->size(), j->size());
  EXPECT_EQ((*p)[0].grid_index, (*j)[0].grid_index);
  EXPECT_NE((*p)[0].image.pixels, (*j)[0].image.pixels);
  auto direct = (*sampler)->ReadTile((*p)[0].grid_index);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->pixels, (*p)[0].image.pixels);
}

TEST(SlideTileSamplerTest, FewTissueTilesYieldAllOrDrawWithReplacement) {
  TileSamplerOptions options = SmallTiles();
  options.tiles_per_slide = 100000;
  auto all = SlideTileSampler::Create(testfiles::GoodSlide(), options);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)->SampleIndices(0).size(), (*all)->grid().tiles.size());
  options.with_replacement = true;
  options.tiles_per_slide = 2 * static_cast<int>((*all)->grid().tiles.size());
  auto repeated = SlideTileSampler::Create(testfiles::GoodSlide(), options);
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ((*repeated)->SampleIndices(0).size(), static_cast<std::size_t>(options.tiles_per_slide));
}

TEST(SlideTileSamplerTest, BlankSlideHasNothingToSample) {
  auto sampler = SlideTileSampler::Create(testfiles::BlankSlide(), SmallTiles());
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  EXPECT_TRUE((*sampler)->grid().tiles.empty());
  auto tiles = (*sampler)->SampleEpoch(0);
  ASSERT_TRUE(tiles.ok());
  EXPECT_TRUE(tiles->empty());
}

TEST(SlideTileSamplerTest, SlideWithoutResolutionNeedsAFallback) {
  auto refused = SlideTileSampler::Create(testfiles::NoResolutionSlide(), SmallTiles());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("no-resolution.tiff"));
  TileSamplerOptions options = SmallTiles();
  options.fallback_mpp = 0.25;
  auto accepted = SlideTileSampler::Create(testfiles::NoResolutionSlide(), options);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ((*accepted)->resolution().source, "fallback");
}

}  // namespace
}  // namespace pancaim::pathology
