#include "pancaim/scenarios/cohort_generator.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "pancaim/common/files.h"
#include "pancaim/common/progress.h"
#include "pancaim/scenarios/manifest_writer.h"
#include "patient_writer.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTopLevelFiles[] = {"scenario.json", "ground_truth.csv", "summary.json"};

Status PrepareOutput(const ScenarioConfig& scenario, const GenerateOptions& options) {
  const fs::path& out = options.out_dir;
  std::error_code error;
  if (fs::exists(out, error) && !fs::is_empty(out, error)) {
    if (!options.overwrite) {
      return FailedPreconditionError(out.string() +
                                     ": folder is not empty (use --force to replace a cohort)");
    }
    // Remove only what a cohort writes, never anything else the folder holds.
    for (const auto& site : scenario.cohort.sites) fs::remove_all(out / site.name, error);
    for (const char* name : kTopLevelFiles) fs::remove(out / name, error);
  }
  for (const auto& site : scenario.cohort.sites) {
    for (const char* sub : {"ct", "masks", "slides", "genomics"}) {
      fs::create_directories(out / site.name / sub, error);
      if (error) {
        return InternalError((out / site.name / sub).string() + ": cannot create: " +
                             error.message());
      }
    }
  }
  return Status::Ok();
}

struct Task {
  int site = 0;
  int patient = 0;
};

std::string Fixed(double value, int decimals) {
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string GroundTruthCsv(const std::vector<PatientTruth>& truths,
                           const std::vector<PatientOutput>& outputs,
                           const ScenarioConfig& scenario) {
  std::string text =
      "patient_id,site,split,hidden_risk,pdac,lesion,lesion_is_cyst,lesion_diameter_mm,"
      "lesion_contrast_hu,gland_fraction,slide_gland_fraction_drawn,KRAS,TP53,CDKN2A,SMAD4,"
      "tumour_purity,log_hazard,has_ct,has_mask,has_slide,has_vcf\n";
  for (std::size_t i = 0; i < truths.size(); ++i) {
    const PatientTruth& p = truths[i];
    text += p.patient_id + "," + scenario.cohort.sites[p.site_index].name + "," + p.split + "," +
            Fixed(p.hidden_risk, 4) + "," + (p.pdac ? "1" : "0") + "," + (p.lesion ? "1" : "0") +
            "," + (p.lesion_is_cyst ? "1" : "0") + "," + Fixed(p.lesion_diameter_mm, 2) + "," +
            Fixed(p.lesion_contrast_hu, 1) + "," + Fixed(p.gland_fraction, 4) + "," +
            Fixed(outputs[i].slide.gland_fraction, 4);
    for (bool mutated : p.driver_mutated) text += mutated ? ",1" : ",0";
    text += "," + Fixed(p.tumour_purity, 3) + "," + Fixed(p.log_hazard, 4) + "," +
            (p.has_ct ? "1" : "0") + "," + (p.has_mask ? "1" : "0") + "," +
            (p.has_slide ? "1" : "0") + "," + (p.has_vcf ? "1" : "0") + "\n";
  }
  return text;
}

CohortSummary Summarize(const ScenarioConfig& scenario, const std::vector<PatientTruth>& truths) {
  CohortSummary summary;
  for (const auto& site : scenario.cohort.sites) {
    SiteSummary s;
    s.name = site.name;
    s.dicom = site.ct.dicom;
    summary.sites.push_back(s);
  }
  int pdac = 0;
  for (const auto& p : truths) {
    SiteSummary& s = summary.sites[p.site_index];
    ++s.patients;
    s.pdac += p.pdac;
    s.with_ct += p.has_ct;
    s.with_mask += p.has_mask;
    s.with_slide += p.has_slide;
    s.with_vcf += p.has_vcf;
    (p.split == "train" ? s.train : p.split == "validation" ? s.validation : s.test) += 1;
    if (p.pdac) {
      ++pdac;
      for (int g = 0; g < kDriverGeneCount; ++g) summary.driver_frequency_pdac[g] += p.driver_mutated[g];
    }
  }
  for (auto& f : summary.driver_frequency_pdac) f = pdac ? f / pdac : 0.0;
  return summary;
}

// Runs WritePatient for every task on `threads` threads; the caller's thread shows progress.
Status RunTasks(const ScenarioConfig& scenario, const GenerateOptions& options,
                const std::vector<Task>& tasks, std::vector<PatientTruth>& truths,
                std::vector<PatientOutput>& outputs) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::condition_variable progressed;
  std::size_t done = 0;
  Status first_error;
  auto worker = [&] {
    for (std::size_t i = next++; i < tasks.size() && !failed; i = next++) {
      const SiteConfig& site = scenario.cohort.sites[tasks[i].site];
      auto output = WritePatient(truths[i], site, scenario.seed, options.out_dir / site.name);
      std::lock_guard<std::mutex> lock(mutex);
      if (output.ok()) {
        outputs[i] = std::move(output).value();
      } else if (!failed.exchange(true)) {
        first_error = output.status();
      }
      ++done;
      progressed.notify_one();
    }
  };
  int thread_count = options.threads > 0 ? options.threads
                                         : static_cast<int>(std::thread::hardware_concurrency());
  thread_count = std::clamp(thread_count, 1, 64);
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) threads.emplace_back(worker);
  std::optional<ProgressDisplay> progress;
  if (options.show_progress) progress.emplace("generating patients", static_cast<std::int64_t>(tasks.size()));
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (done < tasks.size() && !failed) {
      progressed.wait_for(lock, std::chrono::milliseconds(200));
      if (progress) progress->Update(static_cast<std::int64_t>(done));
    }
  }
  for (auto& thread : threads) thread.join();
  if (progress) progress->Finish(failed ? "failed" : "done");
  return first_error;
}

}  // namespace

