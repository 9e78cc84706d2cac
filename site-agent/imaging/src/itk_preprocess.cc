// The resampling half of the preprocessing pipeline (see preprocess.h), through ITK.
#include <itkIdentityTransform.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkNearestNeighborInterpolateImageFunction.h>
#include <itkResampleImageFilter.h>

#include <algorithm>
#include <limits>

#include "itk_bridge.h"
#include "pancaim/imaging/preprocess.h"

namespace pancaim::imaging {
namespace {

using internal::FloatImage;

Status CheckVolume(const Volume& volume, const char* what) {
  const VolumeGeometry& g = volume.geometry;
  if (g.NumVoxels() <= 0) return InvalidArgumentError(std::string(what) + " is empty");
  if (static_cast<std::int64_t>(volume.voxels.size()) != g.NumVoxels()) {
    return InvalidArgumentError(std::string(what) + ": buffer size does not match " +
                                g.Describe());
  }
  if (!g.HasOrthonormalDirection()) {
    return InvalidArgumentError(std::string(what) + ": non-orthonormal direction cosines");
  }
  for (double s : g.spacing) {
    if (!(s > 0.0)) return InvalidArgumentError(std::string(what) + ": non-positive spacing");
  }
  return Status::Ok();
}

// Axis-aligned physical bounding box (min, max) of a grid's voxel centres.
std::pair<std::array<double, 3>, std::array<double, 3>> Bounds(const VolumeGeometry& g) {
  std::array<double, 3> low;
  std::array<double, 3> high;
  low.fill(std::numeric_limits<double>::infinity());
  high.fill(-std::numeric_limits<double>::infinity());
  for (int corner = 0; corner < 8; ++corner) {
    std::array<double, 3> index;
    for (int axis = 0; axis < 3; ++axis) {
      index[axis] = (corner >> axis) & 1 ? static_cast<double>(g.size[axis] - 1) : 0.0;
    }
    const auto point = g.IndexToPhysical(index);
    for (int axis = 0; axis < 3; ++axis) {
      low[axis] = std::min(low[axis], point[axis]);
      high[axis] = std::max(high[axis], point[axis]);
    }
  }
  return {low, high};
}

bool Overlap(const VolumeGeometry& a, const VolumeGeometry& b) {
  const auto [a_low, a_high] = Bounds(a);
  const auto [b_low, b_high] = Bounds(b);
  for (int axis = 0; axis < 3; ++axis) {
    // Half a voxel of slack on each side: voxel centres vs voxel extents.
    const double slack = (a.spacing[axis] + b.spacing[axis]) / 2.0;
    if (a_high[axis] + slack < b_low[axis] || b_high[axis] + slack < a_low[axis]) return false;
  }
  return true;
}

// Physical centroid of the voxels labelled > 0, or nullopt when there are none.
std::optional<std::array<double, 3>> ForegroundCentroid(const Volume& mask) {
  const auto& size = mask.geometry.size;
  std::array<double, 3> sum{0.0, 0.0, 0.0};
  std::int64_t count = 0;
  std::size_t offset = 0;
  for (std::int64_t k = 0; k < size[2]; ++k) {
    for (std::int64_t j = 0; j < size[1]; ++j) {
      for (std::int64_t i = 0; i < size[0]; ++i, ++offset) {
        if (mask.voxels[offset] > 0.5f) {
          sum[0] += static_cast<double>(i);
          sum[1] += static_cast<double>(j);
          sum[2] += static_cast<double>(k);
          ++count;
        }
      }
    }
  }
  if (count == 0) return std::nullopt;
  const double n = static_cast<double>(count);
  return mask.geometry.IndexToPhysical({sum[0] / n, sum[1] / n, sum[2] / n});
}

template <typename Interpolator>
Volume Resample(const Volume& input, const VolumeGeometry& output, float fill) {
  auto filter = itk::ResampleImageFilter<FloatImage, FloatImage>::New();
  filter->SetInput(internal::WrapVolume(input));
  filter->SetTransform(itk::IdentityTransform<double, 3>::New());
  filter->SetInterpolator(Interpolator::New());
  filter->SetDefaultPixelValue(fill);
  auto reference = FloatImage::New();
  internal::ApplyGeometry(output, *reference);
  filter->SetOutputParametersFromImage(reference);
  filter->Update();
  return internal::ToVolume(*filter->GetOutput());
}

}  // namespace

StatusOr<PreprocessedCase> Preprocess(const Volume& image, const Volume* mask,
                                      const PreprocessOptions& options) {
  PANCAIM_RETURN_IF_ERROR(options.Validate());
  PANCAIM_RETURN_IF_ERROR(CheckVolume(image, "image"));
  if (mask != nullptr) {
    PANCAIM_RETURN_IF_ERROR(CheckVolume(*mask, "mask"));
    if (!Overlap(image.geometry, mask->geometry)) {
      return InvalidArgumentError("mask (" + mask->geometry.Describe() +
                                  ") does not overlap the image (" + image.geometry.Describe() +
                                  ") in physical space");
    }
  }
  PreprocessedCase result;
  std::array<double, 3> centre = image.geometry.Centre();
  if (mask != nullptr && options.centre_on_mask) {
    if (auto centroid = ForegroundCentroid(*mask)) {
      centre = *centroid;
      result.centred_on_mask = true;
    } else {
      result.notes.push_back("mask has no foreground; centred on the volume");
    }
  }
  // Canonical output grid: identity direction, configured spacing, centred on `centre`.
  VolumeGeometry grid;
  grid.size = options.size;
  grid.spacing = options.spacing_mm;
  for (int axis = 0; axis < 3; ++axis) {
    grid.origin[axis] =
        centre[axis] - (static_cast<double>(options.size[axis]) - 1.0) / 2.0 * grid.spacing[axis];
  }
  try {
    result.image = Resample<itk::LinearInterpolateImageFunction<FloatImage, double>>(
        image, grid, static_cast<float>(options.pad_value));
    if (mask != nullptr) {
      result.mask = Resample<itk::NearestNeighborInterpolateImageFunction<FloatImage, double>>(
          *mask, grid, 0.0f);
    }
  } catch (const itk::ExceptionObject& e) {
    return InternalError("resampling failed: " + internal::DescribeItkError(e));
  }
  WindowAndNormalise(result.image.voxels, options);
  return result;
}

}  // namespace pancaim::imaging
