#include "pancaim/pathology/color_augment.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace pancaim::pathology {
namespace {

using Matrix = std::array<std::array<double, 3>, 3>;

// Stain vectors (rows: haematoxylin, eosin, DAB) in optical density RGB, from Ruifrok & Johnston,
// "Quantification of histochemical staining by color deconvolution", Anal Quant Cytol Histol 2001;
// each row normalised to unit length as in the paper.
Matrix StainMatrix() {
  Matrix m = {{{0.65, 0.70, 0.29}, {0.07, 0.99, 0.11}, {0.27, 0.57, 0.78}}};
  for (auto& row : m) {
    const double norm = std::sqrt(row[0] * row[0] + row[1] * row[1] + row[2] * row[2]);
    for (double& v : row) v /= norm;
  }
  return m;
}

Matrix Inverse(const Matrix& m) {
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  Matrix inv;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      // Cofactor of (c, r), i.e. the adjugate's (r, c) entry.
      const int r0 = (c + 1) % 3, r1 = (c + 2) % 3, c0 = (r + 1) % 3, c1 = (r + 2) % 3;
      inv[r][c] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
    }
  }
  return inv;
}

// The jitter is affine in optical density: od_out = od_in * A + b with A = U * diag(scale) * M
// (U unmixes RGB into stains, M mixes them back) and b = shift * M. So each output channel is
// 256 * exp(-b_c) * prod_k exp(-od_k * A[k][c]) - 1, and the three exp factors come from per-tile
// 256-entry tables: three multiplications per channel instead of a log and an exp.
void JitterStains(const ColorAugmentOptions& options, DeterministicRng& rng, RgbImage& image) {
  static const Matrix kStains = StainMatrix();
  static const Matrix kUnmix = Inverse(kStains);
  std::array<double, 3> scale, shift;
  for (int i = 0; i < 3; ++i) {
    scale[i] = rng.Uniform(1 - options.hed_scale, 1 + options.hed_scale);
    shift[i] = rng.Uniform(-options.hed_shift, options.hed_shift);
  }
  Matrix affine{};
  std::array<double, 3> offset{};
  for (int c = 0; c < 3; ++c) {
    for (int s = 0; s < 3; ++s) {
      for (int k = 0; k < 3; ++k) affine[k][c] += kUnmix[k][s] * scale[s] * kStains[s][c];
      offset[c] += shift[s] * kStains[s][c];
    }
  }
  // factor[k][c][v]: exp(-od(v) * A[k][c]), od(v) = -ln((v + 1) / 256); +1 keeps black finite.
  std::array<std::array<std::array<float, 256>, 3>, 3> factor;
  for (int k = 0; k < 3; ++k) {
    for (int c = 0; c < 3; ++c) {
      for (int v = 0; v < 256; ++v) {
        const double od = -std::log((v + 1) / 256.0);
        factor[k][c][v] = static_cast<float>(std::exp(-od * affine[k][c]));
      }
    }
  }
  std::array<float, 3> gain;
  for (int c = 0; c < 3; ++c) gain[c] = static_cast<float>(256.0 * std::exp(-offset[c]));
  for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
    std::uint8_t* p = &image.pixels[i];
    const std::uint8_t r = p[0], g = p[1], b = p[2];
    for (int c = 0; c < 3; ++c) {
      const float value = gain[c] * factor[0][c][r] * factor[1][c][g] * factor[2][c][b] - 1.0f;
      p[c] = static_cast<std::uint8_t>(std::clamp(value + 0.5f, 0.0f, 255.0f));
    }
  }
}

void JitterBrightnessContrast(const ColorAugmentOptions& options, DeterministicRng& rng,
                              RgbImage& image) {
  const double contrast = rng.Uniform(1 - options.contrast, 1 + options.contrast);
  const double brightness = rng.Uniform(-options.brightness, options.brightness) * 255.0;
  std::array<std::uint8_t, 256> lut;
  for (int v = 0; v < 256; ++v) {
    lut[v] = static_cast<std::uint8_t>(
        std::clamp(std::lround((v - 128.0) * contrast + 128.0 + brightness), 0L, 255L));
  }
  for (std::uint8_t& v : image.pixels) v = lut[v];
}

}  // namespace

void AugmentColors(const ColorAugmentOptions& options, DeterministicRng& rng, RgbImage& image) {
  if (!options.enabled) return;
  JitterStains(options, rng, image);
  JitterBrightnessContrast(options, rng, image);
}

}  // namespace pancaim::pathology
