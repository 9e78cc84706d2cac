// The CT/MR modality checker of check-data (see modality_checker.h).
#include <optional>

#include "pancaim/imaging/volume_cache.h"
#include "pancaim/site_data/modality_checker.h"

namespace pancaim::sitedata {
namespace {

constexpr std::size_t kMaxNotes = 50;

class CtChecker : public ModalityChecker {
 public:
  explicit CtChecker(const SiteConfig& config) : options_(config.imaging) {
    if (config.imaging_cache) cache_.emplace(config.cache_dir / "ct");
  }

  std::string_view modality() const override { return "ct"; }
  bool Applies(const PatientRecord& patient) const override { return patient.ct_path.has_value(); }

  Status Check(const PatientRecord& patient, ModalityReport& report) override {
    imaging::CaseSource source;
    source.image.path = *patient.ct_path;
    source.image.series_uid = patient.ct_series_uid;
    if (patient.mask_path) {
      source.mask.emplace();
      source.mask->path = *patient.mask_path;
    }
    StatusOr<imaging::LoadedCase> loaded =
        cache_ ? cache_->Load(source, options_) : imaging::LoadCase(source, options_);
    if (!loaded.ok()) return loaded.status();
    report.files_read += static_cast<std::int64_t>(loaded->files_read.size());
    ++report.counts[std::string(imaging::VolumeFormatName(loaded->image_format))];
    if (patient.mask_path) ++report.counts["with mask"];
    if (loaded->from_cache) ++report.counts["from cache"];
    const imaging::VolumeGeometry& g = loaded->image_geometry;
    report.HistogramFor("in-plane spacing", "mm", {0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2, 5})
        .Add((g.spacing[0] + g.spacing[1]) / 2.0);
    report.HistogramFor("slice spacing", "mm", {0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10})
        .Add(g.spacing[2]);
    report.HistogramFor("slices", "count", {1, 2, 32, 64, 128, 256, 512, 1024, 4096})
        .Add(static_cast<double>(g.size[2]));
    for (const std::string& note : loaded->notes) {
      if (report.notes.size() < kMaxNotes) report.notes.push_back(patient.patient_id + ": " + note);
    }
    return Status::Ok();
  }

  std::string FailedFile(const PatientRecord& patient, const Status& failure) const override {
    if (patient.mask_path && failure.message().rfind("mask", 0) == 0) {
      return patient.mask_path->string();
    }
    return patient.ct_path ? patient.ct_path->string() : "";
  }

 private:
  imaging::PreprocessOptions options_;
  std::optional<imaging::VolumeCache> cache_;
};

}  // namespace

std::unique_ptr<ModalityChecker> MakeCtChecker(const SiteConfig& config) {
  return std::make_unique<CtChecker>(config);
}

}  // namespace pancaim::sitedata
