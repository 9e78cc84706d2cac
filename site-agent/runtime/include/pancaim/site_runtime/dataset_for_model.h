// Which of a site's data a zoo model trains on: the SiteDataset options (modalities read, modalities
// and labels every patient must have) for a model name and its completed config, and the check that
// the site's feature layout matches the config the federation agreed on.
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/site_dataset/site_dataset.h"

namespace pancaim::site_runtime {

// The dataset options for `model_name` with `config` (as completed by zoo::CreateModel):
//   genomics-mlp     genomics and/or clinical (those with a non-zero feature count), both
//                    required; labels PDAC, or survival when config.output is "survival";
//   fusion-survival  CT and tiles when use_ct / use_tiles, genomics and clinical when their
//                    feature counts are non-zero, none required (the model masks what is
//                    missing); survival labels;
//   ct-cnn3d         CT required; PDAC labels;
//   ct-unet3d        CT and its segmentation mask required; no outcome label;
//   wsi-abmil        slides required; PDAC labels.
// Unimplemented for mnist-cnn (site data holds no MNIST images) and NotFound for unknown names.
StatusOr<sitedataset::SiteDatasetOptions> DatasetOptionsForModel(const std::string& model_name,
                                                                 const nlohmann::json& config);

// FailedPrecondition when the site's genomics or clinical feature count differs from the one in
// `config` (naming both numbers), since the shared model's input layers are sized from them.
Status CheckFeatureLayout(const sitedataset::SiteDataset& dataset, const std::string& model_name,
                          const nlohmann::json& config);

}  // namespace pancaim::site_runtime
