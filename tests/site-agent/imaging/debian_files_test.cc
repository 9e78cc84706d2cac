// Real files from outside the project, shipped by Debian packages: NIfTI templates from
// mricron-data and DICOM test files from python3-pydicom. Each test skips when its package is not
// installed.
#include <gtest/gtest.h>

#include "pancaim/imaging/case_loader.h"
#include "pancaim/imaging/dicom_series.h"
#include "pancaim/imaging/volume_io.h"
#include "test_volumes.h"

namespace pancaim::imaging {
namespace {

using testing::Src;
using testing::TempDir;

TEST(DebianFiles, MricronTemplatesReadAndPreprocess) {
  const auto ch2 = testing::MricronTemplate("ch2.nii.gz");
  const auto aal = testing::MricronTemplate("aal.nii.gz");
  if (ch2.empty() || aal.empty()) GTEST_SKIP() << "mricron-data not installed";
  StatusOr<LoadedVolume> image = ReadVolume(Src(ch2));
  ASSERT_TRUE(image.ok()) << image.status();
  const VolumeGeometry& g = image->volume.geometry;
  EXPECT_EQ(g.size, (std::array<std::int64_t, 3>{181, 217, 181}));
  EXPECT_NEAR(g.spacing[0], 1.0, 1e-6);
  EXPECT_TRUE(g.HasOrthonormalDirection());
  // aal is a label atlas on the same grid: use it as the mask.
  CaseSource source{Src(ch2), Src(aal)};
  PreprocessOptions options;
  options.spacing_mm = {2, 2, 2};
  options.size = {64, 64, 48};
  options.window_min = 0;
  options.window_max = 255;
  StatusOr<LoadedCase> loaded = LoadCase(source, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->data.centred_on_mask);
  float max_value = 0;
  for (float v : loaded->data.image.voxels) max_value = std::max(max_value, v);
  EXPECT_GT(max_value, 0.5f);  // brain tissue is there
}

TEST(DebianFiles, PydicomCtSliceAsSeries) {
  const auto ct = testing::PydicomTestFile("CT_small.dcm");
  if (ct.empty()) GTEST_SKIP() << "python3-pydicom not installed";
  TempDir dir;
  std::filesystem::copy_file(ct, dir.path() / "CT_small.dcm");
  StatusOr<LoadedVolume> read = ReadVolume(Src(dir.path()));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->volume.geometry.size, (std::array<std::int64_t, 3>{128, 128, 1}));
  // CT_small stores HU through RescaleSlope/Intercept; soft tissue and air are both present.
  float low = 1e9f;
  float high = -1e9f;
  for (float v : read->volume.voxels) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
  EXPECT_LT(low, high);
}

TEST(DebianFiles, PydicomMultiSliceCtSeries) {
  // A real 4-slice CT series (16x16 pixels per slice) from pydicom's DICOMDIR test tree.
  const auto folder = testing::PydicomTestFile("dicomdirtests/77654033/CT2");
  if (folder.empty()) GTEST_SKIP() << "python3-pydicom not installed";
  StatusOr<LoadedVolume> read = ReadVolume(Src(folder));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->format, VolumeFormat::kDicomSeries);
  EXPECT_EQ(read->files.size(), 4u);
  EXPECT_EQ(read->volume.geometry.size, (std::array<std::int64_t, 3>{16, 16, 4}));
  EXPECT_GT(read->volume.geometry.spacing[2], 0.0);
  EXPECT_TRUE(read->volume.geometry.HasOrthonormalDirection());
  PreprocessOptions options;
  options.size = {16, 16, 8};
  StatusOr<LoadedCase> loaded = LoadCase(CaseSource{Src(folder), std::nullopt}, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
}

TEST(DebianFiles, PydicomMixedFolderIsAmbiguousUntilNamed) {
  const auto ct = testing::PydicomTestFile("CT_small.dcm");
  const auto mr = testing::PydicomTestFile("MR_small.dcm");
  if (ct.empty() || mr.empty()) GTEST_SKIP() << "python3-pydicom not installed";
  TempDir dir;
  std::filesystem::copy_file(ct, dir.path() / "ct.dcm");
  std::filesystem::copy_file(mr, dir.path() / "mr.dcm");
  StatusOr<std::vector<DicomSeriesInfo>> series = ListDicomSeries(dir.path());
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->size(), 2u);
  StatusOr<LoadedVolume> ambiguous = ReadVolume(Src(dir.path()));
  EXPECT_NE(ambiguous.status().message().find("ambiguous"), std::string::npos)
      << ambiguous.status();
  for (const auto& info : *series) {
    StatusOr<LoadedVolume> named = ReadVolume(Src(dir.path(), info.uid));
    ASSERT_TRUE(named.ok()) << named.status();
    EXPECT_EQ(named->series_uid, info.uid);
  }
}

TEST(DebianFiles, PydicomTruncatedFileIsReportedNotCrashed) {
  const auto truncated = testing::PydicomTestFile("MR_truncated.dcm");
  if (truncated.empty()) GTEST_SKIP() << "python3-pydicom not installed";
  TempDir dir;
  std::filesystem::copy_file(truncated, dir.path() / "MR_truncated.dcm");
  StatusOr<LoadedVolume> read = ReadVolume(Src(dir.path()));
  EXPECT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find(dir.path().string()), std::string::npos)
      << read.status();
}

}  // namespace
}  // namespace pancaim::imaging
