#include "pancaim/pathology/rgb_image.h"

#include <algorithm>
#include <cmath>

#include "pancaim/common/check.h"

namespace pancaim::pathology {

RgbImage RgbImage::Black(int width, int height) {
  PANCAIM_CHECK(width >= 0 && height >= 0) << "negative image size " << width << "x" << height;
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.assign(static_cast<std::size_t>(width) * height * 3, 0);
  return image;
}

std::vector<float> RgbImage::ToFloat() const {
  std::vector<float> out(pixels.size());
  constexpr float kScale = 1.0f / 255.0f;
  for (std::size_t i = 0; i < pixels.size(); ++i) out[i] = pixels[i] * kScale;
  return out;
}

namespace {

// Box filter: each output pixel averages the source pixels its footprint covers (with fractional
// weights at the borders), so shrinking never aliases.
RgbImage ResizeArea(const RgbImage& src, int width, int height) {
  RgbImage out = RgbImage::Black(width, height);
  const double sx = static_cast<double>(src.width) / width;
  const double sy = static_cast<double>(src.height) / height;
  for (int y = 0; y < height; ++y) {
    const double y0 = y * sy, y1 = (y + 1) * sy;
    for (int x = 0; x < width; ++x) {
      const double x0 = x * sx, x1 = (x + 1) * sx;
      double acc[3] = {0, 0, 0};
      double total = 0;
      for (int iy = static_cast<int>(y0); iy < std::min<double>(std::ceil(y1), src.height); ++iy) {
        const double wy = std::min<double>(iy + 1, y1) - std::max<double>(iy, y0);
        for (int ix = static_cast<int>(x0); ix < std::min<double>(std::ceil(x1), src.width); ++ix) {
          const double w = wy * (std::min<double>(ix + 1, x1) - std::max<double>(ix, x0));
          const std::uint8_t* p = src.At(ix, iy);
          for (int c = 0; c < 3; ++c) acc[c] += w * p[c];
          total += w;
        }
      }
      std::uint8_t* q = out.At(x, y);
      for (int c = 0; c < 3; ++c) {
        q[c] = static_cast<std::uint8_t>(std::clamp(std::lround(acc[c] / total), 0L, 255L));
      }
    }
  }
  return out;
}

RgbImage ResizeBilinear(const RgbImage& src, int width, int height) {
  RgbImage out = RgbImage::Black(width, height);
  const double sx = static_cast<double>(src.width) / width;
  const double sy = static_cast<double>(src.height) / height;
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, src.height - 1.0);
    const int y0 = static_cast<int>(fy);
    const int y1 = std::min(y0 + 1, src.height - 1);
    const double ty = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, src.width - 1.0);
      const int x0 = static_cast<int>(fx);
      const int x1 = std::min(x0 + 1, src.width - 1);
      const double tx = fx - x0;
      std::uint8_t* q = out.At(x, y);
      for (int c = 0; c < 3; ++c) {
        const double top = src.At(x0, y0)[c] * (1 - tx) + src.At(x1, y0)[c] * tx;
        const double bottom = src.At(x0, y1)[c] * (1 - tx) + src.At(x1, y1)[c] * tx;
        q[c] = static_cast<std::uint8_t>(std::clamp(std::lround(top * (1 - ty) + bottom * ty), 0L, 255L));
      }
    }
  }
  return out;
}

}  // namespace

RgbImage Resize(const RgbImage& source, int width, int height) {
  PANCAIM_CHECK(width > 0 && height > 0) << "resize to " << width << "x" << height;
  PANCAIM_CHECK(source.width > 0 && source.height > 0) << "resize of an empty image";
  if (width == source.width && height == source.height) return source;
  if (width <= source.width && height <= source.height) return ResizeArea(source, width, height);
  return ResizeBilinear(source, width, height);
}

}  // namespace pancaim::pathology
