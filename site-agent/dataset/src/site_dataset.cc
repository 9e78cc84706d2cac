#include "pancaim/site_dataset/site_dataset.h"

#include <algorithm>
#include <list>
#include <set>
#include <utility>

#include "pancaim/common/check.h"
#include "pancaim/common/log.h"
#include "pancaim/genomics/gene_features.h"
#include "pancaim/genomics/gene_panel.h"
#include "pancaim/genomics/vcf_file.h"
#include "pancaim/imaging/case_loader.h"
#include "pancaim/imaging/volume_cache.h"
#include "pancaim/pathology/slide_tile_sampler.h"
#include "tensor_conversion.h"

namespace pancaim::sitedataset {

using sitedata::DataIssue;

// One patient of the split, with what was computed at Open.
struct SiteDataset::Patient {
  sitedata::PatientRecord record;
  std::optional<std::vector<float>> clinical;           // normalised features
  std::vector<std::uint8_t> clinical_missing;           // with `clinical`
  std::optional<std::vector<float>> genomics;           // gene-panel feature vector
  zoo::Labels labels;
};

// Mutable state of Get(): caches, failures and the summary, behind one lock.
struct SiteDataset::Caches {
  std::mutex mutex;
  std::unique_ptr<imaging::VolumeCache> volume_cache;  // null when the site disables it
  // In-memory CT cache: most recently used first.
  struct CtEntry {
    std::size_t patient = 0;
    torch::Tensor ct;
    std::optional<torch::Tensor> mask;
  };
  std::list<CtEntry> ct_lru;
  std::int64_t memory_hits = 0;
  // Open tile samplers by slide path, oldest first for eviction.
  std::map<std::string, std::shared_ptr<const pathology::SlideTileSampler>> samplers;
  std::list<std::string> sampler_order;
  std::set<std::string> bad_files;  // failed once: skipped afterwards
  std::vector<DataIssue> failures;
  DatasetSummary summary;
};

SiteDataset::SiteDataset() : caches_(std::make_unique<Caches>()) {}
SiteDataset::~SiteDataset() = default;

StatusOr<std::unique_ptr<SiteDataset>> SiteDataset::Open(const nlohmann::json& site_config,
                                                         const std::filesystem::path& base_dir,
                                                         Split split,
                                                         const SiteDatasetOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json validated,
                           sitedata::SiteConfigSchema().Validate(site_config));
  PANCAIM_ASSIGN_OR_RETURN(sitedata::SiteConfig config,
                           sitedata::SiteConfigFromJson(validated, base_dir));
  return Open(config, split, options);
}

StatusOr<std::unique_ptr<SiteDataset>> SiteDataset::OpenFile(const std::filesystem::path& site_json,
                                                             Split split,
                                                             const SiteDatasetOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(sitedata::SiteConfig config, sitedata::LoadSiteConfig(site_json));
  StatusOr<std::unique_ptr<SiteDataset>> dataset = Open(config, split, options);
  if (!dataset.ok()) return dataset.status().WithContext(site_json.string());
  return dataset;
}

StatusOr<std::unique_ptr<SiteDataset>> SiteDataset::Open(const sitedata::SiteConfig& config,
                                                         Split split,
                                                         const SiteDatasetOptions& options) {
  std::unique_ptr<SiteDataset> dataset(new SiteDataset());
  PANCAIM_RETURN_IF_ERROR(dataset->Build(config, split, options));
  return dataset;
}

