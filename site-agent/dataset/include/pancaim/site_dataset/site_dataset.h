// SiteDataset: one split of a site's patients as a zoo::Dataset, the multimodal adapter the trainer
// consumes. It joins the site data layer (manifest, clinical table) with the per-modality readers:
//   clinical  features normalised with the training split's statistics (or statistics given by the
//             caller, e.g. agreed in the federation), with the missing mask (never zero-imputed);
//   genomics  gene-panel features from each patient's VCF over the configured BED (default: the
//             shipped PDAC panel), computed once at Open and kept in memory;
//   ct        read and preprocessed through imaging::LoadCase with the site's on-disk volume cache,
//             lazily on Get, the most recent volumes kept in a bounded in-memory cache;
//   slides    a bag of tiles per patient, drawn per epoch (set_epoch) by pathology::SlideTileSampler
//             from all the patient's slides, opened lazily (bounded number kept open);
//   labels    PDAC 0/1, survival months and event, from the manifest.
// A patient lacking a requested modality simply lacks that field in its Sample (models such as
// fusion-survival mask it). A file that cannot be read is skipped: the reason is logged once,
// recorded in failures() and counted in the summary, and the sample goes on without that field.
// Patients lacking a modality listed in `required` (known at Open for clinical and genomics; for
// CT and slides a failure at Get) are left out at Open, or make Get return FailedPrecondition.
//
// Usage (the site agent):
//   PANCAIM_ASSIGN_OR_RETURN(auto train, SiteDataset::OpenFile("site.json", Split::kTrain,
//                                                              {.modalities = ParseModalitySet(...)}));
//   zoo::Train(model, *train, options);  // train->set_epoch(round) before each round
//   nlohmann::json hello = train->summary().ToJson();  // aggregate counts only
//
// Thread-safety: Get() and set_epoch() may be called from several threads (internal caches are
// locked); the trainer calls them from one. The dataset owns its caches and open slides.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/sample.h"
#include "pancaim/site_data/clinical_table.h"
#include "pancaim/site_data/data_issue.h"
#include "pancaim/site_data/manifest.h"
#include "pancaim/site_data/site_config.h"
#include "pancaim/site_dataset/dataset_summary.h"
#include "pancaim/site_dataset/modality_set.h"

namespace pancaim::sitedataset {

using sitedata::Split;

// Which label a patient must have to be included (patients without it are left out at Open).
enum class LabelRequirement {
  kNone,      // unlabelled patients are kept (scoring)
  kPdac,      // PDAC yes/no known (classification)
  kSurvival,  // survival time and event known (survival models)
};

struct SiteDatasetOptions {
  ModalitySet modalities = ModalitySet::All();  // what Get() reads
  // Patients lacking any of these are left out (subset of `modalities`, checked at Open). Example:
  // genomics-mlp needs genomics on every row, so it asks for {genomics}.
  ModalitySet required;
  LabelRequirement labels = LabelRequirement::kNone;
  bool include_ct_mask = false;  // also return the segmentation mask with the CT (ct-unet3d)
  bool require_ct_mask = false;  // leave out patients whose manifest declares no mask
  // Clinical normalisation: nullopt fits on this site's training split (never validation or test).
  std::optional<sitedata::NormalisationStats> clinical_stats;
  std::size_t ct_memory_cache = 32;  // preprocessed volumes kept in memory (0 disables)
  std::size_t open_slides = 64;      // tile samplers kept open
  bool strict = false;               // the first bad manifest row, cell or file is an error
};

// A split of one site's data. Owns its caches; see the file comment for thread-safety.
class SiteDataset : public zoo::Dataset {
 public:
  // Opens a validated or raw site configuration document (site.json contents; validated here with
  // sitedata::SiteConfigSchema()); relative paths resolve against `base_dir`. Reads the manifest
  // and clinical table, fits the clinical normalisation, extracts the genomics features of the
  // split's patients. Errors: the schema's InvalidArgument naming the key, the manifest's errors,
  // FailedPrecondition when clinical statistics are needed and the site has no training patient
  // (pass SiteDatasetOptions::clinical_stats), InvalidArgument for a BED that cannot be read or
  // `required` not within `modalities`; in strict mode the first bad record or file.
  static StatusOr<std::unique_ptr<SiteDataset>> Open(const nlohmann::json& site_config,
                                                     const std::filesystem::path& base_dir,
                                                     Split split,
                                                     const SiteDatasetOptions& options = {});
  // The same from an already resolved configuration.
  static StatusOr<std::unique_ptr<SiteDataset>> Open(const sitedata::SiteConfig& config,
                                                     Split split,
                                                     const SiteDatasetOptions& options = {});
  // The same from a site.json file (paths relative to its folder); errors start with its path.
  static StatusOr<std::unique_ptr<SiteDataset>> OpenFile(const std::filesystem::path& site_json,
                                                         Split split,
                                                         const SiteDatasetOptions& options = {});

  ~SiteDataset() override;

  std::int64_t Size() const override;
  // The patient's sample with the requested modalities it has. Unreadable CT or slide files are
  // skipped (logged once, counted); FailedPrecondition only when such a modality is required.
  StatusOr<zoo::Sample> Get(std::int64_t index) const override;

  // Selects the epoch the slide tiles are drawn for (same epoch, same tiles on every machine).
  void set_epoch(std::uint64_t epoch);
  std::uint64_t epoch() const { return epoch_.load(); }

  const std::string& site_id() const { return config_.site_id; }
  Split split() const { return split_; }
  const SiteDatasetOptions& options() const { return options_; }
  // Patient ids in dataset order (manifest order within the split).
  std::vector<std::string> patient_ids() const;

  // Feature layout, for model configs: genomics-mlp's genomics_features = genomics_names().size().
  const std::vector<std::string>& genomics_names() const { return genomics_names_; }
  const std::vector<std::string>& clinical_names() const { return clinical_stats_.names; }
  // The clinical statistics used (fitted on the training split unless given).
  const sitedata::NormalisationStats& clinical_stats() const { return clinical_stats_; }

  // Aggregate counts for the agent's hello and reports (no patient-level data). Updated as Get()
  // meets unreadable files.
  DatasetSummary summary() const;
  // Every record or file skipped so far (manifest rows, clinical cells, VCFs at Open, CT and
  // slides as met in Get), with file and reason. Site-local: never sent to the coordinator.
  std::vector<sitedata::DataIssue> failures() const;

  // CT volume cache activity of this dataset (on-disk hits and misses, in-memory hits).
  struct CacheStats {
    std::int64_t disk_hits = 0;
    std::int64_t disk_misses = 0;
    std::int64_t memory_hits = 0;
  };
  CacheStats cache_stats() const;

 private:
  struct Patient;
  struct Caches;

  SiteDataset();
  Status Build(const sitedata::SiteConfig& config, Split split, const SiteDatasetOptions& options);
  void RecordFailure(const Patient& patient, const std::string& modality, const std::string& file,
                     const Status& status) const;
  StatusOr<std::optional<torch::Tensor>> LoadCt(const Patient& patient, zoo::Sample& sample) const;
  StatusOr<std::optional<torch::Tensor>> LoadTiles(const Patient& patient) const;

  sitedata::SiteConfig config_;
  Split split_ = Split::kTrain;
  SiteDatasetOptions options_;
  std::vector<Patient> patients_;
  std::vector<std::string> genomics_names_;
  sitedata::NormalisationStats clinical_stats_;
  std::atomic<std::uint64_t> epoch_{0};

  std::unique_ptr<Caches> caches_;  // mutable state behind a lock
};

}  // namespace pancaim::sitedataset
