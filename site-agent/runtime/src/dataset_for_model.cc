#include "pancaim/site_runtime/dataset_for_model.h"

namespace pancaim::site_runtime {

using sitedataset::LabelRequirement;
using sitedataset::SiteDatasetOptions;

namespace {

std::int64_t FeatureCount(const nlohmann::json& config, const char* key) {
  return config.is_object() ? config.value(key, std::int64_t{0}) : 0;
}

}  // namespace

StatusOr<SiteDatasetOptions> DatasetOptionsForModel(const std::string& model_name,
                                                    const nlohmann::json& config) {
  SiteDatasetOptions options;
  options.modalities = sitedataset::ModalitySet::None();
  const bool genomics = FeatureCount(config, "genomics_features") > 0;
  const bool clinical = FeatureCount(config, "clinical_features") > 0;
  if (model_name == "genomics-mlp") {
    options.modalities.genomics = genomics;
    options.modalities.clinical = clinical;
    options.required = options.modalities;
    options.labels = config.value("output", std::string("classification")) == "survival"
                         ? LabelRequirement::kSurvival
                         : LabelRequirement::kPdac;
  } else if (model_name == "fusion-survival") {
    options.modalities.ct = config.value("use_ct", true);
    options.modalities.slides = config.value("use_tiles", true);
    options.modalities.genomics = genomics;
    options.modalities.clinical = clinical;
    options.labels = LabelRequirement::kSurvival;
  } else if (model_name == "ct-cnn3d") {
    options.modalities.ct = true;
    options.required.ct = true;
    options.labels = LabelRequirement::kPdac;
  } else if (model_name == "ct-unet3d") {
    options.modalities.ct = true;
    options.required.ct = true;
    options.include_ct_mask = true;
    options.require_ct_mask = true;
  } else if (model_name == "wsi-abmil") {
    options.modalities.slides = true;
    options.required.slides = true;
    options.labels = LabelRequirement::kPdac;
  } else if (model_name == "mnist-cnn") {
    return UnimplementedError("model 'mnist-cnn' trains on MNIST images, which a site's "
                              "manifest does not hold");
  } else {
    return NotFoundError("model '" + model_name + "' has no site data mapping");
  }
  if (options.modalities.empty()) {
    return InvalidArgumentError("model '" + model_name + "' with this config reads no modality");
  }
  return options;
}

Status CheckFeatureLayout(const sitedataset::SiteDataset& dataset, const std::string& model_name,
                          const nlohmann::json& config) {
  const auto& options = dataset.options();
  const auto check = [&](bool used, const char* key, std::size_t have) -> Status {
    if (!used) return Status::Ok();
    const std::int64_t want = FeatureCount(config, key);
    if (want != static_cast<std::int64_t>(have)) {
      return FailedPreconditionError("model '" + model_name + "' expects " + key + " = " +
                                     std::to_string(want) + " but site '" + dataset.site_id() +
                                     "' has " + std::to_string(have));
    }
    return Status::Ok();
  };
  PANCAIM_RETURN_IF_ERROR(
      check(options.modalities.genomics, "genomics_features", dataset.genomics_names().size()));
  return check(options.modalities.clinical, "clinical_features", dataset.clinical_names().size());
}

}  // namespace pancaim::site_runtime
