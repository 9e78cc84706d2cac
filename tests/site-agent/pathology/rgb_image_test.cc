#include "pancaim/pathology/rgb_image.h"

#include <gtest/gtest.h>

namespace pancaim::pathology {
namespace {

RgbImage Gradient(int width, int height) {
  RgbImage image = RgbImage::Black(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = image.At(x, y);
      p[0] = static_cast<std::uint8_t>(x * 10);
      p[1] = static_cast<std::uint8_t>(y * 10);
      p[2] = 7;
    }
  }
  return image;
}

TEST(RgbImageTest, ShapeAndFloatConversion) {
  RgbImage image = Gradient(4, 2);
  EXPECT_EQ(image.Shape(), (std::vector<std::int64_t>{2, 4, 3}));
  const std::vector<float> values = image.ToFloat();
  ASSERT_EQ(values.size(), 24u);
  EXPECT_FLOAT_EQ(values[3 * (1 * 4 + 3) + 0], 30.0f / 255.0f);
  EXPECT_FLOAT_EQ(values[3 * (1 * 4 + 3) + 1], 10.0f / 255.0f);
}

TEST(RgbImageTest, ShrinkByTwoAveragesBlocks) {
  const RgbImage small = Resize(Gradient(4, 4), 2, 2);
  EXPECT_EQ(small.width, 2);
  // Block (0..1, 0..1): red 0 and 10 -> 5; green 0 and 10 -> 5.
  EXPECT_EQ(small.At(0, 0)[0], 5);
  EXPECT_EQ(small.At(0, 0)[1], 5);
  EXPECT_EQ(small.At(1, 1)[0], 25);
  EXPECT_EQ(small.At(1, 1)[2], 7);
}

TEST(RgbImageTest, SameSizeIsACopyAndEnlargingInterpolates) {
  const RgbImage source = Gradient(3, 3);
  EXPECT_EQ(Resize(source, 3, 3).pixels, source.pixels);
  const RgbImage big = Resize(source, 6, 6);
  EXPECT_EQ(big.width, 6);
  EXPECT_EQ(big.At(0, 0)[0], 0);
  EXPECT_EQ(big.At(5, 0)[0], 20);
  EXPECT_GT(big.At(3, 0)[0], big.At(2, 0)[0]);
}

}  // namespace
}  // namespace pancaim::pathology
