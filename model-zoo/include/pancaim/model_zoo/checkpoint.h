// Model checkpoints: a zoo model's parameters in safetensors (via tensorio) under the zoo's stable
// parameter names, with the model's registry name and config in the metadata, so that a file
// alone recreates the model (here or in Python: see docs/models.md).
//
// Metadata keys: "pancaim.model" (registry name), "pancaim.model_config" (JSON text of the completed
// config), "pancaim.format" ("pancaim-zoo-1"); callers may add more (round, run id, ...).
// Functions are thread-safe for distinct models; a model must not be trained while saved.
#pragma once

#include <string>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::zoo {

inline constexpr char kModelNameKey[] = "pancaim.model";
inline constexpr char kModelConfigKey[] = "pancaim.model_config";
inline constexpr char kFormatKey[] = "pancaim.format";
inline constexpr char kFormatValue[] = "pancaim-zoo-1";

// The model's state dict (CPU float tensors by parameter name) plus its metadata merged with
// `extra` (extra keys may not override the three above).
struct ModelSnapshot {
  tensorio::TensorMap tensors;
  tensorio::Metadata metadata;
};
ModelSnapshot SnapshotModel(const ZooModel& model, const tensorio::Metadata& extra = {});

// Writes the checkpoint atomically. Errors name the path.
Status SaveCheckpoint(const std::string& path, const ZooModel& model,
                      const tensorio::Metadata& extra = {});

// Recreates the model named in the file's metadata with its config and loads the weights. Errors:
// file/format errors naming the path; InvalidArgument when metadata is missing or the weights do
// not fit the model (naming the tensor).
StatusOr<ZooModel> LoadCheckpoint(const std::string& path);

// Loads weights from a checkpoint into an existing model. The file's model name, when present,
// must equal model.name. The model is untouched on failure.
Status LoadWeights(ZooModel& model, const std::string& path);

}  // namespace pancaim::zoo
