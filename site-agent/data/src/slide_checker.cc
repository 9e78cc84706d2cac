// The whole-slide modality checker of check-data (see modality_checker.h), over
// pancaim::pathology's InspectSlide (OpenSlide).
#include "pancaim/pathology/slide_inspect.h"
#include "pancaim/site_data/modality_checker.h"

namespace pancaim::sitedata {
namespace {

class SlideChecker : public ModalityChecker {
 public:
  explicit SlideChecker(const SiteConfig& config) {
    options_.target_mpp = config.pathology.target_mpp;
    options_.tile_size = static_cast<int>(config.pathology.tile_size);
    options_.tiles_per_slide = static_cast<int>(config.pathology.tiles_per_slide);
    options_.seed = config.pathology.seed;
  }

  std::string_view modality() const override { return "pathology"; }
  bool Applies(const PatientRecord& patient) const override {
    return !patient.slide_paths.empty();
  }

  Status Check(const PatientRecord& patient, ModalityReport& report) override {
    for (const auto& path : patient.slide_paths) {
      StatusOr<pathology::SlideSummary> summary = pathology::InspectSlide(path, options_);
      if (!summary.ok()) {
        failed_file_ = path.string();
        return summary.status();
      }
      ++report.files_read;
      ++report.counts["vendor " + summary->vendor];
      report.HistogramFor("level-0 resolution", "um/px", {0, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2, 5, 100})
          .Add((summary->mpp_x + summary->mpp_y) / 2.0);
      report.HistogramFor("tissue fraction", "fraction", {0, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.01})
          .Add(summary->tissue_fraction);
      report.HistogramFor("tissue tiles at target resolution", "tiles",
                          {0, 1, 16, 64, 256, 1024, 4096, 1e9})
          .Add(static_cast<double>(summary->tissue_tiles));
      if (summary->tissue_tiles == 0 && report.notes.size() < 50) {
        report.notes.push_back(patient.patient_id + ": " + path.string() + ": no tissue tiles");
      }
    }
    return Status::Ok();
  }

  std::string FailedFile(const PatientRecord&, const Status&) const override {
    return failed_file_;
  }

 private:
  pathology::TileSamplerOptions options_;
  std::string failed_file_;
};

}  // namespace

std::unique_ptr<ModalityChecker> MakeSlideChecker(const SiteConfig& config) {
  return std::make_unique<SlideChecker>(config);
}

}  // namespace pancaim::sitedata