StatusOr<CohortSummary> GenerateCohort(const ScenarioConfig& scenario,
                                       const GenerateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  PANCAIM_RETURN_IF_ERROR(PrepareOutput(scenario, options));
  std::vector<Task> tasks;
  std::vector<PatientTruth> truths;
  for (int s = 0; s < static_cast<int>(scenario.cohort.sites.size()); ++s) {
    const SiteConfig& site = scenario.cohort.sites[s];
    for (int i = 0; i < site.patients; ++i) {
      tasks.push_back({s, i});
      truths.push_back(
          SamplePatient(options.model, site, s, i, scenario.seed, scenario.cohort.splits));
    }
  }
  std::vector<PatientOutput> outputs(tasks.size());
  PANCAIM_RETURN_IF_ERROR(RunTasks(scenario, options, tasks, truths, outputs));

  for (int s = 0; s < static_cast<int>(scenario.cohort.sites.size()); ++s) {
    std::vector<ManifestRow> rows;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if (tasks[i].site == s) rows.push_back(outputs[i].row);
    }
    const fs::path site_dir = options.out_dir / scenario.cohort.sites[s].name;
    PANCAIM_RETURN_IF_ERROR(WriteManifest(rows, site_dir / "manifest.csv"));
    // A minimal site agent configuration, so `pancaim-site check-data --config <site>/site.json`
    // reads the site as generated; the site agent's schema fills in every other key.
    const nlohmann::json site_config = {
        {"site", {{"id", scenario.cohort.sites[s].name}, {"manifest", "manifest.csv"}}}};
    PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(site_dir / "site.json", site_config.dump(2) + "\n"));
  }
  CohortSummary summary = Summarize(scenario, truths);
  if (options.oracle_samples > 0) {
    summary.has_oracle = true;
    summary.oracle = EstimateOracleMetrics(options.model, scenario.cohort, scenario.seed,
                                           options.oracle_samples);
  }
  PANCAIM_RETURN_IF_ERROR(
      WriteFileAtomic(options.out_dir / "scenario.json", scenario.document.dump(2) + "\n"));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(options.out_dir / "ground_truth.csv",
                                          GroundTruthCsv(truths, outputs, scenario)));
  // summary.json holds no timing, so identical seeds give identical files.
  PANCAIM_RETURN_IF_ERROR(
      WriteFileAtomic(options.out_dir / "summary.json", SummaryToJson(summary).dump(2) + "\n"));
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

