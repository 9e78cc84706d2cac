// Tests of preprocess.h (src/itk_preprocess.cc, src/intensity_window.cc) and
// preprocess_options.h: orientation, spacing, centring, interpolation and windowing.
#include "pancaim/imaging/preprocess.h"

#include <gtest/gtest.h>

#include <set>

#include "test_volumes.h"

namespace pancaim::imaging {
namespace {

using testing::MakeCubeMask;
using testing::MakePhantom;

PreprocessOptions SmallOptions() {
  PreprocessOptions options;
  options.spacing_mm = {1.0, 1.0, 2.5};
  options.size = {8, 8, 4};
  return options;
}

TEST(Preprocess, CentresOnMaskAndKeepsLabels) {
  const std::array<std::int64_t, 3> cube = {4, 4, 2};
  const Volume image = MakePhantom({32, 32, 16}, {1.0, 1.0, 2.5}, cube);
  const Volume mask = MakeCubeMask(image, cube);
  StatusOr<PreprocessedCase> out = Preprocess(image, &mask, SmallOptions());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->centred_on_mask);
  EXPECT_EQ(out->image.ShapeDhw(), (std::array<std::int64_t, 3>{4, 8, 8}));
  ASSERT_TRUE(out->mask.has_value());
  // The 4-voxel cube lands in the middle of the 8x8x4 grid: indices 2..5 in x and y, all of z.
  const float cube_value = (200.0f + 100.0f) / 340.0f;
  for (std::int64_t k = 0; k < 4; ++k) {
    for (std::int64_t j = 0; j < 8; ++j) {
      for (std::int64_t i = 0; i < 8; ++i) {
        const bool inside = i >= 2 && i < 6 && j >= 2 && j < 6;
        EXPECT_EQ(out->mask->At(i, j, k), inside ? 1.0f : 0.0f) << i << "," << j << "," << k;
        if (inside) {
          EXPECT_NEAR(out->image.At(i, j, k), cube_value, 1e-5);
        }
      }
    }
  }
}

TEST(Preprocess, OrientationIsRespected) {
  // The same physical object stored with the x axis reversed must give the same output.
  const Volume image = MakePhantom({20, 18, 10}, {0.8, 0.9, 2.0}, {3, 5, 2});
  Volume flipped = image;
  const auto& size = image.geometry.size;
  flipped.geometry.direction = {-1, 0, 0, 0, 1, 0, 0, 0, 1};
  flipped.geometry.origin[0] = image.geometry.origin[0] + (size[0] - 1) * image.geometry.spacing[0];
  for (std::int64_t k = 0; k < size[2]; ++k) {
    for (std::int64_t j = 0; j < size[1]; ++j) {
      for (std::int64_t i = 0; i < size[0]; ++i) {
        flipped.voxels[static_cast<std::size_t>((k * size[1] + j) * size[0] + i)] =
            image.At(size[0] - 1 - i, j, k);
      }
    }
  }
  PreprocessOptions options = SmallOptions();
  options.size = {16, 16, 8};
  StatusOr<PreprocessedCase> a = Preprocess(image, nullptr, options);
  StatusOr<PreprocessedCase> b = Preprocess(flipped, nullptr, options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->image.voxels.size(), b->image.voxels.size());
  for (std::size_t v = 0; v < a->image.voxels.size(); ++v) {
    ASSERT_NEAR(a->image.voxels[v], b->image.voxels[v], 1e-4) << v;
  }
  // Output is in the canonical orientation at the configured spacing.
  EXPECT_EQ(a->image.geometry.direction, (std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(a->image.geometry.spacing, options.spacing_mm);
}

TEST(Preprocess, PadsOutsideTheVolumeWithAir) {
  const Volume image = MakePhantom({4, 4, 4}, {1, 1, 1});
  PreprocessOptions options = SmallOptions();
  options.size = {16, 16, 16};
  options.spacing_mm = {1, 1, 1};
  StatusOr<PreprocessedCase> out = Preprocess(image, nullptr, options);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->image.At(0, 0, 0), 0.0f);  // air, windowed to the bottom of the window
  EXPECT_GT(out->image.At(8, 8, 8), 0.0f);
}

TEST(Preprocess, NearestNeighbourMasksHaveOnlyInputLabels) {
  const Volume image = MakePhantom({30, 30, 12}, {0.7, 0.7, 3.0}, {10, 10, 4});
  Volume mask = MakeCubeMask(image, {10, 10, 4});
  for (std::size_t v = 0; v < mask.voxels.size(); v += 7) {
    if (mask.voxels[v] > 0) mask.voxels[v] = 2.0f;  // some tumour voxels
  }
  PreprocessOptions options = SmallOptions();
  options.spacing_mm = {1.1, 0.9, 1.7};  // forces interpolation between labels
  StatusOr<PreprocessedCase> out = Preprocess(image, &mask, options);
  ASSERT_TRUE(out.ok());
  std::set<float> labels(out->mask->voxels.begin(), out->mask->voxels.end());
  for (float label : labels) EXPECT_TRUE(label == 0.0f || label == 1.0f || label == 2.0f) << label;
}

TEST(Preprocess, EmptyMaskFallsBackToVolumeCentre) {
  const Volume image = MakePhantom({16, 16, 8}, {1, 1, 2.5});
  Volume mask = MakeCubeMask(image, {100, 100, 100});
  StatusOr<PreprocessedCase> out = Preprocess(image, &mask, SmallOptions());
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->centred_on_mask);
  ASSERT_EQ(out->notes.size(), 1u);
}

TEST(Preprocess, RefusesMaskOutsideImage) {
  const Volume image = MakePhantom({16, 16, 8}, {1, 1, 2.5});
  Volume mask = MakeCubeMask(image, {2, 2, 2});
  mask.geometry.origin[0] += 500.0;
  StatusOr<PreprocessedCase> out = Preprocess(image, &mask, SmallOptions());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("does not overlap"), std::string::npos);
}

