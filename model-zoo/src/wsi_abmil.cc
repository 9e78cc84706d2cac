#include "pancaim/model_zoo/wsi_abmil.h"

#include <limits>

#include <torch/script.h>
#include <torch/torch.h>

#include "batch_checks.h"
#include "pancaim/model_zoo/ct_cnn3d.h"

namespace pancaim::zoo {

namespace nn = torch::nn;

TileEncoderImpl::TileEncoderImpl(const MilPoolingOptions& options,
                                 std::shared_ptr<torch::jit::Module> frozen)
    : frozen_(std::move(frozen)) {
  int64_t features = options.encoder_features();
  if (!frozen_) {
    int64_t in = 3;
    for (int64_t i = 0; i < 3; ++i) {
      const int64_t out = options.cnn_width() << std::min<int64_t>(i, 2);
      const std::string index = std::to_string(i);
      auto conv = register_module(
          "conv" + index, nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(2).padding(1).bias(false)));
      auto norm = register_module("norm" + index,
                                  nn::GroupNorm(GroupCount(out, options.groups()), out));
      convs_.push_back(conv);
      norms_.push_back(norm);
      in = out;
    }
    features = in;
  }
  PANCAIM_CHECK(features > 0) << "tile encoder needs encoder_features > 0 with a frozen encoder";
  proj_ = register_module("proj", nn::Linear(features, options.embed_dim()));
}

torch::Tensor TileEncoderImpl::forward(const torch::Tensor& tiles) {
  torch::Tensor features;
  if (frozen_) {
    torch::NoGradGuard no_grad;
    // The frozen encoder is not a registered submodule: follow the input's device lazily.
    frozen_->to(tiles.device());
    features = frozen_->forward({tiles}).toTensor().reshape({tiles.size(0), -1}).to(torch::kFloat32);
  } else {
    torch::Tensor x = tiles;
    for (size_t i = 0; i < convs_.size(); ++i) x = torch::relu(norms_[i](convs_[i](x)));
    features = x.mean({2, 3});
  }
  return proj_(features);
}

GatedAttentionImpl::GatedAttentionImpl(std::int64_t in_features, std::int64_t hidden) {
  v_ = register_module("V", nn::Linear(in_features, hidden));
  u_ = register_module("U", nn::Linear(in_features, hidden));
  w_ = register_module("w", nn::Linear(hidden, 1));
}

torch::Tensor GatedAttentionImpl::forward(const torch::Tensor& h) {
  return w_(torch::tanh(v_(h)) * torch::sigmoid(u_(h))).squeeze(1);
}

MilPoolingImpl::MilPoolingImpl(const MilPoolingOptions& options,
                               std::shared_ptr<torch::jit::Module> frozen)
    : embed_dim_(options.embed_dim()) {
  tile_encoder_ = register_module("tile_encoder", TileEncoder(options, std::move(frozen)));
  attention_ = register_module("attention",
                               GatedAttention(options.embed_dim(), options.attention_dim()));
}

MilResult MilPoolingImpl::Pool(const torch::Tensor& tiles, const torch::Tensor& tile_bag,
                               const torch::Tensor& rows) {
  const int64_t batch = rows.size(0);
  torch::Tensor keep = rows.index_select(0, tile_bag);
  torch::Tensor kept_tiles = tiles;
  torch::Tensor bag = tile_bag;
  if (!keep.all().item<bool>()) {
    torch::Tensor index = keep.nonzero().squeeze(1);
    kept_tiles = tiles.index_select(0, index);
    bag = tile_bag.index_select(0, index);
  }
  MilResult result;
  if (bag.numel() == 0) {
    result.embedding = torch::zeros({batch, embed_dim_}, tiles.options());
    result.attention = torch::zeros({batch, 0}, tiles.options());
    return result;
  }
  torch::Tensor h = tile_encoder_(kept_tiles);
  torch::Tensor scores = attention_(h);
  // Lay the bags out as [B, Nmax]; padding scores -inf so they get zero weight.
  torch::Tensor counts = torch::bincount(bag, /*weights=*/{}, /*minlength=*/batch);
  const int64_t nmax = counts.max().item<int64_t>();
  torch::Tensor offsets = torch::cumsum(counts, /*dim=*/0) - counts;
  torch::Tensor position = torch::arange(bag.size(0), bag.options()) - offsets.index_select(0, bag);
  // Flat slot of each tile in the [B, Nmax] layout; index_copy keeps the graph to h and scores.
  torch::Tensor slot = bag * nmax + position;
  torch::Tensor padded_scores =
      torch::full({batch * nmax}, -std::numeric_limits<float>::infinity(), scores.options())
          .index_copy(0, slot, scores)
          .view({batch, nmax});
  // Rows without tiles would softmax over -inf only (NaN): give them finite scores, then zero them.
  torch::Tensor has_tiles = (counts > 0).unsqueeze(1);
  padded_scores = padded_scores.masked_fill(~has_tiles, 0.0);
  torch::Tensor weights =
      torch::where(has_tiles, torch::softmax(padded_scores, /*dim=*/1), torch::zeros_like(padded_scores));
  torch::Tensor padded_h = torch::zeros({batch * nmax, h.size(1)}, h.options())
                               .index_copy(0, slot, h)
                               .view({batch, nmax, h.size(1)});
  result.embedding = (weights.unsqueeze(2) * padded_h).sum(/*dim=*/1);
  result.attention = weights;
  return result;
}

