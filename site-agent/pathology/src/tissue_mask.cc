#include "pancaim/pathology/tissue_mask.h"

#include <algorithm>
#include <cmath>

namespace pancaim::pathology {

TissueMask::TissueMask(int width, int height, std::vector<std::uint8_t> tissue,
                       double level0_per_pixel_x, double level0_per_pixel_y, int threshold)
    : width_(width),
      height_(height),
      tissue_(std::move(tissue)),
      level0_per_pixel_x_(level0_per_pixel_x),
      level0_per_pixel_y_(level0_per_pixel_y),
      threshold_(threshold) {
  PANCAIM_CHECK(width >= 0 && height >= 0 &&
                tissue_.size() == static_cast<std::size_t>(width) * height);
  PANCAIM_CHECK(level0_per_pixel_x > 0 && level0_per_pixel_y > 0);
  integral_.assign(static_cast<std::size_t>(width + 1) * (height + 1), 0);
  for (int y = 0; y < height; ++y) {
    std::int64_t row = 0;
    for (int x = 0; x < width; ++x) {
      row += tissue_[static_cast<std::size_t>(y) * width + x];
      integral_[static_cast<std::size_t>(y + 1) * (width + 1) + x + 1] =
          integral_[static_cast<std::size_t>(y) * (width + 1) + x + 1] + row;
    }
  }
}

double TissueMask::TissueFraction() const {
  if (tissue_.empty()) return 0;
  return static_cast<double>(integral_.back()) / static_cast<double>(tissue_.size());
}

double TissueMask::FractionInRect(double x0, double y0, double width, double height) const {
  if (width_ == 0 || height_ == 0) return 0;
  // Mask pixels whose area the rectangle overlaps, clamped to the mask.
  const auto clamp_x = [&](double v) { return std::clamp(static_cast<int>(v), 0, width_); };
  const auto clamp_y = [&](double v) { return std::clamp(static_cast<int>(v), 0, height_); };
  const int ix0 = clamp_x(std::floor(x0 / level0_per_pixel_x_));
  const int iy0 = clamp_y(std::floor(y0 / level0_per_pixel_y_));
  const int ix1 = clamp_x(std::ceil((x0 + width) / level0_per_pixel_x_));
  const int iy1 = clamp_y(std::ceil((y0 + height) / level0_per_pixel_y_));
  if (ix1 <= ix0 || iy1 <= iy0) return 0;
  const auto at = [&](int x, int y) { return integral_[static_cast<std::size_t>(y) * (width_ + 1) + x]; };
  const std::int64_t sum = at(ix1, iy1) - at(ix0, iy1) - at(ix1, iy0) + at(ix0, iy0);
  return static_cast<double>(sum) / (static_cast<double>(ix1 - ix0) * (iy1 - iy0));
}

int OtsuThreshold(const std::vector<std::int64_t>& histogram) {
  double total = 0, weighted = 0;
  for (std::size_t i = 0; i < histogram.size(); ++i) {
    total += histogram[i];
    weighted += static_cast<double>(i) * histogram[i];
  }
  if (total == 0) return 0;
  double below = 0, below_weighted = 0, best = -1;
  int best_t = 0;
  for (std::size_t t = 0; t < histogram.size(); ++t) {
    below += histogram[t];
    below_weighted += static_cast<double>(t) * histogram[t];
    const double above = total - below;
    if (below == 0 || above == 0) continue;
    const double mean_below = below_weighted / below;
    const double mean_above = (weighted - below_weighted) / above;
    const double between = below * above * (mean_below - mean_above) * (mean_below - mean_above);
    if (between > best) {
      best = between;
      best_t = static_cast<int>(t);
    }
  }
  return best_t;
}

int Saturation(const std::uint8_t* rgb) {
  const int max = std::max({rgb[0], rgb[1], rgb[2]});
  const int min = std::min({rgb[0], rgb[1], rgb[2]});
  return max == 0 ? 0 : (255 * (max - min) + max / 2) / max;
}

TissueMask DetectTissue(const RgbImage& view, double level0_per_pixel_x, double level0_per_pixel_y,
                        const TissueDetectionOptions& options) {
  std::vector<std::int64_t> histogram(256, 0);
  std::vector<std::uint8_t> saturation(static_cast<std::size_t>(view.width) * view.height);
  std::vector<std::uint8_t> bright_enough(saturation.size());
  for (int y = 0; y < view.height; ++y) {
    for (int x = 0; x < view.width; ++x) {
      const std::uint8_t* p = view.At(x, y);
      const std::size_t i = static_cast<std::size_t>(y) * view.width + x;
      saturation[i] = static_cast<std::uint8_t>(Saturation(p));
      bright_enough[i] = std::max({p[0], p[1], p[2]}) >= options.min_value;
      if (bright_enough[i]) ++histogram[saturation[i]];
    }
  }
  const int threshold = std::max(OtsuThreshold(histogram), options.min_saturation);
  std::vector<std::uint8_t> tissue(saturation.size());
  for (std::size_t i = 0; i < tissue.size(); ++i) {
    tissue[i] = bright_enough[i] && saturation[i] > threshold;
  }
  return TissueMask(view.width, view.height, std::move(tissue), level0_per_pixel_x,
                    level0_per_pixel_y, threshold);
}

namespace {

// Averages `level` of `slide` down by an integer `factor` into `view`, reading blocks of at most
// ~2048x2048 level pixels so memory stays bounded whatever the slide's size.
Status ReadDownsampledView(const Slide& slide, int level, int factor, RgbImage* view) {
  const SlideLevel& info = slide.levels()[level];
  const int block = std::max(1, 2048 / factor);  // mask pixels per block side
  std::vector<std::uint32_t> sums;
  for (int by = 0; by < view->height; by += block) {
    for (int bx = 0; bx < view->width; bx += block) {
      const int cells_x = std::min(block, view->width - bx);
      const int cells_y = std::min(block, view->height - by);
      const std::int64_t lx = std::int64_t{bx} * factor, ly = std::int64_t{by} * factor;
      const int read_w = static_cast<int>(std::min<std::int64_t>(std::int64_t{cells_x} * factor, info.width - lx));
      const int read_h = static_cast<int>(std::min<std::int64_t>(std::int64_t{cells_y} * factor, info.height - ly));
      PANCAIM_ASSIGN_OR_RETURN(
          const RgbImage region,
          slide.ReadRegion(level, std::llround(lx * info.downsample), std::llround(ly * info.downsample),
                           read_w, read_h));
      for (int cy = 0; cy < cells_y; ++cy) {
        for (int cx = 0; cx < cells_x; ++cx) {
          std::uint32_t acc[3] = {0, 0, 0}, n = 0;
          for (int y = cy * factor; y < std::min(read_h, (cy + 1) * factor); ++y) {
            for (int x = cx * factor; x < std::min(read_w, (cx + 1) * factor); ++x) {
              const std::uint8_t* p = region.At(x, y);
              acc[0] += p[0], acc[1] += p[1], acc[2] += p[2], ++n;
            }
          }
          std::uint8_t* q = view->At(bx + cx, by + cy);
          for (int c = 0; c < 3; ++c) q[c] = static_cast<std::uint8_t>(n ? acc[c] / n : 255);
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<TissueMask> DetectTissue(const Slide& slide, const TissueDetectionOptions& options) {
  PANCAIM_CHECK(options.mask_size > 0);
  const auto& levels = slide.levels();
  int level = 0;
  for (int i = 0; i < static_cast<int>(levels.size()); ++i) {
    if (std::max(levels[i].width, levels[i].height) >= options.mask_size) level = i;
  }
  const SlideLevel& info = levels[level];
  const std::int64_t longer = std::max(info.width, info.height);
  const int factor = static_cast<int>(std::max<std::int64_t>(1, longer / options.mask_size));
  RgbImage view = RgbImage::Black(static_cast<int>((info.width + factor - 1) / factor),
                                  static_cast<int>((info.height + factor - 1) / factor));
  PANCAIM_RETURN_IF_ERROR(ReadDownsampledView(slide, level, factor, &view));
  const double scale = info.downsample * factor;
  return DetectTissue(view, scale, scale, options);
}

}  // namespace pancaim::pathology