TEST(Preprocess, RefusesBadOptionsAndGeometry) {
  const Volume image = MakePhantom({8, 8, 8}, {1, 1, 1});
  PreprocessOptions options = SmallOptions();
  options.window_min = 300;
  EXPECT_EQ(Preprocess(image, nullptr, options).status().code(), StatusCode::kInvalidArgument);
  options = SmallOptions();
  options.spacing_mm[1] = 0;
  EXPECT_NE(options.Validate().message().find("spacing along y"), std::string::npos);
  Volume sheared = image;
  sheared.geometry.direction = {1, 1, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_NE(Preprocess(sheared, nullptr, SmallOptions()).status().message().find("orthonormal"),
            std::string::npos);
}

TEST(WindowAndNormalise, WindowToUnitAndZScore) {
  PreprocessOptions options;
  std::vector<float> values = {-1000.0f, -100.0f, 70.0f, 240.0f, 3000.0f};
  WindowAndNormalise(values, options);
  EXPECT_FLOAT_EQ(values[0], 0.0f);
  EXPECT_FLOAT_EQ(values[2], 0.5f);
  EXPECT_FLOAT_EQ(values[4], 1.0f);
  options.normalisation = IntensityNormalisation::kZScore;
  std::vector<float> z = {0.0f, 100.0f, 200.0f};
  WindowAndNormalise(z, options);
  EXPECT_NEAR(z[0] + z[1] + z[2], 0.0f, 1e-5);
  EXPECT_NEAR(z[2], 1.2247449f, 1e-5);
}

TEST(PreprocessOptions, FingerprintChangesWithEverySetting) {
  const PreprocessOptions base;
  PreprocessOptions other = base;
  EXPECT_EQ(base.Fingerprint(), other.Fingerprint());
  other.window_max = 241;
  EXPECT_NE(base.Fingerprint(), other.Fingerprint());
  other = base;
  other.size[2] = 65;
  EXPECT_NE(base.Fingerprint(), other.Fingerprint());
  EXPECT_EQ(ParseIntensityNormalisation("zscore").value(), IntensityNormalisation::kZScore);
  EXPECT_FALSE(ParseIntensityNormalisation("minmax").ok());
}

}  // namespace
}  // namespace pancaim::imaging
