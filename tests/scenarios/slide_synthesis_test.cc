#include "pancaim/scenarios/slide_synthesis.h"

#include <gtest/gtest.h>

namespace pancaim::scenarios {
namespace {

SlideSettings Small() {
  SlideSettings settings;
  settings.size_px = 768;
  return settings;
}

PatientTruth WithGlands(double fraction) {
  PatientTruth p;
  p.gland_fraction = fraction;
  return p;
}

TEST(SlideSynthesisTest, GlandFractionFollowsTruth) {
  SlideStatistics none, some, many;
  RenderSlide(WithGlands(0.0), Small(), 1, &none);
  RenderSlide(WithGlands(0.15), Small(), 1, &some);
  RenderSlide(WithGlands(0.45), Small(), 1, &many);
  EXPECT_EQ(none.glands, 0);
  EXPECT_DOUBLE_EQ(none.gland_fraction, 0.0);
  EXPECT_GT(some.glands, 0);
  EXPECT_NEAR(some.gland_fraction, 0.15, 0.06);
  EXPECT_GT(many.gland_fraction, some.gland_fraction + 0.1);
  EXPECT_GT(none.tissue_fraction, 0.15);
  EXPECT_LT(none.tissue_fraction, 0.9);
}

TEST(SlideSynthesisTest, BackgroundIsWhiteAndTissueIsPink) {
  SlideStatistics stats;
  RgbImage image = RenderSlide(WithGlands(0.0), Small(), 2, &stats);
  ASSERT_EQ(image.pixels.size(), 768u * 768 * 3);
  // The corner is glass.
  EXPECT_GT(image.pixels[0], 225);
  EXPECT_GT(image.pixels[1], 225);
  // Tissue (centre) is eosin-pink: green absorbed most.
  std::size_t centre = (384u * 768 + 384) * 3;
  EXPECT_LT(image.pixels[centre + 1], image.pixels[centre + 0]);
  EXPECT_LT(image.pixels[centre + 1], image.pixels[centre + 2]);
}

TEST(SlideSynthesisTest, StainShiftChangesColours) {
  SlideSettings strong = Small();
  strong.hematoxylin = 2.0;
  strong.eosin = 0.5;
  RgbImage a = RenderSlide(WithGlands(0.3), Small(), 3);
  RgbImage b = RenderSlide(WithGlands(0.3), strong, 3);
  double sum_a = 0, sum_b = 0;
  for (std::size_t i = 2; i < a.pixels.size(); i += 3) {  // blue channel: hematoxylin
    sum_a += a.pixels[i - 2];
    sum_b += b.pixels[i - 2];
  }
  EXPECT_NE(sum_a, sum_b);
}

TEST(SlideSynthesisTest, DeterministicBySeed) {
  EXPECT_EQ(RenderSlide(WithGlands(0.2), Small(), 7).pixels,
            RenderSlide(WithGlands(0.2), Small(), 7).pixels);
  EXPECT_NE(RenderSlide(WithGlands(0.2), Small(), 7).pixels,
            RenderSlide(WithGlands(0.2), Small(), 8).pixels);
}

}  // namespace
}  // namespace pancaim::scenarios
