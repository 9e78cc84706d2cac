// Tissue detection on a low-resolution view of a slide: Otsu's threshold on HSV saturation.
// Stained tissue is saturated (pink/purple); glass, background and most dust are grey or white.
#pragma once

#include <cstdint>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/pathology/rgb_image.h"
#include "pancaim/pathology/slide.h"

namespace pancaim::pathology {

struct TissueDetectionOptions {
  // The mask's longer side, in pixels; the view is read from the coarsest level that still has at
  // least this many pixels on its longer side (or level 0 when none has) and averaged down to it.
  int mask_size = 1024;
  // Saturation (0..255) below which nothing is tissue, whatever Otsu says: keeps a blank slide
  // (one grey mode, Otsu splits noise) from being declared tissue.
  int min_saturation = 20;
  // Pixels darker than this value (max of R, G, B) are pen marks or scanner borders, not tissue.
  int min_value = 30;
};

// A binary tissue map over the whole slide. A value type; not synchronized.
class TissueMask {
 public:
  TissueMask() = default;
  // `tissue` has width * height entries (1 = tissue); `level0_per_pixel_*` > 0 (checked).
  TissueMask(int width, int height, std::vector<std::uint8_t> tissue, double level0_per_pixel_x,
             double level0_per_pixel_y, int threshold);

  int width() const { return width_; }
  int height() const { return height_; }
  bool IsTissue(int x, int y) const { return tissue_[static_cast<std::size_t>(y) * width_ + x] != 0; }
  // Saturation threshold used (Otsu's, raised to min_saturation).
  int threshold() const { return threshold_; }
  // Fraction of mask pixels that are tissue.
  double TissueFraction() const;
  // Fraction of tissue among the mask pixels that the level-0 rectangle touches (0 outside).
  double FractionInRect(double x0, double y0, double width, double height) const;

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<std::uint8_t> tissue_;
  std::vector<std::int64_t> integral_;  // (width+1) x (height+1) summed-area table of tissue_
  double level0_per_pixel_x_ = 1;
  double level0_per_pixel_y_ = 1;
  int threshold_ = 0;
};

// Otsu's threshold of a 256-bin histogram: the value t maximising the between-class variance of
// {< = t} and {> t}. Returns 0 for an empty histogram.
int OtsuThreshold(const std::vector<std::int64_t>& histogram);

// Saturation of an RGB pixel in HSV, scaled to 0..255 ((max - min) / max).
int Saturation(const std::uint8_t* rgb);

// Detects tissue in an RGB view whose pixels each span `level0_per_pixel_*` level-0 pixels.
TissueMask DetectTissue(const RgbImage& view, double level0_per_pixel_x, double level0_per_pixel_y,
                        const TissueDetectionOptions& options);

// Reads a low-resolution view of `slide` (bounded memory: read in blocks and averaged) and detects
// tissue in it. Errors: those of Slide::ReadRegion (DATA_LOSS for undecodable data).
StatusOr<TissueMask> DetectTissue(const Slide& slide, const TissueDetectionOptions& options);

}  // namespace pancaim::pathology
