#include "pancaim/pathology/slide_resolution.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace pancaim::pathology {
namespace {

constexpr double kMinMpp = 0.01, kMaxMpp = 100.0;

std::string Name(const Slide& slide) { return "slide '" + slide.path().string() + "'"; }

// Parses a property as a positive finite double; nullopt when absent.
StatusOr<std::optional<double>> NumericProperty(const Slide& slide, const std::string& name) {
  const std::optional<std::string> text = slide.Property(name);
  if (!text) return std::optional<double>();
  double value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value) || value <= 0) {
    return InvalidArgumentError(Name(slide) + ": property " + name + " = '" + *text +
                                "' is not a positive number");
  }
  return std::optional<double>(value);
}

Status CheckRange(const Slide& slide, const SlideResolution& r) {
  for (double mpp : {r.mpp_x, r.mpp_y}) {
    if (!(mpp > kMinMpp && mpp < kMaxMpp)) {
      std::ostringstream msg;
      msg << Name(slide) << ": resolution " << mpp << " microns/pixel (from " << r.source
          << ") is outside the plausible range (" << kMinMpp << ", " << kMaxMpp << ")";
      return InvalidArgumentError(msg.str());
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SlideResolution> ResolveResolution(const Slide& slide, std::optional<double> fallback_mpp) {
  SlideResolution r;
  PANCAIM_ASSIGN_OR_RETURN(const auto mpp_x, NumericProperty(slide, "openslide.mpp-x"));
  PANCAIM_ASSIGN_OR_RETURN(const auto mpp_y, NumericProperty(slide, "openslide.mpp-y"));
  if (mpp_x && mpp_y) {
    r = SlideResolution{*mpp_x, *mpp_y, "openslide.mpp"};
    PANCAIM_RETURN_IF_ERROR(CheckRange(slide, r));
    return r;
  }
  const std::optional<std::string> unit = slide.Property("tiff.ResolutionUnit");
  if (unit == "centimeter" || unit == "inch") {
    PANCAIM_ASSIGN_OR_RETURN(const auto res_x, NumericProperty(slide, "tiff.XResolution"));
    PANCAIM_ASSIGN_OR_RETURN(const auto res_y, NumericProperty(slide, "tiff.YResolution"));
    if (res_x && res_y) {
      const double microns_per_unit = *unit == "centimeter" ? 1e4 : 25400.0;
      r = SlideResolution{microns_per_unit / *res_x, microns_per_unit / *res_y, "tiff.resolution"};
      PANCAIM_RETURN_IF_ERROR(CheckRange(slide, r));
      return r;
    }
  }
  if (fallback_mpp) {
    r = SlideResolution{*fallback_mpp, *fallback_mpp, "fallback"};
    PANCAIM_RETURN_IF_ERROR(CheckRange(slide, r));
    return r;
  }
  return FailedPreconditionError(
      Name(slide) + ": no resolution metadata (neither openslide.mpp-x/mpp-y nor TIFF "
                    "XResolution/YResolution with a centimeter or inch ResolutionUnit); configure "
                    "a fallback microns-per-pixel for this site if its scanner is known");
}

StatusOr<LevelChoice> ChooseLevel(const Slide& slide, const SlideResolution& resolution,
                                  double target_mpp, int tile_size) {
  PANCAIM_CHECK(tile_size > 0 && target_mpp > 0) << tile_size << " " << target_mpp;
  const double finest = std::min(resolution.mpp_x, resolution.mpp_y);
  if (target_mpp < finest / 1.1) {
    std::ostringstream msg;
    msg << Name(slide) << ": scanned at " << finest << " microns/pixel, too coarse for tiles at "
        << target_mpp << " microns/pixel";
    return OutOfRangeError(msg.str());
  }
  LevelChoice choice;
  choice.footprint_x = tile_size * target_mpp / resolution.mpp_x;
  choice.footprint_y = tile_size * target_mpp / resolution.mpp_y;
  // Allow 1% slack so a level at exactly the target (up to rounding in the metadata) is used as is.
  const double wanted = target_mpp / finest * 1.01;
  const auto& levels = slide.levels();
  for (int level = 0; level < static_cast<int>(levels.size()); ++level) {
    if (levels[level].downsample <= wanted) choice.level = level;
  }
  const double downsample = levels[choice.level].downsample;
  choice.read_width = std::max(1, static_cast<int>(std::lround(choice.footprint_x / downsample)));
  choice.read_height = std::max(1, static_cast<int>(std::lround(choice.footprint_y / downsample)));
  return choice;
}

}  // namespace pancaim::pathology
