// Synthetic H&E slides: a tissue fragment on a white background; stroma-like tissue (pink,
// fibrous, sparse spindle nuclei) everywhere, and gland-like structures (round lumens lined by an
// epithelial rim of crowded nuclei) covering the patient's gland fraction of the tissue. Colours
// come from a Beer-Lambert mix of hematoxylin and eosin whose strengths are the site's stain
// shift, with a small per-slide jitter.
#pragma once

#include <cstdint>
#include <vector>

#include "pancaim/scenarios/generative_model.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B. A plain value.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

// What was drawn, for tests and the ground-truth table.
struct SlideStatistics {
  double tissue_fraction = 0.0;  // tissue pixels / all pixels
  double gland_fraction = 0.0;   // gland pixels / tissue pixels (target: patient.gland_fraction)
  int glands = 0;
};

// Renders the level-0 image of `patient`'s slide (settings.size_px square at settings.mpp);
// randomness from the patient's slide stream of `seed`. Deterministic. Optionally reports what
// was drawn.
RgbImage RenderSlide(const PatientTruth& patient, const SlideSettings& settings,
                     std::uint64_t seed, SlideStatistics* statistics = nullptr);

}  // namespace pancaim::scenarios
