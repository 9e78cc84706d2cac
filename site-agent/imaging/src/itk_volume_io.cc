// Reading and writing volume files and DICOM series through ITK (see volume_io.h).
#include <itkGDCMImageIO.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkImageSeriesReader.h>
#include <itkMetaDataObject.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <system_error>

#include "data_presence.h"
#include "gdcm_pixel_check.h"
#include "itk_bridge.h"
#include "pancaim/imaging/dicom_series.h"
#include "pancaim/imaging/volume_io.h"

namespace pancaim::imaging {
namespace {

using internal::DescribeItkError;
using internal::FloatImage;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

StatusOr<VolumeFormat> FormatFromName(const std::filesystem::path& path) {
  const std::string name = Lower(path.filename().string());
  if (EndsWith(name, ".nii") || EndsWith(name, ".nii.gz")) return VolumeFormat::kNifti;
  if (EndsWith(name, ".mha") || EndsWith(name, ".mhd")) return VolumeFormat::kMetaImage;
  if (EndsWith(name, ".nrrd") || EndsWith(name, ".nhdr")) return VolumeFormat::kNrrd;
  return InvalidArgumentError(path.string() +
                              ": unknown volume format (expected .nii, .nii.gz, .mha, .mhd, "
                              ".nrrd, .nhdr or a DICOM folder)");
}

// Geometry from an ImageIO whose information was read; refuses what we cannot use as a volume.
StatusOr<VolumeGeometry> CheckedGeometry(itk::ImageIOBase& io, const std::string& where,
                                         const ReadLimits& limits, std::int64_t slices) {
  const unsigned dims = io.GetNumberOfDimensions();
  if (dims < 2 || dims > 4 || (dims == 4 && io.GetDimensions(3) != 1)) {
    return InvalidArgumentError(where + ": not a 3-D volume (" + std::to_string(dims) +
                                " dimensions)");
  }
  if (io.GetNumberOfComponents() != 1) {
    return InvalidArgumentError(where + ": not a scalar image (" +
                                std::to_string(io.GetNumberOfComponents()) +
                                " components per voxel)");
  }
  VolumeGeometry geometry;
  const unsigned spatial = std::min(dims, 3u);
  for (unsigned axis = 0; axis < spatial; ++axis) {
    geometry.size[axis] = static_cast<std::int64_t>(io.GetDimensions(axis));
    geometry.spacing[axis] = io.GetSpacing(axis);
    geometry.origin[axis] = io.GetOrigin(axis);
    const auto column = io.GetDirection(axis);
    for (unsigned row = 0; row < spatial && row < column.size(); ++row) {
      geometry.direction[row * 3 + axis] = column[row];
    }
  }
  if (spatial == 2) geometry.size[2] = slices;
  for (unsigned axis = 0; axis < 3; ++axis) {
    if (geometry.size[axis] < 1 || geometry.size[axis] > (std::int64_t{1} << 20)) {
      return InvalidArgumentError(where + ": bad image size along axis " + std::to_string(axis));
    }
  }
  if (geometry.NumVoxels() > limits.max_voxels) {
    return ResourceExhaustedError(where + ": " + geometry.Describe() + " has more than " +
                                  std::to_string(limits.max_voxels) + " voxels");
  }
  if (!geometry.HasOrthonormalDirection()) {
    return InvalidArgumentError(where + ": non-orthonormal direction cosines (sheared or "
                                "degenerate orientation matrix); cannot place the volume in "
                                "patient space");
  }
  return geometry;
}

// ITK reports a NIfTI file whose qform and sform are both unusable this way.
Status HeaderError(const std::string& where, const itk::ExceptionObject& e) {
  const std::string reason = DescribeItkError(e);
  if (Lower(reason).find("orthonormal") != std::string::npos) {
    return InvalidArgumentError(where + ": non-orthonormal direction cosines: " + reason);
  }
  return InvalidArgumentError(where + ": unreadable header: " + reason);
}

StatusOr<itk::ImageIOBase::Pointer> OpenFileIo(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return NotFoundError(path.string() + ": no such file");
  }
  if (std::filesystem::file_size(path, error) == 0) {
    return DataLossError(path.string() + ": empty file");
  }
  PANCAIM_RETURN_IF_ERROR(FormatFromName(path).status());
  itk::ImageIOBase::Pointer io = itk::ImageIOFactory::CreateImageIO(
      path.string().c_str(), itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  if (!io) {
    return InvalidArgumentError(path.string() +
                                ": unreadable file (no reader recognises its header; truncated "
                                "or not the format its name says)");
  }
  io->SetFileName(path.string());
  try {
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    return HeaderError(path.string(), e);
  }
  return io;
}

StatusOr<LoadedVolume> ReadFileVolume(const VolumeSource& source, const ReadLimits& limits,
                                      VolumeFormat format, bool header_only) {
  const std::string where = source.path.string();
  PANCAIM_ASSIGN_OR_RETURN(itk::ImageIOBase::Pointer io, OpenFileIo(source.path));
  LoadedVolume loaded;
  loaded.format = format;
  loaded.files = {source.path};
  PANCAIM_ASSIGN_OR_RETURN(loaded.volume.geometry, CheckedGeometry(*io, where, limits, 1));
  if (header_only) return loaded;
  // Short files must fail here: the NIfTI and MetaImage readers would pad them silently.
  const std::uint64_t voxel_bytes = io->GetImageSizeInBytes();
  if (format == VolumeFormat::kNifti) {
    PANCAIM_RETURN_IF_ERROR(internal::CheckNiftiDataPresent(source.path, voxel_bytes));
  } else if (format == VolumeFormat::kMetaImage) {
    PANCAIM_RETURN_IF_ERROR(internal::CheckMetaImageDataPresent(source.path, voxel_bytes));
  }
  try {
    auto reader = itk::ImageFileReader<FloatImage>::New();
    reader->SetImageIO(io);
    reader->SetFileName(where);
    reader->Update();
    loaded.volume = internal::ToVolume(*reader->GetOutput());
  } catch (const itk::ExceptionObject& e) {
    return DataLossError(where + ": cannot read voxel data (truncated or corrupt file): " +
                         DescribeItkError(e));
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError(where + ": out of memory reading voxel data");
  }
  return loaded;
}

StatusOr<LoadedVolume> ReadDicomVolume(const VolumeSource& source, const ReadLimits& limits,
                                       bool header_only) {
  LoadedVolume loaded;
  loaded.format = VolumeFormat::kDicomSeries;
  PANCAIM_ASSIGN_OR_RETURN(
      DicomSeriesInfo series,
      ChooseDicomSeries(source.path, source.series_uid, &loaded.notes, limits.max_dicom_files));
  loaded.series_uid = series.uid;
  loaded.files = series.files;
  const std::string where = source.path.string() + " (series " + series.uid + ")";
  auto io = itk::GDCMImageIO::New();
  try {
    io->SetFileName(series.files.front().string());
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    return HeaderError(series.files.front().string(), e);
  }
  PANCAIM_ASSIGN_OR_RETURN(
      loaded.volume.geometry,
      CheckedGeometry(*io, where, limits, static_cast<std::int64_t>(series.files.size())));
  if (header_only) return loaded;
  for (const auto& file : series.files) {
    PANCAIM_RETURN_IF_ERROR(internal::CheckDicomPixelData(file));
  }
  try {
    auto reader = itk::ImageSeriesReader<FloatImage>::New();
    reader->SetImageIO(io);
    std::vector<std::string> names;
    for (const auto& file : series.files) names.push_back(file.string());
    reader->SetFileNames(names);
    reader->Update();
    loaded.volume = internal::ToVolume(*reader->GetOutput());
  } catch (const itk::ExceptionObject& e) {
    return DataLossError(where + ": cannot read the series (truncated, corrupt or inconsistent "
                         "slices): " + DescribeItkError(e));
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError(where + ": out of memory reading the series");
  }
  if (!loaded.volume.geometry.HasOrthonormalDirection()) {
    return InvalidArgumentError(where + ": non-orthonormal direction cosines");
  }
  return loaded;
}

StatusOr<LoadedVolume> Read(const VolumeSource& source, const ReadLimits& limits,
                            bool header_only) {
  internal::RegisterImageIoFactories();
  PANCAIM_ASSIGN_OR_RETURN(VolumeFormat format, DetectVolumeFormat(source.path));
  if (format == VolumeFormat::kDicomSeries) return ReadDicomVolume(source, limits, header_only);
  return ReadFileVolume(source, limits, format, header_only);
}

std::string FreshUid() {
  // 2.25.<decimal of a random number>: the UUID-derived UID root of DICOM PS3.5 B.2.
  std::random_device device;
  std::mt19937_64 generator((static_cast<std::uint64_t>(device()) << 32) ^ device());
  return "2.25." + std::to_string(generator()) + std::to_string(generator() % 1000000000000ULL);
}

std::string Join(const std::array<double, 3>& values, int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    char buffer[48];
    std::snprintf(buffer, sizeof(buffer), "%.6f", values[static_cast<std::size_t>(i)]);
    text += (i ? "\\" : "") + std::string(buffer);
  }
  return text;
}

}  // namespace

