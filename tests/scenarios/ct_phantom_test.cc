#include "pancaim/scenarios/ct_phantom.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

namespace pancaim::scenarios {
namespace {

PatientTruth Patient(bool lesion, bool cyst = false) {
  PatientTruth p;
  p.pdac = lesion && !cyst;
  p.lesion = lesion;
  p.lesion_is_cyst = cyst;
  p.lesion_diameter_mm = 24;
  p.lesion_contrast_hu = -50;
  return p;
}

CtSettings Quiet() {
  CtSettings settings;
  settings.noise_hu = 0;
  return settings;
}

double MeanHu(const CtVolume& v, std::uint8_t label) {
  double sum = 0;
  int count = 0;
  for (std::size_t i = 0; i < v.hu.size(); ++i) {
    if (v.mask[i] == label) {
      sum += v.hu[i];
      ++count;
    }
  }
  return count ? sum / count : NAN;
}

TEST(CtPhantomTest, GeometryFollowsSettings) {
  CtSettings settings = Quiet();
  settings.size = {40, 36, 20};
  settings.pixel_spacing_mm = 7.0;
  settings.slice_thickness_mm = 5.0;
  CtVolume v = RenderCtPhantom(Patient(false), settings, 1);
  EXPECT_EQ(v.size, settings.size);
  EXPECT_EQ(v.hu.size(), 40u * 36 * 20);
  EXPECT_EQ(v.mask.size(), v.hu.size());
  EXPECT_DOUBLE_EQ(v.spacing_mm[2], 5.0);
  EXPECT_DOUBLE_EQ(v.origin_mm[0], -0.5 * 39 * 7.0);  // centred
}

TEST(CtPhantomTest, TissuesHavePlausibleIntensities) {
  CtVolume v = RenderCtPhantom(Patient(false), Quiet(), 3);
  EXPECT_EQ(v.hu[v.Index(0, 0, 0)], -1000);  // air in the corner
  double pancreas = MeanHu(v, kLabelPancreas);
  EXPECT_GT(pancreas, 50);  // enhancing parenchyma, partly blurred with fat
  EXPECT_LT(pancreas, 130);
  EXPECT_EQ(std::count(v.mask.begin(), v.mask.end(), kLabelTumour), 0);
  auto bright = std::count_if(v.hu.begin(), v.hu.end(), [](std::int16_t hu) { return hu > 250; });
  EXPECT_GT(bright, 10);  // spine
}

TEST(CtPhantomTest, TumourIsHypodenseAndLabelled) {
  CtVolume v = RenderCtPhantom(Patient(true), Quiet(), 4);
  auto tumour = std::count(v.mask.begin(), v.mask.end(), kLabelTumour);
  EXPECT_GT(tumour, 10);
  EXPECT_LT(MeanHu(v, kLabelTumour), MeanHu(v, kLabelPancreas) - 20);
}

TEST(CtPhantomTest, CystIsNotLabelledTumour) {
  CtVolume v = RenderCtPhantom(Patient(true, /*cyst=*/true), Quiet(), 4);
  EXPECT_EQ(std::count(v.mask.begin(), v.mask.end(), kLabelTumour), 0);
}

TEST(CtPhantomTest, ScannerShiftChangesIntensities) {
  CtSettings shifted = Quiet();
  shifted.intensity_scale = 0.9;
  shifted.intensity_offset_hu = 20;
  CtVolume a = RenderCtPhantom(Patient(false), Quiet(), 5);
  CtVolume b = RenderCtPhantom(Patient(false), shifted, 5);
  EXPECT_EQ(b.hu[0], static_cast<std::int16_t>(std::lround(0.9 * -1000 + 20)));
  EXPECT_EQ(a.mask, b.mask);
}

TEST(CtPhantomTest, DeterministicBySeed) {
  CtSettings settings;
  EXPECT_EQ(RenderCtPhantom(Patient(true), settings, 9).hu,
            RenderCtPhantom(Patient(true), settings, 9).hu);
  EXPECT_NE(RenderCtPhantom(Patient(true), settings, 9).hu,
            RenderCtPhantom(Patient(true), settings, 10).hu);
}

}  // namespace
}  // namespace pancaim::scenarios
