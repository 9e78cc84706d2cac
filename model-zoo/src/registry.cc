#include "pancaim/model_zoo/registry.h"

#include <functional>

#include <torch/torch.h>

#include "pancaim/model_zoo/ct_cnn3d.h"
#include "pancaim/model_zoo/ct_unet3d.h"
#include "pancaim/model_zoo/fusion_survival.h"
#include "pancaim/model_zoo/genomics_mlp.h"
#include "pancaim/model_zoo/mnist_cnn.h"
#include "pancaim/model_zoo/wsi_abmil.h"

namespace pancaim::zoo {
namespace {

using config::Field;
using config::Schema;
using nlohmann::json;

using Factory = std::function<StatusOr<std::shared_ptr<ZooModuleImpl>>(const json& config)>;

struct Entry {
  std::string name;
  std::string description;
  Schema schema;
  Factory create;
};

Schema BackboneSchema() {
  return Schema("Residual 3D CT trunk.")
      .Add("in_channels", Field::Integer("Input channels of the CT volume.").Default(1).Range(1, 16))
      .Add("width", Field::Integer("Channels of the first stage; doubles per stage.").Default(16).Range(1, 512))
      .Add("stages", Field::Integer("Residual stages; each after the first halves the resolution.").Default(3).Range(1, 6))
      .Add("blocks_per_stage", Field::Integer("Residual blocks per stage.").Default(1).Range(1, 8))
      .Add("groups", Field::Integer("GroupNorm groups (reduced to divide the channels).").Default(8).Range(1, 64));
}

CtBackbone3dOptions ParseBackbone(const json& c) {
  return CtBackbone3dOptions()
      .in_channels(c["in_channels"])
      .width(c["width"])
      .stages(c["stages"])
      .blocks_per_stage(c["blocks_per_stage"])
      .groups(c["groups"]);
}

Schema MilSchema() {
  return Schema("Tile encoder and gated attention pooling.")
      .Add("encoder", Field::String("Tile encoder: a small CNN trained in the federation, or a frozen TorchScript file.")
                          .Default("cnn").OneOf({"cnn", "torchscript"}))
      .Add("encoder_path", Field::String("TorchScript tile encoder file (encoder 'torchscript').").Default(""))
      .Add("encoder_features", Field::Integer("Features per tile produced by the TorchScript encoder.").Default(0).Range(0, 65536))
      .Add("probe_tile_size", Field::Integer("Tile side used to check the TorchScript encoder's output size at load.").Default(64).Range(1, 4096))
      .Add("cnn_width", Field::Integer("Channels of the CNN tile encoder's first layer.").Default(16).Range(1, 512))
      .Add("groups", Field::Integer("GroupNorm groups in the CNN tile encoder.").Default(4).Range(1, 64))
      .Add("embed_dim", Field::Integer("Tile embedding size.").Default(64).Range(1, 4096))
      .Add("attention_dim", Field::Integer("Hidden size of the gated attention.").Default(32).Range(1, 4096));
}

StatusOr<std::shared_ptr<torch::jit::Module>> MaybeLoadEncoder(const json& mil) {
  if (mil["encoder"] != "torchscript") return std::shared_ptr<torch::jit::Module>();
  return LoadFrozenEncoder(mil["encoder_path"], mil["encoder_features"], mil["probe_tile_size"]);
}

MilPoolingOptions ParseMil(const json& c) {
  return MilPoolingOptions()
      .encoder(c["encoder"])
      .encoder_path(c["encoder_path"])
      .encoder_features(c["encoder_features"])
      .cnn_width(c["cnn_width"])
      .groups(c["groups"])
      .embed_dim(c["embed_dim"])
      .attention_dim(c["attention_dim"]);
}

Field HiddenField(std::vector<int64_t> def) {
  return Field::Array(Field::Integer("width").Range(1, 65536), "Hidden layer widths.").Default(def);
}

std::vector<Entry> BuildEntries() {
  std::vector<Entry> entries;
  entries.push_back(
      {"ct-cnn3d", "3D residual CNN (GroupNorm) classifying a CT crop: PDAC vs no PDAC",
       Schema("ct-cnn3d options.")
           .Add("backbone", Field::Object(BackboneSchema(), "Residual 3D trunk."))
           .Add("num_classes", Field::Integer("Output classes.").Default(2).Range(2, 1000))
           .Add("dropout", Field::Number("Dropout before the classifier.").Default(0.0).Range(0, 0.95)),
       [](const json& c) -> StatusOr<std::shared_ptr<ZooModuleImpl>> {
         return std::shared_ptr<ZooModuleImpl>(std::make_shared<CtCnn3dImpl>(
             CtCnn3dOptions().backbone(ParseBackbone(c["backbone"])).num_classes(c["num_classes"]).dropout(c["dropout"])));
       }});
  entries.push_back(
      {"ct-unet3d", "3D U-Net for pancreas and tumour segmentation (Dice + cross-entropy)",
       Schema("ct-unet3d options.")
           .Add("in_channels", Field::Integer("Input channels.").Default(1).Range(1, 16))
           .Add("num_classes", Field::Integer("Classes including background.").Default(3).Range(2, 64))
           .Add("width", Field::Integer("Channels at full resolution; doubles per level.").Default(8).Range(1, 512))
           .Add("depth", Field::Integer("Resolution levels.").Default(3).Range(2, 6))
           .Add("groups", Field::Integer("GroupNorm groups.").Default(4).Range(1, 64)),
       [](const json& c) -> StatusOr<std::shared_ptr<ZooModuleImpl>> {
         return std::shared_ptr<ZooModuleImpl>(std::make_shared<CtUnet3dImpl>(
             CtUnet3dOptions().in_channels(c["in_channels"]).num_classes(c["num_classes"])
                 .width(c["width"]).depth(c["depth"]).groups(c["groups"])));
       }});
  entries.push_back(
      {"wsi-abmil", "Slide-level classifier: tile encoder + gated attention MIL (Ilse et al. 2018)",
       Schema("wsi-abmil options.")
           .Add("mil", Field::Object(MilSchema(), "Tile encoder and attention pooling."))
           .Add("num_classes", Field::Integer("Output classes.").Default(2).Range(2, 1000))
           .Add("dropout", Field::Number("Dropout on the slide embedding.").Default(0.0).Range(0, 0.95)),
       [](const json& c) -> StatusOr<std::shared_ptr<ZooModuleImpl>> {
         PANCAIM_ASSIGN_OR_RETURN(auto frozen, MaybeLoadEncoder(c["mil"]));
         return std::shared_ptr<ZooModuleImpl>(std::make_shared<WsiAbmilImpl>(
             WsiAbmilOptions().mil(ParseMil(c["mil"])).num_classes(c["num_classes"]).dropout(c["dropout"]),
             frozen));
       }});
  entries.push_back(
      {"genomics-mlp", "MLP over gene-panel and clinical features: class logits or a Cox risk score",
       Schema("genomics-mlp options.")
           .Add("genomics_features", Field::Integer("Gene-panel features G (0 = none).").Default(32).Range(0, 1000000))
           .Add("clinical_features", Field::Integer("Clinical features C (0 = none).").Default(8).Range(0, 100000))
           .Add("hidden", HiddenField({64, 32}))
           .Add("dropout", Field::Number("Dropout after each hidden layer.").Default(0.0).Range(0, 0.95))
           .Add("output", Field::String("Prediction head.").Default("classification").OneOf({"classification", "survival"}))
           .Add("num_classes", Field::Integer("Output classes (classification).").Default(2).Range(2, 1000)),
       [](const json& c) -> StatusOr<std::shared_ptr<ZooModuleImpl>> {
         if (c["genomics_features"] == 0 && c["clinical_features"] == 0) {
           return InvalidArgumentError("key 'genomics_features': genomics-mlp needs genomics_features or clinical_features > 0");
         }
         return std::shared_ptr<ZooModuleImpl>(std::make_shared<GenomicsMlpImpl>(
             GenomicsMlpOptions().genomics_features(c["genomics_features"]).clinical_features(c["clinical_features"])
                 .hidden(c["hidden"].get<std::vector<int64_t>>()).dropout(c["dropout"])
                 .output(c["output"]).num_classes(c["num_classes"])));
       }});
  entries.push_back(
      {"fusion-survival", "Multimodal Cox survival model over any non-empty subset of CT, slides, genomics, clinical",
       Schema("fusion-survival options.")
           .Add("use_ct", Field::Boolean("Enable the CT encoder.").Default(true))
           .Add("use_tiles", Field::Boolean("Enable the slide (tile bag) encoder.").Default(true))
           .Add("genomics_features", Field::Integer("Gene-panel features (0 disables).").Default(32).Range(0, 1000000))
           .Add("clinical_features", Field::Integer("Clinical features (0 disables).").Default(8).Range(0, 100000))
           .Add("embed_dim", Field::Integer("Embedding size of every modality.").Default(32).Range(1, 4096))
           .Add("attention_dim", Field::Integer("Hidden size of the fusion attention.").Default(16).Range(1, 4096))
           .Add("hidden", HiddenField({64}))
           .Add("dropout", Field::Number("Dropout in the MLP encoders.").Default(0.0).Range(0, 0.95))
           .Add("ct", Field::Object(BackboneSchema(), "CT encoder trunk."))
           .Add("mil", Field::Object(MilSchema(), "Slide encoder (its embed_dim is replaced by embed_dim).")),
       [](const json& c) -> StatusOr<std::shared_ptr<ZooModuleImpl>> {
         const bool any = c["use_ct"].get<bool>() || c["use_tiles"].get<bool>() ||
                          c["genomics_features"] != 0 || c["clinical_features"] != 0;
         if (!any) return InvalidArgumentError("fusion-survival: config enables no modality");
         std::shared_ptr<torch::jit::Module> frozen;
         if (c["use_tiles"].get<bool>()) {
           PANCAIM_ASSIGN_OR_RETURN(frozen, MaybeLoadEncoder(c["mil"]));
         }
         return std::shared_ptr<ZooModuleImpl>(std::make_shared<FusionSurvivalImpl>(
             FusionSurvivalOptions().use_ct(c["use_ct"]).use_tiles(c["use_tiles"])
                 .genomics_features(c["genomics_features"]).clinical_features(c["clinical_features"])
                 .embed_dim(c["embed_dim"]).attention_dim(c["attention_dim"])
                 .hidden(c["hidden"].get<std::vector<int64_t>>()).dropout(c["dropout"])
                 .ct(ParseBackbone(c["ct"])).mil(ParseMil(c["mil"])),
             frozen));
       }});
  entries.push_back(
      {"mnist-cnn", "CNN of McMahan et al. 2017 for FedAvg on MNIST (1,663,370 parameters)",
       Schema("mnist-cnn options.")
           .Add("in_channels", Field::Integer("Image channels.").Default(1).Range(1, 16))
           .Add("image_size", Field::Integer("Square image side (multiple of 4).").Default(28).Range(4, 1024))
           .Add("num_classes", Field::Integer("Output classes.").Default(10).Range(2, 1000)),
       [](const json& c) -> StatusOr<std::shared_ptr<ZooModuleImpl>> {
         if (c["image_size"].get<int64_t>() % 4 != 0) {
           return InvalidArgumentError("key 'image_size': must be a multiple of 4");
         }
         return std::shared_ptr<ZooModuleImpl>(std::make_shared<MnistCnnImpl>(
             MnistCnnOptions().in_channels(c["in_channels"]).image_size(c["image_size"]).num_classes(c["num_classes"])));
       }});
  return entries;
}

const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = BuildEntries();
  return entries;
}

StatusOr<const Entry*> FindEntry(const std::string& name) {
  std::string known;
  for (const Entry& e : Entries()) {
    if (e.name == name) return &e;
    known += (known.empty() ? "" : ", ") + e.name;
  }
  return NotFoundError("unknown model '" + name + "' (known: " + known + ")");
}

}  // namespace

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  for (const Entry& e : Entries()) names.push_back(e.name);
  return names;
}

