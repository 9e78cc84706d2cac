// The streaming FedAvg fold. For every update i with sample count w_i and clip scale s_i:
//   acc += (w_i s_i) * x_i            over parameters      (one multiply-add per element)
//   acc +=  w_i      * x_i            over float buffers
//   g_coef += w_i (1 - s_i),  W += w_i
// and at the end  mean = (acc + g_coef * g) / W. Clipping an update to g + s (x - g) therefore
// costs nothing in the fold: the global model's share is added once, at the end.
// A masked update (secure aggregation) would enter here as it is: masks cancel in the sum.
//
// The accumulator lives in a byte buffer with a byte offset per tensor, so that it can be either
// its own zeroed buffer (at Begin) or an update's buffer adopted by the fused in-place fold
// (StageInPlace / CommitInPlace, float32 accumulator over float32 tensors, unclipped): the sums
// are the same expression, acc + coef * x, in the same order, either way.
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "content_checks.h"
#include "element_access.h"
#include "reducer.h"

namespace pancaim::coordinator::internal {
namespace {

// x[i] = acc[i] + coef * x[i] over [begin, end): the new running sum, written over the update.
inline void FoldOver(char* x, const char* acc, float coef, std::int64_t begin, std::int64_t end) {
  for (std::int64_t i = begin; i < end; ++i) {
    Store<float>(x, i, Load<float>(acc, i) + coef * Load<float>(x, i));
  }
}

// One loop that checks the block [s + block, s + 2 block) while folding [s, s + block) over the
// update: both memory streams (the update ahead, the accumulator) are in flight together, and
// the block being folded is still in L1 from its check. Measured at the speed of a plain
// acc += w * x loop, where check-then-fold of the same block ran at ~70% of it.
// Returns whether the checked block holds a non-finite value.
inline bool CheckAheadFoldHere(char* x, const char* acc, float coef, std::int64_t s,
                               std::int64_t block) {
  const char* ahead = x + (s + block) * 4;
  char* here = x + s * 4;
  const char* sum = acc + s * 4;
  std::int32_t bad = 0;
  for (std::int64_t j = 0; j < block; ++j) {
    bad |= NonFiniteMask<float>(ahead, j);
    Store<float>(here, j, Load<float>(sum, j) + coef * Load<float>(here, j));
  }
  return bad != 0;
}

template <typename Acc>
class WeightedMeanReducer final : public Reducer {
 public:
  Status Begin(const ModelLayout& layout, const protocol::SafetensorsView& global) override {
    layout_ = &layout;
    offsets_.clear();
    std::size_t total = 0;
    in_place_ = std::is_same_v<Acc, float>;
    for (const TensorSpec& spec : layout.tensors()) {
      offsets_.push_back(total);
      if (spec.role == TensorRole::kIntegerBuffer) continue;
      total += static_cast<std::size_t>(spec.num_elements) * sizeof(Acc);
      in_place_ = in_place_ && spec.dtype == protocol::DType::kF32;
    }
    // assign() reuses the previous round's allocation (possibly an adopted update buffer).
    storage_.assign(total, '\0');
    weight_sum_ = 0;
    global_coef_ = 0;
    return Status::Ok();
  }

  Status Add(const ValidatedUpdate& update, double clip_scale) override {
    const double w = update.sample_count();
    for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
      const TensorSpec& spec = layout_->tensors()[t];
      if (spec.role == TensorRole::kIntegerBuffer) continue;
      const double c = spec.role == TensorRole::kParameter ? w * clip_scale : w;
      char* acc = storage_.data() + offsets_[t];
      const char* x = update.tensors()[t]->data.data();
      DispatchFloat(spec.dtype, [&](auto tag) {
        using T = decltype(tag);
        const Acc coef = static_cast<Acc>(c);
        const std::int64_t n = spec.num_elements;
        for (std::int64_t i = 0; i < n; ++i) {
          Store<Acc>(acc, i, Load<Acc>(acc, i) + coef * static_cast<Acc>(Load<T>(x, i)));
        }
      });
    }
    weight_sum_ += w;
    global_coef_ += w * (1.0 - clip_scale);
    return Status::Ok();
  }

  bool CanFoldInPlace() const override { return in_place_; }

  StatusOr<double> StageInPlace(const std::string& site, std::string& bytes,
                                const std::vector<const protocol::TensorView*>& tensors,
                                double weight,
                                const protocol::SafetensorsView* global_for_norm) override {
    PANCAIM_CHECK(in_place_) << "StageInPlace on a layout it cannot take";
    double squared = 0;
    for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
      const TensorSpec& spec = layout_->tensors()[t];
      if (spec.role == TensorRole::kIntegerBuffer) continue;
      char* x = bytes.data() + (tensors[t]->data.data() - bytes.data());
      const char* g = nullptr;
      if (global_for_norm != nullptr && spec.role == TensorRole::kParameter) {
        g = global_for_norm->tensors()[t].data.data();
      }
      SquaredDistanceSum<float> norm;
      PANCAIM_RETURN_IF_ERROR(StageTensor(site, spec, x, storage_.data() + offsets_[t],
                                          static_cast<float>(weight), g, norm));
      if (g != nullptr) squared += norm.Total();
    }
    return squared;
  }

