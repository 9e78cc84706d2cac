#include "pancaim/scenarios/slide_synthesis.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "pancaim/common/check.h"
#include "pancaim/scenarios/random.h"

namespace pancaim::scenarios {
namespace {

constexpr double kPi = std::numbers::pi;

// Smooth random field: values on a coarse lattice, bilinearly interpolated.
class ValueNoise {
 public:
  ValueNoise(Rng& rng, int width, int height, int cell) : cell_(cell) {
    columns_ = width / cell + 2;
    rows_ = height / cell + 2;
    values_.resize(static_cast<std::size_t>(columns_) * rows_);
    for (auto& value : values_) value = static_cast<float>(rng.Uniform(-1.0, 1.0));
  }
  float At(int x, int y) const {
    float fx = static_cast<float>(x) / cell_, fy = static_cast<float>(y) / cell_;
    int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
    float tx = fx - ix, ty = fy - iy;
    auto v = [&](int cx, int cy) { return values_[static_cast<std::size_t>(cy) * columns_ + cx]; };
    float top = v(ix, iy) * (1 - tx) + v(ix + 1, iy) * tx;
    float bottom = v(ix, iy + 1) * (1 - tx) + v(ix + 1, iy + 1) * tx;
    return top * (1 - ty) + bottom * ty;
  }

 private:
  int cell_, columns_, rows_;
  std::vector<float> values_;
};

// Stain concentrations per pixel plus tissue and gland flags.
struct StainField {
  int width, height;
  std::vector<float> h, e;
  std::vector<std::uint8_t> tissue, gland;
  std::size_t At(int x, int y) const { return static_cast<std::size_t>(y) * width + x; }
};

struct Fragment {
  double cx, cy, rx, ry, angle;
  std::array<double, 4> wobble_amplitude, wobble_phase;
};

void DrawTissue(Rng& rng, StainField& f) {
  const int n = f.width;
  std::vector<Fragment> fragments(2 + rng.UniformInt(3));
  for (auto& fr : fragments) {
    fr = {n * rng.Uniform(0.3, 0.7), n * rng.Uniform(0.3, 0.7), n * rng.Uniform(0.18, 0.32),
          n * rng.Uniform(0.14, 0.28), rng.Uniform(0, kPi), {}, {}};
    for (int k = 0; k < 4; ++k) {
      fr.wobble_amplitude[k] = rng.Uniform(0.0, 0.12 / (k + 1));
      fr.wobble_phase[k] = rng.Uniform(0, 2 * kPi);
    }
  }
  // The boundary field is smooth, so evaluate it on a coarse grid and interpolate.
  constexpr int kCell = 8;
  const int cells = n / kCell + 2;
  std::vector<float> field(static_cast<std::size_t>(cells) * cells);
  for (int gy = 0; gy < cells; ++gy) {
    for (int gx = 0; gx < cells; ++gx) {
      double best = -1e9;
      for (const auto& fr : fragments) {
        double dx = gx * kCell - fr.cx, dy = gy * kCell - fr.cy;
        double u = dx * std::cos(fr.angle) + dy * std::sin(fr.angle);
        double v = -dx * std::sin(fr.angle) + dy * std::cos(fr.angle);
        double r = std::hypot(u / fr.rx, v / fr.ry);
        double theta = std::atan2(v, u), edge = 1.0;
        for (int k = 0; k < 4; ++k) {
          edge += fr.wobble_amplitude[k] * std::sin((k + 2) * theta + fr.wobble_phase[k]);
        }
        best = std::max(best, 1.0 - r / edge);
      }
      field[static_cast<std::size_t>(gy) * cells + gx] = static_cast<float>(best);
    }
  }
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) {
      int gx = x / kCell, gy = y / kCell;
      float tx = static_cast<float>(x % kCell) / kCell, ty = static_cast<float>(y % kCell) / kCell;
      auto v = [&](int cx, int cy) { return field[static_cast<std::size_t>(cy) * cells + cx]; };
      float value = (v(gx, gy) * (1 - tx) + v(gx + 1, gy) * tx) * (1 - ty) +
                    (v(gx, gy + 1) * (1 - tx) + v(gx + 1, gy + 1) * tx) * ty;
      f.tissue[f.At(x, y)] = value > 0 ? 1 : 0;
    }
  }
}

