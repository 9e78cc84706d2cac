// A 3-D scalar volume as a plain float buffer plus its geometry in physical space. This is what
// the imaging library hands to the rest of the system: no ITK and no LibTorch types, so the
// training side wraps `voxels` in a tensor of shape ShapeDhw() without copying.
//
// Geometry follows ITK's convention: physical coordinates in millimetres in the patient's LPS
// frame; a voxel with index (i, j, k) lies at origin + direction * diag(spacing) * (i, j, k).
//
// Volume is a value type (copyable, movable); not synchronized.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pancaim::imaging {

// Placement of a voxel grid in physical space.
struct VolumeGeometry {
  std::array<std::int64_t, 3> size{0, 0, 0};  // voxels along i (x, fastest), j (y), k (z)
  std::array<double, 3> spacing{1.0, 1.0, 1.0};  // mm between voxel centres along i, j, k
  std::array<double, 3> origin{0.0, 0.0, 0.0};   // mm, physical position of voxel (0, 0, 0)
  // Row-major 3x3; column c is the unit direction of index axis c in LPS space.
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};

  std::int64_t NumVoxels() const { return size[0] * size[1] * size[2]; }

  // Physical position (mm) of continuous index (i, j, k).
  std::array<double, 3> IndexToPhysical(const std::array<double, 3>& index) const;

  // Physical position of the geometric centre of the grid.
  std::array<double, 3> Centre() const;

  // True when the direction columns are unit length and mutually orthogonal within `tolerance`.
  bool HasOrthonormalDirection(double tolerance = 1e-4) const;

  // "512x512x120 @ 0.78x0.78x2.50 mm" for reports and logs.
  std::string Describe() const;
};

// Voxels of a volume, x fastest then y then z (ITK and NIfTI order). The tensor shape of this
// buffer is therefore (depth=size[2], height=size[1], width=size[0]).
struct Volume {
  VolumeGeometry geometry;
  std::vector<float> voxels;  // geometry.NumVoxels() values

  std::array<std::int64_t, 3> ShapeDhw() const {
    return {geometry.size[2], geometry.size[1], geometry.size[0]};
  }
  float At(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return voxels[static_cast<std::size_t>((k * geometry.size[1] + j) * geometry.size[0] + i)];
  }
};

}  // namespace pancaim::imaging
