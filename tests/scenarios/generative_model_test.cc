#include "pancaim/scenarios/generative_model.h"

#include <cmath>

#include <gtest/gtest.h>

namespace pancaim::scenarios {
namespace {

SiteConfig Site(double prevalence) {
  SiteConfig site;
  site.name = "site";
  site.prevalence = prevalence;
  return site;
}

TEST(GenerativeModelTest, InterceptMatchesPrevalence) {
  ModelParameters model;
  for (double prevalence : {0.1, 0.5, 0.8}) {
    SiteConfig site = Site(prevalence);
    int pdac = 0;
    constexpr int kPatients = 20000;
    for (int i = 0; i < kPatients; ++i) pdac += SamplePatient(model, site, 0, i, 5, {}).pdac;
    EXPECT_NEAR(static_cast<double>(pdac) / kPatients, prevalence, 0.015) << prevalence;
  }
}

TEST(GenerativeModelTest, SamePositionSamePatient) {
  ModelParameters model;
  SiteConfig site = Site(0.5);
  PatientTruth a = SamplePatient(model, site, 2, 17, 99, {});
  PatientTruth b = SamplePatient(model, site, 2, 17, 99, {});
  EXPECT_EQ(a.patient_id, b.patient_id);
  EXPECT_EQ(a.hidden_risk, b.hidden_risk);
  EXPECT_EQ(a.survival_months, b.survival_months);
  PatientTruth c = SamplePatient(model, site, 2, 18, 99, {});
  EXPECT_NE(a.hidden_risk, c.hidden_risk);
  EXPECT_EQ(a.patient_id, "site-0018");
}

TEST(GenerativeModelTest, HiddenRiskDrivesTheObservables) {
  ModelParameters model;
  SiteConfig site = Site(0.5);
  site.missing = {0, 0, 0, 0, 0, 0};
  double high_lesion = 0, low_lesion = 0, high_glands = 0, low_glands = 0;
  double pdac_survival = 0, other_survival = 0, pdac_ca = 0, other_ca = 0;
  int high = 0, low = 0, pdac = 0, other = 0, kras = 0, stage_missing = 0;
  for (int i = 0; i < 20000; ++i) {
    PatientTruth p = SamplePatient(model, site, 0, i, 8, {});
    if (p.pdac) {
      ++pdac;
      kras += p.driver_mutated[0];
      pdac_survival += p.survival_months;
      pdac_ca += std::log(*p.ca19_9);
      stage_missing += !p.stage.has_value();
      EXPECT_FALSE(p.lesion_is_cyst);
      if (p.hidden_risk > 1) {
        ++high;
        high_lesion += p.lesion ? p.lesion_diameter_mm : 0;
        high_glands += p.gland_fraction;
      } else if (p.hidden_risk < 0) {
        ++low;
        low_lesion += p.lesion ? p.lesion_diameter_mm : 0;
        low_glands += p.gland_fraction;
      }
    } else {
      ++other;
      other_survival += p.survival_months;
      other_ca += std::log(*p.ca19_9);
      EXPECT_FALSE(p.stage.has_value());
    }
    EXPECT_GT(p.survival_months, 0);
    EXPECT_TRUE(p.has_ct && p.has_mask && p.has_slide && p.has_vcf);
  }
  EXPECT_GT(high_lesion / high, 1.3 * low_lesion / low);
  EXPECT_GT(high_glands / high, 1.3 * low_glands / low);
  EXPECT_LT(pdac_survival / pdac, 0.5 * other_survival / other);
  EXPECT_GT(pdac_ca / pdac, other_ca / other + 0.5);
  EXPECT_NEAR(static_cast<double>(kras) / pdac, 0.9, 0.03);
  EXPECT_EQ(stage_missing, 0);
}

TEST(GenerativeModelTest, MissingRatesAreApplied) {
  ModelParameters model;
  SiteConfig site = Site(0.5);
  site.missing = {0.5, 1.0, 0.2, 1.0, 0.0, 1.0};
  int ct = 0, slide = 0;
  constexpr int kPatients = 5000;
  for (int i = 0; i < kPatients; ++i) {
    PatientTruth p = SamplePatient(model, site, 0, i, 3, {});
    ct += p.has_ct;
    slide += p.has_slide;
    EXPECT_FALSE(p.has_mask);
    EXPECT_FALSE(p.has_vcf);
    EXPECT_FALSE(p.stage.has_value());
    EXPECT_TRUE(p.ca19_9.has_value());
  }
  EXPECT_NEAR(static_cast<double>(ct) / kPatients, 0.5, 0.03);
  EXPECT_NEAR(static_cast<double>(slide) / kPatients, 0.8, 0.03);
}

TEST(GenerativeModelTest, SplitsFollowFractions) {
  ModelParameters model;
  SiteConfig site = Site(0.5);
  int train = 0, test = 0;
  for (int i = 0; i < 10000; ++i) {
    PatientTruth p = SamplePatient(model, site, 0, i, 4, {0.6, 0.1, 0.3});
    train += p.split == "train";
    test += p.split == "test";
  }
  EXPECT_NEAR(train / 10000.0, 0.6, 0.02);
  EXPECT_NEAR(test / 10000.0, 0.3, 0.02);
}

TEST(GenerativeModelTest, CensoringHappens) {
  ModelParameters model;
  SiteConfig site = Site(0.5);
  int events = 0;
  for (int i = 0; i < 4000; ++i) events += SamplePatient(model, site, 0, i, 6, {}).event;
  EXPECT_GT(events, 800);   // PDAC deaths are mostly observed
  EXPECT_LT(events, 3200);  // controls are mostly censored
}

}  // namespace
}  // namespace pancaim::scenarios