namespace {

StatusOr<genomics::GenePanel> PanelFor(const sitedata::SiteConfig& config) {
  if (config.genomics.bed_path.empty()) return genomics::PdacPanelGrch38();
  StatusOr<genomics::GenePanel> panel = genomics::ReadBedFile(config.genomics.bed_path);
  if (!panel.ok()) return panel.status().WithContext("genomics.bed_path");
  return panel;
}

// Features of `record`'s VCF over `panel`.
StatusOr<std::vector<float>> ReadGenomics(const sitedata::PatientRecord& record,
                                          const genomics::GenePanel& panel, bool pass_only) {
  PANCAIM_ASSIGN_OR_RETURN(std::unique_ptr<genomics::VcfFile> vcf,
                           genomics::VcfFile::Open(*record.vcf_path));
  std::string sample = record.vcf_sample;
  if (sample.empty()) {
    if (vcf->samples().size() != 1) {
      return InvalidArgumentError(record.vcf_path->string() + ": the manifest names no vcf_sample and the file has " +
                                  std::to_string(vcf->samples().size()) + " samples");
    }
    sample = vcf->samples().front();
  }
  genomics::GeneFeatureOptions options;
  options.pass_only = pass_only;
  PANCAIM_ASSIGN_OR_RETURN(genomics::GenomicFeatures features,
                           genomics::ExtractGeneFeatures(*vcf, sample, panel, options));
  return features.ToVector();
}

bool HasPdac(const zoo::Labels& labels) { return labels.label.has_value(); }
bool HasSurvival(const zoo::Labels& labels) {
  return labels.survival_time.has_value() && labels.event.has_value();
}

}  // namespace

