#include "pancaim/imaging/preprocess_options.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace pancaim::imaging {

StatusOr<IntensityNormalisation> ParseIntensityNormalisation(std::string_view text) {
  if (text == "none") return IntensityNormalisation::kNone;
  if (text == "window_to_unit") return IntensityNormalisation::kWindowToUnit;
  if (text == "zscore") return IntensityNormalisation::kZScore;
  return InvalidArgumentError("unknown intensity normalisation '" + std::string(text) +
                              "' (expected none, window_to_unit or zscore)");
}

std::string_view IntensityNormalisationName(IntensityNormalisation normalisation) {
  switch (normalisation) {
    case IntensityNormalisation::kNone:
      return "none";
    case IntensityNormalisation::kWindowToUnit:
      return "window_to_unit";
    case IntensityNormalisation::kZScore:
      return "zscore";
  }
  return "unknown";
}

Status PreprocessOptions::Validate() const {
  static constexpr const char* kAxes[3] = {"x", "y", "z"};
  for (int axis = 0; axis < 3; ++axis) {
    if (!std::isfinite(spacing_mm[axis]) || spacing_mm[axis] <= 0.0 || spacing_mm[axis] > 100.0) {
      return InvalidArgumentError(std::string("imaging spacing along ") + kAxes[axis] +
                                  " must be in (0, 100] mm, got " +
                                  std::to_string(spacing_mm[axis]));
    }
    if (size[axis] < 1 || size[axis] > 1024) {
      return InvalidArgumentError(std::string("imaging size along ") + kAxes[axis] +
                                  " must be in 1..1024 voxels, got " + std::to_string(size[axis]));
    }
  }
  if (!std::isfinite(window_min) || !std::isfinite(window_max) || window_min >= window_max) {
    return InvalidArgumentError("imaging window must satisfy window_min < window_max, got " +
                                std::to_string(window_min) + ".." + std::to_string(window_max));
  }
  if (!std::isfinite(pad_value)) return InvalidArgumentError("imaging pad value must be finite");
  return Status::Ok();
}

std::string PreprocessOptions::Fingerprint() const {
  // %.17g round-trips doubles exactly, so equal settings always give equal text.
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer),
                "pancaim-imaging-v1;spacing=%.17g,%.17g,%.17g;size=%lld,%lld,%lld;"
                "window=%.17g,%.17g;norm=%s;centre_on_mask=%d;pad=%.17g",
                spacing_mm[0], spacing_mm[1], spacing_mm[2], static_cast<long long>(size[0]),
                static_cast<long long>(size[1]), static_cast<long long>(size[2]), window_min,
                window_max, std::string(IntensityNormalisationName(normalisation)).c_str(),
                centre_on_mask ? 1 : 0, pad_value);
  return buffer;
}

}  // namespace pancaim::imaging