nlohmann::json SummaryToJson(const CohortSummary& summary) {
  nlohmann::json sites = nlohmann::json::array();
  for (const auto& s : summary.sites) {
    sites.push_back({{"name", s.name}, {"patients", s.patients}, {"pdac", s.pdac},
                     {"ct", s.with_ct}, {"ct_format", s.dicom ? "dicom" : "nifti"},
                     {"mask", s.with_mask}, {"slide", s.with_slide}, {"vcf", s.with_vcf},
                     {"split", {{"train", s.train}, {"validation", s.validation}, {"test", s.test}}}});
  }
  nlohmann::json drivers;
  for (int g = 0; g < kDriverGeneCount; ++g) {
    drivers[std::string(kDriverGenes[g])] = summary.driver_frequency_pdac[g];
  }
  nlohmann::json out = {{"sites", sites}, {"driver_frequency_pdac", drivers}};
  if (summary.has_oracle) {
    const OracleMetrics& o = summary.oracle;
    out["best_achievable"] = {
        {"monte_carlo_patients", o.samples},
        {"detection_auc",
         {{"all_modalities", o.auc_all_modalities}, {"ct_only", o.auc_ct_only},
          {"slide_only", o.auc_slide_only}, {"genomics_only", o.auc_genomics_only},
          {"clinical_only", o.auc_clinical_only}, {"hidden_risk", o.auc_hidden_risk}}},
        {"survival_c_index",
         {{"true_risk_all", o.c_index_true_risk}, {"true_risk_pdac", o.c_index_true_risk_pdac},
          {"stage_only_pdac", o.c_index_stage_pdac}}}};
  }
  return out;
}

std::string FormatSummary(const CohortSummary& summary) {
  std::string text;
  char line[256];
  int total = 0;
  for (const auto& s : summary.sites) {
    std::snprintf(line, sizeof(line),
                  "  %-16s %5d patients  PDAC %5d  CT %5d (%s)  mask %5d  slide %5d  VCF %5d  "
                  "split %d/%d/%d\n",
                  s.name.c_str(), s.patients, s.pdac, s.with_ct, s.dicom ? "DICOM" : "NIfTI",
                  s.with_mask, s.with_slide, s.with_vcf, s.train, s.validation, s.test);
    text += line;
    total += s.patients;
  }
  std::snprintf(line, sizeof(line), "  %d patients in %.1f s\n", total, summary.seconds);
  text += line;
  int pdac = 0;
  for (const auto& s : summary.sites) pdac += s.pdac;
  text += "  driver mutation frequency among PDAC patients:";
  if (pdac == 0) text += " (no PDAC patients)";
  for (int g = 0; g < kDriverGeneCount && pdac > 0; ++g) {
    std::snprintf(line, sizeof(line), " %s %.0f%%", std::string(kDriverGenes[g]).c_str(),
                  100.0 * summary.driver_frequency_pdac[g]);
    text += line;
  }
  text += "\n";
  if (summary.has_oracle) {
    const OracleMetrics& o = summary.oracle;
    std::snprintf(line, sizeof(line),
                  "  best achievable detection AUC (Bayes-optimal, %d Monte Carlo patients): "
                  "all modalities %.3f | CT %.3f | slide %.3f | genomics %.3f | clinical %.3f | "
                  "hidden risk %.3f\n",
                  o.samples, o.auc_all_modalities, o.auc_ct_only, o.auc_slide_only,
                  o.auc_genomics_only, o.auc_clinical_only, o.auc_hidden_risk);
    text += line;
    std::snprintf(line, sizeof(line),
                  "  best achievable survival C-index (true risk): all %.3f | PDAC %.3f "
                  "(stage alone %.3f)\n",
                  o.c_index_true_risk, o.c_index_true_risk_pdac, o.c_index_stage_pdac);
    text += line;
  }
  return text;
}

}  // namespace pancaim::scenarios