Status SiteDataset::Build(const sitedata::SiteConfig& config, Split split,
                          const SiteDatasetOptions& options) {
  config_ = config;
  split_ = split;
  options_ = options;
  if (!options.modalities.Contains(options.required)) {
    return InvalidArgumentError("required modalities '" + options.required.ToString() +
                                "' are not all among the requested '" +
                                options.modalities.ToString() + "'");
  }
  DatasetSummary& summary = caches_->summary;
  summary.site_id = config.site_id;
  summary.split = std::string(sitedata::SplitName(split));
  summary.modalities = options.modalities.ToString();

  sitedata::ManifestReadOptions manifest_options;
  manifest_options.strict = options.strict;
  PANCAIM_ASSIGN_OR_RETURN(sitedata::Manifest manifest,
                           sitedata::ReadManifest(config.manifest_path, manifest_options));
  std::vector<DataIssue> issues = manifest.issues;
  PANCAIM_ASSIGN_OR_RETURN(sitedata::ClinicalTable table,
                           sitedata::ClinicalTable::FromManifest(manifest, options.strict, &issues));
  for (const DataIssue& issue : issues) {
    PANCAIM_LOG(WARNING) << "site " << config.site_id << ": skipped: " << issue.ToString();
    ++summary.failures[issue.modality.empty() ? "manifest" : issue.modality];
  }
  caches_->failures = issues;

  if (options.clinical_stats) {
    clinical_stats_ = *options.clinical_stats;
    if (clinical_stats_.names != sitedata::ClinicalFeatureNames()) {
      return InvalidArgumentError("clinical_stats: feature names differ from the clinical table's");
    }
  } else if (options.modalities.clinical) {
    StatusOr<sitedata::NormalisationStats> fitted = table.FitNormalisation();
    if (!fitted.ok()) {
      return fitted.status().WithContext(config.manifest_path.string() +
                                         ": clinical normalisation (give clinical_stats)");
    }
    clinical_stats_ = *std::move(fitted);
  } else {
    clinical_stats_.names = sitedata::ClinicalFeatureNames();
  }
  const sitedata::FeatureMatrix features =
      options.modalities.clinical ? table.Normalise(clinical_stats_) : sitedata::FeatureMatrix{};
  std::map<std::string, std::size_t, std::less<>> clinical_row;
  for (std::size_t r = 0; r < features.rows(); ++r) clinical_row[features.patient_ids[r]] = r;
  std::map<std::string, const sitedata::ClinicalRow*, std::less<>> typed;
  for (const sitedata::ClinicalRow& row : table.rows()) typed[row.patient_id] = &row;

  PANCAIM_ASSIGN_OR_RETURN(genomics::GenePanel panel, PanelFor(config));
  genomics_names_ = genomics::GenomicFeatures::FeatureNames(panel);

  for (const sitedata::PatientRecord& record : manifest.patients) {
    ++summary.patients_per_split[std::string(sitedata::SplitName(record.split))];
    if (record.ct_path) ++summary.declared["ct"];
    if (record.mask_path) ++summary.declared["mask"];
    if (!record.slide_paths.empty()) ++summary.declared["slides"];
    if (record.vcf_path) ++summary.declared["genomics"];
    const auto row = typed.find(record.patient_id);
    if (row != typed.end() && row->second->HasAnyFeature()) ++summary.declared["clinical"];
    if (record.split != split) continue;

    Patient patient;
    patient.record = record;
    if (row != typed.end()) {
      const sitedata::ClinicalRow& values = *row->second;
      if (values.pdac) patient.labels.label = *values.pdac;
      if (values.survival_months && values.event) {
        patient.labels.survival_time = *values.survival_months;
        patient.labels.event = *values.event == 1;
      }
      if (options.modalities.clinical && values.HasAnyFeature()) {
        const std::size_t r = clinical_row.at(record.patient_id);
        const std::size_t c = features.cols();
        patient.clinical.emplace(features.values.begin() + static_cast<std::ptrdiff_t>(r * c),
                                 features.values.begin() + static_cast<std::ptrdiff_t>((r + 1) * c));
        patient.clinical_missing.assign(
            features.missing.begin() + static_cast<std::ptrdiff_t>(r * c),
            features.missing.begin() + static_cast<std::ptrdiff_t>((r + 1) * c));
      }
    }
    const bool labelled = options.labels == LabelRequirement::kNone ||
                          (options.labels == LabelRequirement::kPdac && HasPdac(patient.labels)) ||
                          (options.labels == LabelRequirement::kSurvival &&
                           HasSurvival(patient.labels));
    if (!labelled) {
      ++summary.excluded;
      continue;
    }
    if (options.modalities.genomics && record.vcf_path) {
      StatusOr<std::vector<float>> vector =
          ReadGenomics(record, panel, config.genomics.pass_only);
      if (vector.ok()) {
        patient.genomics = *std::move(vector);
      } else {
        if (options.strict) return vector.status().WithContext("patient " + record.patient_id);
        RecordFailure(patient, "genomics", record.vcf_path->string(), vector.status());
      }
    }
    const ModalitySet& required = options.required;
    if ((required.clinical && !patient.clinical) || (required.genomics && !patient.genomics) ||
        (required.ct && !record.ct_path) || (required.slides && record.slide_paths.empty()) ||
        (options.require_ct_mask && !record.mask_path)) {
      ++summary.excluded;
      continue;
    }
    patients_.push_back(std::move(patient));
  }

  summary.size = static_cast<std::int64_t>(patients_.size());
  for (const Patient& patient : patients_) {
    if (patient.labels.label) {
      ++(*patient.labels.label == 1 ? summary.pdac_positive : summary.pdac_negative);
    } else {
      ++summary.pdac_unknown;
    }
    if (HasSurvival(patient.labels)) {
      ++summary.survival_known;
      if (*patient.labels.event) ++summary.events;
    }
  }
  const ModalitySet& m = options.modalities;
  if (m.ct) summary.available["ct"] = 0;
  if (m.slides) summary.available["slides"] = 0;
  if (m.genomics) summary.available["genomics"] = 0;
  if (m.clinical) summary.available["clinical"] = 0;
  for (const Patient& patient : patients_) {
    if (m.ct && patient.record.ct_path) ++summary.available["ct"];
    if (m.slides && !patient.record.slide_paths.empty()) ++summary.available["slides"];
    if (m.genomics && patient.genomics) ++summary.available["genomics"];
    if (m.clinical && patient.clinical) ++summary.available["clinical"];
  }
  if (m.ct && config.imaging_cache) {
    caches_->volume_cache = std::make_unique<imaging::VolumeCache>(config.cache_dir);
  }
  PANCAIM_LOG(INFO) << "site " << config.site_id << " " << summary.split << ": "
                    << patients_.size() << " patients (" << summary.modalities << "), "
                    << summary.excluded << " excluded";
  return Status::Ok();
}

std::int64_t SiteDataset::Size() const { return static_cast<std::int64_t>(patients_.size()); }

std::vector<std::string> SiteDataset::patient_ids() const {
  std::vector<std::string> ids;
  ids.reserve(patients_.size());
  for (const Patient& patient : patients_) ids.push_back(patient.record.patient_id);
  return ids;
}