StatusOr<const config::Schema*> ModelSchema(const std::string& name) {
  PANCAIM_ASSIGN_OR_RETURN(const Entry* entry, FindEntry(name));
  return &entry->schema;
}

StatusOr<ZooModel> CreateModel(const std::string& name, const nlohmann::json& config,
                               std::uint64_t init_seed) {
  PANCAIM_ASSIGN_OR_RETURN(const Entry* entry, FindEntry(name));
  StatusOr<json> validated = entry->schema.Validate(config);
  if (!validated.ok()) return validated.status().WithContext("model '" + name + "' config");
  torch::manual_seed(init_seed);
  StatusOr<std::shared_ptr<ZooModuleImpl>> module = entry->create(*validated);
  if (!module.ok()) return module.status().WithContext("model '" + name + "'");
  return ZooModel{name, *validated, *module};
}

std::vector<ModelSummary> ListModels() {
  std::vector<ModelSummary> out;
  for (const Entry& e : Entries()) {
    StatusOr<ZooModel> model = CreateModel(e.name);
    PANCAIM_CHECK(model.ok()) << "default config of " << e.name << " must build: " << model.status();
    out.push_back({e.name, e.description, model->module->task(), CountParameters(*model->module)});
  }
  return out;
}

}  // namespace pancaim::zoo