std::string_view VolumeFormatName(VolumeFormat format) {
  switch (format) {
    case VolumeFormat::kNifti:
      return "NIfTI";
    case VolumeFormat::kMetaImage:
      return "MetaImage";
    case VolumeFormat::kNrrd:
      return "NRRD";
    case VolumeFormat::kDicomSeries:
      return "DICOM series";
  }
  return "unknown";
}

StatusOr<VolumeFormat> DetectVolumeFormat(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    return NotFoundError(path.string() + ": no such file or folder");
  }
  if (std::filesystem::is_directory(status)) return VolumeFormat::kDicomSeries;
  return FormatFromName(path);
}

StatusOr<LoadedVolume> ReadVolumeHeader(const VolumeSource& source, const ReadLimits& limits) {
  return Read(source, limits, /*header_only=*/true);
}

StatusOr<LoadedVolume> ReadVolume(const VolumeSource& source, const ReadLimits& limits) {
  return Read(source, limits, /*header_only=*/false);
}

Status WriteVolume(const Volume& volume, const std::filesystem::path& path) {
  internal::RegisterImageIoFactories();
  PANCAIM_RETURN_IF_ERROR(FormatFromName(path).status());
  try {
    auto writer = itk::ImageFileWriter<FloatImage>::New();
    writer->SetFileName(path.string());
    writer->SetInput(internal::WrapVolume(volume));
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    return InternalError(path.string() + ": cannot write volume: " + DescribeItkError(e));
  }
  return Status::Ok();
}

