#include "itk_bridge.h"

#include "pancaim/common/check.h"

#include <gdcmTrace.h>
#include <itkGDCMImageIOFactory.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>
#include <itkObject.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace pancaim::imaging::internal {

void RegisterImageIoFactories() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::NiftiImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::GDCMImageIOFactory::RegisterOneFactory();
    itk::Object::GlobalWarningDisplayOff();
    // GDCM prints warnings about files it still reads (e.g. a missing PhotometricInterpretation);
    // what matters comes back as a Status, so keep check-data's output readable.
    gdcm::Trace::WarningOff();
    gdcm::Trace::DebugOff();
  });
}

VolumeGeometry GeometryOf(const FloatImage& image) {
  VolumeGeometry geometry;
  const auto size = image.GetLargestPossibleRegion().GetSize();
  for (unsigned axis = 0; axis < 3; ++axis) {
    geometry.size[axis] = static_cast<std::int64_t>(size[axis]);
    geometry.spacing[axis] = image.GetSpacing()[axis];
    geometry.origin[axis] = image.GetOrigin()[axis];
    for (unsigned col = 0; col < 3; ++col) {
      geometry.direction[axis * 3 + col] = image.GetDirection()(axis, col);
    }
  }
  return geometry;
}

void ApplyGeometry(const VolumeGeometry& geometry, FloatImage& image) {
  FloatImage::SizeType size;
  FloatImage::SpacingType spacing;
  FloatImage::PointType origin;
  FloatImage::DirectionType direction;
  for (unsigned axis = 0; axis < 3; ++axis) {
    size[axis] = static_cast<itk::SizeValueType>(geometry.size[axis]);
    spacing[axis] = geometry.spacing[axis];
    origin[axis] = geometry.origin[axis];
    for (unsigned col = 0; col < 3; ++col) direction(axis, col) = geometry.direction[axis * 3 + col];
  }
  image.SetRegions(FloatImage::RegionType(size));
  image.SetSpacing(spacing);
  image.SetOrigin(origin);
  image.SetDirection(direction);
}

Volume ToVolume(const FloatImage& image) {
  Volume volume;
  volume.geometry = GeometryOf(image);
  const auto count = static_cast<std::size_t>(volume.geometry.NumVoxels());
  volume.voxels.resize(count);
  if (count > 0) std::memcpy(volume.voxels.data(), image.GetBufferPointer(), count * sizeof(float));
  return volume;
}

FloatImage::Pointer WrapVolume(const Volume& volume) {
  PANCAIM_CHECK(static_cast<std::int64_t>(volume.voxels.size()) == volume.geometry.NumVoxels())
      << "volume buffer does not match its geometry";
  auto image = FloatImage::New();
  ApplyGeometry(volume.geometry, *image);
  // ITK's import container needs a non-const pointer; the image is only read (documented).
  image->GetPixelContainer()->SetImportPointer(const_cast<float*>(volume.voxels.data()),
                                               volume.voxels.size(),
                                               /*LetContainerManageMemory=*/false);
  return image;
}

std::string DescribeItkError(const itk::ExceptionObject& error) {
  std::string text = error.GetDescription();
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  if (text.size() > 400) text = text.substr(0, 400) + "...";
  return text;
}

}  // namespace pancaim::imaging::internal
