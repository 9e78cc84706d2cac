// Scenario files: the synthetic cohort (`cohort`: sites and their heterogeneity) and the simulated
// federation run over it (`federation`: consumed by `pancaim-sim run`, issue 7).
//
// ScenarioConfigSchema() is the single definition of every key; validation, defaults and the key
// table in docs/synthetic-cohorts.md all come from it. ParseScenarioConfig() adds the checks a
// schema cannot express (site names usable as folder names, unique names, three-element volume size,
// split fractions summing to one) and returns typed settings.
//
// All types here are plain values; the schema is immutable and safe to use from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"

namespace pancaim::scenarios {

// The schema of a scenario file (keys `name`, `description`, `seed`, `cohort`, `federation`).
const config::Schema& ScenarioConfigSchema();

// How CT volumes of one site are acquired and stored (scanner heterogeneity).
struct CtSettings {
  bool dicom = false;                       // DICOM series (one file per slice) instead of NIfTI
  std::array<int, 3> size = {64, 64, 32};   // voxels x, y, z
  double pixel_spacing_mm = 4.5;            // in-plane spacing
  double slice_thickness_mm = 3.0;          // z spacing
  double intensity_scale = 1.0;             // scanner gain applied to HU
  double intensity_offset_hu = 0.0;         // scanner calibration offset
  double noise_hu = 12.0;                   // Gaussian noise standard deviation
  std::string manufacturer = "PANCAIM Phantom CT";
};

// How slides of one site are scanned and stained (stain heterogeneity).
struct SlideSettings {
  // File flavour: an Aperio-style SVS (a TIFF whose ImageDescription carries AppMag and MPP, so
  // every OpenSlide version reports openslide.mpp-x/y) or a plain generic tiled TIFF (resolution
  // only in the X/YResolution tags, which OpenSlide reports as openslide.mpp-x/y from 4.0 on).
  bool aperio = true;
  int size_px = 2048;      // level-0 width and height
  double mpp = 0.5;        // microns per pixel at level 0
  int tile_px = 256;       // TIFF tile edge
  int jpeg_quality = 85;
  double hematoxylin = 1.0;   // stain strength multipliers
  double eosin = 1.0;
  double stain_jitter = 0.05; // per-slide random variation of the stain vectors
};

// Probability that a patient lacks each item (missing completely at random).
struct MissingRates {
  double ct = 0.05;
  double mask = 0.3;   // of the patients that have CT
  double slide = 0.2;
  double genomics = 0.25;
  double ca19_9 = 0.1;
  double stage = 0.1;  // of the PDAC patients
};

// VCF contents of one site.
struct GenomicsSettings {
  int mean_depth = 120;           // mean sequencing depth at a variant
  int background_variants = 20;   // germline/passenger variants per patient
  double low_quality_rate = 0.1;  // chance of one extra FILTER=LowQual call in a driver gene
};

// One hospital of the cohort.
struct SiteConfig {
  std::string name;   // [A-Za-z0-9._-]{1,40}; the site's folder name and patient id prefix
  int patients = 50;
  double prevalence = 0.5;  // expected fraction of PDAC patients
  CtSettings ct;
  SlideSettings slide;
  MissingRates missing;
  GenomicsSettings genomics;
};

// Fractions of patients assigned to each split (sum to 1).
struct SplitFractions {
  double train = 0.7;
  double validation = 0.15;
  double test = 0.15;
};

struct CohortConfig {
  SplitFractions splits;
  std::vector<SiteConfig> sites;
};

// A whole scenario. `document` is the validated JSON with every default filled in; `federation`
// stays JSON (the simulation maps it to a run spec, consortium_provisioner.h).
struct ScenarioConfig {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  CohortConfig cohort;         // empty sites for the mnist dataset
  std::string dataset_kind;    // "synthetic-cohort" | "mnist"
  nlohmann::json dataset;      // validated `dataset` section
  nlohmann::json federation;
  nlohmann::json document;
};

// Validates `document` against the schema plus the semantic checks above and, for the
// federation, settings that cannot work: min_sites or sites_per_round above the number of sites
// (clients for mnist), fault or attack sites that are not in the cohort, faults after the last
// round, a synthetic-cohort dataset without sites. Errors name `source`
// and the key ("pdac.json: key 'cohort.sites[1].prevalence': 1.5 is above the maximum 1").
StatusOr<ScenarioConfig> ParseScenarioConfig(const nlohmann::json& document,
                                             std::string_view source);

// Reads, parses and validates a scenario file.
StatusOr<ScenarioConfig> LoadScenarioConfig(const std::filesystem::path& path);

// A built-in heterogeneous scenario of `sites` sites with `patients_per_site` patients each
// (prevalence, scanner, stain, format and missing rates vary by site). Both must be ≥ 1.
ScenarioConfig DefaultScenario(int sites, int patients_per_site);

// Markdown table of every key, for docs/synthetic-cohorts.md.
std::string ScenarioConfigMarkdown();

}  // namespace pancaim::scenarios
