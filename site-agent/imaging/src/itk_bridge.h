// Internal to pancaim::imaging: the only header that includes ITK. Conversions between Volume and
// itk::Image, IO factory registration, and ITK exception text. Included by src/itk_*.cc only.
#pragma once

#include <itkImage.h>
#include <itkMacro.h>

#include <string>

#include "pancaim/imaging/volume.h"

namespace pancaim::imaging::internal {

using FloatImage = itk::Image<float, 3>;

// Registers the NIfTI, MetaImage, NRRD and GDCM image IO factories once (instead of UseITK's
// global register manager), and silences ITK's and GDCM's warnings (errors come back as Status).
void RegisterImageIoFactories();

// Geometry of an ITK image.
VolumeGeometry GeometryOf(const FloatImage& image);

// Applies `geometry` (size as the largest region, spacing, origin, direction) to `image`.
void ApplyGeometry(const VolumeGeometry& geometry, FloatImage& image);

// Copies an ITK image into a Volume.
Volume ToVolume(const FloatImage& image);

// Wraps a Volume's buffer in an ITK image without copying. The image must not outlive `volume`
// and must only be read.
FloatImage::Pointer WrapVolume(const Volume& volume);

// The description of an ITK exception, trimmed to one line.
std::string DescribeItkError(const itk::ExceptionObject& error);

}  // namespace pancaim::imaging::internal
