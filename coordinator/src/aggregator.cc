#include "pancaim/coordinator/aggregator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "content_checks.h"
#include "element_access.h"
#include "reducer.h"
#include "server_optimizer.h"

namespace pancaim::coordinator {

Aggregator::Aggregator(const StrategySpec& spec)
    : spec_(spec), optimizer_(std::make_unique<internal::ServerOptimizer>(spec)) {}

Aggregator::~Aggregator() = default;

StatusOr<std::unique_ptr<Aggregator>> Aggregator::Create(const StrategySpec& spec,
                                                         std::filesystem::path spill_dir) {
  std::unique_ptr<Aggregator> aggregator(new Aggregator(spec));
  if (spec.reducer == ReducerKind::kWeightedMean) {
    aggregator->reducer_ = internal::MakeWeightedMeanReducer(spec.accumulate_float64);
  } else {
    if (spill_dir.empty()) spill_dir = std::filesystem::temp_directory_path() / "pancaim-spill";
    aggregator->reducer_ = internal::MakeRobustReducer(spec.reducer, spec.trim_fraction,
                                                       spec.max_in_memory_bytes, spill_dir);
  }
  return aggregator;
}

const ModelLayout& Aggregator::layout() const {
  PANCAIM_CHECK(layout_.has_value()) << "layout() before BeginRound";
  return *layout_;
}

const SafetensorsBuffer& Aggregator::global() const {
  PANCAIM_CHECK(global_ != nullptr) << "global() before BeginRound";
  return *global_;
}

UpdateValidationOptions Aggregator::validation_options(double max_delta_norm) const {
  UpdateValidationOptions options;
  options.max_delta_norm = max_delta_norm;
  options.compute_delta_norm = spec_.clip_norm > 0;
  return options;
}

Status Aggregator::BeginRound(std::shared_ptr<const SafetensorsBuffer> global) {
  PANCAIM_CHECK(global != nullptr);
  PANCAIM_ASSIGN_OR_RETURN(ModelLayout layout,
                           ModelLayout::FromModel(global->view(), spec_.buffer_suffixes));
  if (layout_.has_value()) {
    // Same names, dtypes and shapes in the same order as the first round.
    auto aligned = layout_->Align(global->view());
    bool same_order = aligned.ok();
    for (std::size_t t = 0; same_order && t < aligned->size(); ++t) {
      same_order = (*aligned)[t] == &global->view().tensors()[t];
    }
    if (!same_order) {
      return FailedPreconditionError(
          "the global model's layout changed between rounds" +
          (aligned.ok() ? std::string(" (tensor order)") : ": " + aligned.status().message()));
    }
  }
  layout_ = std::move(layout);
  global_ = std::move(global);
  if (pending_state_.has_value()) {
    const std::int64_t steps = pending_state_->scalars.value("steps", std::int64_t{0});
    PANCAIM_RETURN_IF_ERROR(optimizer_->LoadTensors(*layout_, pending_state_->tensors, steps)
                                .WithContext("strategy state"));
    pending_state_.reset();
  }
  PANCAIM_RETURN_IF_ERROR(reducer_->Begin(*layout_, global_->view()));
  integer_offsets_.clear();
  std::int64_t total = 0;
  for (const TensorSpec& spec : layout_->tensors()) {
    integer_offsets_.push_back(total);
    if (spec.role == TensorRole::kIntegerBuffer) total += spec.num_elements;
  }
  integer_max_.assign(static_cast<std::size_t>(total), std::numeric_limits<std::int64_t>::min());
  folded_ = 0;
  folded_weight_ = 0;
  round_open_ = true;
  return Status::Ok();
}

double Aggregator::ClipScale(const ValidatedUpdate& update) const {
  if (spec_.clip_norm <= 0) return 1.0;
  PANCAIM_CHECK(update.delta_l2_norm() >= 0)
      << "update validated without the delta norm; use validation_options()";
  if (update.delta_l2_norm() <= spec_.clip_norm) return 1.0;
  return spec_.clip_norm / update.delta_l2_norm();
}

Status Aggregator::Fold(const ValidatedUpdate& update) {
  PANCAIM_CHECK(round_open_) << "Fold outside a round";
  PANCAIM_CHECK(update.tensors().size() == layout_->tensors().size())
      << "update validated against another layout";
  PANCAIM_RETURN_IF_ERROR(reducer_->Add(update, ClipScale(update)));
  FoldIntegers(update.tensors());
  ++folded_;
  folded_weight_ += update.sample_count();
  return Status::Ok();
}

void Aggregator::FoldIntegers(const std::vector<const protocol::TensorView*>& tensors) {
  for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
    const TensorSpec& spec = layout_->tensors()[t];
    if (spec.role != TensorRole::kIntegerBuffer) continue;
    std::int64_t* max = integer_max_.data() + integer_offsets_[t];
    const char* x = tensors[t]->data.data();
    for (std::int64_t i = 0; i < spec.num_elements; ++i) {
      max[i] = std::max(max[i], internal::LoadInteger(spec.dtype, x, i));
    }
  }
}

