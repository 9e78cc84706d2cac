// The generative model behind synthetic cohorts: one hidden risk score per patient drives PDAC
// status, the CT lesion, the slide's gland fraction, driver mutations, CA19-9, stage and survival.
// docs/synthetic-cohorts.md states the model in formulas; the numbers live in ModelParameters.
//
// SamplePatient() draws a patient's ground truth from its own random stream, so each patient is
// the same whatever order or thread it is generated in. Everything is a plain value; the functions
// are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

inline constexpr int kDriverGeneCount = 4;
// KRAS, TP53, CDKN2A, SMAD4 (same order as the arrays below and in vcf_writer.h).
inline constexpr std::array<std::string_view, kDriverGeneCount> kDriverGenes = {
    "KRAS", "TP53", "CDKN2A", "SMAD4"};

// Every constant of the model. Defaults are the documented model; tests may change them.
struct ModelParameters {
  // PDAC status: P(pdac | z) = sigmoid(a_site + pdac_risk_slope * z), a_site set by the prevalence.
  double pdac_risk_slope = 1.5;

  // CT. PDAC lesions are visible with P = sigmoid(visible_intercept + visible_slope * z)
  // (isoattenuating or sub-voxel tumours are not); log diameter ~ N(mean + slope * z, sd).
  double lesion_visible_intercept = 0.2;
  double lesion_visible_slope = 1.0;
  double lesion_log_diameter_mean = 3.0;  // exp(3.0) = 20 mm
  double lesion_log_diameter_slope = 0.25;
  double lesion_log_diameter_sd = 0.3;
  double lesion_contrast_mean_hu = -45.0;  // relative to the pancreas
  double lesion_contrast_sd_hu = 12.0;
  // Benign cystic mimics in patients without PDAC.
  double cyst_probability = 0.2;
  double cyst_log_diameter_mean = 2.7;  // 15 mm
  double cyst_log_diameter_sd = 0.35;
  double cyst_contrast_mean_hu = -55.0;
  double cyst_contrast_sd_hu = 15.0;

  // Slides. PDAC: biopsy misses the tumour with biopsy_miss_probability, otherwise the gland
  // fraction f has logit(f) ~ N(tumour_logit_mean + tumour_logit_slope * z, tumour_logit_sd).
  // No PDAC: reactive glands (pancreatitis, PanIN) with reactive_probability, logit(f) ~ N(...).
  double biopsy_miss_probability = 0.25;
  double tumour_logit_mean = -1.4;
  double tumour_logit_slope = 0.6;
  double tumour_logit_sd = 0.7;
  double reactive_probability = 0.35;
  double reactive_logit_mean = -2.4;
  double reactive_logit_sd = 0.7;

  // Driver mutations: in tumours P = sigmoid(logit(frequency) + slope * (z - 0.5)), the
  // frequencies from the PDAC literature (docs cite them); in non-tumour samples a small rate.
  std::array<double, kDriverGeneCount> driver_frequency = {0.90, 0.70, 0.30, 0.30};
  std::array<double, kDriverGeneCount> driver_risk_slope = {0.0, 0.4, 0.2, 0.5};
  std::array<double, kDriverGeneCount> driver_normal_frequency = {0.45, 0.1, 0.1, 0.03};

  // CA19-9 (U/mL): log value ~ N(log 15 + pdac * (shift + slope * z), sd); Lewis-negative people
  // (no CA19-9 secretion) ~ N(log 2, 0.5) whatever their status.
  double ca19_9_log_mean = 2.7;
  double ca19_9_log_sd = 0.8;
  double ca19_9_pdac_shift = 1.0;
  double ca19_9_pdac_slope = 0.5;
  double lewis_negative_probability = 0.07;

  // Age (years) and sex.
  double age_mean_pdac = 67.0, age_sd_pdac = 10.0;
  double age_mean_other = 63.0, age_sd_other = 12.0;
  double male_probability_pdac = 0.53, male_probability_other = 0.48;

  // Stage (PDAC only): s = z + N(0, stage_noise_sd); stage 1..4 by the cut points.
  double stage_noise_sd = 0.6;
  std::array<double, 3> stage_cuts = {-0.75, 0.2, 0.6};

  // Survival: Weibull(shape, scale) with proportional hazards; PDAC median at z = 0 and log hazard
  // ratio per unit of z; without PDAC a long median. Censoring: administrative at
  // follow_up + U(0, accrual) months, and loss to follow-up at an exponential rate.
  double weibull_shape = 1.3;
  double pdac_median_months = 11.0;
  double pdac_log_hazard_slope = 0.7;
  double other_median_months = 240.0;
  double follow_up_months = 24.0;
  double accrual_months = 36.0;
  double loss_rate_per_month = 0.005;
};

// A patient's ground truth: what the files are rendered from, plus the hidden values.
struct PatientTruth {
  std::string patient_id;
  int site_index = 0;
  int patient_index = 0;
  std::string split;  // train | validation | test

  double hidden_risk = 0.0;  // z ~ N(0, 1)
  bool pdac = false;

  // CT: a lesion is present for visible PDAC tumours and for benign cysts.
  bool lesion = false;
  bool lesion_is_cyst = false;
  double lesion_diameter_mm = 0.0;
  double lesion_contrast_hu = 0.0;

  // Slide: fraction of tissue area covered by glands (0 = stroma only).
  double gland_fraction = 0.0;

  // Genomics.
  std::array<bool, kDriverGeneCount> driver_mutated = {};
  double tumour_purity = 0.0;  // drives variant allele fractions, independent of the label

  // Clinical.
  double age_years = 0.0;
  bool male = false;
  std::optional<double> ca19_9;  // empty when missing
  std::optional<int> stage;      // 1..4; empty when not PDAC or unknown
  double survival_months = 0.0;
  bool event = false;
  double log_hazard = 0.0;  // true log hazard (relative to a PDAC patient with z = 0)

  // Which modalities exist.
  bool has_ct = false;
  bool has_mask = false;
  bool has_slide = false;
  bool has_vcf = false;
};

// Intercept a such that E_z[sigmoid(a + slope * z)] = prevalence for z ~ N(0, 1).
double PdacIntercept(double prevalence, double slope);

// Draws patient `patient_index` of site `site_index` from the model and the site's settings.
PatientTruth SamplePatient(const ModelParameters& model, const SiteConfig& site, int site_index,
                           int patient_index, std::uint64_t seed, const SplitFractions& splits);

// The patient id written to the manifest: "<site>-<index, 4 digits from 1>".
std::string PatientId(const SiteConfig& site, int patient_index);

// Logistic function.
double Sigmoid(double x);

}  // namespace pancaim::scenarios