// sin(2π t) by table lookup: texture needs speed, not precision.
class FastSine {
 public:
  FastSine() {
    for (int i = 0; i < kSize; ++i) table_[i] = static_cast<float>(std::sin(2 * kPi * i / kSize));
  }
  float Turns(float t) const {
    return table_[static_cast<unsigned>(static_cast<int>(t * kSize) & (kSize - 1))];
  }

 private:
  static constexpr int kSize = 4096;
  std::array<float, kSize> table_;
};

void DrawStroma(Rng& rng, double px_per_um, StainField& f) {
  static const FastSine sine;
  // Wavy parallel collagen fibres: stripes along one direction per slide, their phase warped by a
  // smooth random field (a direction field would alias far from the origin).
  const double angle = rng.Uniform(0, kPi);
  const float cos_a = static_cast<float>(std::cos(angle)), sin_a = static_cast<float>(std::sin(angle));
  ValueNoise warp(rng, f.width, f.height, std::max(16, static_cast<int>(90 * px_per_um)));
  ValueNoise density(rng, f.width, f.height, std::max(16, static_cast<int>(60 * px_per_um)));
  ValueNoise grain(rng, f.width, f.height, std::max(4, static_cast<int>(4 * px_per_um)));
  const float inverse_wavelength = 1.0f / static_cast<float>(std::max(3.0, 7.0 * px_per_um));
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) {
      std::size_t i = f.At(x, y);
      if (!f.tissue[i]) continue;
      float phase = (x * cos_a + y * sin_a) * inverse_wavelength + 2.5f * warp.At(x, y) + 64.0f;
      float fibre = sine.Turns(phase);
      float d = density.At(x, y);
      f.e[i] = 0.5f + 0.12f * d + 0.15f * fibre + 0.06f * grain.At(x, y);
      f.h[i] = 0.05f + 0.03f * d;
    }
  }
}

void FillEllipse(StainField& f, double cx, double cy, double a, double b, double angle, float h,
                 float e) {
  const double extent = std::max(a, b) + 1;
  const double c = std::cos(angle), s = std::sin(angle);
  for (int y = std::max(0, int(cy - extent)); y <= std::min(f.height - 1, int(cy + extent)); ++y) {
    for (int x = std::max(0, int(cx - extent)); x <= std::min(f.width - 1, int(cx + extent)); ++x) {
      std::size_t i = f.At(x, y);
      if (!f.tissue[i]) continue;
      double dx = x - cx, dy = y - cy;
      double u = (dx * c + dy * s) / a, v = (-dx * s + dy * c) / b;
      if (u * u + v * v <= 1.0) {
        f.h[i] = h;
        f.e[i] = e;
      }
    }
  }
}

void DrawStromalNuclei(Rng& rng, double px_per_um, StainField& f, std::size_t tissue_pixels) {
  const double area_per_nucleus = std::pow(35.0 * px_per_um, 2);
  const auto count = static_cast<std::size_t>(tissue_pixels / area_per_nucleus);
  for (std::size_t k = 0; k < count; ++k) {
    double x = rng.Uniform(0, f.width), y = rng.Uniform(0, f.height);
    FillEllipse(f, x, y, 5.0 * px_per_um, 1.6 * px_per_um, rng.Uniform(0, kPi), 0.85f, 0.2f);
  }
}

struct Gland {
  double x, y, radius;
};