StatusOr<double> Aggregator::ValidateAndFold(std::string& payload,
                                             const protocol::SafetensorsView& update,
                                             const std::string& site, double sample_count,
                                             double max_delta_norm) {
  PANCAIM_CHECK(round_open_) << "ValidateAndFold outside a round";
  const UpdateValidationOptions options = validation_options(max_delta_norm);
  if (options.compute_delta_norm || !reducer_->CanFoldInPlace()) {
    // Clipping needs the norm before the fold; other reducers keep their own copies.
    PANCAIM_ASSIGN_OR_RETURN(
        ValidatedUpdate checked,
        ValidateUpdate(*layout_, global_->view(), update, site, sample_count, options));
    PANCAIM_RETURN_IF_ERROR(Fold(checked));
    return checked.delta_l2_norm();
  }
  PANCAIM_ASSIGN_OR_RETURN(
      std::vector<const protocol::TensorView*> tensors,
      internal::CheckUpdateStructure(*layout_, update, site, sample_count));
  const auto begin = reinterpret_cast<std::uintptr_t>(payload.data());
  for (const protocol::TensorView* tensor : tensors) {
    const auto at = reinterpret_cast<std::uintptr_t>(tensor->data.data());
    PANCAIM_CHECK(at >= begin && at + tensor->data.size() <= begin + payload.size())
        << "ValidateAndFold: the update was not parsed from `payload`";
  }
  const bool need_norm = options.max_delta_norm > 0;
  PANCAIM_ASSIGN_OR_RETURN(
      const double squared,
      reducer_->StageInPlace(site, payload, tensors, sample_count,
                             need_norm ? &global_->view() : nullptr));
  double norm = -1;
  if (need_norm) {
    norm = std::sqrt(squared);
    if (norm > options.max_delta_norm) {
      return internal::DeltaNormBoundError(site, norm, options.max_delta_norm);
    }
  }
  // Nothing can fail from here on. Integer buffers first: they are read from the update's bytes,
  // which the commit hands to the accumulator.
  FoldIntegers(tensors);
  reducer_->CommitInPlace(payload, tensors, sample_count);
  ++folded_;
  folded_weight_ += sample_count;
  return norm;
}

StatusOr<SafetensorsBuffer> Aggregator::FinishRound() {
  if (!round_open_) return FailedPreconditionError("no round is open");
  if (folded_ == 0) return FailedPreconditionError("no update was folded in this round");
  SafetensorsBuffer next = global_->Clone();
  PANCAIM_RETURN_IF_ERROR(reducer_->Finish(global_->view(), next));
  for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
    const TensorSpec& spec = layout_->tensors()[t];
    if (spec.role != TensorRole::kIntegerBuffer) continue;
    char* dst = next.MutableData(next.view().tensors()[t]);
    const std::int64_t* max = integer_max_.data() + integer_offsets_[t];
    for (std::int64_t i = 0; i < spec.num_elements; ++i) {
      internal::StoreInteger(spec.dtype, dst, i, max[i]);
    }
  }
  optimizer_->Apply(*layout_, global_->view(), next);
  round_open_ = false;
  return next;
}

StatusOr<StrategyState> Aggregator::SaveState() const {
  StrategyState state;
  if (pending_state_.has_value()) return *pending_state_;  // loaded, not yet applied
  PANCAIM_ASSIGN_OR_RETURN(state.tensors, optimizer_->SaveTensors());
  state.scalars = {{"strategy", spec_.name}, {"steps", optimizer_->steps()}};
  return state;
}

Status Aggregator::LoadState(const StrategyState& state) {
  if (!state.scalars.is_object() || state.scalars.value("strategy", "") != spec_.name) {
    return DataLossError("strategy state is for '" +
                         (state.scalars.is_object() ? state.scalars.value("strategy", "?")
                                                    : std::string("?")) +
                         "', this run uses '" + spec_.name + "'");
  }
  pending_state_ = state;
  return Status::Ok();
}

}  // namespace pancaim::coordinator