StatusOr<std::string> WriteDicomSeries(const Volume& volume, const std::filesystem::path& folder,
                                       const DicomSeriesWriteOptions& options) {
  internal::RegisterImageIoFactories();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return InternalError(folder.string() + ": cannot create folder: " + error.message());
  using SliceImage = itk::Image<std::int16_t, 2>;
  const VolumeGeometry& g = volume.geometry;
  const std::string series_uid = options.series_uid.empty() ? FreshUid() : options.series_uid;
  const std::string study_uid = options.study_uid.empty() ? FreshUid() : options.study_uid;
  const std::string orientation =
      Join({g.direction[0], g.direction[3], g.direction[6]}, 3) + "\\" +
      Join({g.direction[1], g.direction[4], g.direction[7]}, 3);
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    auto slice = SliceImage::New();
    SliceImage::SizeType size = {{static_cast<itk::SizeValueType>(g.size[0]),
                                  static_cast<itk::SizeValueType>(g.size[1])}};
    slice->SetRegions(SliceImage::RegionType(size));
    SliceImage::SpacingType spacing;
    spacing[0] = g.spacing[0];
    spacing[1] = g.spacing[1];
    slice->SetSpacing(spacing);
    slice->Allocate();
    std::int16_t* out = slice->GetBufferPointer();
    const std::size_t plane = static_cast<std::size_t>(g.size[0] * g.size[1]);
    for (std::size_t v = 0; v < plane; ++v) {
      const float value = volume.voxels[static_cast<std::size_t>(k) * plane + v];
      out[v] = static_cast<std::int16_t>(std::clamp(std::lround(value), -32768L, 32767L));
    }
    itk::MetaDataDictionary& dict = slice->GetMetaDataDictionary();
    const auto put = [&dict](const char* tag, const std::string& value) {
      itk::EncapsulateMetaData<std::string>(dict, tag, value);
    };
    put("0008|0016", "1.2.840.10008.5.1.4.1.1.2");  // CT Image Storage
    put("0008|0018", FreshUid());
    put("0008|0060", options.modality);
    put("0010|0020", options.patient_id);
    put("0020|000d", study_uid);
    put("0020|000e", series_uid);
    put("0020|0011", std::to_string(options.series_number));
    put("0020|0013", std::to_string(k + 1));
    put("0020|0032", Join(g.IndexToPhysical({0.0, 0.0, static_cast<double>(k)}), 3));
    put("0020|0037", orientation);
    put("0018|0050", std::to_string(g.spacing[2]));
    put("0028|0004", "MONOCHROME2");
    put("0028|1052", "0");
    put("0028|1053", "1");
    char name[32];
    std::snprintf(name, sizeof(name), "slice_%04lld.dcm", static_cast<long long>(k));
    try {
      auto io = itk::GDCMImageIO::New();
      io->KeepOriginalUIDOn();
      io->SetMetaDataDictionary(dict);
      auto writer = itk::ImageFileWriter<SliceImage>::New();
      writer->SetImageIO(io);
      writer->SetFileName((folder / name).string());
      writer->SetInput(slice);
      writer->Update();
    } catch (const itk::ExceptionObject& e) {
      return InternalError((folder / name).string() + ": cannot write DICOM slice: " +
                           DescribeItkError(e));
    }
  }
  return series_uid;
}

}  // namespace pancaim::imaging
