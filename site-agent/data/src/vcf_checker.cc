// The genomics modality checker of check-data (see modality_checker.h), over pancaim::genomics's
// InspectVcf (HTSlib).
#include "pancaim/genomics/vcf_inspect.h"
#include "pancaim/site_data/modality_checker.h"

namespace pancaim::sitedata {
namespace {

class VcfChecker : public ModalityChecker {
 public:
  VcfChecker(genomics::GenePanel panel, bool pass_only) : panel_(std::move(panel)) {
    options_.pass_only = pass_only;
  }

  std::string_view modality() const override { return "genomics"; }
  bool Applies(const PatientRecord& patient) const override {
    return patient.vcf_path.has_value();
  }

  Status Check(const PatientRecord& patient, ModalityReport& report) override {
    StatusOr<genomics::VcfSummary> summary =
        genomics::InspectVcf(*patient.vcf_path, patient.vcf_sample, panel_, options_);
    if (!summary.ok()) return summary.status();
    ++report.files_read;
    ++report.counts[summary->format + "+" + summary->index_kind];
    ++report.counts["contigs " + summary->contig_style];
    for (const std::string& gene : summary->mutated_genes) ++report.counts["mutated " + gene];
    report.HistogramFor("records per file", "records", {0, 1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e9})
        .Add(static_cast<double>(summary->features.records_read));
    report.HistogramFor("mutated panel genes per patient", "genes", {0, 1, 2, 3, 4, 6, 10, 1000})
        .Add(static_cast<double>(summary->mutated_genes.size()));
    return Status::Ok();
  }

  std::string FailedFile(const PatientRecord& patient, const Status&) const override {
    return patient.vcf_path ? patient.vcf_path->string() : "";
  }

 private:
  genomics::GenePanel panel_;
  genomics::GeneFeatureOptions options_;
};

}  // namespace

StatusOr<std::unique_ptr<ModalityChecker>> MakeVcfChecker(const SiteConfig& config) {
  genomics::GenePanel panel = genomics::PdacPanelGrch38();
  if (!config.genomics.bed_path.empty()) {
    StatusOr<genomics::GenePanel> read = genomics::ReadBedFile(config.genomics.bed_path);
    if (!read.ok()) return read.status().WithContext("genomics.bed_path");
    panel = std::move(read).value();
  }
  return std::unique_ptr<ModalityChecker>(
      std::make_unique<VcfChecker>(std::move(panel), config.genomics.pass_only));
}

}  // namespace pancaim::sitedata
