#include "pancaim/scenarios/ct_writer.h"

#include <array>
#include <cstdio>
#include <system_error>

#include <itkGDCMImageIO.h>
#include <itkImage.h>
#include <itkImageFileWriter.h>
#include <itkMetaDataObject.h>
#include <itkNiftiImageIO.h>

#include "pancaim/scenarios/random.h"

namespace pancaim::scenarios {
namespace {

template <typename Pixel, unsigned Dimension>
typename itk::Image<Pixel, Dimension>::Pointer MakeImage(const CtVolume& volume,
                                                          const Pixel* data, int first_slice) {
  using Image = itk::Image<Pixel, Dimension>;
  typename Image::RegionType region;
  typename Image::SpacingType spacing;
  typename Image::PointType origin;
  for (unsigned axis = 0; axis < Dimension; ++axis) {
    region.SetSize(axis, static_cast<itk::SizeValueType>(volume.size[axis]));
    spacing[axis] = volume.spacing_mm[axis];
    origin[axis] = volume.origin_mm[axis];
  }
  auto image = Image::New();
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->Allocate();
  const std::size_t count = region.GetNumberOfPixels();
  const std::size_t offset = static_cast<std::size_t>(first_slice) * volume.size[0] * volume.size[1];
  std::copy(data + offset, data + offset + count, image->GetBufferPointer());
  return image;
}

// Writes through `io` into a temporary name in the same folder (keeping the extension ITK picks
// the format by), checks the file appeared (ITK's NIfTI writer reports some failures only on
// stderr) and renames it into place, so a failure never leaves a partial file at `path`.
template <typename ImagePointer>
Status WriteWithIo(const ImagePointer& image, itk::ImageIOBase* io,
                   const std::filesystem::path& path, bool compress) {
  using Image = typename ImagePointer::ObjectType;
  const std::string name = path.filename().string();
  const std::size_t dot = name.find('.');
  const std::string extension = dot == std::string::npos ? "" : name.substr(dot);
  const std::filesystem::path temporary =
      path.parent_path() / ("." + name.substr(0, dot) + ".partial" + extension);
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetInput(image);
  writer->SetImageIO(io);
  writer->SetFileName(temporary.string());
  writer->SetUseCompression(compress);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& error) {
    std::filesystem::remove(temporary);
    return InternalError(path.string() + ": ITK could not write the image: " +
                         error.GetDescription());
  }
  std::error_code error;
  if (!std::filesystem::exists(temporary, error) || std::filesystem::file_size(temporary, error) == 0) {
    return InternalError(path.string() + ": ITK could not write the image (folder missing or "
                                         "not writable?)");
  }
  std::filesystem::rename(temporary, path, error);
  if (error) return InternalError(path.string() + ": cannot move the image in place: " + error.message());
  return Status::Ok();
}

std::string FormatDecimal(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

void SetTag(itk::MetaDataDictionary& dictionary, const std::string& tag,
            const std::string& value) {
  itk::EncapsulateMetaData<std::string>(dictionary, tag, value);
}

void FillSeriesTags(itk::MetaDataDictionary& d, const CtVolume& volume,
                    const DicomSeriesInfo& info) {
  SetTag(d, "0008|0016", "1.2.840.10008.5.1.4.1.1.2");  // CT Image Storage
  SetTag(d, "0008|0060", "CT");
  SetTag(d, "0008|0008", "ORIGINAL\\PRIMARY\\AXIAL");
  SetTag(d, "0008|0020", info.study_date);
  SetTag(d, "0008|0021", info.study_date);
  SetTag(d, "0008|0023", info.study_date);
  SetTag(d, "0008|0012", info.study_date);
  SetTag(d, "0008|0030", "090000");
  SetTag(d, "0008|0031", "090000");
  SetTag(d, "0008|0013", "090000");
  SetTag(d, "0008|0070", info.manufacturer);
  SetTag(d, "0008|0080", info.institution);
  SetTag(d, "0008|103e", "Synthetic abdomen CT, portal venous phase");
  SetTag(d, "0010|0010", info.patient_id);
  SetTag(d, "0010|0020", info.patient_id);
  SetTag(d, "0010|0040", info.patient_sex);
  char age[8];
  std::snprintf(age, sizeof(age), "%03dY", std::clamp(info.patient_age_years, 0, 999));
  SetTag(d, "0010|1010", age);
  SetTag(d, "0018|0015", "ABDOMEN");
  SetTag(d, "0018|0050", FormatDecimal(volume.spacing_mm[2]));
  SetTag(d, "0018|0088", FormatDecimal(volume.spacing_mm[2]));
  SetTag(d, "0020|000d", info.study_uid);
  SetTag(d, "0020|000e", info.series_uid);
  SetTag(d, "0020|0052", info.frame_of_reference_uid);
  SetTag(d, "0020|0010", "1");
  SetTag(d, "0020|0011", "1");
  SetTag(d, "0020|0037", "1\\0\\0\\0\\1\\0");
  SetTag(d, "0028|0004", "MONOCHROME2");
  SetTag(d, "0028|1050", "40");
  SetTag(d, "0028|1051", "400");
}

}  // namespace

std::string DeterministicUid(std::uint64_t seed, std::initializer_list<std::uint64_t> labels) {
  std::uint64_t high = StreamSeed(seed, labels);
  std::uint64_t low = StreamSeed(high, {0x5549445f4c4f57ULL});
  // 128-bit to decimal by long division on 32-bit limbs.
  std::array<std::uint32_t, 4> limbs = {static_cast<std::uint32_t>(high >> 32),
                                        static_cast<std::uint32_t>(high),
                                        static_cast<std::uint32_t>(low >> 32),
                                        static_cast<std::uint32_t>(low)};
  std::string digits;
  bool nonzero = true;
  while (nonzero) {
    std::uint64_t remainder = 0;
    nonzero = false;
    for (auto& limb : limbs) {
      std::uint64_t current = (remainder << 32) | limb;
      limb = static_cast<std::uint32_t>(current / 10);
      remainder = current % 10;
      nonzero = nonzero || limb != 0;
    }
    digits.insert(digits.begin(), static_cast<char>('0' + remainder));
  }
  return "2.25." + digits;
}

Status WriteCtNifti(const CtVolume& volume, const std::filesystem::path& path) {
  auto image = MakeImage<std::int16_t, 3>(volume, volume.hu.data(), 0);
  auto io = itk::NiftiImageIO::New();
  return WriteWithIo(image, io.GetPointer(), path, /*compress=*/true);
}

Status WriteMaskNifti(const CtVolume& volume, const std::filesystem::path& path) {
  auto image = MakeImage<std::uint8_t, 3>(volume, volume.mask.data(), 0);
  auto io = itk::NiftiImageIO::New();
  return WriteWithIo(image, io.GetPointer(), path, /*compress=*/true);
}

Status WriteCtDicomSeries(const CtVolume& volume, const DicomSeriesInfo& info,
                          const std::filesystem::path& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return InternalError(folder.string() + ": cannot create folder: " + error.message());
  for (int z = 0; z < volume.size[2]; ++z) {
    auto slice = MakeImage<std::int16_t, 2>(volume, volume.hu.data(), z);
    itk::MetaDataDictionary& d = slice->GetMetaDataDictionary();
    FillSeriesTags(d, volume, info);
    SetTag(d, "0008|0018", info.sop_uid_prefix + "." + std::to_string(z + 1));
    SetTag(d, "0020|0013", std::to_string(z + 1));
    const double position_z = volume.origin_mm[2] + z * volume.spacing_mm[2];
    SetTag(d, "0020|0032",
           FormatDecimal(volume.origin_mm[0]) + "\\" + FormatDecimal(volume.origin_mm[1]) + "\\" +
               FormatDecimal(position_z));
    SetTag(d, "0020|1041", FormatDecimal(position_z));
    auto io = itk::GDCMImageIO::New();
    io->KeepOriginalUIDOn();
    char name[32];
    std::snprintf(name, sizeof(name), "slice-%04d.dcm", z + 1);
    PANCAIM_RETURN_IF_ERROR(WriteWithIo(slice, io.GetPointer(), folder / name, /*compress=*/false));
  }
  return Status::Ok();
}

}  // namespace pancaim::scenarios