void SiteDataset::set_epoch(std::uint64_t epoch) { epoch_.store(epoch); }

DatasetSummary SiteDataset::summary() const {
  std::lock_guard<std::mutex> lock(caches_->mutex);
  return caches_->summary;
}

std::vector<DataIssue> SiteDataset::failures() const {
  std::lock_guard<std::mutex> lock(caches_->mutex);
  return caches_->failures;
}

SiteDataset::CacheStats SiteDataset::cache_stats() const {
  std::lock_guard<std::mutex> lock(caches_->mutex);
  CacheStats stats;
  if (caches_->volume_cache) {
    stats.disk_hits = caches_->volume_cache->hits();
    stats.disk_misses = caches_->volume_cache->misses();
  }
  stats.memory_hits = caches_->memory_hits;
  return stats;
}

// Caller holds the lock, except during Build (single-threaded).
void SiteDataset::RecordFailure(const Patient& patient, const std::string& modality,
                                const std::string& file, const Status& status) const {
  DataIssue issue;
  issue.file = file;
  issue.line = patient.record.line;
  issue.patient_id = patient.record.patient_id;
  issue.modality = modality;
  issue.message = status.ToString();
  PANCAIM_LOG(WARNING) << "site " << config_.site_id << ": skipped " << modality << ": "
                       << issue.ToString();
  caches_->failures.push_back(std::move(issue));
  ++caches_->summary.failures[modality];
  caches_->bad_files.insert(file);
}

StatusOr<std::optional<torch::Tensor>> SiteDataset::LoadCt(const Patient& patient,
                                                           zoo::Sample& sample) const {
  const std::size_t index = static_cast<std::size_t>(&patient - patients_.data());
  Caches& caches = *caches_;
  for (auto it = caches.ct_lru.begin(); it != caches.ct_lru.end(); ++it) {
    if (it->patient != index) continue;
    caches.ct_lru.splice(caches.ct_lru.begin(), caches.ct_lru, it);
    ++caches.memory_hits;
    if (options_.include_ct_mask) sample.ct_mask = it->mask;
    return std::optional<torch::Tensor>(it->ct);
  }
  const std::string file = patient.record.ct_path->string();
  if (caches.bad_files.count(file) != 0) return std::optional<torch::Tensor>();
  imaging::CaseSource source;
  source.image.path = *patient.record.ct_path;
  source.image.series_uid = patient.record.ct_series_uid;
  if (patient.record.mask_path) source.mask = imaging::VolumeSource{*patient.record.mask_path, ""};
  StatusOr<imaging::LoadedCase> loaded =
      caches.volume_cache ? caches.volume_cache->Load(source, config_.imaging)
                          : imaging::LoadCase(source, config_.imaging);
  if (!loaded.ok()) {
    if (options_.strict) return loaded.status().WithContext("patient " + patient.record.patient_id);
    RecordFailure(patient, "ct", file, loaded.status());
    --caches.summary.available["ct"];
    if (options_.required.ct) {
      return FailedPreconditionError("patient " + patient.record.patient_id +
                                     ": required CT unreadable: " + loaded.status().ToString());
    }
    return std::optional<torch::Tensor>();
  }
  torch::Tensor ct = VolumeToTensor(loaded->data.image).unsqueeze(0);
  std::optional<torch::Tensor> mask;
  if (loaded->data.mask) mask = MaskToTensor(*loaded->data.mask);
  if (options_.include_ct_mask) sample.ct_mask = mask;
  if (options_.ct_memory_cache > 0) {
    caches.ct_lru.push_front({index, ct, options_.include_ct_mask ? mask : std::nullopt});
    if (caches.ct_lru.size() > options_.ct_memory_cache) caches.ct_lru.pop_back();
  }
  return std::optional<torch::Tensor>(ct);
}

