#include "pancaim/scenarios/generative_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "pancaim/common/check.h"
#include "pancaim/scenarios/random.h"

namespace pancaim::scenarios {
namespace {

double Logit(double p) { return std::log(p / (1.0 - p)); }

// E_z[sigmoid(a + slope z)] for z ~ N(0, 1), by a fine grid (smooth integrand).
double MeanPdacProbability(double a, double slope) {
  constexpr int kSteps = 481;
  constexpr double kLow = -8.0, kHigh = 8.0;
  const double step = (kHigh - kLow) / (kSteps - 1);
  double sum = 0.0, weight_sum = 0.0;
  for (int i = 0; i < kSteps; ++i) {
    double z = kLow + step * i;
    double weight = std::exp(-0.5 * z * z);
    sum += weight * Sigmoid(a + slope * z);
    weight_sum += weight;
  }
  return sum / weight_sum;
}

const char* DrawSplit(Rng& rng, const SplitFractions& splits) {
  double u = rng.Uniform();
  if (u < splits.train) return "train";
  if (u < splits.train + splits.validation) return "validation";
  return "test";
}

void SampleCt(const ModelParameters& m, Rng& rng, PatientTruth& p) {
  if (p.pdac) {
    p.lesion = rng.Bernoulli(Sigmoid(m.lesion_visible_intercept + m.lesion_visible_slope * p.hidden_risk));
    p.lesion_diameter_mm = std::exp(rng.Normal(
        m.lesion_log_diameter_mean + m.lesion_log_diameter_slope * p.hidden_risk,
        m.lesion_log_diameter_sd));
    p.lesion_contrast_hu = rng.Normal(m.lesion_contrast_mean_hu, m.lesion_contrast_sd_hu);
  } else {
    p.lesion = p.lesion_is_cyst = rng.Bernoulli(m.cyst_probability);
    p.lesion_diameter_mm = std::exp(rng.Normal(m.cyst_log_diameter_mean, m.cyst_log_diameter_sd));
    p.lesion_contrast_hu = rng.Normal(m.cyst_contrast_mean_hu, m.cyst_contrast_sd_hu);
  }
  if (!p.lesion) p.lesion_diameter_mm = p.lesion_contrast_hu = 0.0;
}

void SampleSlide(const ModelParameters& m, Rng& rng, PatientTruth& p) {
  bool glands;
  double logit;
  if (p.pdac) {
    glands = !rng.Bernoulli(m.biopsy_miss_probability);
    logit = rng.Normal(m.tumour_logit_mean + m.tumour_logit_slope * p.hidden_risk,
                       m.tumour_logit_sd);
  } else {
    glands = rng.Bernoulli(m.reactive_probability);
    logit = rng.Normal(m.reactive_logit_mean, m.reactive_logit_sd);
  }
  p.gland_fraction = glands ? Sigmoid(logit) : 0.0;
}

void SampleGenomics(const ModelParameters& m, Rng& rng, PatientTruth& p) {
  for (int g = 0; g < kDriverGeneCount; ++g) {
    double probability =
        p.pdac ? Sigmoid(Logit(m.driver_frequency[g]) + m.driver_risk_slope[g] * (p.hidden_risk - 0.5))
               : m.driver_normal_frequency[g];
    p.driver_mutated[g] = rng.Bernoulli(probability);
  }
  p.tumour_purity = rng.Uniform(0.2, 0.7);
}

void SampleClinical(const ModelParameters& m, Rng& rng, PatientTruth& p) {
  p.age_years = p.pdac ? rng.Normal(m.age_mean_pdac, m.age_sd_pdac)
                       : rng.Normal(m.age_mean_other, m.age_sd_other);
  p.age_years = std::clamp(std::round(p.age_years * 10.0) / 10.0, 18.0, 100.0);
  p.male = rng.Bernoulli(p.pdac ? m.male_probability_pdac : m.male_probability_other);
  bool lewis_negative = rng.Bernoulli(m.lewis_negative_probability);
  double log_ca = lewis_negative
                      ? rng.Normal(std::log(2.0), 0.5)
                      : rng.Normal(m.ca19_9_log_mean +
                                       (p.pdac ? m.ca19_9_pdac_shift +
                                                     m.ca19_9_pdac_slope * p.hidden_risk
                                               : 0.0),
                                   m.ca19_9_log_sd);
  p.ca19_9 = std::max(0.1, std::round(std::exp(log_ca) * 10.0) / 10.0);
  double stage_score = p.hidden_risk + rng.Normal(0.0, m.stage_noise_sd);
  if (p.pdac) {
    int stage = 1;
    for (double cut : m.stage_cuts) stage += stage_score > cut ? 1 : 0;
    p.stage = stage;
  }
}

void SampleSurvival(const ModelParameters& m, Rng& rng, PatientTruth& p) {
  const double k = m.weibull_shape;
  // Weibull scale from the median: median = scale * ln(2)^(1/k).
  const double pdac_scale = m.pdac_median_months / std::pow(std::log(2.0), 1.0 / k);
  const double other_scale = m.other_median_months / std::pow(std::log(2.0), 1.0 / k);
  double scale;
  if (p.pdac) {
    p.log_hazard = m.pdac_log_hazard_slope * p.hidden_risk;
    scale = pdac_scale * std::exp(-p.log_hazard / k);
  } else {
    p.log_hazard = k * std::log(pdac_scale / other_scale);
    scale = other_scale;
  }
  double death = scale * std::pow(-std::log(1.0 - rng.Uniform()), 1.0 / k);
  double administrative = m.follow_up_months + rng.Uniform(0.0, m.accrual_months);
  double lost = rng.Exponential(m.loss_rate_per_month);
  double censor = std::min(administrative, lost);
  p.event = death <= censor;
  double months = std::min(death, censor);
  // One decimal, as a registry would store it; never 0 (the manifest requires > 0).
  p.survival_months = std::max(0.1, std::round(months * 10.0) / 10.0);
}

void SampleMissing(const SiteConfig& site, Rng& rng, PatientTruth& p) {
  const MissingRates& missing = site.missing;
  p.has_ct = !rng.Bernoulli(missing.ct);
  bool mask_missing = rng.Bernoulli(missing.mask);
  p.has_mask = p.has_ct && !mask_missing;
  p.has_slide = !rng.Bernoulli(missing.slide);
  p.has_vcf = !rng.Bernoulli(missing.genomics);
  if (rng.Bernoulli(missing.ca19_9)) p.ca19_9.reset();
  if (rng.Bernoulli(missing.stage)) p.stage.reset();
}

}  // namespace

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double PdacIntercept(double prevalence, double slope) {
  PANCAIM_CHECK(prevalence > 0 && prevalence < 1) << "prevalence " << prevalence;
  double low = -30.0, high = 30.0;
  for (int i = 0; i < 100; ++i) {
    double mid = 0.5 * (low + high);
    (MeanPdacProbability(mid, slope) < prevalence ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

std::string PatientId(const SiteConfig& site, int patient_index) {
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "-%04d", patient_index + 1);
  return site.name + suffix;
}

PatientTruth SamplePatient(const ModelParameters& model, const SiteConfig& site, int site_index,
                           int patient_index, std::uint64_t seed, const SplitFractions& splits) {
  PatientTruth p;
  p.patient_id = PatientId(site, patient_index);
  p.site_index = site_index;
  p.patient_index = patient_index;
  auto stream = [&](Stream tag) {
    return Rng(StreamSeed(seed, {static_cast<std::uint64_t>(tag),
                                 static_cast<std::uint64_t>(site_index),
                                 static_cast<std::uint64_t>(patient_index)}));
  };
  Rng split_rng = stream(Stream::kSplit);
  p.split = DrawSplit(split_rng, splits);

  // Each part draws from its own stream: the draws of one part never shift another's.
  Rng rng = stream(Stream::kPatient);
  p.hidden_risk = rng.Normal();
  // The intercept costs a root search; sites are generated patient after patient, so remember the
  // last one per thread.
  thread_local double cached_prevalence = -1.0, cached_slope = 0.0, cached_intercept = 0.0;
  if (cached_prevalence != site.prevalence || cached_slope != model.pdac_risk_slope) {
    cached_intercept = PdacIntercept(site.prevalence, model.pdac_risk_slope);
    cached_prevalence = site.prevalence;
    cached_slope = model.pdac_risk_slope;
  }
  const double intercept = cached_intercept;
  p.pdac = rng.Bernoulli(Sigmoid(intercept + model.pdac_risk_slope * p.hidden_risk));
  Rng ct_rng(StreamSeed(rng.NextU64(), {1}));
  Rng slide_rng(StreamSeed(rng.NextU64(), {2}));
  Rng genomics_rng(StreamSeed(rng.NextU64(), {3}));
  Rng clinical_rng(StreamSeed(rng.NextU64(), {4}));
  Rng survival_rng(StreamSeed(rng.NextU64(), {5}));
  SampleCt(model, ct_rng, p);
  SampleSlide(model, slide_rng, p);
  SampleGenomics(model, genomics_rng, p);
  SampleClinical(model, clinical_rng, p);
  SampleSurvival(model, survival_rng, p);
  Rng missing_rng = stream(Stream::kMissing);
  SampleMissing(site, missing_rng, p);
  return p;
}

}  // namespace pancaim::scenarios
