#include "pancaim/pathology/slide.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "slide_test_files.h"

namespace pancaim::pathology {
namespace {

using ::testing::HasSubstr;

TEST(SlideTest, OpensPyramidalTiffThroughGenericTiffDriver) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok()) << slide.status();
  EXPECT_EQ((*slide)->vendor(), "generic-tiff");
  ASSERT_EQ((*slide)->levels().size(), 3u);
  EXPECT_EQ((*slide)->levels()[0].width, 2048);
  EXPECT_EQ((*slide)->levels()[0].height, 1536);
  EXPECT_DOUBLE_EQ((*slide)->levels()[2].downsample, 4.0);
  EXPECT_EQ((*slide)->Property("tiff.ResolutionUnit"), "centimeter");
  EXPECT_FALSE((*slide)->Property("no.such.property").has_value());
}

TEST(SlideTest, ReadRegionReturnsRgbWithWhiteBackgroundAndPinkTissue) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok()) << slide.status();
  // The corner is glass; a region beyond the slide's edge is transparent and must come back white.
  auto corner = (*slide)->ReadRegion(0, 0, 0, 8, 8);
  ASSERT_TRUE(corner.ok()) << corner.status();
  EXPECT_EQ(corner->Shape(), (std::vector<std::int64_t>{8, 8, 3}));
  EXPECT_GT(corner->At(3, 3)[0], 225);
  auto outside = (*slide)->ReadRegion(0, 4000, 4000, 4, 4);
  ASSERT_TRUE(outside.ok());
  EXPECT_EQ(outside->At(0, 0)[0], 255);
  EXPECT_EQ(outside->At(0, 0)[2], 255);
}

TEST(SlideTest, MissingFileIsNotFound) {
  auto slide = Slide::Open(testfiles::TempDir() / "absent.svs");
  ASSERT_FALSE(slide.ok());
  EXPECT_EQ(slide.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(slide.status().message(), HasSubstr("absent.svs"));
}

TEST(SlideTest, FolderIsNotASlide) {
  auto slide = Slide::Open(testfiles::TempDir());
  ASSERT_FALSE(slide.ok());
  EXPECT_EQ(slide.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(slide.status().message(), HasSubstr("not a regular file"));
}

TEST(SlideTest, FileOpenSlideCannotOpenIsInvalidArgumentNamingIt) {
  auto slide = Slide::Open(testfiles::NotASlide());
  ASSERT_FALSE(slide.ok());
  EXPECT_EQ(slide.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(slide.status().message(), HasSubstr("notes.svs"));
  EXPECT_THAT(slide.status().message(), HasSubstr("not a whole-slide format"));
}

TEST(SlideTest, OrdinaryStrippedTiffIsNotASlide) {
  testing::SyntheticSlideOptions options;
  options.width = 256;
  options.height = 128;
  options.tiled = false;
  const auto path = testfiles::TempDir() / "photo.tif";
  ASSERT_TRUE(testing::WriteSyntheticSlide(path, options).ok());
  auto slide = Slide::Open(path);
  ASSERT_FALSE(slide.ok());
  EXPECT_EQ(slide.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(slide.status().message(), HasSubstr("photo.tif"));
}

TEST(SlideTest, TruncatedTiffIsDataLossAtEveryCutPoint) {
  for (double fraction : {0.001, 0.2, 0.5, 0.9, 0.999}) {
    const auto path = testfiles::TruncatedCopy(fraction);
    auto slide = Slide::Open(path);
    ASSERT_FALSE(slide.ok()) << "cut at " << fraction;
    EXPECT_EQ(slide.status().code(), StatusCode::kDataLoss) << slide.status();
    EXPECT_THAT(slide.status().message(), HasSubstr(path.filename().string()));
    EXPECT_THAT(slide.status().message(), HasSubstr("truncated"));
  }
}

TEST(SlideTest, CorruptTileDataFailsTheReadNotTheProcess) {
  auto slide = Slide::Open(testfiles::CorruptTileSlide());
  ASSERT_TRUE(slide.ok()) << "structure is intact: " << slide.status();
  auto region = (*slide)->ReadRegion(0, 512, 512, 64, 64);
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(region.status().message(), HasSubstr("corrupt-tiles.tiff"));
  EXPECT_THAT(region.status().message(), HasSubstr("level 0"));
}

TEST(SlideTest, OversizedRegionIsRefusedBeforeAllocating) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok());
  auto region = (*slide)->ReadRegion(0, 0, 0, 100000, 100000);
  EXPECT_EQ(region.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace pancaim::pathology