StatusOr<std::optional<torch::Tensor>> SiteDataset::LoadTiles(const Patient& patient) const {
  Caches& caches = *caches_;
  std::vector<torch::Tensor> bags;
  std::size_t failed = 0;
  bool new_failure = false;
  Status last_error;
  for (std::size_t s = 0; s < patient.record.slide_paths.size(); ++s) {
    const std::string file = patient.record.slide_paths[s].string();
    if (caches.bad_files.count(file) != 0) {
      ++failed;
      continue;
    }
    std::shared_ptr<const pathology::SlideTileSampler> sampler;
    if (auto it = caches.samplers.find(file); it != caches.samplers.end()) {
      sampler = it->second;
    } else {
      pathology::TileSamplerOptions tile_options;
      tile_options.target_mpp = config_.pathology.target_mpp;
      tile_options.tile_size = static_cast<int>(config_.pathology.tile_size);
      tile_options.tiles_per_slide = static_cast<int>(config_.pathology.tiles_per_slide);
      tile_options.seed = config_.pathology.seed;
      StatusOr<std::unique_ptr<pathology::SlideTileSampler>> created =
          pathology::SlideTileSampler::Create(patient.record.slide_paths[s], tile_options,
                                              patient.record.patient_id + "/" + std::to_string(s));
      if (!created.ok()) {
        if (options_.strict) return created.status().WithContext("patient " + patient.record.patient_id);
        RecordFailure(patient, "pathology", file, created.status());
        new_failure = true;
        last_error = created.status();
        ++failed;
        continue;
      }
      sampler = std::shared_ptr<const pathology::SlideTileSampler>(std::move(created).value());
      caches.samplers[file] = sampler;
      caches.sampler_order.push_back(file);
      if (caches.sampler_order.size() > std::max<std::size_t>(1, options_.open_slides)) {
        caches.samplers.erase(caches.sampler_order.front());
        caches.sampler_order.pop_front();
      }
    }
    StatusOr<std::vector<pathology::SampledTile>> tiles = sampler->SampleEpoch(epoch_.load());
    if (!tiles.ok()) {
      if (options_.strict) return tiles.status().WithContext("patient " + patient.record.patient_id);
      RecordFailure(patient, "pathology", file, tiles.status());
      caches.samplers.erase(file);
      new_failure = true;
      last_error = tiles.status();
      ++failed;
      continue;
    }
    if (!tiles->empty()) bags.push_back(TilesToTensor(*tiles));
  }
  if (new_failure && failed == patient.record.slide_paths.size()) {
    --caches.summary.available["slides"];
  }
  if (bags.empty()) {
    if (options_.required.slides) {
      return FailedPreconditionError("patient " + patient.record.patient_id +
                                     ": required slide tiles unavailable" +
                                     (last_error.ok() ? " (no tissue tiles)" : ": " + last_error.ToString()));
    }
    return std::optional<torch::Tensor>();
  }
  return std::optional<torch::Tensor>(torch::cat(bags, 0));
}

StatusOr<zoo::Sample> SiteDataset::Get(std::int64_t index) const {
  PANCAIM_CHECK(index >= 0 && index < Size()) << "index " << index << " outside [0, " << Size() << ")";
  const Patient& patient = patients_[static_cast<std::size_t>(index)];
  zoo::Sample sample;
  sample.patient_id = patient.record.patient_id;
  sample.labels = patient.labels;
  if (patient.clinical) {
    sample.clinical = FloatVectorToTensor(*patient.clinical);
    sample.clinical_missing = MaskVectorToTensor(patient.clinical_missing);
  }
  if (patient.genomics) sample.genomics = FloatVectorToTensor(*patient.genomics);
  if (options_.modalities.ct && patient.record.ct_path) {
    std::lock_guard<std::mutex> lock(caches_->mutex);
    PANCAIM_ASSIGN_OR_RETURN(std::optional<torch::Tensor> ct, LoadCt(patient, sample));
    sample.ct = std::move(ct);
  }
  if (options_.modalities.slides && !patient.record.slide_paths.empty()) {
    std::lock_guard<std::mutex> lock(caches_->mutex);
    PANCAIM_ASSIGN_OR_RETURN(std::optional<torch::Tensor> tiles, LoadTiles(patient));
    sample.tiles = std::move(tiles);
  }
  return sample;
}

}  // namespace pancaim::sitedataset
