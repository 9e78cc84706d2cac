#include "pancaim/scenarios/oracle_metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <numeric>

#include "pancaim/common/check.h"
#include "pancaim/scenarios/random.h"

namespace pancaim::scenarios {
namespace {

constexpr double kGridLow = -6.0, kGridHigh = 6.0;

double LogNormalDensity(double x, double mean, double sd) {
  double u = (x - mean) / sd;
  return -0.5 * u * u - std::log(sd) - 0.5 * std::log(2.0 * std::numbers::pi);
}

double LogBernoulli(bool outcome, double p) { return std::log(outcome ? p : 1.0 - p); }

double Logit(double p) { return std::log(p / (1.0 - p)); }

double LogSumExp(double a, double b) {
  double m = std::max(a, b);
  if (m == -INFINITY) return m;
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

// CA19-9 density: a mixture of Lewis-negative (non-secreting) and secreting patients.
double LogCa19_9(const ModelParameters& m, double value, double secreting_mean) {
  double x = std::log(value);
  return LogSumExp(std::log(m.lewis_negative_probability) + LogNormalDensity(x, std::log(2.0), 0.5),
                   std::log(1.0 - m.lewis_negative_probability) +
                       LogNormalDensity(x, secreting_mean, m.ca19_9_log_sd));
}

}  // namespace

PdacPosterior::PdacPosterior(const ModelParameters& model, double intercept) : model_(model) {
  const ModelParameters& m = model_;
  const double step = (kGridHigh - kGridLow) / (kGridPoints - 1);
  log_prior_other_ = -INFINITY;
  double log_normaliser = -INFINITY;
  for (int j = 0; j < kGridPoints; ++j) {
    double z = kGridLow + step * j;
    double log_weight = -0.5 * z * z;
    double pdac = Sigmoid(intercept + m.pdac_risk_slope * z);
    log_normaliser = LogSumExp(log_normaliser, log_weight);
    log_prior_pdac_[j] = log_weight + std::log(pdac);
    log_prior_other_ = LogSumExp(log_prior_other_, log_weight + std::log1p(-pdac));
    double visible = Sigmoid(m.lesion_visible_intercept + m.lesion_visible_slope * z);
    log_visible_[j] = std::log(visible);
    log_invisible_[j] = std::log1p(-visible);
    lesion_mean_[j] = m.lesion_log_diameter_mean + m.lesion_log_diameter_slope * z;
    tumour_logit_mean_[j] = m.tumour_logit_mean + m.tumour_logit_slope * z;
    ca19_9_mean_[j] = m.ca19_9_log_mean + m.ca19_9_pdac_shift + m.ca19_9_pdac_slope * z;
    for (int g = 0; g < kDriverGeneCount; ++g) {
      double q = Sigmoid(Logit(m.driver_frequency[g]) + m.driver_risk_slope[g] * (z - 0.5));
      log_mutated_[g][j] = std::log(q);
      log_wild_[g][j] = std::log1p(-q);
    }
  }
  for (auto& value : log_prior_pdac_) value -= log_normaliser;
  log_prior_other_ -= log_normaliser;
}

double PdacPosterior::operator()(const PatientTruth& p, const EvidenceMask& mask) const {
  const ModelParameters& m = model_;
  const bool missing = mask.respect_missing;
  const bool ct = mask.ct && (!missing || p.has_ct);
  const bool slide = mask.slide && (!missing || p.has_slide);
  const bool genomics = mask.genomics && (!missing || p.has_vcf);
  const bool ca19_9 = mask.clinical && p.ca19_9.has_value();
  const bool demographics = mask.clinical;

  // Without PDAC nothing depends on the hidden risk.
  double other = log_prior_other_;
  if (ct) {
    other += p.lesion ? std::log(m.cyst_probability) +
                            LogNormalDensity(std::log(p.lesion_diameter_mm),
                                             m.cyst_log_diameter_mean, m.cyst_log_diameter_sd) +
                            LogNormalDensity(p.lesion_contrast_hu, m.cyst_contrast_mean_hu,
                                             m.cyst_contrast_sd_hu)
                      : std::log1p(-m.cyst_probability);
  }
  const bool glands = p.gland_fraction > 0;
  const double gland_logit = glands ? Logit(p.gland_fraction) : 0.0;
  if (slide) {
    other += glands ? std::log(m.reactive_probability) +
                          LogNormalDensity(gland_logit, m.reactive_logit_mean, m.reactive_logit_sd)
                    : std::log1p(-m.reactive_probability);
  }
  if (genomics) {
    for (int g = 0; g < kDriverGeneCount; ++g) {
      other += LogBernoulli(p.driver_mutated[g], m.driver_normal_frequency[g]);
    }
  }
  if (ca19_9) other += LogCa19_9(m, *p.ca19_9, m.ca19_9_log_mean);
  if (demographics) {
    other += LogNormalDensity(p.age_years, m.age_mean_other, m.age_sd_other) +
             LogBernoulli(p.male, m.male_probability_other);
  }

  // With PDAC: terms that do not depend on z once, the rest per grid point.
  double constant = 0.0;
  if (ct && p.lesion) {
    constant += LogNormalDensity(p.lesion_contrast_hu, m.lesion_contrast_mean_hu,
                                 m.lesion_contrast_sd_hu);
  }
  if (slide) {
    constant += glands ? std::log1p(-m.biopsy_miss_probability)
                       : std::log(m.biopsy_miss_probability);
  }
  if (demographics) {
    constant += LogNormalDensity(p.age_years, m.age_mean_pdac, m.age_sd_pdac) +
                LogBernoulli(p.male, m.male_probability_pdac);
  }
  const double log_diameter = p.lesion ? std::log(p.lesion_diameter_mm) : 0.0;
  std::array<double, kGridPoints> terms;
  double peak = -INFINITY;
  for (int j = 0; j < kGridPoints; ++j) {
    double t = log_prior_pdac_[j] + constant;
    if (ct) {
      t += p.lesion ? log_visible_[j] + LogNormalDensity(log_diameter, lesion_mean_[j],
                                                         m.lesion_log_diameter_sd)
                    : log_invisible_[j];
    }
    if (slide && glands) t += LogNormalDensity(gland_logit, tumour_logit_mean_[j], m.tumour_logit_sd);
    if (genomics) {
      for (int g = 0; g < kDriverGeneCount; ++g) {
        t += p.driver_mutated[g] ? log_mutated_[g][j] : log_wild_[g][j];
      }
    }
    if (ca19_9) t += LogCa19_9(m, *p.ca19_9, ca19_9_mean_[j]);
    terms[j] = t;
    peak = std::max(peak, t);
  }
  double sum = 0.0;
  for (double t : terms) sum += std::exp(t - peak);
  return Sigmoid(peak + std::log(sum) - other);
}

double Auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  PANCAIM_CHECK(scores.size() == labels.size()) << "Auc: sizes differ";
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with average ranks for ties.
  double positive_rank_sum = 0.0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    double average_rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) {
      if (labels[order[k]]) {
        positive_rank_sum += average_rank;
        ++positives;
      }
    }
    i = j;
  }
  const std::size_t negatives = labels.size() - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  double u = positive_rank_sum - 0.5 * static_cast<double>(positives) * (positives + 1);
  return u / (static_cast<double>(positives) * negatives);
}

