// Internal: a reducer combines the accepted updates of one round into the aggregate model
// (float tensors only; integer buffers are handled by the Aggregator). Owned by one Aggregator.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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

  // ---- Fused check-and-fold into the update's own bytes (see Aggregator::ValidateAndFold) ----
  // A reducer that supports it writes each new running sum over the update's values instead of
  // into its accumulator, so the accumulator is never touched until the whole update has passed,
  // and then adopts the update's buffer as its accumulator: a rejection found anywhere leaves it
  // bit for bit as it was, with one read of the update instead of two.

  // Whether StageInPlace can take updates of the layout given to Begin (unclipped).
  virtual bool CanFoldInPlace() const { return false; }

  // Checks every float value of `tensors` (the update's tensors in layout order, viewing
  // `bytes`) finite and writes acc + weight * x over each float tensor's bytes in `bytes`. With
  // `global_for_norm`, also returns the squared L2 norm of the parameter delta (else 0), with the
  // same bits as ValidateUpdate. Errors: the first non-finite value (InvalidArgument, as
  // ValidateUpdate words it). Never changes the reducer; on error `bytes` is partly overwritten.
  virtual StatusOr<double> StageInPlace(const std::string& site, std::string& bytes,
                                        const std::vector<const protocol::TensorView*>& tensors,
                                        double weight,
                                        const protocol::SafetensorsView* global_for_norm) {
    PANCAIM_CHECK(false) << "StageInPlace on a reducer that cannot fold in place";
    return 0.0;
  }

  // Takes the sums StageInPlace wrote into `bytes` as the accumulator (counting `weight`); `bytes`
  // receives the previous accumulator storage (content unspecified), for reuse.
  virtual void CommitInPlace(std::string& bytes,
                             const std::vector<const protocol::TensorView*>& tensors,
                             double weight) {
    PANCAIM_CHECK(false) << "CommitInPlace on a reducer that cannot fold in place";
  }
};

// Streaming sample-count-weighted mean: one accumulator, memory independent of the update count.
std::unique_ptr<Reducer> MakeWeightedMeanReducer(bool accumulate_float64);

// Coordinate-wise median or trimmed mean over all updates, unweighted; keeps updates in memory up
// to `max_in_memory_bytes`, then spills them to files under `spill_dir`.
std::unique_ptr<Reducer> MakeRobustReducer(ReducerKind kind, double trim_fraction,
                                           std::uint64_t max_in_memory_bytes,
                                           std::filesystem::path spill_dir);

}  // namespace pancaim::coordinator::internal
