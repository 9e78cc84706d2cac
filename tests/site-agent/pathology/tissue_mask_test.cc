#include "pancaim/pathology/tissue_mask.h"

#include <gtest/gtest.h>

#include "slide_test_files.h"

namespace pancaim::pathology {
namespace {

TEST(TissueMaskTest, OtsuSplitsTwoModes) {
  std::vector<std::int64_t> histogram(256, 0);
  histogram[10] = 1000;
  histogram[12] = 500;
  histogram[120] = 300;
  histogram[130] = 300;
  const int t = OtsuThreshold(histogram);
  EXPECT_GE(t, 12);
  EXPECT_LT(t, 120);
  EXPECT_EQ(OtsuThreshold(std::vector<std::int64_t>(256, 0)), 0);
}

TEST(TissueMaskTest, SaturationOfGreyIsZeroAndOfPinkIsHigh) {
  const std::uint8_t grey[3] = {200, 200, 200}, pink[3] = {225, 140, 185}, black[3] = {0, 0, 0};
  EXPECT_EQ(Saturation(grey), 0);
  EXPECT_NEAR(Saturation(pink), 96, 1);
  EXPECT_EQ(Saturation(black), 0);
}

TEST(TissueMaskTest, DetectsTissueOnImageAndMeasuresRects) {
  RgbImage view = RgbImage::Black(20, 10);
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 20; ++x) {
      std::uint8_t* p = view.At(x, y);
      const bool tissue = x < 5;
      p[0] = tissue ? 220 : 240;
      p[1] = tissue ? 130 : 240;
      p[2] = tissue ? 180 : 238;
    }
  }
  const TissueMask mask = DetectTissue(view, 16, 16, TissueDetectionOptions{});
  EXPECT_DOUBLE_EQ(mask.TissueFraction(), 0.25);
  EXPECT_TRUE(mask.IsTissue(0, 0));
  EXPECT_FALSE(mask.IsTissue(10, 0));
  EXPECT_DOUBLE_EQ(mask.FractionInRect(0, 0, 80, 160), 1.0);      // columns 0..4
  EXPECT_DOUBLE_EQ(mask.FractionInRect(160, 0, 32, 32), 0.0);
  EXPECT_DOUBLE_EQ(mask.FractionInRect(0, 0, 160, 160), 0.5);     // columns 0..9
  EXPECT_DOUBLE_EQ(mask.FractionInRect(10000, 10000, 16, 16), 0.0);
}

TEST(TissueMaskTest, MatchesTheTruthOnASyntheticSlide) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok()) << slide.status();
  auto mask = DetectTissue(**slide, TissueDetectionOptions{.mask_size = 256});
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_EQ(mask->width(), 256);
  EXPECT_EQ(mask->height(), 192);
  const double truth = testing::SyntheticTissueFraction(testfiles::GoodSlideOptions());
  EXPECT_GT(truth, 0.05);
  EXPECT_NEAR(mask->TissueFraction(), truth, 0.03);
}

TEST(TissueMaskTest, BlankSlideHasNoTissue) {
  auto slide = Slide::Open(testfiles::BlankSlide());
  ASSERT_TRUE(slide.ok()) << slide.status();
  auto mask = DetectTissue(**slide, TissueDetectionOptions{});
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_EQ(mask->TissueFraction(), 0.0);
}

TEST(TissueMaskTest, CorruptTileDataIsReportedNotCrashedOn) {
  auto slide = Slide::Open(testfiles::CorruptTileSlide());
  ASSERT_TRUE(slide.ok());
  // Force reading level 0, whose tiles are garbage.
  auto mask = DetectTissue(**slide, TissueDetectionOptions{.mask_size = 2048});
  ASSERT_FALSE(mask.ok());
  EXPECT_EQ(mask.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace pancaim::pathology
