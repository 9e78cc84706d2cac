// Tests of volume_io.h (src/itk_volume_io.cc) and volume.h: every supported format round-trips
// through ITK with its geometry, and each bad input is reported with the file and the reason.
#include "pancaim/imaging/volume_io.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "test_volumes.h"

namespace pancaim::imaging {
namespace {

using testing::MakePhantom;
using testing::Src;
using testing::TempDir;

void ExpectSameVolume(const Volume& a, const Volume& b, float tolerance = 0.0f) {
  EXPECT_EQ(a.geometry.size, b.geometry.size);
  for (int axis = 0; axis < 3; ++axis) {
    EXPECT_NEAR(a.geometry.spacing[axis], b.geometry.spacing[axis], 1e-4);
    EXPECT_NEAR(a.geometry.origin[axis], b.geometry.origin[axis], 1e-3);
  }
  for (int e = 0; e < 9; ++e) EXPECT_NEAR(a.geometry.direction[e], b.geometry.direction[e], 1e-5);
  ASSERT_EQ(a.voxels.size(), b.voxels.size());
  for (std::size_t v = 0; v < a.voxels.size(); ++v) {
    ASSERT_NEAR(a.voxels[v], b.voxels[v], tolerance) << "voxel " << v;
  }
}

class VolumeFileRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(VolumeFileRoundTrip, KeepsVoxelsAndGeometry) {
  TempDir dir;
  Volume volume = MakePhantom({20, 16, 6}, {0.7, 0.8, 2.5});
  // A flipped x axis: readers must keep the direction, not just the spacing.
  volume.geometry.direction = {-1, 0, 0, 0, 1, 0, 0, 0, 1};
  const auto path = dir.path() / ("volume" + GetParam());
  ASSERT_TRUE(WriteVolume(volume, path).ok());
  StatusOr<LoadedVolume> read = ReadVolume(Src(path));
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameVolume(volume, read->volume);
  EXPECT_EQ(read->files.size(), 1u);

  StatusOr<LoadedVolume> header = ReadVolumeHeader(Src(path));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->volume.geometry.size, volume.geometry.size);
  EXPECT_TRUE(header->volume.voxels.empty());
}

INSTANTIATE_TEST_SUITE_P(Formats, VolumeFileRoundTrip,
                         ::testing::Values(".nii", ".nii.gz", ".mha", ".nrrd"));

TEST(VolumeIo, DetectsFormats) {
  TempDir dir;
  EXPECT_EQ(DetectVolumeFormat(dir.path()).value(), VolumeFormat::kDicomSeries);
  std::ofstream(dir.path() / "a.NII.GZ") << "x";
  EXPECT_EQ(DetectVolumeFormat(dir.path() / "a.NII.GZ").value(), VolumeFormat::kNifti);
  std::ofstream(dir.path() / "a.png") << "x";
  EXPECT_EQ(DetectVolumeFormat(dir.path() / "a.png").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(DetectVolumeFormat(dir.path() / "nope.nii").status().code(), StatusCode::kNotFound);
}

TEST(VolumeIo, DicomSeriesRoundTrip) {
  TempDir dir;
  Volume volume = MakePhantom({24, 20, 5}, {0.75, 0.75, 3.0});
  StatusOr<std::string> uid = WriteDicomSeries(volume, dir.path() / "series");
  ASSERT_TRUE(uid.ok()) << uid.status();
  StatusOr<LoadedVolume> read = ReadVolume(Src(dir.path() / "series"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->format, VolumeFormat::kDicomSeries);
  EXPECT_EQ(read->series_uid, *uid);
  EXPECT_EQ(read->files.size(), 5u);
  ExpectSameVolume(volume, read->volume);
}

TEST(VolumeIoBadInput, MissingFile) {
  TempDir dir;
  StatusOr<LoadedVolume> read = ReadVolume(Src(dir.path() / "ct" / "p001.nii.gz"));
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("p001.nii.gz"), std::string::npos);
}

TEST(VolumeIoBadInput, TruncatedNiftiGz) {
  TempDir dir;
  const auto path = dir.path() / "cut.nii.gz";
  ASSERT_TRUE(WriteVolume(MakePhantom({64, 64, 32}, {1, 1, 1}), path).ok());
  testing::TruncateFile(path, std::filesystem::file_size(path) / 2);
  StatusOr<LoadedVolume> read = ReadVolume(Src(path));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kDataLoss) << read.status();
  EXPECT_NE(read.status().message().find("cut.nii.gz"), std::string::npos);
  EXPECT_NE(read.status().message().find("truncated"), std::string::npos);
}

TEST(VolumeIoBadInput, TruncatedUncompressedFiles) {
  TempDir dir;
  for (const char* name : {"cut.nii", "cut.mha", "cut.nrrd"}) {
    const auto path = dir.path() / name;
    ASSERT_TRUE(WriteVolume(MakePhantom({32, 32, 16}, {1, 1, 1}), path).ok());
    testing::TruncateFile(path, std::filesystem::file_size(path) * 3 / 4);
    StatusOr<LoadedVolume> read = ReadVolume(Src(path));
    ASSERT_FALSE(read.ok()) << name;
    EXPECT_EQ(read.status().code(), StatusCode::kDataLoss) << read.status();
    EXPECT_NE(read.status().message().find(name), std::string::npos) << read.status();
  }
}

TEST(VolumeIoBadInput, TruncatedDicomSlice) {
  TempDir dir;
  ASSERT_TRUE(WriteDicomSeries(MakePhantom({32, 32, 3}, {1, 1, 2}), dir.path()).ok());
  const auto slice = dir.path() / "slice_0001.dcm";
  testing::TruncateFile(slice, std::filesystem::file_size(slice) - 100);
  StatusOr<LoadedVolume> read = ReadVolume(Src(dir.path()));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kDataLoss) << read.status();
  EXPECT_NE(read.status().message().find("slice_0001.dcm"), std::string::npos) << read.status();
}

