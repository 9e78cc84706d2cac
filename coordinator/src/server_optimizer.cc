#include "server_optimizer.h"

#include <cmath>

#include "element_access.h"

namespace pancaim::coordinator::internal {

bool ServerOptimizer::UsesFirstMoment() const {
  return spec_.optimizer != ServerOptimizerKind::kReplace;
}

bool ServerOptimizer::UsesSecondMoment() const {
  return spec_.optimizer == ServerOptimizerKind::kAdam ||
         spec_.optimizer == ServerOptimizerKind::kYogi ||
         spec_.optimizer == ServerOptimizerKind::kAdagrad;
}

void ServerOptimizer::Allocate(const ModelLayout& layout) {
  const std::size_t count = layout.tensors().size();
  m_.assign(count, {});
  v_.assign(count, {});
  names_.clear();
  dtypes_.clear();
  shapes_.clear();
  for (std::size_t t = 0; t < count; ++t) {
    const TensorSpec& spec = layout.tensors()[t];
    names_.push_back(spec.name);
    dtypes_.push_back(spec.dtype);
    shapes_.push_back(spec.shape);
    if (spec.role != TensorRole::kParameter) continue;
    const std::size_t bytes = spec.num_elements * protocol::DTypeSize(spec.dtype);
    if (UsesFirstMoment()) m_[t].assign(bytes, '\0');
    if (UsesSecondMoment()) {
      v_[t].assign(bytes, '\0');
      DispatchFloat(spec.dtype, [&](auto tag) {
        using T = decltype(tag);
        const T init = static_cast<T>(spec_.tau * spec_.tau);
        for (std::int64_t i = 0; i < spec.num_elements; ++i) Store<T>(v_[t].data(), i, init);
      });
    }
  }
}

void ServerOptimizer::Apply(const ModelLayout& layout, const protocol::SafetensorsView& global,
                            SafetensorsBuffer& next) {
  ++steps_;
  if (spec_.optimizer == ServerOptimizerKind::kReplace) return;
  if (m_.size() != layout.tensors().size()) Allocate(layout);
  const double eta = spec_.eta, b1 = spec_.beta1, b2 = spec_.beta2, tau = spec_.tau;
  const double mu = spec_.momentum;
  const ServerOptimizerKind kind = spec_.optimizer;
  for (std::size_t t = 0; t < layout.tensors().size(); ++t) {
    const TensorSpec& spec = layout.tensors()[t];
    if (spec.role != TensorRole::kParameter) continue;
    const char* x = global.tensors()[t].data.data();
    char* a = next.MutableData(next.view().tensors()[t]);  // aggregate in, x_{t+1} out
    char* m = m_[t].data();
    char* v = v_[t].data();
    DispatchFloat(spec.dtype, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t i = 0; i < spec.num_elements; ++i) {
        const double xi = Load<T>(x, i);
        const double d = static_cast<double>(Load<T>(a, i)) - xi;  // D_t
        double out;
        if (kind == ServerOptimizerKind::kMomentum) {
          const double mi = mu * Load<T>(m, i) - d;  // pseudo-gradient is -D_t
          Store<T>(m, i, static_cast<T>(mi));
          out = xi - eta * mi;
        } else {
          const double mi = b1 * Load<T>(m, i) + (1 - b1) * d;
          const double vp = Load<T>(v, i);
          const double d2 = d * d;
          double vi;
          if (kind == ServerOptimizerKind::kAdam) {
            vi = b2 * vp + (1 - b2) * d2;
          } else if (kind == ServerOptimizerKind::kYogi) {
            const double diff = vp - d2;
            const double sign = diff > 0 ? 1.0 : (diff < 0 ? -1.0 : 0.0);
            vi = vp - (1 - b2) * d2 * sign;
          } else {
            vi = vp + d2;
          }
          Store<T>(m, i, static_cast<T>(mi));
          Store<T>(v, i, static_cast<T>(vi));
          out = xi + eta * mi / (std::sqrt(vi) + tau);
        }
        Store<T>(a, i, static_cast<T>(out));
      }
    });
  }
}

StatusOr<std::string> ServerOptimizer::SaveTensors() const {
  std::vector<protocol::TensorView> views;
  auto add = [&](const std::string& prefix, const std::vector<std::string>& state) {
    for (std::size_t t = 0; t < state.size(); ++t) {
      if (state[t].empty()) continue;
      protocol::TensorView view;
      view.name = prefix + names_[t];
      view.dtype = dtypes_[t];
      view.shape = shapes_[t];
      view.data = state[t];
      views.push_back(std::move(view));
    }
  };
  add("m/", m_);
  add("v/", v_);
  if (views.empty()) return std::string();
  return protocol::SerializeSafetensors(views);
}

Status ServerOptimizer::LoadTensors(const ModelLayout& layout, const std::string& bytes,
                                    std::int64_t steps) {
  steps_ = steps;
  m_.clear();
  v_.clear();
  if (!UsesFirstMoment()) {
    if (!bytes.empty()) return DataLossError("state tensors given for a stateless optimiser");
    return Status::Ok();
  }
  if (bytes.empty()) {
    // Saved before the first step: start from fresh state, as a straight run would.
    if (steps != 0) return DataLossError("optimiser state tensors are missing");
    return Status::Ok();
  }
  PANCAIM_ASSIGN_OR_RETURN(protocol::SafetensorsView view, protocol::SafetensorsView::Parse(bytes));
  Allocate(layout);
  auto load = [&](const std::string& prefix, std::vector<std::string>& state) -> Status {
    for (std::size_t t = 0; t < state.size(); ++t) {
      if (state[t].empty()) continue;
      const protocol::TensorView* found = view.Find(prefix + names_[t]);
      if (found == nullptr) return DataLossError("state tensor '" + prefix + names_[t] + "' is missing");
      if (found->dtype != dtypes_[t] || found->shape != shapes_[t] ||
          found->data.size() != state[t].size()) {
        return DataLossError("state tensor '" + prefix + names_[t] +
                             "' does not match the model's dtype and shape");
      }
      state[t].assign(found->data);
    }
    return Status::Ok();
  };
  PANCAIM_RETURN_IF_ERROR(load("m/", m_));
  PANCAIM_RETURN_IF_ERROR(load("v/", v_));
  return Status::Ok();
}

}  // namespace pancaim::coordinator::internal
