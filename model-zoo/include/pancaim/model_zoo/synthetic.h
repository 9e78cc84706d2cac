// Synthetic samples with learnable labels for smoke runs, benchmarks and examples (not for
// science: real cohorts come from the site data readers). Deterministic for a seed; uses a local
// generator, so LibTorch's global generator is untouched. Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/sample.h"

namespace pancaim::zoo {

// Sizes of the generated inputs.
struct SyntheticShape {
  std::int64_t volume_side = 32;  // CT crops [1, s, s, s]
  std::int64_t tiles_per_bag = 8;
  std::int64_t tile_side = 32;    // tiles [3, t, t]
};

// `count` samples that fit `model` (its modalities, feature counts and classes, read from its
// config): a bright blob in CT / one stained tile / the first gene decides the label and the risk.
// fusion-survival samples drop modalities in a rotating pattern so every patient keeps at least
// one. InvalidArgument when the model's config cannot be served (e.g. in_channels > 1).
StatusOr<std::vector<Sample>> SyntheticSamples(const ZooModel& model, std::int64_t count,
                                               std::uint64_t seed, const SyntheticShape& shape = {});

}  // namespace pancaim::zoo
