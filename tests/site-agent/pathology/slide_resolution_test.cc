#include "pancaim/pathology/slide_resolution.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "slide_test_files.h"

namespace pancaim::pathology {
namespace {

using ::testing::HasSubstr;

TEST(SlideResolutionTest, ReadsTiffResolutionTagsWhenOpenSlideHasNoMpp) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok()) << slide.status();
  auto resolution = ResolveResolution(**slide);
  ASSERT_TRUE(resolution.ok()) << resolution.status();
  EXPECT_NEAR(resolution->mpp_x, 0.25, 1e-6);
  EXPECT_NEAR(resolution->mpp_y, 0.25, 1e-6);
  // OpenSlide 4 reports openslide.mpp-x for generic TIFFs itself; 3.4 (Debian 12) does not.
  EXPECT_TRUE(resolution->source == "tiff.resolution" || resolution->source == "openslide.mpp")
      << resolution->source;
}

TEST(SlideResolutionTest, MissingResolutionIsAnErrorNamingTheSlide) {
  auto slide = Slide::Open(testfiles::NoResolutionSlide());
  ASSERT_TRUE(slide.ok()) << slide.status();
  auto resolution = ResolveResolution(**slide);
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(resolution.status().message(), HasSubstr("no-resolution.tiff"));
  EXPECT_THAT(resolution.status().message(), HasSubstr("openslide.mpp-x"));
}

TEST(SlideResolutionTest, FallbackIsUsedOnlyWhenMetadataIsAbsent) {
  auto bare = Slide::Open(testfiles::NoResolutionSlide());
  ASSERT_TRUE(bare.ok());
  auto fallback = ResolveResolution(**bare, 0.5);
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_EQ(fallback->source, "fallback");
  EXPECT_DOUBLE_EQ(fallback->mpp_x, 0.5);

  auto tagged = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(tagged.ok());
  auto own = ResolveResolution(**tagged, 0.5);
  ASSERT_TRUE(own.ok());
  EXPECT_NEAR(own->mpp_x, 0.25, 1e-6);
}

TEST(SlideResolutionTest, ImplausibleFallbackIsRejected) {
  auto bare = Slide::Open(testfiles::NoResolutionSlide());
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(ResolveResolution(**bare, 1000.0).status().code(), StatusCode::kInvalidArgument);
}

TEST(SlideResolutionTest, ChoosesCoarsestLevelNotCoarserThanTarget) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok());
  const SlideResolution r{0.25, 0.25, "test"};
  // Levels are at 0.25, 0.5 and 1.0 um/px.
  auto exact = ChooseLevel(**slide, r, 0.5, 224);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->level, 1);
  EXPECT_EQ(exact->read_width, 224);
  EXPECT_DOUBLE_EQ(exact->footprint_x, 448);

  auto between = ChooseLevel(**slide, r, 0.75, 100);
  ASSERT_TRUE(between.ok());
  EXPECT_EQ(between->level, 1);  // 0.5 um/px read, shrunk by 1.5
  EXPECT_EQ(between->read_width, 150);

  auto coarse = ChooseLevel(**slide, r, 8.0, 16);
  ASSERT_TRUE(coarse.ok());
  EXPECT_EQ(coarse->level, 2);
}

TEST(SlideResolutionTest, TargetFinerThanScanIsOutOfRange) {
  auto slide = Slide::Open(testfiles::GoodSlide());
  ASSERT_TRUE(slide.ok());
  auto choice = ChooseLevel(**slide, SlideResolution{0.25, 0.25, "test"}, 0.1, 224);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), StatusCode::kOutOfRange);
  EXPECT_THAT(choice.status().message(), HasSubstr("good.tiff"));
}

}  // namespace
}  // namespace pancaim::pathology