TEST(VolumeIoBadInput, NonOrthonormalNiftiDirection) {
  TempDir dir;
  const auto path = dir.path() / "sheared.nii";
  // x and y axes 45 degrees apart: a sheared sform with no orthonormal qform to fall back to.
  testing::WriteRawNifti(path, {8, 8, 4}, {1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
  StatusOr<LoadedVolume> read = ReadVolume(Src(path));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument) << read.status();
  EXPECT_NE(read.status().message().find("non-orthonormal"), std::string::npos) << read.status();
  EXPECT_NE(read.status().message().find("sheared.nii"), std::string::npos);
}

TEST(VolumeIoBadInput, HandWrittenOrthonormalNiftiIsRead) {
  // Control for the test above: the same hand-written header with a valid sform reads fine.
  TempDir dir;
  const auto path = dir.path() / "plain.nii";
  testing::WriteRawNifti(path, {8, 8, 4}, {-2, 0, 0, 5, 0, -2, 0, 6, 0, 0, 3, 7});
  StatusOr<LoadedVolume> read = ReadVolume(Src(path));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_NEAR(read->volume.geometry.spacing[0], 2.0, 1e-6);
  EXPECT_NEAR(read->volume.geometry.spacing[2], 3.0, 1e-6);
}

TEST(VolumeIoBadInput, UnreadableFile) {
  TempDir dir;
  const auto path = dir.path() / "garbage.nii.gz";
  std::ofstream(path) << "this is not a NIfTI file at all";
  StatusOr<LoadedVolume> read = ReadVolume(Src(path));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("garbage.nii.gz"), std::string::npos);
  const auto empty = dir.path() / "empty.mha";
  std::ofstream{empty};
  EXPECT_EQ(ReadVolume(Src(empty)).status().code(), StatusCode::kDataLoss);
}

TEST(VolumeIoBadInput, TooManyVoxels) {
  TempDir dir;
  const auto path = dir.path() / "big.mha";
  ASSERT_TRUE(WriteVolume(MakePhantom({16, 16, 16}, {1, 1, 1}), path).ok());
  ReadLimits limits;
  limits.max_voxels = 1000;
  EXPECT_EQ(ReadVolume(Src(path), limits).status().code(), StatusCode::kResourceExhausted);
}

TEST(VolumeGeometry, PhysicalPositionsAndOrthonormality) {
  VolumeGeometry g;
  g.size = {10, 10, 5};
  g.spacing = {2, 2, 3};
  g.origin = {1, 2, 3};
  g.direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};  // axes rotated 90 degrees about z
  const auto p = g.IndexToPhysical({1, 0, 0});
  EXPECT_DOUBLE_EQ(p[0], 1.0);
  EXPECT_DOUBLE_EQ(p[1], 0.0);
  EXPECT_TRUE(g.HasOrthonormalDirection());
  g.direction = {1, 1, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_FALSE(g.HasOrthonormalDirection());
  EXPECT_EQ(g.Describe(), "10x10x5 @ 2.00x2.00x3.00 mm");
}

}  // namespace
}  // namespace pancaim::imaging

namespace pancaim::imaging {
namespace {

// Never crash on any input: valid files with random bytes overwritten, and pure noise, under each
// extension ITK dispatches on, must give a volume or a Status naming the file.
TEST(VolumeIoBadInput, DamagedFilesNeverCrash) {
  TempDir dir;
  std::mt19937 rng(7);
  int index = 0;
  for (const char* extension : {".nii", ".nii.gz", ".mha", ".nrrd"}) {
    const auto original = dir.path() / (std::string("orig") + extension);
    ASSERT_TRUE(WriteVolume(MakePhantom({12, 10, 6}, {1, 1, 2}), original).ok());
    for (int trial = 0; trial < 12; ++trial) {
      std::string bytes = testing::ReadAll(original);
      if (trial == 0) {
        for (char& c : bytes) c = static_cast<char>(rng() % 256);
      } else {
        const int flips = 1 + static_cast<int>(rng() % 16);
        for (int f = 0; f < flips; ++f) bytes[rng() % std::min<std::size_t>(bytes.size(), 400)] ^= 0x5a;
      }
      const auto path = dir.path() / ("damaged" + std::to_string(index++) + extension);
      testing::WriteAll(path, bytes);
      StatusOr<LoadedVolume> read = ReadVolume(Src(path));
      if (!read.ok()) {
        EXPECT_NE(read.status().message().find(path.filename().string()), std::string::npos)
            << read.status();
      }
    }
  }
  // A DICOM folder holding noise and a damaged slice.
  const auto folder = dir.path() / "dicom";
  ASSERT_TRUE(WriteDicomSeries(MakePhantom({16, 16, 3}, {1, 1, 2}), folder).ok());
  std::string slice = testing::ReadAll(folder / "slice_0001.dcm");
  for (std::size_t i = 200; i < slice.size(); i += 37) slice[i] ^= 0x33;
  testing::WriteAll(folder / "slice_0001.dcm", slice);
  testing::WriteAll(folder / "noise.dcm", std::string(1000, '\x07'));
  StatusOr<LoadedVolume> read = ReadVolume(Src(folder));
  if (!read.ok()) {
    EXPECT_NE(read.status().message().find("dicom"), std::string::npos);
  }
}

}  // namespace
}  // namespace pancaim::imaging
