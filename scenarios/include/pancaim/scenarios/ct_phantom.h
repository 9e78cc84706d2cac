// An abdomen-like CT phantom rendered from a patient's ground truth: body ellipse with
// subcutaneous fat and muscle wall, spine, aorta and vena cava, psoas muscles, kidneys, liver,
// spleen and a curved pancreas (head, body, tail); for lesions, a hypodense ellipsoid in the
// pancreas. Intensities in Hounsfield units, portal-venous phase; then scanner blur, noise, gain
// and offset from the site's settings.
//
// Geometry is LPS (DICOM patient coordinates, ITK's convention): +x patient left, +y posterior,
// +z superior; axial slices, identity direction, volume centred on the origin.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "pancaim/scenarios/generative_model.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

// Mask labels, as in the manifest contract.
inline constexpr std::uint8_t kLabelBackground = 0;
inline constexpr std::uint8_t kLabelPancreas = 1;
inline constexpr std::uint8_t kLabelTumour = 2;

// A rendered volume and its mask; x fastest, then y, then z. A plain value.
struct CtVolume {
  std::array<int, 3> size = {0, 0, 0};
  std::array<double, 3> spacing_mm = {1, 1, 1};
  std::array<double, 3> origin_mm = {0, 0, 0};  // centre of voxel (0, 0, 0)
  std::vector<std::int16_t> hu;
  std::vector<std::uint8_t> mask;

  std::size_t Index(int x, int y, int z) const {
    return (static_cast<std::size_t>(z) * size[1] + y) * size[0] + x;
  }
};

// Renders the phantom of `patient` with the site's CT settings; randomness (anatomy, lesion
// position, noise) comes from the patient's CT stream of `seed`. Deterministic.
CtVolume RenderCtPhantom(const PatientTruth& patient, const CtSettings& settings,
                         std::uint64_t seed);

}  // namespace pancaim::scenarios
