// The intensity half of the preprocessing pipeline (see preprocess.h); no ITK needed.
#include <algorithm>
#include <cmath>

#include "pancaim/imaging/preprocess.h"

namespace pancaim::imaging {

void WindowAndNormalise(std::vector<float>& voxels, const PreprocessOptions& options) {
  const auto low = static_cast<float>(options.window_min);
  const auto high = static_cast<float>(options.window_max);
  for (float& v : voxels) v = std::clamp(std::isnan(v) ? low : v, low, high);
  switch (options.normalisation) {
    case IntensityNormalisation::kNone:
      return;
    case IntensityNormalisation::kWindowToUnit: {
      const float scale = 1.0f / (high - low);
      for (float& v : voxels) v = (v - low) * scale;
      return;
    }
    case IntensityNormalisation::kZScore: {
      if (voxels.empty()) return;
      double sum = 0.0;
      double sum_sq = 0.0;
      for (float v : voxels) {
        sum += v;
        sum_sq += static_cast<double>(v) * v;
      }
      const double n = static_cast<double>(voxels.size());
      const double mean = sum / n;
      const double var = std::max(0.0, sum_sq / n - mean * mean);
      // A constant volume has no scale; centring alone keeps it finite.
      const double inv_std = var > 1e-12 ? 1.0 / std::sqrt(var) : 1.0;
      for (float& v : voxels) v = static_cast<float>((v - mean) * inv_std);
      return;
    }
  }
}

}  // namespace pancaim::imaging
