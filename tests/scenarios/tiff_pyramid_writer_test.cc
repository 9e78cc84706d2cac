#include "pancaim/scenarios/tiff_pyramid_writer.h"

#include <openslide/openslide.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

RgbImage Slide(int size) {
  PatientTruth p;
  p.gland_fraction = 0.3;
  SlideSettings settings;
  settings.size_px = size;
  return RenderSlide(p, settings, 5);
}

TEST(TiffPyramidWriterTest, OpenSlideOpensAperioStyleWithLevelsAndMpp) {
  testing::TempDir dir;
  const auto path = dir.path() / "slide.svs";
  RgbImage image = Slide(1024);
  PyramidTiffOptions options;
  options.mpp = 0.25;
  options.aperio = true;
  options.description = "patient p-1";
  ASSERT_TRUE(WritePyramidTiff(image, options, path).ok());

  openslide_t* slide = openslide_open(path.c_str());
  ASSERT_NE(slide, nullptr);
  ASSERT_EQ(openslide_get_error(slide), nullptr) << openslide_get_error(slide);
  EXPECT_STREQ(openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_VENDOR), "aperio");
  const char* power = openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_OBJECTIVE_POWER);
  ASSERT_NE(power, nullptr);
  EXPECT_NEAR(std::atof(power), 40.0, 1e-6);
  EXPECT_EQ(openslide_get_level_count(slide), 3);  // 1024, 512, 256
  int64_t width = 0, height = 0;
  openslide_get_level_dimensions(slide, 1, &width, &height);
  EXPECT_EQ(width, 512);
  EXPECT_NEAR(openslide_get_level_downsample(slide, 2), 4.0, 1e-6);
  const char* mpp_x = openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_MPP_X);
  const char* mpp_y = openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_MPP_Y);
  ASSERT_NE(mpp_x, nullptr);
  ASSERT_NE(mpp_y, nullptr);
  EXPECT_NEAR(std::atof(mpp_x), 0.25, 1e-4);
  EXPECT_NEAR(std::atof(mpp_y), 0.25, 1e-4);

  // Pixels survive JPEG compression closely (ARGB premultiplied, opaque here).
  std::vector<std::uint32_t> region(64 * 64);
  openslide_read_region(slide, region.data(), 400, 400, 0, 64, 64);
  ASSERT_EQ(openslide_get_error(slide), nullptr);
  double error = 0;
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      std::uint32_t argb = region[y * 64 + x];
      int red = (argb >> 16) & 0xff;
      error += std::abs(red - image.pixels[((400 + y) * 1024 + 400 + x) * 3]);
    }
  }
  EXPECT_LT(error / (64 * 64), 12.0);
  openslide_close(slide);
}

TEST(TiffPyramidWriterTest, GenericTiffCarriesResolutionTags) {
  testing::TempDir dir;
  const auto path = dir.path() / "slide.tif";
  PyramidTiffOptions options;
  options.mpp = 0.5;
  ASSERT_TRUE(WritePyramidTiff(Slide(512), options, path).ok());
  openslide_t* slide = openslide_open(path.c_str());
  ASSERT_NE(slide, nullptr);
  ASSERT_EQ(openslide_get_error(slide), nullptr) << openslide_get_error(slide);
  EXPECT_STREQ(openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_VENDOR), "generic-tiff");
  EXPECT_EQ(openslide_get_level_count(slide), 2);
  // OpenSlide 4.0+ derives openslide.mpp-x from these; 3.4 exposes them as tiff.* properties.
  const char* unit = openslide_get_property_value(slide, "tiff.ResolutionUnit");
  const char* resolution = openslide_get_property_value(slide, "tiff.XResolution");
  ASSERT_NE(unit, nullptr);
  ASSERT_NE(resolution, nullptr);
  EXPECT_STREQ(unit, "centimeter");
  EXPECT_NEAR(1e4 / std::atof(resolution), 0.5, 1e-4);
  if (const char* mpp = openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_MPP_X)) {
    EXPECT_NEAR(std::atof(mpp), 0.5, 1e-4);
  }
  openslide_close(slide);
}

TEST(TiffPyramidWriterTest, OddSizesArePaddedAndReadable) {
  testing::TempDir dir;
  RgbImage image = Slide(600);
  image = Downsample2x(image);  // 300 x 300: not a multiple of the tile
  PyramidTiffOptions options;
  options.tile_px = 128;
  ASSERT_TRUE(WritePyramidTiff(image, options, dir.path() / "odd.tif").ok());
  openslide_t* slide = openslide_open((dir.path() / "odd.tif").c_str());
  ASSERT_NE(slide, nullptr);
  int64_t width = 0, height = 0;
  openslide_get_level0_dimensions(slide, &width, &height);
  EXPECT_EQ(width, 300);
  EXPECT_EQ(height, 300);
  EXPECT_EQ(openslide_get_level_count(slide), 3);  // 300, 150, 75
  openslide_close(slide);
}

TEST(TiffPyramidWriterTest, IdenticalInputGivesIdenticalBytes) {
  testing::TempDir dir;
  RgbImage image = Slide(512);
  ASSERT_TRUE(WritePyramidTiff(image, {}, dir.path() / "a.tif").ok());
  ASSERT_TRUE(WritePyramidTiff(image, {}, dir.path() / "b.tif").ok());
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(dir.path() / "a.tif"), read(dir.path() / "b.tif"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a.tif.tmp"));
}

TEST(TiffPyramidWriterTest, UnwritablePathIsAnError) {
  Status status = WritePyramidTiff(Slide(256), {}, "/proc/pancaim-no/slide.tif");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/pancaim-no/slide.tif"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::scenarios
