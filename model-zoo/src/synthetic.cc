#include "pancaim/model_zoo/synthetic.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace pancaim::zoo {
namespace {

std::string Id(std::int64_t i) { return std::string("synthetic-").append(std::to_string(i)); }

// A generator local to this call: results do not depend on (or disturb) the global one.
struct Rng {
  explicit Rng(std::uint64_t seed) : gen(at::detail::createCPUGenerator(seed)) {}
  torch::Tensor randn(at::IntArrayRef shape) { return at::randn(shape, gen); }
  at::Generator gen;
};

torch::Tensor Ct(Rng& rng, std::int64_t side, bool positive, std::int64_t channels) {
  torch::Tensor ct = rng.randn({channels, side, side, side}) * 0.2;
  if (positive) {
    const std::int64_t a = side / 2 - std::max<std::int64_t>(1, side / 8);
    const std::int64_t b = side / 2 + std::max<std::int64_t>(1, side / 8);
    ct.slice(1, a, b).slice(2, a, b).slice(3, a, b).add_(1.5);
  }
  return ct;
}

torch::Tensor CtMask(std::int64_t side, bool positive) {
  torch::Tensor mask = torch::zeros({side, side, side}, torch::kInt64);
  const std::int64_t lo = side / 4, hi = side - side / 4;
  mask.slice(0, lo, hi).slice(1, lo, hi).slice(2, lo, hi).fill_(1);
  if (positive) {
    const std::int64_t a = side / 2 - std::max<std::int64_t>(1, side / 8);
    const std::int64_t b = side / 2 + std::max<std::int64_t>(1, side / 8);
    mask.slice(0, a, b).slice(1, a, b).slice(2, a, b).fill_(2);
  }
  return mask;
}

torch::Tensor Tiles(Rng& rng, const SyntheticShape& shape, bool positive) {
  torch::Tensor tiles = rng.randn({shape.tiles_per_bag, 3, shape.tile_side, shape.tile_side}) * 0.2;
  if (positive) tiles[0][0].add_(1.5);
  return tiles;
}

}  // namespace

StatusOr<std::vector<Sample>> SyntheticSamples(const ZooModel& model, std::int64_t count,
                                               std::uint64_t seed, const SyntheticShape& shape) {
  const nlohmann::json& c = model.config;
  Rng rng(seed);
  std::vector<Sample> out;
  for (std::int64_t i = 0; i < count; ++i) {
    Sample s;
    s.patient_id = Id(i);
    const bool positive = i % 2 == 1;
    const double score = static_cast<double>(i) / static_cast<double>(std::max<std::int64_t>(1, count));
    if (model.name == "ct-cnn3d" || model.name == "ct-unet3d") {
      const std::int64_t channels =
          model.name == "ct-cnn3d" ? c["backbone"]["in_channels"].get<std::int64_t>() : c["in_channels"].get<std::int64_t>();
      s.ct = Ct(rng, shape.volume_side, positive, channels);
      s.ct_mask = CtMask(shape.volume_side, positive);
      s.labels.label = positive ? 1 : 0;
    } else if (model.name == "wsi-abmil") {
      s.tiles = Tiles(rng, shape, positive);
      s.labels.label = positive ? 1 : 0;
    } else if (model.name == "mnist-cnn") {
      const std::int64_t classes = c["num_classes"];
      const std::int64_t side = c["image_size"];
      const std::int64_t label = i % classes;
      torch::Tensor image = rng.randn({c["in_channels"].get<std::int64_t>(), side, side}) * 0.2;
      const std::int64_t band = std::max<std::int64_t>(1, side / classes);
      image.slice(1, label * band, std::min(side, (label + 1) * band)).add_(1.0);
      s.image = image;
      s.labels.label = label;
    } else if (model.name == "genomics-mlp" || model.name == "fusion-survival") {
      const std::int64_t g = c["genomics_features"];
      const std::int64_t k = c["clinical_features"];
      if (g > 0) {
        torch::Tensor genomics = rng.randn({g});
        genomics[0] = static_cast<float>(4.0 * (score - 0.5));
        s.genomics = genomics;
      }
      if (k > 0) {
        torch::Tensor clinical = rng.randn({k});
        clinical[0] = static_cast<float>(2.0 * (score - 0.5));
        torch::Tensor missing = torch::zeros({k}, torch::kBool);
        if (i % 4 == 0 && k > 1) missing[k - 1] = true;
        s.clinical = clinical.masked_fill(missing, 0.0);
        s.clinical_missing = missing;
      }
      s.labels.label = score > 0.5 ? 1 : 0;
      s.labels.survival_time = 1.0 + 20.0 * (1.0 - score);
      s.labels.event = i % 5 != 4;
      if (model.name == "fusion-survival") {
        if (c["use_ct"].get<bool>()) s.ct = Ct(rng, shape.volume_side, score > 0.5, c["ct"]["in_channels"]);
        if (c["use_tiles"].get<bool>()) s.tiles = Tiles(rng, shape, score > 0.5);
        // Drop modalities in a rotating pattern, always keeping one.
        const Sample full = s;
        switch (i % 4) {
          case 1: s.ct.reset(); break;
          case 2: s.tiles.reset(); s.genomics.reset(); break;
          case 3: s.clinical.reset(); s.clinical_missing.reset(); break;
          default: break;
        }
        if (!s.ct && !s.tiles && !s.genomics && !s.clinical) s = full;
      }
    } else {
      return InvalidArgumentError("no synthetic data for model '" + model.name + "'");
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pancaim::zoo
