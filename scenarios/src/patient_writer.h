// Internal: writes one patient's files into its site folder and returns its manifest row.
#pragma once

#include <filesystem>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/generative_model.h"
#include "pancaim/scenarios/manifest_writer.h"
#include "pancaim/scenarios/scenario_config.h"
#include "pancaim/scenarios/slide_synthesis.h"

namespace pancaim::scenarios {

struct PatientOutput {
  ManifestRow row;
  SlideStatistics slide;  // zero when the patient has no slide
};

// Renders and writes CT (+ mask), slide and VCF as the patient's availability says. `site_dir`
// holds the ct/, masks/, slides/ and genomics/ folders (created beforehand).
StatusOr<PatientOutput> WritePatient(const PatientTruth& patient, const SiteConfig& site,
                                     std::uint64_t seed, const std::filesystem::path& site_dir);

}  // namespace pancaim::scenarios