double HarrellC(const std::vector<double>& risk, const std::vector<double>& time,
                const std::vector<int>& event) {
  PANCAIM_CHECK(risk.size() == time.size() && time.size() == event.size()) << "HarrellC: sizes";
  double concordant = 0.0;
  double comparable = 0.0;
  for (std::size_t i = 0; i < risk.size(); ++i) {
    if (!event[i]) continue;
    for (std::size_t j = 0; j < risk.size(); ++j) {
      if (time[i] < time[j]) {
        comparable += 1.0;
        concordant += risk[i] > risk[j] ? 1.0 : risk[i] == risk[j] ? 0.5 : 0.0;
      }
    }
  }
  return comparable > 0 ? concordant / comparable : 0.5;
}

OracleMetrics EstimateOracleMetrics(const ModelParameters& model, const CohortConfig& cohort,
                                    std::uint64_t seed, int samples) {
  PANCAIM_CHECK(samples > 0 && !cohort.sites.empty()) << "EstimateOracleMetrics: nothing to do";
  const std::uint64_t oracle_seed = StreamSeed(seed, {static_cast<std::uint64_t>(Stream::kOracle)});
  double total_patients = 0;
  for (const auto& site : cohort.sites) total_patients += site.patients;
  std::vector<PatientTruth> patients;
  std::vector<double> intercepts;
  for (std::size_t s = 0; s < cohort.sites.size(); ++s) {
    const SiteConfig& site = cohort.sites[s];
    int count = std::max(1, static_cast<int>(std::lround(samples * site.patients / total_patients)));
    double intercept = PdacIntercept(site.prevalence, model.pdac_risk_slope);
    for (int i = 0; i < count; ++i) {
      patients.push_back(SamplePatient(model, site, static_cast<int>(s), i, oracle_seed, cohort.splits));
      intercepts.push_back(intercept);
    }
  }
  OracleMetrics out;
  out.samples = static_cast<int>(patients.size());
  std::vector<int> labels;
  for (const auto& p : patients) labels.push_back(p.pdac ? 1 : 0);
  std::vector<PdacPosterior> posteriors;
  for (const auto& site : cohort.sites) {
    posteriors.emplace_back(model, PdacIntercept(site.prevalence, model.pdac_risk_slope));
  }
  auto auc_for = [&](EvidenceMask mask) {
    std::vector<double> scores;
    for (const auto& p : patients) scores.push_back(posteriors[p.site_index](p, mask));
    return Auc(scores, labels);
  };
  out.auc_all_modalities = auc_for({});
  out.auc_ct_only = auc_for({true, false, false, false, false});
  out.auc_slide_only = auc_for({false, true, false, false, false});
  out.auc_genomics_only = auc_for({false, false, true, false, false});
  out.auc_clinical_only = auc_for({false, false, false, true, true});
  std::vector<double> risk_scores;
  for (std::size_t i = 0; i < patients.size(); ++i) {
    risk_scores.push_back(intercepts[i] + model.pdac_risk_slope * patients[i].hidden_risk);
  }
  out.auc_hidden_risk = Auc(risk_scores, labels);

  // Harrell's C is quadratic: a few thousand patients give a tight enough estimate.
  constexpr std::size_t kSurvivalSamples = 3000;
  std::vector<double> risk, time, risk_pdac, time_pdac, stage, time_stage;
  std::vector<int> event, event_pdac, event_stage;
  // A shuffled order spreads the subsample over the sites.
  std::vector<std::size_t> order(patients.size());
  std::iota(order.begin(), order.end(), 0);
  Rng shuffle(oracle_seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle.UniformInt(i)]);
  for (std::size_t index : order) {
    const auto& p = patients[index];
    if (risk.size() < kSurvivalSamples) {
      risk.push_back(p.log_hazard);
      time.push_back(p.survival_months);
      event.push_back(p.event);
    }
    if (p.pdac && risk_pdac.size() < kSurvivalSamples) {
      risk_pdac.push_back(p.log_hazard);
      time_pdac.push_back(p.survival_months);
      event_pdac.push_back(p.event);
      if (p.stage) {
        stage.push_back(*p.stage);
        time_stage.push_back(p.survival_months);
        event_stage.push_back(p.event);
      }
    }
  }
  out.c_index_true_risk = HarrellC(risk, time, event);
  out.c_index_true_risk_pdac = HarrellC(risk_pdac, time_pdac, event_pdac);
  out.c_index_stage_pdac = HarrellC(stage, time_stage, event_stage);
  return out;
}

}  // namespace pancaim::scenarios
