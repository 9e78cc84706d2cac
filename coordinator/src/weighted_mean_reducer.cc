// The streaming FedAvg fold. For every update i with sample count w_i and clip scale s_i:
//   acc += (w_i s_i) * x_i            over parameters      (one multiply-add per element)
//   acc +=  w_i      * x_i            over float buffers
//   g_coef += w_i (1 - s_i),  W += w_i
// and at the end  mean = (acc + g_coef * g) / W. Clipping an update to g + s (x - g) therefore
// costs nothing in the fold: the global model's share is added once, at the end.
// A masked update (secure aggregation) would enter here as it is: masks cancel in the sum.
#include <vector>

#include "element_access.h"
#include "reducer.h"

namespace pancaim::coordinator::internal {
namespace {

template <typename Acc>
class WeightedMeanReducer final : public Reducer {
 public:
  Status Begin(const ModelLayout& layout, const protocol::SafetensorsView& global) override {
    layout_ = &layout;
    offsets_.clear();
    std::int64_t total = 0;
    for (const TensorSpec& spec : layout.tensors()) {
      offsets_.push_back(total);
      if (spec.role != TensorRole::kIntegerBuffer) total += spec.num_elements;
    }
    // assign() reuses the previous round's allocation when the size is unchanged.
    acc_.assign(static_cast<std::size_t>(total), Acc{0});
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
      Acc* acc = acc_.data() + offsets_[t];
      const char* x = update.tensors()[t]->data.data();
      DispatchFloat(spec.dtype, [&](auto tag) {
        using T = decltype(tag);
        const Acc coef = static_cast<Acc>(c);
        const std::int64_t n = spec.num_elements;
        for (std::int64_t i = 0; i < n; ++i) acc[i] += coef * static_cast<Acc>(Load<T>(x, i));
      });
    }
    weight_sum_ += w;
    global_coef_ += w * (1.0 - clip_scale);
    return Status::Ok();
  }

  Status Finish(const protocol::SafetensorsView& global, SafetensorsBuffer& out) override {
    PANCAIM_CHECK(weight_sum_ > 0) << "Finish without updates";
    for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
      const TensorSpec& spec = layout_->tensors()[t];
      if (spec.role == TensorRole::kIntegerBuffer) continue;
      const Acc* acc = acc_.data() + offsets_[t];
      const char* g = global.tensors()[t].data.data();
      char* dst = out.MutableData(out.view().tensors()[t]);
      const double g_coef = spec.role == TensorRole::kParameter ? global_coef_ : 0.0;
      DispatchFloat(spec.dtype, [&](auto tag) {
        using T = decltype(tag);
        const std::int64_t n = spec.num_elements;
        if (g_coef == 0) {
          for (std::int64_t i = 0; i < n; ++i) {
            Store<T>(dst, i, static_cast<T>(static_cast<double>(acc[i]) / weight_sum_));
          }
        } else {
          for (std::int64_t i = 0; i < n; ++i) {
            const double sum = static_cast<double>(acc[i]) + g_coef * Load<T>(g, i);
            Store<T>(dst, i, static_cast<T>(sum / weight_sum_));
          }
        }
      });
    }
    return Status::Ok();
  }

 private:
  const ModelLayout* layout_ = nullptr;
  std::vector<std::int64_t> offsets_;  // per tensor, into acc_ (float tensors only)
  std::vector<Acc> acc_;
  double weight_sum_ = 0;
  double global_coef_ = 0;
};

}  // namespace

std::unique_ptr<Reducer> MakeWeightedMeanReducer(bool accumulate_float64) {
  if (accumulate_float64) return std::make_unique<WeightedMeanReducer<double>>();
  return std::make_unique<WeightedMeanReducer<float>>();
}

}  // namespace pancaim::coordinator::internal
