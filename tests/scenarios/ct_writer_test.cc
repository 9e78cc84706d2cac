#include "pancaim/scenarios/ct_writer.h"

#include <itkGDCMImageIO.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageSeriesReader.h>
#include <itkNiftiImageIO.h>

#include <fstream>

#include <gtest/gtest.h>

#include "pancaim/scenarios/ct_phantom.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

using CtImage = itk::Image<std::int16_t, 3>;

CtVolume SmallVolume() {
  PatientTruth p;
  p.pdac = p.lesion = true;
  p.lesion_diameter_mm = 20;
  p.lesion_contrast_hu = -40;
  CtSettings settings;
  settings.size = {32, 28, 12};
  settings.pixel_spacing_mm = 8.0;
  settings.slice_thickness_mm = 5.0;
  return RenderCtPhantom(p, settings, 21);
}

TEST(CtWriterTest, DeterministicUidIsValidAndStable) {
  std::string uid = DeterministicUid(1, {2, 3});
  EXPECT_EQ(uid, DeterministicUid(1, {2, 3}));
  EXPECT_NE(uid, DeterministicUid(1, {2, 4}));
  EXPECT_EQ(uid.rfind("2.25.", 0), 0u);
  EXPECT_LE(uid.size(), 44u);
  for (char c : uid.substr(5)) EXPECT_TRUE(c >= '0' && c <= '9');
  EXPECT_NE(uid[5], '0');  // no leading zero in a UID component
}

TEST(CtWriterTest, NiftiReadsBackWithGeometry) {
  testing::TempDir dir;
  CtVolume volume = SmallVolume();
  ASSERT_TRUE(WriteCtNifti(volume, dir.path() / "ct.nii.gz").ok());
  ASSERT_TRUE(WriteMaskNifti(volume, dir.path() / "mask.nii.gz").ok());
  auto reader = itk::ImageFileReader<CtImage>::New();
  reader->SetImageIO(itk::NiftiImageIO::New());
  reader->SetFileName((dir.path() / "ct.nii.gz").string());
  ASSERT_NO_THROW(reader->Update());
  CtImage* image = reader->GetOutput();
  auto size = image->GetLargestPossibleRegion().GetSize();
  EXPECT_EQ(size[0], 32u);
  EXPECT_EQ(size[2], 12u);
  EXPECT_NEAR(image->GetSpacing()[0], 8.0, 1e-4);
  EXPECT_NEAR(image->GetSpacing()[2], 5.0, 1e-4);
  EXPECT_NEAR(image->GetOrigin()[2], volume.origin_mm[2], 1e-3);
  EXPECT_EQ(image->GetPixel({{5, 6, 7}}), volume.hu[volume.Index(5, 6, 7)]);

  auto mask_reader = itk::ImageFileReader<itk::Image<std::uint8_t, 3>>::New();
  mask_reader->SetImageIO(itk::NiftiImageIO::New());
  mask_reader->SetFileName((dir.path() / "mask.nii.gz").string());
  ASSERT_NO_THROW(mask_reader->Update());
  const std::uint8_t* labels = mask_reader->GetOutput()->GetBufferPointer();
  EXPECT_TRUE(std::equal(volume.mask.begin(), volume.mask.end(), labels));
}

TEST(CtWriterTest, DicomSeriesReadsBackWithSpacingAndUids) {
  testing::TempDir dir;
  CtVolume volume = SmallVolume();
  DicomSeriesInfo info;
  info.patient_id = "p-1";
  info.patient_sex = "F";
  info.patient_age_years = 64;
  info.study_uid = DeterministicUid(5, {1});
  info.series_uid = DeterministicUid(5, {2});
  info.frame_of_reference_uid = DeterministicUid(5, {3});
  info.sop_uid_prefix = DeterministicUid(5, {4});
  info.manufacturer = "Test CT";
  info.institution = "site";
  ASSERT_TRUE(WriteCtDicomSeries(volume, info, dir.path() / "series").ok());

  auto names = itk::GDCMSeriesFileNames::New();
  names->SetDirectory((dir.path() / "series").string());
  const auto& series = names->GetSeriesUIDs();
  ASSERT_EQ(series.size(), 1u);
  auto files = names->GetFileNames(series[0]);
  ASSERT_EQ(files.size(), 12u);
  auto io = itk::GDCMImageIO::New();
  auto reader = itk::ImageSeriesReader<CtImage>::New();
  reader->SetImageIO(io);
  reader->SetFileNames(files);
  ASSERT_NO_THROW(reader->Update());
  CtImage* image = reader->GetOutput();
  EXPECT_NEAR(image->GetSpacing()[0], 8.0, 1e-3);
  EXPECT_NEAR(image->GetSpacing()[2], 5.0, 1e-3);
  EXPECT_NEAR(image->GetOrigin()[2], volume.origin_mm[2], 1e-3);
  EXPECT_EQ(image->GetPixel({{5, 6, 7}}), volume.hu[volume.Index(5, 6, 7)]);
  std::string value;
  ASSERT_TRUE(io->GetValueFromTag("0020|000e", value));
  EXPECT_EQ(value.substr(0, info.series_uid.size()), info.series_uid);
  ASSERT_TRUE(io->GetValueFromTag("0008|0060", value));
  EXPECT_EQ(value.substr(0, 2), "CT");
}

TEST(CtWriterTest, DicomIsByteIdenticalForIdenticalInput) {
  testing::TempDir dir;
  CtVolume volume = SmallVolume();
  DicomSeriesInfo info;
  info.patient_id = "p";
  info.patient_sex = "M";
  info.study_uid = info.series_uid = info.frame_of_reference_uid = DeterministicUid(1, {1});
  info.sop_uid_prefix = DeterministicUid(1, {2});
  info.manufacturer = "m";
  ASSERT_TRUE(WriteCtDicomSeries(volume, info, dir.path() / "a").ok());
  ASSERT_TRUE(WriteCtDicomSeries(volume, info, dir.path() / "b").ok());
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(dir.path() / "a" / "slice-0003.dcm"), read(dir.path() / "b" / "slice-0003.dcm"));
}

TEST(CtWriterTest, UnwritablePathIsAnError) {
  CtVolume volume = SmallVolume();
  Status status = WriteCtNifti(volume, "/proc/pancaim-no/ct.nii.gz");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/pancaim-no/ct.nii.gz"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::scenarios
