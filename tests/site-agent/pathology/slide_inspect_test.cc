#include "pancaim/pathology/slide_inspect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "slide_test_files.h"

namespace pancaim::pathology {
namespace {

using ::testing::HasSubstr;

TEST(SlideInspectTest, SummarisesAGoodSlide) {
  TileSamplerOptions options;
  options.target_mpp = 0.5;
  options.tile_size = 128;
  auto summary = InspectSlide(testfiles::GoodSlide(), options);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->vendor, "generic-tiff");
  EXPECT_EQ(summary->levels.size(), 3u);
  EXPECT_NEAR(summary->mpp_x, 0.25, 1e-6);
  EXPECT_EQ(summary->read_level, 1);
  EXPECT_EQ(summary->grid_tiles, 8 * 6);
  EXPECT_GT(summary->tissue_tiles, 0);
  EXPECT_LT(summary->tissue_tiles, summary->grid_tiles);
  const nlohmann::json json = ToJson(*summary);
  EXPECT_EQ(json["vendor"], "generic-tiff");
  EXPECT_EQ(json["levels"].size(), 3u);
  EXPECT_EQ(json["tissue_tiles"], summary->tissue_tiles);
  EXPECT_THAT(ToString(*summary), HasSubstr("generic-tiff 2048x1536, 3 levels"));
}

TEST(SlideInspectTest, EveryBadSlideIsAStatusNamingTheFile) {
  TileSamplerOptions options;
  options.target_mpp = 0.25;  // read level 0, whose tiles CorruptTileSlide garbles
  const std::vector<std::filesystem::path> bad = {
      testfiles::NotASlide(), testfiles::TruncatedCopy(0.6), testfiles::NoResolutionSlide(),
      testfiles::CorruptTileSlide(), testfiles::TempDir() / "missing.svs"};
  for (const auto& path : bad) {
    auto summary = InspectSlide(path, options);
    ASSERT_FALSE(summary.ok()) << path;
    EXPECT_THAT(summary.status().message(), HasSubstr(path.filename().string()));
  }
}

}  // namespace
}  // namespace pancaim::pathology