WsiAbmilImpl::WsiAbmilImpl(const WsiAbmilOptions& options, std::shared_ptr<torch::jit::Module> frozen)
    : ZooModuleImpl("WsiAbmil"), options_(options) {
  PANCAIM_CHECK((options.mil().encoder() == "torchscript") == (frozen != nullptr))
      << "wsi-abmil: a frozen encoder must be given exactly for encoder 'torchscript'";
  PANCAIM_CHECK(options.num_classes() >= 2) << "wsi-abmil needs at least two classes";
  mil_ = register_module("mil", MilPooling(options.mil(), std::move(frozen)));
  dropout_ = register_module("dropout", nn::Dropout(options.dropout()));
  classifier_ = register_module("classifier",
                                nn::Linear(options.mil().embed_dim(), options.num_classes()));
}

ModelOutput WsiAbmilImpl::forward(const torch::Tensor& tiles, const torch::Tensor& tile_bag,
                                  std::int64_t batch_size) {
  torch::Tensor rows = torch::ones({batch_size}, tile_bag.options().dtype(torch::kBool));
  MilResult pooled = mil_->Pool(tiles, tile_bag, rows);
  ModelOutput out;
  out.logits = classifier_(dropout_(pooled.embedding));
  out.attention = pooled.attention;
  return out;
}

Status WsiAbmilImpl::CheckBatch(const Batch& batch, bool need_labels) const {
  const std::string model = "wsi-abmil";
  PANCAIM_RETURN_IF_ERROR(
      internal::RequireAllPresent(model, batch, batch.tiles, batch.tiles_present, "tiles"));
  if (need_labels) PANCAIM_RETURN_IF_ERROR(internal::RequireLabels(model, batch, options_.num_classes()));
  return Status::Ok();
}

ModelOutput WsiAbmilImpl::ForwardBatch(const Batch& batch) {
  return forward(batch.tiles, batch.tile_bag, batch.size);
}

StatusOr<std::shared_ptr<torch::jit::Module>> LoadFrozenEncoder(const std::string& path,
                                                                std::int64_t features,
                                                                std::int64_t tile_size) {
  if (path.empty()) return InvalidArgumentError("wsi-abmil: 'encoder_path' is required for a torchscript encoder");
  if (features <= 0) return InvalidArgumentError("wsi-abmil: 'encoder_features' must be > 0 for a torchscript encoder");
  try {
    auto module = std::make_shared<torch::jit::Module>(torch::jit::load(path, torch::kCPU));
    module->eval();
    for (auto parameter : module->parameters()) parameter.set_requires_grad(false);
    torch::NoGradGuard no_grad;
    torch::Tensor probe = module->forward({torch::zeros({1, 3, tile_size, tile_size})}).toTensor();
    if (probe.numel() != features) {
      return InvalidArgumentError("TorchScript encoder " + path + ": maps a tile to " +
                                  std::to_string(probe.numel()) + " values, 'encoder_features' is " +
                                  std::to_string(features));
    }
    return module;
  } catch (const c10::Error& e) {
    return InvalidArgumentError("TorchScript encoder " + path + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return InvalidArgumentError("TorchScript encoder " + path + ": " + e.what());
  }
}

}  // namespace pancaim::zoo
