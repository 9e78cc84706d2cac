#include "pancaim/site_data/check_data.h"

#include <chrono>
#include <unordered_map>

#include "pancaim/common/progress.h"
#include "pancaim/site_data/clinical_table.h"

namespace pancaim::sitedata {
namespace {

// The clinical section: typed values, their problems, label balance and training statistics.
Status CheckClinical(const Manifest& manifest, bool strict, ModalityReport& report,
                     std::optional<ClinicalTable>& table) {
  report.modality = "clinical";
  std::vector<DataIssue> issues;
  PANCAIM_ASSIGN_OR_RETURN(ClinicalTable typed, ClinicalTable::FromManifest(manifest, false, &issues));
  std::unordered_map<std::string, int> bad;
  for (const auto& issue : issues) ++bad[issue.patient_id];
  for (const ClinicalRow& row : typed.rows()) {
    if (!row.HasAnyFeature() && bad.count(row.patient_id) == 0) continue;
    ++report.patients;
    if (bad.count(row.patient_id) == 0) ++report.patients_ok;
    report.labels.Add(row.pdac, row.event, row.survival_months.has_value());
    if (row.age) report.HistogramFor("age", "years", {0, 30, 40, 50, 60, 70, 80, 90, 130}).Add(*row.age);
    if (row.ca19_9) {
      report.HistogramFor("CA19-9", "U/mL", {0, 37, 100, 1000, 10000, 1e7}).Add(*row.ca19_9);
    }
  }
  report.failures = std::move(issues);
  StatusOr<NormalisationStats> stats = typed.FitNormalisation();
  if (stats.ok()) {
    report.extra = {{"normalisation_on_training_split", stats->ToJson()}};
  } else {
    report.notes.push_back(stats.status().message());
  }
  table = std::move(typed);
  if (strict && !report.failures.empty()) return report.failures.front().ToStatus();
  return Status::Ok();
}

}  // namespace

StatusOr<CheckDataReport> RunCheckData(const SiteConfig& config, const CheckDataOptions& options,
                                       std::vector<std::unique_ptr<ModalityChecker>> checkers) {
  const auto start = std::chrono::steady_clock::now();
  CheckDataReport report;
  report.site_id = config.site_id;
  report.manifest = config.manifest_path.string();
  report.strict = options.strict;
  const auto finish = [&]() {
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  };
  // Always read leniently, so a strict run still reports what it saw before stopping.
  PANCAIM_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(config.manifest_path));
  report.manifest_rows = manifest.rows;
  report.patients = static_cast<std::int64_t>(manifest.patients.size());
  for (const auto& patient : manifest.patients) ++report.splits[std::string(SplitName(patient.split))];
  report.manifest_issues = manifest.issues;
  if (options.strict && !manifest.issues.empty()) {
    report.stopped = manifest.issues.front().ToStatus();
    return finish();
  }
  report.modalities.emplace_back();
  std::optional<ClinicalTable> clinical;
  report.stopped = CheckClinical(manifest, options.strict, report.modalities.back(), clinical);
  if (!report.stopped.ok()) return finish();
  std::unordered_map<std::string, const ClinicalRow*> rows;
  for (const ClinicalRow& row : clinical->rows()) rows[row.patient_id] = &row;

  const std::size_t first = report.modalities.size();
  for (const auto& checker : checkers) {
    ModalityReport section;
    section.modality = std::string(checker->modality());
    section.checked = checker->Available();
    section.not_checked_reason = checker->NotCheckedReason();
    report.modalities.push_back(std::move(section));
  }
  std::optional<ProgressDisplay> progress;
  if (options.progress) {
    progress.emplace("check-data", static_cast<std::int64_t>(manifest.patients.size()));
  }
  for (const PatientRecord& patient : manifest.patients) {
    for (std::size_t c = 0; c < checkers.size(); ++c) {
      ModalityChecker& checker = *checkers[c];
      ModalityReport& section = report.modalities[first + c];
      if (!checker.Applies(patient)) continue;
      ++section.patients;
      if (!checker.Available()) continue;
      const Status status = checker.Check(patient, section);
      if (status.ok()) {
        ++section.patients_ok;
        const ClinicalRow* row = rows.at(patient.patient_id);
        section.labels.Add(row->pdac, row->event, row->survival_months.has_value());
        continue;
      }
      DataIssue failure;
      failure.file = checker.FailedFile(patient, status);
      failure.patient_id = patient.patient_id;
      failure.modality = section.modality;
      failure.message = status.message();
      section.failures.push_back(failure);
      if (options.strict) {
        report.stopped = Status(status.code(), "patient " + patient.patient_id + " (" +
                                                   section.modality + "): " + status.message());
        if (progress) progress->Finish("stopped");
        return finish();
      }
    }
    if (progress) progress->Advance(1, patient.patient_id);
  }
  if (progress) progress->Finish();
  return finish();
}

StatusOr<std::vector<std::unique_ptr<ModalityChecker>>> MakeModalityCheckers(
    const SiteConfig& config) {
  std::vector<std::unique_ptr<ModalityChecker>> checkers;
  checkers.push_back(MakeCtChecker(config));
  checkers.push_back(MakeSlideChecker(config));
  PANCAIM_ASSIGN_OR_RETURN(std::unique_ptr<ModalityChecker> vcf, MakeVcfChecker(config));
  checkers.push_back(std::move(vcf));
  return checkers;
}

StatusOr<CheckDataReport> RunCheckData(const SiteConfig& config, const CheckDataOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(auto checkers, MakeModalityCheckers(config));
  return RunCheckData(config, options, std::move(checkers));
}

}  // namespace pancaim::sitedata
