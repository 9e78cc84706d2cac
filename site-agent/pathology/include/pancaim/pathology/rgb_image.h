// RgbImage: a plain interleaved 8-bit RGB buffer (row-major, height x width x 3), the form in which
// tiles leave this library. No LibTorch here: the trainer wraps `pixels` in a tensor itself.
#pragma once

#include <cstdint>
#include <vector>

namespace pancaim::pathology {

// An owned RGB image. A value type: copy or move it; not synchronized (share across threads only
// under external synchronization, like any value).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // size height * width * 3, pixel (x, y) at 3 * (y * width + x)

  // An image of the given size, every pixel black. Sizes must be >= 0 (checked).
  static RgbImage Black(int width, int height);

  // Shape as {height, width, channels}, the HWC layout of `pixels`.
  std::vector<std::int64_t> Shape() const { return {height, width, 3}; }

  std::uint8_t* At(int x, int y) { return &pixels[3 * (static_cast<std::size_t>(y) * width + x)]; }
  const std::uint8_t* At(int x, int y) const {
    return &pixels[3 * (static_cast<std::size_t>(y) * width + x)];
  }

  // The pixels as floats in [0, 1], same HWC layout and Shape().
  std::vector<float> ToFloat() const;
};

// Resizes with area averaging when shrinking and bilinear interpolation when enlarging, which keeps
// tiles read at a finer pyramid level comparable to tiles read at the exact target resolution.
// `width` and `height` must be > 0 and `source` non-empty (checked).
RgbImage Resize(const RgbImage& source, int width, int height);

}  // namespace pancaim::pathology