// Paints one gland: lumen, epithelial rim, and a ring of basal nuclei. Returns new gland pixels.
std::size_t PaintGland(Rng& rng, double px_per_um, const Gland& g, StainField& f) {
  const double rim = rng.Uniform(7.0, 12.0) * px_per_um;
  const double lumen = std::max(1.5, g.radius - rim);
  const double wobble = rng.Uniform(0.03, 0.12), phase = rng.Uniform(0, 2 * kPi);
  const int lobes = 2 + static_cast<int>(rng.UniformInt(4));
  std::size_t painted = 0;
  const double extent = g.radius * (1 + wobble) + 1;
  for (int y = std::max(0, int(g.y - extent)); y <= std::min(f.height - 1, int(g.y + extent)); ++y) {
    for (int x = std::max(0, int(g.x - extent)); x <= std::min(f.width - 1, int(g.x + extent));
         ++x) {
      std::size_t i = f.At(x, y);
      if (!f.tissue[i]) continue;
      double dx = x - g.x, dy = y - g.y;
      double d = std::hypot(dx, dy);
      double scale = 1.0 + wobble * std::sin(lobes * std::atan2(dy, dx) + phase);
      if (d >= g.radius * scale) continue;
      if (d < lumen * scale) {
        f.h[i] = 0.02f;
        f.e[i] = 0.05f;
      } else {
        f.h[i] = 0.38f;  // epithelium: basophilic cytoplasm
        f.e[i] = 0.30f;
      }
      if (!f.gland[i]) {
        f.gland[i] = 1;
        ++painted;
      }
    }
  }
  const double ring = lumen + 0.6 * (g.radius - lumen);
  const int nuclei = std::max(4, static_cast<int>(2 * kPi * ring / (6.5 * px_per_um)));
  for (int k = 0; k < nuclei; ++k) {
    double angle = 2 * kPi * (k + rng.Uniform(-0.3, 0.3)) / nuclei;
    double r = ring * (1.0 + wobble * std::sin(lobes * angle + phase)) + rng.Normal(0, px_per_um);
    double size = 3.6 * px_per_um * rng.Uniform(0.8, 1.3);
    FillEllipse(f, g.x + r * std::cos(angle), g.y + r * std::sin(angle), size,
                size * rng.Uniform(0.7, 1.0), rng.Uniform(0, kPi), 1.0f, 0.12f);
  }
  return painted;
}

// Places clustered glands until they cover `target` of the tissue (or placement gives up).
std::size_t DrawGlands(Rng& rng, double px_per_um, StainField& f, std::size_t tissue_pixels,
                       double target, int* gland_count) {
  const auto goal = static_cast<std::size_t>(target * tissue_pixels);
  std::vector<Gland> glands;
  std::size_t covered = 0;
  bool full = false;
  for (int attempt = 0; attempt < 4000 && covered < goal && !full; ++attempt) {
    double cx = rng.Uniform(0, f.width), cy = rng.Uniform(0, f.height);
    if (!f.tissue[f.At(int(cx), int(cy))]) continue;
    const int members = 3 + static_cast<int>(rng.UniformInt(10));
    for (int m = 0; m < members && covered < goal; ++m) {
      Gland g{cx + rng.Normal(0, 70 * px_per_um), cy + rng.Normal(0, 70 * px_per_um),
              rng.Uniform(16.0, 38.0) * px_per_um};
      // Near the goal, shrink the last glands so the fraction lands close to the target.
      const double remaining = static_cast<double>(goal - covered);
      g.radius = std::min(g.radius, std::max(12.0 * px_per_um, std::sqrt(remaining / kPi)));
      if (kPi * g.radius * g.radius > 2.0 * remaining) {
        full = true;
        break;
      }
      if (g.x < 0 || g.y < 0 || g.x >= f.width || g.y >= f.height) continue;
      if (!f.tissue[f.At(int(g.x), int(g.y))]) continue;
      bool overlaps = false;
      for (const auto& other : glands) {
        overlaps = overlaps || std::hypot(g.x - other.x, g.y - other.y) <
                                   0.95 * (g.radius + other.radius);
      }
      if (overlaps) continue;
      glands.push_back(g);
      covered += PaintGland(rng, px_per_um, g, f);
    }
  }
  *gland_count = static_cast<int>(glands.size());
  return covered;
}

struct Stain {
  std::array<float, 3> h, e;
};

