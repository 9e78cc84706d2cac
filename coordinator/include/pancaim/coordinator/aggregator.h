// Aggregator: one run's aggregation strategy across rounds. Each round it folds validated updates
// one at a time and then produces the next global model; strategy state (server optimiser
// moments) carries over from round to round and is saved with every checkpoint.
//
//   auto aggregator = Aggregator::Create(spec, spill_dir);
//   aggregator->BeginRound(global);                 // shared_ptr: kept alive for the round
//   auto checked = ValidateUpdate(aggregator->layout(), global->view(), update_view, site, n,
//                                 aggregator->validation_options());
//   aggregator->Fold(*checked);                      // for each accepted update, any order
//   auto next = aggregator->FinishRound();           // the new global model
//
// Memory (weighted-mean strategies): one accumulator of the model's float size (float32) or twice
// that (float64), reused across rounds, plus the output model at FinishRound; independent of the
// number of updates. Median and trimmed mean hold every update of the round (see strategy_spec.h).
//
// Not thread-safe: owned by the round state machine's strand; every call from that one strand.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/model_layout.h"
#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/coordinator/strategy_spec.h"
#include "pancaim/coordinator/update_validation.h"

namespace pancaim::coordinator {

namespace internal {
class Reducer;
class ServerOptimizer;
}  // namespace internal

// What a strategy needs to continue after a restart.
struct StrategyState {
  std::string tensors;      // safetensors bytes of the optimiser moments; empty when stateless
  nlohmann::json scalars;   // {"strategy": name, "steps": rounds applied}
};

class Aggregator {
 public:
  // `spill_dir` receives the robust reducers' spill files (unused by the other strategies).
  static StatusOr<std::unique_ptr<Aggregator>> Create(const StrategySpec& spec,
                                                      std::filesystem::path spill_dir = {});
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  const StrategySpec& spec() const { return spec_; }

  // Starts a round from `global`. The first round fixes the layout; a later global model with a
  // different layout is refused (FailedPrecondition), as is a model the layout rules refuse
  // (F16/BF16: Unimplemented). An unfinished previous round is discarded.
  Status BeginRound(std::shared_ptr<const SafetensorsBuffer> global);

  // Valid after a successful BeginRound.
  const ModelLayout& layout() const;
  const SafetensorsBuffer& global() const;

  // Options to pass to ValidateUpdate for this strategy (delta norm needed when clipping).
  UpdateValidationOptions validation_options(double max_delta_norm = 0) const;

  // Folds one update validated against layout()/global(). Clipping scales its parameter delta to
  // at most spec().clip_norm. Errors (only I/O while spilling an update to disk for the robust
  // reducers) leave the aggregate unchanged.
  Status Fold(const ValidatedUpdate& update);

  // Validates `update` and folds it, for an update whose bytes the caller owns and no longer
  // needs: `payload` holds the safetensors bytes `update` was parsed from. The same checks,
  // errors, result and effect as ValidateUpdate(layout(), global().view(), update, site,
  // sample_count, validation_options(max_delta_norm)) followed by Fold, to the bit; returns the
  // delta norm (-1 when not computed). A rejection leaves the aggregate unchanged.
  // How: for float32 FedAvg-style strategies without clipping, one pass checks each block of the
  // update and writes acc + w * x over the update's own bytes, and the accumulator then adopts
  // `payload`'s buffer: the update is read once, as in a plain acc += w * x loop, instead of a
  // check pass followed by a fold pass, and the accumulator is not touched until every value has
  // passed. Other strategies take the two-pass path.
  // On return (success or error) `update` must no longer be used, and `payload` holds a buffer of
  // unspecified content (the previous accumulator storage, or the update) to reuse or drop.
  StatusOr<double> ValidateAndFold(std::string& payload, const protocol::SafetensorsView& update,
                                   const std::string& site, double sample_count,
                                   double max_delta_norm = 0);

  int folded_updates() const { return folded_; }
  double folded_weight() const { return folded_weight_; }

  // Produces the next global model and ends the round. FailedPrecondition when no round is open
  // or nothing was folded.
  StatusOr<SafetensorsBuffer> FinishRound();

  // Strategy state for a checkpoint / restoring it after a restart (before the next BeginRound;
  // tensors are checked against the layout there).
  StatusOr<StrategyState> SaveState() const;
  Status LoadState(const StrategyState& state);

 private:
  explicit Aggregator(const StrategySpec& spec);
  double ClipScale(const ValidatedUpdate& update) const;
  // Integer buffers: element-wise maximum with the update's (`tensors` in layout order).
  void FoldIntegers(const std::vector<const protocol::TensorView*>& tensors);

  StrategySpec spec_;
  std::unique_ptr<internal::Reducer> reducer_;
  std::unique_ptr<internal::ServerOptimizer> optimizer_;
  std::optional<ModelLayout> layout_;
  std::shared_ptr<const SafetensorsBuffer> global_;
  bool round_open_ = false;
  int folded_ = 0;
  double folded_weight_ = 0;
  std::vector<std::int64_t> integer_max_;      // integer buffers, layout order, concatenated
  std::vector<std::int64_t> integer_offsets_;  // per tensor, into integer_max_
  std::optional<StrategyState> pending_state_;
};

}  // namespace pancaim::coordinator
