#include "pancaim/scenarios/oracle_metrics.h"

#include <gtest/gtest.h>

namespace pancaim::scenarios {
namespace {

TEST(OracleMetricsTest, AucOfPerfectRandomAndTiedScores) {
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(Auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(Auc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.2}, {1, 1}), 0.5);
}

TEST(OracleMetricsTest, HarrellCOrdersEventsByRisk) {
  // Higher risk dies earlier: perfectly concordant.
  EXPECT_DOUBLE_EQ(HarrellC({3, 2, 1}, {1, 2, 3}, {1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(HarrellC({1, 2, 3}, {1, 2, 3}, {1, 1, 1}), 0.0);
  // Censored earliest time: not comparable as the earlier member.
  EXPECT_DOUBLE_EQ(HarrellC({1, 2, 3}, {1, 2, 3}, {0, 0, 0}), 0.5);
}

TEST(OracleMetricsTest, PosteriorMovesWithEvidence) {
  ModelParameters model;
  PdacPosterior posterior(model, PdacIntercept(0.5, model.pdac_risk_slope));
  PatientTruth base;
  base.has_ct = base.has_slide = base.has_vcf = true;
  base.age_years = 65;
  base.ca19_9 = 15.0;
  EvidenceMask mask;
  double neutral = posterior(base, mask);
  PatientTruth tumour = base;
  tumour.lesion = true;
  tumour.lesion_diameter_mm = 25;
  tumour.lesion_contrast_hu = -45;
  tumour.gland_fraction = 0.3;
  tumour.driver_mutated = {true, true, false, false};
  tumour.ca19_9 = 400.0;
  EXPECT_GT(posterior(tumour, mask), 0.95);
  EXPECT_LT(neutral, 0.5);
  // Without evidence the posterior is the prior.
  EvidenceMask nothing{false, false, false, false, false};
  EXPECT_NEAR(posterior(tumour, nothing), 0.5, 1e-3);
  // Missing modalities are ignored when respect_missing is set.
  PatientTruth missing = tumour;
  missing.has_ct = missing.has_slide = missing.has_vcf = false;
  EvidenceMask no_clinical{true, true, true, false, true};
  EXPECT_NEAR(posterior(missing, no_clinical), 0.5, 1e-3);
}

TEST(OracleMetricsTest, BestAchievableIsLearnableButNotTrivial) {
  ModelParameters model;
  CohortConfig cohort;
  SiteConfig site;
  site.name = "a";
  site.patients = 100;
  cohort.sites = {site};
  OracleMetrics metrics = EstimateOracleMetrics(model, cohort, 1, 4000);
  EXPECT_EQ(metrics.samples, 4000);
  for (double auc : {metrics.auc_ct_only, metrics.auc_slide_only, metrics.auc_genomics_only,
                     metrics.auc_clinical_only}) {
    EXPECT_GT(auc, 0.7);
    EXPECT_LT(auc, 0.97);
  }
  EXPECT_GT(metrics.auc_all_modalities, metrics.auc_ct_only);
  EXPECT_LT(metrics.auc_all_modalities, 0.995);
  EXPECT_GT(metrics.c_index_true_risk_pdac, metrics.c_index_stage_pdac);
  EXPECT_GT(metrics.c_index_stage_pdac, 0.5);
}

}  // namespace
}  // namespace pancaim::scenarios