  void CommitInPlace(std::string& bytes, const std::vector<const protocol::TensorView*>& tensors,
                     double weight) override {
    PANCAIM_CHECK(in_place_) << "CommitInPlace on a layout it cannot take";
    for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
      if (layout_->tensors()[t].role == TensorRole::kIntegerBuffer) continue;
      offsets_[t] = static_cast<std::size_t>(tensors[t]->data.data() - bytes.data());
    }
    storage_.swap(bytes);
    // As Add with clip scale 1, to the bit.
    weight_sum_ += weight;
    global_coef_ += weight * (1.0 - 1.0);
  }

  Status Finish(const protocol::SafetensorsView& global, SafetensorsBuffer& out) override {
    PANCAIM_CHECK(weight_sum_ > 0) << "Finish without updates";
    for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
      const TensorSpec& spec = layout_->tensors()[t];
      if (spec.role == TensorRole::kIntegerBuffer) continue;
      const char* acc = storage_.data() + offsets_[t];
      const char* g = global.tensors()[t].data.data();
      char* dst = out.MutableData(out.view().tensors()[t]);
      const double g_coef = spec.role == TensorRole::kParameter ? global_coef_ : 0.0;
      DispatchFloat(spec.dtype, [&](auto tag) {
        using T = decltype(tag);
        const std::int64_t n = spec.num_elements;
        if (g_coef == 0) {
          for (std::int64_t i = 0; i < n; ++i) {
            Store<T>(dst, i, static_cast<T>(static_cast<double>(Load<Acc>(acc, i)) / weight_sum_));
          }
        } else {
          for (std::int64_t i = 0; i < n; ++i) {
            const double sum = static_cast<double>(Load<Acc>(acc, i)) + g_coef * Load<T>(g, i);
            Store<T>(dst, i, static_cast<T>(sum / weight_sum_));
          }
        }
      });
    }
    return Status::Ok();
  }

 private:
  // Checks and folds one float32 tensor over the update's bytes `x`, a block ahead of the fold
  // (see CheckAheadFoldHere): every block is checked before it is overwritten, so the first
  // non-finite value is found and reported from the update's own bytes. With `g`, adds the
  // squared delta to `norm` block by block in the tensor's order (the same bits as one call).
  static Status StageTensor(const std::string& site, const TensorSpec& spec, char* x,
                            const char* acc, float coef, const char* g,
                            SquaredDistanceSum<float>& norm) {
    constexpr std::int64_t kBlock = 2048;  // 8 KiB of the update: checked, then folded from L1
    const std::int64_t n = spec.num_elements;
    auto check = [&](std::int64_t begin, std::int64_t end) -> Status {
      if (AnyNonFinite<float>(x, begin, end)) {
        const std::int64_t bad = FirstNonFinite<float>(x, begin, end);
        return NonFiniteValueError(site, spec.name, bad, Load<float>(x, bad));
      }
      if (g != nullptr) norm.Add(x, g, begin, end);
      return Status::Ok();
    };
    PANCAIM_RETURN_IF_ERROR(check(0, std::min(n, kBlock)));
    std::int64_t s = 0;
    for (; s + 2 * kBlock <= n; s += kBlock) {
      if (g == nullptr) {
        if (CheckAheadFoldHere(x, acc, coef, s, kBlock)) return check(s + kBlock, s + 2 * kBlock);
      } else {
        PANCAIM_RETURN_IF_ERROR(check(s + kBlock, s + 2 * kBlock));
        FoldOver(x, acc, coef, s, s + kBlock);
      }
    }
    if (s + kBlock < n) PANCAIM_RETURN_IF_ERROR(check(s + kBlock, n));
    FoldOver(x, acc, coef, s, n);
    return Status::Ok();
  }

  const ModelLayout* layout_ = nullptr;
  std::vector<std::size_t> offsets_;  // per float tensor: byte offset of its sums in storage_
  std::string storage_;               // the accumulator (Acc values, little-endian)
  bool in_place_ = false;
  double weight_sum_ = 0;
  double global_coef_ = 0;
};

}  // namespace

std::unique_ptr<Reducer> MakeWeightedMeanReducer(bool accumulate_float64) {
  if (accumulate_float64) return std::make_unique<WeightedMeanReducer<double>>();
  return std::make_unique<WeightedMeanReducer<float>>();
}

}  // namespace pancaim::coordinator::internal
