// Internal: a reducer combines the accepted updates of one round into the aggregate model
// (float tensors only; integer buffers are handled by the Aggregator). Owned by one Aggregator.
#pragma once

#include <filesystem>
#include <memory>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/model_layout.h"
#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/coordinator/strategy_spec.h"
#include "pancaim/coordinator/update_validation.h"

namespace pancaim::coordinator::internal {

class Reducer {
 public:
  virtual ~Reducer() = default;

  // Starts a round over `global` (layout built from it); drops anything from a previous round.
  virtual Status Begin(const ModelLayout& layout, const protocol::SafetensorsView& global) = 0;

  // Adds one update. `clip_scale` in (0, 1] scales its parameter delta (update - global).
  // On error the reducer is unchanged.
  virtual Status Add(const ValidatedUpdate& update, double clip_scale) = 0;

  // Writes the aggregate of every float tensor into `out` (a copy of the global model).
  virtual Status Finish(const protocol::SafetensorsView& global, SafetensorsBuffer& out) = 0;
};

// Streaming sample-count-weighted mean: one accumulator, memory independent of the update count.
std::unique_ptr<Reducer> MakeWeightedMeanReducer(bool accumulate_float64);

// Coordinate-wise median or trimmed mean over all updates, unweighted; keeps updates in memory up
// to `max_in_memory_bytes`, then spills them to files under `spill_dir`.
std::unique_ptr<Reducer> MakeRobustReducer(ReducerKind kind, double trim_fraction,
                                           std::uint64_t max_in_memory_bytes,
                                           std::filesystem::path spill_dir);

}  // namespace pancaim::coordinator::internal
