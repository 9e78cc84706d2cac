#include "pancaim/pathology/color_augment.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace pancaim::pathology {
namespace {

RgbImage HeLikeTile() {
  RgbImage image = RgbImage::Black(16, 16);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      std::uint8_t* p = image.At(x, y);
      const bool nucleus = (x + y) % 4 == 0;
      p[0] = nucleus ? 95 : 225;
      p[1] = nucleus ? 60 : 140;
      p[2] = nucleus ? 150 : 185;
    }
  }
  return image;
}

TEST(ColorAugmentTest, ZeroJitterRoundTripsThroughStainSpace) {
  RgbImage image = HeLikeTile();
  const RgbImage original = image;
  ColorAugmentOptions options;
  options.hed_scale = options.hed_shift = options.brightness = options.contrast = 0;
  DeterministicRng rng(1);
  AugmentColors(options, rng, image);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) {
    ASSERT_LE(std::abs(image.pixels[i] - original.pixels[i]), 1) << "byte " << i;
  }
}

TEST(ColorAugmentTest, SameSeedSameColoursDifferentSeedDifferentColours) {
  const ColorAugmentOptions options{.enabled = true, .hed_scale = 0.1, .hed_shift = 0.05,
                                    .brightness = 0.1, .contrast = 0.1};
  RgbImage a = HeLikeTile(), b = HeLikeTile(), c = HeLikeTile();
  DeterministicRng ra(5), rb(5), rc(6);
  AugmentColors(options, ra, a);
  AugmentColors(options, rb, b);
  AugmentColors(options, rc, c);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, c.pixels);
  EXPECT_NE(a.pixels, HeLikeTile().pixels);
}

TEST(ColorAugmentTest, DisabledIsANoOp) {
  RgbImage image = HeLikeTile();
  ColorAugmentOptions options;
  options.enabled = false;
  DeterministicRng rng(1);
  AugmentColors(options, rng, image);
  EXPECT_EQ(image.pixels, HeLikeTile().pixels);
}

}  // namespace
}  // namespace pancaim::pathology
