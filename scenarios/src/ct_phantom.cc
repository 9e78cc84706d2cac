#include "pancaim/scenarios/ct_phantom.h"

#include <algorithm>
#include <cmath>

#include "pancaim/common/check.h"
#include "pancaim/scenarios/random.h"

namespace pancaim::scenarios {
namespace {

struct Vec3 {
  double x, y, z;
};
Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec3 operator*(double s, Vec3 a) { return {s * a.x, s * a.y, s * a.z}; }
double Dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

// Squared normalised distance to an axis-aligned ellipsoid centre (< 1 inside).
double Ellipsoid(Vec3 p, Vec3 centre, Vec3 semi) {
  Vec3 d = p - centre;
  return d.x * d.x / (semi.x * semi.x) + d.y * d.y / (semi.y * semi.y) +
         d.z * d.z / (semi.z * semi.z);
}

// Per-patient anatomy: sizes and positions jittered around a reference abdomen.
struct Anatomy {
  double body_a, body_b;  // body ellipse semi-axes (mm)
  std::array<Vec3, 4> pancreas;       // centreline: head, neck, body, tail
  std::array<double, 4> pancreas_radius;
  double pancreas_hu, liver_hu, spleen_hu, kidney_hu, muscle_hu, fat_hu, aorta_hu;
  bool lesion = false;
  bool lesion_is_tumour = false;
  Vec3 lesion_centre{0, 0, 0};
  Vec3 lesion_semi{1, 1, 1};
  double lesion_contrast = 0.0;
};

Vec3 PancreasPoint(const Anatomy& a, double t, double* radius) {
  int segment = std::clamp(static_cast<int>(t), 0, 2);
  double f = t - segment;
  *radius = (1 - f) * a.pancreas_radius[segment] + f * a.pancreas_radius[segment + 1];
  return a.pancreas[segment] + f * (a.pancreas[segment + 1] - a.pancreas[segment]);
}

Anatomy SampleAnatomy(const PatientTruth& patient, Rng& rng) {
  Anatomy a;
  double scale = std::clamp(rng.Normal(1.0, 0.05), 0.85, 1.15);
  a.body_a = 125.0 * scale;
  a.body_b = 95.0 * scale;
  Vec3 shift{rng.Normal(0, 3), rng.Normal(0, 3), rng.Normal(0, 4)};
  a.pancreas = {Vec3{-28, 8, -12}, Vec3{-2, 0, -2}, Vec3{32, 8, 6}, Vec3{68, 28, 14}};
  for (auto& point : a.pancreas) point = point + shift + Vec3{rng.Normal(0, 2), rng.Normal(0, 2), 0};
  a.pancreas_radius = {15, 10, 9, 7};
  for (auto& r : a.pancreas_radius) r *= std::clamp(rng.Normal(1.0, 0.08), 0.8, 1.2);
  a.pancreas_hu = rng.Normal(100, 8);
  a.liver_hu = rng.Normal(60, 6);
  a.spleen_hu = rng.Normal(55, 6);
  a.kidney_hu = rng.Normal(150, 12);
  a.muscle_hu = rng.Normal(50, 5);
  a.fat_hu = rng.Normal(-95, 6);
  a.aorta_hu = rng.Normal(170, 15);
  if (patient.lesion) {
    a.lesion = true;
    a.lesion_is_tumour = !patient.lesion_is_cyst;
    // Two thirds of pancreatic lesions arise in the head.
    double t = rng.Bernoulli(0.65) ? rng.Uniform(0.0, 0.8) : rng.Uniform(0.8, 3.0);
    double radius = 0;
    Vec3 centre = PancreasPoint(a, t, &radius);
    a.lesion_centre = centre + 0.3 * radius * Vec3{rng.Normal(), rng.Normal(), rng.Normal()};
    double r = patient.lesion_diameter_mm / 2.0;
    a.lesion_semi = {r * rng.Uniform(0.85, 1.15), r * rng.Uniform(0.85, 1.15),
                     r * rng.Uniform(0.85, 1.15)};
    a.lesion_contrast = patient.lesion_contrast_hu;
  }
  return a;
}

bool InsidePancreas(const Anatomy& a, Vec3 p) {
  for (int s = 0; s < 3; ++s) {
    Vec3 from = a.pancreas[s], to = a.pancreas[s + 1];
    Vec3 axis = to - from;
    double f = std::clamp(Dot(p - from, axis) / Dot(axis, axis), 0.0, 1.0);
    Vec3 d = p - (from + f * axis);
    double r = (1 - f) * a.pancreas_radius[s] + f * a.pancreas_radius[s + 1];
    if (Dot(d, d) < r * r) return true;
  }
  return false;
}

// Noise-free intensity and label at a point (mm, LPS).
double TissueAt(const Anatomy& a, Vec3 p, std::uint8_t* label) {
  *label = kLabelBackground;
  double body = p.x * p.x / (a.body_a * a.body_a) + p.y * p.y / (a.body_b * a.body_b);
  if (body >= 1.0) return -1000.0;
  auto inner = [&](double inset) {
    double ia = a.body_a - inset, ib = a.body_b - inset;
    return p.x * p.x / (ia * ia) + p.y * p.y / (ib * ib) < 1.0;
  };
  if (!inner(14)) return a.fat_hu;      // subcutaneous fat
  if (!inner(22)) return a.muscle_hu;   // abdominal wall
  const double spine_y = a.body_b * 0.55;
  double spine = std::hypot(p.x, p.y - spine_y);
  if (spine < 16) return spine > 13 ? 700.0 : 300.0;                           // vertebral body
  if (std::hypot(p.x, p.y - spine_y - 24) < 7) return 20.0;                    // spinal canal
  if (std::hypot(p.x, p.y - spine_y - 24) < 13) return 650.0;                  // posterior arch
  if (Ellipsoid(p, {-34, spine_y + 2, 0}, {13, 17, 1e9}) < 1) return a.muscle_hu;  // psoas
  if (Ellipsoid(p, {34, spine_y + 2, 0}, {13, 17, 1e9}) < 1) return a.muscle_hu;
  if (std::hypot(p.x - 12, p.y - spine_y + 28) < 10) return a.aorta_hu;        // aorta
  if (std::hypot(p.x + 24, p.y - spine_y + 26) < 11) return a.aorta_hu - 30;   // vena cava
  if (Ellipsoid(p, {-62, spine_y - 5, -15}, {22, 26, 45}) < 1) return a.kidney_hu;
  if (Ellipsoid(p, {62, spine_y - 5, -10}, {22, 26, 45}) < 1) return a.kidney_hu;
  bool pancreas = InsidePancreas(a, p);
  if (a.lesion && Ellipsoid(p, a.lesion_centre, a.lesion_semi) < 1.0) {
    *label = a.lesion_is_tumour ? kLabelTumour : kLabelPancreas;
    return a.pancreas_hu + a.lesion_contrast;
  }
  if (pancreas) {
    *label = kLabelPancreas;
    return a.pancreas_hu;
  }
  if (Ellipsoid(p, {-70, -5, 45}, {60, 62, 70}) < 1) return a.liver_hu;
  if (Ellipsoid(p, {82, 35, 40}, {28, 30, 45}) < 1) return a.spleen_hu;
  // Bowel loops and mesentery: a smooth mix of soft tissue and fat.
  double bowel = std::sin(p.x * 0.09 + 1.3) * std::sin(p.y * 0.11) * std::sin(p.z * 0.07 + 0.4);
  return bowel > 0.25 ? 25.0 : a.fat_hu + 10.0;
}

// In-place [1 2 1]/4 blur along one axis: the scanner's point spread.
void BlurAxis(std::vector<float>& data, const std::array<int, 3>& size, int axis) {
  const std::size_t stride = axis == 0 ? 1 : axis == 1 ? size[0] : std::size_t(size[0]) * size[1];
  const int n = size[axis];
  std::vector<float> line(n);
  const std::size_t lines = data.size() / n;
  for (std::size_t l = 0; l < lines; ++l) {
    std::size_t base;
    if (axis == 0) {
      base = l * n;
    } else if (axis == 1) {
      base = (l / size[0]) * size[0] * size[1] + l % size[0];
    } else {
      base = l;
    }
    for (int i = 0; i < n; ++i) line[i] = data[base + i * stride];
    for (int i = 0; i < n; ++i) {
      float left = line[std::max(i - 1, 0)], right = line[std::min(i + 1, n - 1)];
      data[base + i * stride] = 0.25f * left + 0.5f * line[i] + 0.25f * right;
    }
  }
}

}  // namespace

CtVolume RenderCtPhantom(const PatientTruth& patient, const CtSettings& settings,
                         std::uint64_t seed) {
  Rng rng(StreamSeed(seed, {static_cast<std::uint64_t>(Stream::kCt),
                            static_cast<std::uint64_t>(patient.site_index),
                            static_cast<std::uint64_t>(patient.patient_index)}));
  Anatomy anatomy = SampleAnatomy(patient, rng);
  CtVolume volume;
  volume.size = settings.size;
  volume.spacing_mm = {settings.pixel_spacing_mm, settings.pixel_spacing_mm,
                       settings.slice_thickness_mm};
  for (int axis = 0; axis < 3; ++axis) {
    volume.origin_mm[axis] = -0.5 * (volume.size[axis] - 1) * volume.spacing_mm[axis];
  }
  const std::size_t count = std::size_t(volume.size[0]) * volume.size[1] * volume.size[2];
  PANCAIM_CHECK(count > 0) << "empty CT volume";
  std::vector<float> intensity(count);
  volume.mask.assign(count, kLabelBackground);
  for (int z = 0; z < volume.size[2]; ++z) {
    for (int y = 0; y < volume.size[1]; ++y) {
      for (int x = 0; x < volume.size[0]; ++x) {
        Vec3 p{volume.origin_mm[0] + x * volume.spacing_mm[0],
               volume.origin_mm[1] + y * volume.spacing_mm[1],
               volume.origin_mm[2] + z * volume.spacing_mm[2]};
        std::size_t i = volume.Index(x, y, z);
        intensity[i] = static_cast<float>(TissueAt(anatomy, p, &volume.mask[i]));
      }
    }
  }
  for (int axis = 0; axis < 3; ++axis) BlurAxis(intensity, volume.size, axis);
  volume.hu.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    double value = intensity[i] + settings.noise_hu * rng.Normal();
    value = settings.intensity_scale * value + settings.intensity_offset_hu;
    volume.hu[i] = static_cast<std::int16_t>(std::clamp(std::lround(value), -1024L, 3071L));
  }
  return volume;
}

}  // namespace pancaim::scenarios
