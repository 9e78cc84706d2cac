// The model registry: creates a zoo model from its name and a JSON config validated against the
// model's config::Schema, and lists the models with their parameter counts (`pancaim-site models`).
//
// Names: ct-cnn3d, ct-unet3d, wsi-abmil, genomics-mlp, fusion-survival, mnist-cnn. The registry is
// a fixed table built on first use; all functions are thread-safe except that CreateModel seeds
// LibTorch's process-wide generator (do not create models concurrently with training).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"
#include "pancaim/model_zoo/zoo_module.h"

namespace pancaim::zoo {

// A created model: its registry name, the completed config (defaults filled in) and the module.
// The module is shared so that a trainer, an evaluator and the site agent can hold it; only one of
// them may use it at a time.
struct ZooModel {
  std::string name;
  nlohmann::json config;
  std::shared_ptr<ZooModuleImpl> module;
};

// One registry entry, for listings and docs.
struct ModelSummary {
  std::string name;
  std::string description;
  Task task;
  std::int64_t default_parameters;  // parameter count with the default config
};

// Names of all models, in a fixed order.
std::vector<std::string> ModelNames();

// Schema of `name`'s config; NotFound names the model and lists the known ones.
StatusOr<const config::Schema*> ModelSchema(const std::string& name);

// Validates `config` (an object; {} = all defaults) and builds the model with parameters initialised
// from `init_seed` (LibTorch's global generator is seeded with it). Errors: NotFound (unknown
// name), InvalidArgument/OutOfRange naming the config key, or a failure loading a TorchScript tile
// encoder (naming the file).
StatusOr<ZooModel> CreateModel(const std::string& name, const nlohmann::json& config = nlohmann::json::object(),
                               std::uint64_t init_seed = 0);

// All models with their default parameter counts (builds each default model once).
std::vector<ModelSummary> ListModels();

}  // namespace pancaim::zoo
