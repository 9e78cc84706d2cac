// The best achievable metrics of a scenario, estimated by Monte Carlo from the generative model.
//
// Detection: every file is rendered from a few per-patient quantities (lesion presence, diameter
// and contrast; gland fraction; driver mutation calls; CA19-9, age, sex) plus randomness that does
// not depend on the label. The posterior P(pdac | those quantities), computed exactly from the
// model (integrating the hidden risk on a grid), is therefore the Bayes-optimal classifier for
// anything computed from the files: its AUC is an upper bound for every model trained on them.
// Survival: Harrell's C-index of the true log hazard, an upper bound for any risk score.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "pancaim/scenarios/generative_model.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

// Which evidence the posterior may use.
struct EvidenceMask {
  bool ct = true;
  bool slide = true;
  bool genomics = true;
  bool clinical = true;         // age, sex, CA19-9
  bool respect_missing = true;  // drop what the patient lacks (has_ct, has_slide, has_vcf, CA19-9)
};

// The exact posterior P(pdac = 1 | evidence) of one site (PDAC intercept `intercept`), the hidden
// risk integrated on a grid whose z-dependent terms are tabulated once. Immutable; thread-safe.
class PdacPosterior {
 public:
  PdacPosterior(const ModelParameters& model, double intercept);

  // P(pdac = 1 | the patient's evidence under `mask`).
  double operator()(const PatientTruth& patient, const EvidenceMask& mask) const;

 private:
  static constexpr int kGridPoints = 161;
  ModelParameters model_;
  double log_prior_other_ = 0.0;  // log P(no PDAC)
  std::array<double, kGridPoints> log_prior_pdac_{};  // log N(z) P(pdac | z) dz
  std::array<double, kGridPoints> log_visible_{}, log_invisible_{}, lesion_mean_{};
  std::array<double, kGridPoints> tumour_logit_mean_{}, ca19_9_mean_{};
  std::array<std::array<double, kGridPoints>, kDriverGeneCount> log_mutated_{}, log_wild_{};
};

// Area under the ROC curve of `scores` for binary `labels` (ties count one half). Returns 0.5 when
// one class is absent.
double Auc(const std::vector<double>& scores, const std::vector<int>& labels);

// Harrell's C-index: among pairs where the earlier time is an observed event, the fraction where
// the earlier one has the higher risk (ties one half). Returns 0.5 without comparable pairs.
double HarrellC(const std::vector<double>& risk, const std::vector<double>& time,
                const std::vector<int>& event);

struct OracleMetrics {
  int samples = 0;
  double auc_all_modalities = 0;     // with the scenario's missing rates
  double auc_ct_only = 0;            // CT for everyone, nothing else
  double auc_slide_only = 0;
  double auc_genomics_only = 0;
  double auc_clinical_only = 0;      // age, sex, CA19-9 (with CA19-9 missingness)
  double auc_hidden_risk = 0;        // P(pdac | z): knowing the hidden risk alone
  double c_index_true_risk = 0;      // all patients
  double c_index_true_risk_pdac = 0; // PDAC patients only
  double c_index_stage_pdac = 0;     // stage alone, PDAC patients with a known stage
};

// Draws `samples` patients from the cohort's sites (in proportion to their sizes, from a stream
// separate from the real patients') and computes the metrics above.
OracleMetrics EstimateOracleMetrics(const ModelParameters& model, const CohortConfig& cohort,
                                    std::uint64_t seed, int samples);

}  // namespace pancaim::scenarios
