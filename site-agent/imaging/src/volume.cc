#include "pancaim/imaging/volume.h"

#include <cmath>
#include <cstdio>

namespace pancaim::imaging {

std::array<double, 3> VolumeGeometry::IndexToPhysical(const std::array<double, 3>& index) const {
  std::array<double, 3> point = origin;
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) {
      point[row] += direction[row * 3 + col] * spacing[col] * index[col];
    }
  }
  return point;
}

std::array<double, 3> VolumeGeometry::Centre() const {
  return IndexToPhysical({(static_cast<double>(size[0]) - 1.0) / 2.0,
                          (static_cast<double>(size[1]) - 1.0) / 2.0,
                          (static_cast<double>(size[2]) - 1.0) / 2.0});
}

bool VolumeGeometry::HasOrthonormalDirection(double tolerance) const {
  for (int a = 0; a < 3; ++a) {
    for (int b = a; b < 3; ++b) {
      double dot = 0.0;
      for (int row = 0; row < 3; ++row) dot += direction[row * 3 + a] * direction[row * 3 + b];
      const double expected = a == b ? 1.0 : 0.0;
      if (!std::isfinite(dot) || std::abs(dot - expected) > tolerance) return false;
    }
  }
  return true;
}

std::string VolumeGeometry::Describe() const {
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer), "%lldx%lldx%lld @ %.2fx%.2fx%.2f mm",
                static_cast<long long>(size[0]), static_cast<long long>(size[1]),
                static_cast<long long>(size[2]), spacing[0], spacing[1], spacing[2]);
  return buffer;
}

}  // namespace pancaim::imaging