Stain SampleStain(Rng& rng, const SlideSettings& settings) {
  // Optical density vectors of hematoxylin and eosin (the reference stain matrix of Macenko et
  // al. 2009, in the spirit of Ruifrok & Johnston 2001), jittered.
  std::array<double, 3> h = {0.5626, 0.7201, 0.4062}, e = {0.2159, 0.8012, 0.5581};
  Stain stain;
  for (int c = 0; c < 3; ++c) {
    h[c] = std::max(0.01, h[c] + rng.Normal(0, settings.stain_jitter));
    e[c] = std::max(0.01, e[c] + rng.Normal(0, settings.stain_jitter));
  }
  double strength_h = settings.hematoxylin * std::exp(rng.Normal(0, settings.stain_jitter));
  double strength_e = settings.eosin * std::exp(rng.Normal(0, settings.stain_jitter));
  for (int c = 0; c < 3; ++c) {
    stain.h[c] = static_cast<float>(1.3 * strength_h * h[c]);
    stain.e[c] = static_cast<float>(1.1 * strength_e * e[c]);
  }
  return stain;
}

RgbImage ToRgb(Rng& rng, const StainField& f, const Stain& stain) {
  // 255 * exp(-od) from a table: optical densities stay below kMaxOd for any stain setting we
  // accept, and 1/1024 steps are finer than 8-bit output.
  constexpr float kMaxOd = 8.0f;
  constexpr int kSteps = 8192;
  static const std::vector<float> transmission = [] {
    std::vector<float> table(kSteps + 1);
    for (int i = 0; i <= kSteps; ++i) table[i] = 255.0f * std::exp(-kMaxOd * i / kSteps);
    return table;
  }();
  RgbImage image{f.width, f.height, {}};
  image.pixels.resize(static_cast<std::size_t>(f.width) * f.height * 3);
  std::uint64_t noise_state = rng.NextU64() | 1;
  for (std::size_t i = 0; i < f.h.size(); ++i) {
    // xorshift: cheap per-pixel sensor noise, deterministic.
    noise_state ^= noise_state << 13;
    noise_state ^= noise_state >> 7;
    noise_state ^= noise_state << 17;
    for (int c = 0; c < 3; ++c) {
      float od = std::clamp(0.03f + f.h[i] * stain.h[c] + f.e[i] * stain.e[c], 0.0f, kMaxOd);
      float noise = static_cast<float>((noise_state >> (c * 8)) & 0xff) / 255.0f * 6.0f - 3.0f;
      float value = transmission[static_cast<int>(od * (kSteps / kMaxOd))] + noise;
      image.pixels[i * 3 + c] = static_cast<std::uint8_t>(std::clamp(value, 0.0f, 255.0f));
    }
  }
  return image;
}

}  // namespace

RgbImage RenderSlide(const PatientTruth& patient, const SlideSettings& settings,
                     std::uint64_t seed, SlideStatistics* statistics) {
  PANCAIM_CHECK(settings.size_px >= 64 && settings.mpp > 0) << "bad slide settings";
  Rng rng(StreamSeed(seed, {static_cast<std::uint64_t>(Stream::kSlide),
                            static_cast<std::uint64_t>(patient.site_index),
                            static_cast<std::uint64_t>(patient.patient_index)}));
  const double px_per_um = 1.0 / settings.mpp;
  StainField field{settings.size_px, settings.size_px, {}, {}, {}, {}};
  const std::size_t count = static_cast<std::size_t>(field.width) * field.height;
  field.h.assign(count, 0.0f);
  field.e.assign(count, 0.0f);
  field.tissue.assign(count, 0);
  field.gland.assign(count, 0);
  DrawTissue(rng, field);
  std::size_t tissue_pixels = 0;
  for (auto t : field.tissue) tissue_pixels += t;
  DrawStroma(rng, px_per_um, field);
  DrawStromalNuclei(rng, px_per_um, field, tissue_pixels);
  int glands = 0;
  std::size_t gland_pixels = 0;
  if (patient.gland_fraction > 0 && tissue_pixels > 0) {
    gland_pixels = DrawGlands(rng, px_per_um, field, tissue_pixels, patient.gland_fraction, &glands);
  }
  Stain stain = SampleStain(rng, settings);
  if (statistics != nullptr) {
    statistics->tissue_fraction = static_cast<double>(tissue_pixels) / count;
    statistics->gland_fraction =
        tissue_pixels ? static_cast<double>(gland_pixels) / tissue_pixels : 0.0;
    statistics->glands = glands;
  }
  return ToRgb(rng, field, stain);
}

}  // namespace pancaim::scenarios
