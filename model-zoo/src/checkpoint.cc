#include "pancaim/model_zoo/checkpoint.h"

#include <torch/torch.h>

#include "pancaim/common/config_schema.h"

namespace pancaim::zoo {

ModelSnapshot SnapshotModel(const ZooModel& model, const tensorio::Metadata& extra) {
  ModelSnapshot snapshot;
  for (auto& [name, tensor] : tensorio::StateDict(*model.module)) {
    snapshot.tensors[name] = tensor.detach().cpu().contiguous();
  }
  snapshot.metadata = extra;
  snapshot.metadata[kModelNameKey] = model.name;
  snapshot.metadata[kModelConfigKey] = model.config.dump();
  snapshot.metadata[kFormatKey] = kFormatValue;
  return snapshot;
}

Status SaveCheckpoint(const std::string& path, const ZooModel& model,
                      const tensorio::Metadata& extra) {
  ModelSnapshot snapshot = SnapshotModel(model, extra);
  return tensorio::SaveSafetensorsFile(path, snapshot.tensors, snapshot.metadata);
}

StatusOr<ZooModel> LoadCheckpoint(const std::string& path) {
  PANCAIM_ASSIGN_OR_RETURN(tensorio::DecodedTensors decoded, tensorio::LoadSafetensorsFile(path));
  auto name = decoded.metadata.find(kModelNameKey);
  auto config_text = decoded.metadata.find(kModelConfigKey);
  if (name == decoded.metadata.end() || config_text == decoded.metadata.end()) {
    return InvalidArgumentError(path + ": metadata lacks '" + kModelNameKey + "' or '" +
                                kModelConfigKey + "' (not a zoo checkpoint)");
  }
  StatusOr<nlohmann::json> config = config::ParseJson(config_text->second, path + " " + kModelConfigKey);
  PANCAIM_RETURN_IF_ERROR(config.status());
  StatusOr<ZooModel> model = CreateModel(name->second, *config);
  if (!model.ok()) return model.status().WithContext(path);
  Status loaded = tensorio::LoadStateDict(*model->module, decoded.tensors);
  if (!loaded.ok()) return loaded.WithContext(path);
  return model;
}

Status LoadWeights(ZooModel& model, const std::string& path) {
  PANCAIM_ASSIGN_OR_RETURN(tensorio::DecodedTensors decoded, tensorio::LoadSafetensorsFile(path));
  auto name = decoded.metadata.find(kModelNameKey);
  if (name != decoded.metadata.end() && name->second != model.name) {
    return InvalidArgumentError(path + ": checkpoint of model '" + name->second +
                                "', not '" + model.name + "'");
  }
  Status loaded = tensorio::LoadStateDict(*model.module, decoded.tensors);
  return loaded.ok() ? loaded : loaded.WithContext(path);
}

}  // namespace pancaim::zoo
