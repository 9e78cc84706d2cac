// Tests of dicom_series.h (src/itk_dicom_series.cc): several series in one folder are resolved by
// the manifest's UID, else by size, and an ambiguous folder is reported, not guessed.
#include "pancaim/imaging/dicom_series.h"

#include <gtest/gtest.h>

#include "pancaim/imaging/volume_io.h"
#include "test_volumes.h"

namespace pancaim::imaging {
namespace {

using testing::MakePhantom;
using testing::Src;
using testing::TempDir;

DicomSeriesWriteOptions Series(const std::string& uid, int number) {
  DicomSeriesWriteOptions options;
  options.series_uid = uid;
  options.study_uid = "1.2.3.4";
  options.series_number = number;
  return options;
}

TEST(DicomSeries, MixedFolderPicksNamedOrLargestSeries) {
  TempDir dir;
  const auto folder = dir.path() / "mixed";
  ASSERT_TRUE(WriteDicomSeries(MakePhantom({16, 16, 6}, {1, 1, 2}), folder / "a",
                               Series("1.2.3.4.100", 1)).ok());
  ASSERT_TRUE(WriteDicomSeries(MakePhantom({16, 16, 3}, {1, 1, 5}), folder / "b",
                               Series("1.2.3.4.200", 2)).ok());
  // Flatten both series into one folder, as a PACS export would.
  std::filesystem::create_directories(folder);
  for (const char* sub : {"a", "b"}) {
    for (const auto& entry : std::filesystem::directory_iterator(folder / sub)) {
      std::filesystem::rename(entry.path(),
                              folder / (std::string(sub) + entry.path().filename().string()));
    }
    std::filesystem::remove(folder / sub);
  }

  StatusOr<std::vector<DicomSeriesInfo>> listed = ListDicomSeries(folder);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].uid, "1.2.3.4.100");  // largest first
  EXPECT_EQ((*listed)[0].files.size(), 6u);

  std::vector<std::string> notes;
  StatusOr<DicomSeriesInfo> largest = ChooseDicomSeries(folder, "", &notes);
  ASSERT_TRUE(largest.ok());
  EXPECT_EQ(largest->uid, "1.2.3.4.100");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("2 series"), std::string::npos);

  StatusOr<LoadedVolume> named = ReadVolume(Src(folder, "1.2.3.4.200"));
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->volume.geometry.size[2], 3);
  EXPECT_NEAR(named->volume.geometry.spacing[2], 5.0, 1e-3);

  StatusOr<LoadedVolume> absent = ReadVolume(Src(folder, "9.9.9"));
  EXPECT_EQ(absent.status().code(), StatusCode::kNotFound);
  EXPECT_NE(absent.status().message().find("1.2.3.4.100"), std::string::npos) << absent.status();
}

TEST(DicomSeries, EqualSizedSeriesAreAmbiguous) {
  TempDir dir;
  const auto folder = dir.path() / "tie";
  ASSERT_TRUE(WriteDicomSeries(MakePhantom({8, 8, 2}, {1, 1, 1}), folder, Series("1.2.3.4.1", 1))
                  .ok());
  const auto other = dir.path() / "other";
  ASSERT_TRUE(WriteDicomSeries(MakePhantom({8, 8, 2}, {1, 1, 1}), other, Series("1.2.3.4.2", 2))
                  .ok());
  for (const auto& entry : std::filesystem::directory_iterator(other)) {
    std::filesystem::rename(entry.path(), folder / ("o" + entry.path().filename().string()));
  }
  StatusOr<LoadedVolume> read = ReadVolume(Src(folder));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("ambiguous"), std::string::npos) << read.status();
  EXPECT_NE(read.status().message().find("tie"), std::string::npos);
  EXPECT_TRUE(ReadVolume(Src(folder, "1.2.3.4.2")).ok());
}

TEST(DicomSeries, FolderWithoutDicomIsNotFound) {
  TempDir dir;
  EXPECT_EQ(ListDicomSeries(dir.path()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ListDicomSeries(dir.path() / "absent").status().code(), StatusCode::kNotFound);
}

TEST(DicomSeries, TooManyFilesIsBounded) {
  TempDir dir;
  ASSERT_TRUE(WriteDicomSeries(MakePhantom({8, 8, 4}, {1, 1, 1}), dir.path()).ok());
  EXPECT_EQ(ListDicomSeries(dir.path(), /*max_files=*/3).status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace pancaim::imaging
