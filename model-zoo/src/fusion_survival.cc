#include "pancaim/model_zoo/fusion_survival.h"

#include <limits>

#include <torch/torch.h>

#include "batch_checks.h"

namespace pancaim::zoo {

namespace nn = torch::nn;

namespace {

std::vector<std::int64_t> WithOutput(std::vector<std::int64_t> hidden, std::int64_t out) {
  hidden.push_back(out);
  return hidden;
}

// Runs `encode` on the rows where `rows` is true only, scattering results into zeros [B, E].
template <typename Encode>
torch::Tensor EncodeRows(const torch::Tensor& input, const torch::Tensor& rows, std::int64_t embed,
                         Encode encode) {
  torch::Tensor out = torch::zeros({rows.size(0), embed}, input.options().dtype(torch::kFloat32));
  torch::Tensor index = rows.nonzero().squeeze(1);
  if (index.numel() == 0) return out;
  torch::Tensor encoded = encode(input.index_select(0, index));
  return out.index_copy(0, index, encoded.to(out.scalar_type()));
}

torch::Tensor RowsOrNone(const torch::Tensor& data, const torch::Tensor& present, std::int64_t size,
                         const torch::Device& device) {
  if (data.defined() && present.defined()) return present;
  return torch::zeros({size}, torch::TensorOptions().dtype(torch::kBool).device(device));
}

}  // namespace

FusionSurvivalImpl::FusionSurvivalImpl(const FusionSurvivalOptions& options,
                                       std::shared_ptr<torch::jit::Module> frozen)
    : ZooModuleImpl("FusionSurvival"), options_(options) {
  PANCAIM_CHECK(modality_count() > 0) << "fusion-survival needs at least one modality";
  PANCAIM_CHECK(options.use_tiles() || frozen == nullptr) << "frozen encoder without tiles";
  const int64_t e = options.embed_dim();
  if (options.use_ct()) {
    ct_encoder_ = register_module("ct_encoder", CtBackbone3d(options.ct()));
    ct_proj_ = register_module("ct_proj", nn::Linear(ct_encoder_->out_features(), e));
  }
  if (options.use_tiles()) {
    MilPoolingOptions mil = options.mil();
    mil.embed_dim(e);
    PANCAIM_CHECK((mil.encoder() == "torchscript") == (frozen != nullptr))
        << "fusion-survival: a frozen encoder must be given exactly for encoder 'torchscript'";
    wsi_encoder_ = register_module("wsi_encoder", MilPooling(mil, std::move(frozen)));
  }
  if (options.genomics_features() > 0) {
    genomics_encoder_ = register_module(
        "genomics_encoder",
        FeatureMlp(options.genomics_features(), WithOutput(options.hidden(), e), options.dropout()));
  }
  if (options.clinical_features() > 0) {
    clinical_encoder_ = register_module(
        "clinical_encoder", FeatureMlp(2 * options.clinical_features(),
                                       WithOutput(options.hidden(), e), options.dropout()));
  }
  fusion_attention_ = register_module("fusion_attention", GatedAttention(e, options.attention_dim()));
  risk_head_ = register_module("risk_head", nn::Linear(nn::LinearOptions(e, 1).bias(false)));
}

std::int64_t FusionSurvivalImpl::modality_count() const {
  return (options_.use_ct() ? 1 : 0) + (options_.use_tiles() ? 1 : 0) +
         (options_.genomics_features() > 0 ? 1 : 0) + (options_.clinical_features() > 0 ? 1 : 0);
}

Status FusionSurvivalImpl::CheckBatch(const Batch& batch, bool need_labels) const {
  const std::string model = "fusion-survival";
  const auto device = batch.label.device();
  torch::Tensor any = torch::zeros({batch.size}, torch::TensorOptions().dtype(torch::kBool).device(device));
  if (options_.use_ct() && batch.ct.defined()) {
    PANCAIM_RETURN_IF_ERROR(internal::RequireSize(model, batch.ct, "ct", 1, options_.ct().in_channels()));
    any |= batch.ct_present;
  }
  if (options_.use_tiles() && batch.tiles.defined()) any |= batch.tiles_present;
  if (options_.genomics_features() > 0 && batch.genomics.defined()) {
    PANCAIM_RETURN_IF_ERROR(
        internal::RequireSize(model, batch.genomics, "genomics", 1, options_.genomics_features()));
    any |= batch.genomics_present;
  }
  if (options_.clinical_features() > 0 && batch.clinical.defined()) {
    PANCAIM_RETURN_IF_ERROR(
        internal::RequireSize(model, batch.clinical, "clinical", 1, options_.clinical_features()));
    any |= batch.clinical_present;
  }
  torch::Tensor any_cpu = any.cpu();
  for (int64_t i = 0; i < batch.size; ++i) {
    if (!any_cpu[i].item<bool>()) {
      return InvalidArgumentError(model + ": patient '" + batch.patient_ids[static_cast<size_t>(i)] +
                                  "' has none of the model's modalities");
    }
  }
  if (need_labels) {
    return internal::RequireAllPresent(model, batch, batch.survival_time, batch.survival_present,
                                       "survival_time");
  }
  return Status::Ok();
}

void FusionSurvivalImpl::Encode(const Batch& batch, std::vector<torch::Tensor>& embeddings,
                                std::vector<torch::Tensor>& present) {
  const int64_t e = options_.embed_dim();
  const torch::Device device = batch.label.device();
  if (options_.use_ct()) {
    torch::Tensor rows = RowsOrNone(batch.ct, batch.ct_present, batch.size, device);
    embeddings.push_back(batch.ct.defined()
                             ? EncodeRows(batch.ct, rows, e,
                                          [&](const torch::Tensor& x) { return ct_proj_(ct_encoder_(x)); })
                             : torch::zeros({batch.size, e}, torch::TensorOptions().device(device)));
    present.push_back(rows);
  }
  if (options_.use_tiles()) {
    torch::Tensor rows = RowsOrNone(batch.tiles, batch.tiles_present, batch.size, device);
    embeddings.push_back(batch.tiles.defined()
                             ? wsi_encoder_->Pool(batch.tiles, batch.tile_bag, rows).embedding
                             : torch::zeros({batch.size, e}, torch::TensorOptions().device(device)));
    present.push_back(rows);
  }
  if (options_.genomics_features() > 0) {
    torch::Tensor rows = RowsOrNone(batch.genomics, batch.genomics_present, batch.size, device);
    embeddings.push_back(batch.genomics.defined()
                             ? EncodeRows(batch.genomics, rows, e,
                                          [&](const torch::Tensor& x) { return genomics_encoder_(x); })
                             : torch::zeros({batch.size, e}, torch::TensorOptions().device(device)));
    present.push_back(rows);
  }
  if (options_.clinical_features() > 0) {
    torch::Tensor rows = RowsOrNone(batch.clinical, batch.clinical_present, batch.size, device);
    embeddings.push_back(
        batch.clinical.defined()
            ? EncodeRows(ClinicalInput(batch.clinical, batch.clinical_missing), rows, e,
                         [&](const torch::Tensor& x) { return clinical_encoder_(x); })
            : torch::zeros({batch.size, e}, torch::TensorOptions().device(device)));
    present.push_back(rows);
  }
}

ModelOutput FusionSurvivalImpl::ForwardBatch(const Batch& batch) {
  std::vector<torch::Tensor> embeddings;
  std::vector<torch::Tensor> present;
  Encode(batch, embeddings, present);
  torch::Tensor stacked = torch::stack(embeddings, /*dim=*/1).to(torch::kFloat32);  // [B, M, E]
  torch::Tensor mask = torch::stack(present, /*dim=*/1);                            // [B, M]
  const int64_t b = stacked.size(0);
  const int64_t m = stacked.size(1);
  torch::Tensor scores = fusion_attention_(stacked.reshape({b * m, -1})).reshape({b, m});
  scores = scores.masked_fill(~mask, -std::numeric_limits<float>::infinity());
  torch::Tensor weights = torch::where(mask, torch::softmax(scores, /*dim=*/1), torch::zeros_like(scores));
  torch::Tensor fused = (weights.unsqueeze(2) * stacked).sum(/*dim=*/1);
  ModelOutput out;
  out.risk = risk_head_(fused).squeeze(1);
  out.attention = weights;
  return out;
}

}  // namespace pancaim::zoo
