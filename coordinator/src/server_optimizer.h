// Internal: server optimisers (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2,
// and server momentum). They move the global model x_t towards the round's aggregate a_t using the
// update direction D_t = a_t - x_t (the negative of the pseudo-gradient x_t - a_t):
//   replace:  x_{t+1} = a_t
//   momentum: m_t = mu m_{t-1} + (x_t - a_t);          x_{t+1} = x_t - eta m_t
//   adam:     m_t = b1 m_{t-1} + (1-b1) D_t;  v_t = b2 v_{t-1} + (1-b2) D_t^2
//   yogi:     m_t as adam;                   v_t = v_{t-1} - (1-b2) D_t^2 sign(v_{t-1} - D_t^2)
//   adagrad:  m_t as adam;                   v_t = v_{t-1} + D_t^2
//   adaptive: x_{t+1} = x_t + eta m_t / (sqrt(v_t) + tau),  with m_{-1} = 0, v_{-1} = tau^2.
// Only kParameter tensors are moved; float buffers keep the aggregate, integer buffers their max.
// State (m, v) is held in the parameter's own dtype and arithmetic is done in double.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/model_layout.h"
#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/coordinator/strategy_spec.h"

namespace pancaim::coordinator::internal {

class ServerOptimizer {
 public:
  explicit ServerOptimizer(const StrategySpec& spec) : spec_(spec) {}

  // Replaces the parameters in `next` (which holds the aggregate on entry) with x_{t+1}.
  // `global` is x_t. Allocates state on first use; the layout must not change across rounds.
  void Apply(const ModelLayout& layout, const protocol::SafetensorsView& global,
             SafetensorsBuffer& next);

  // State as safetensors bytes ("m/<name>", "v/<name>"; empty string when stateless) plus the
  // number of steps taken.
  StatusOr<std::string> SaveTensors() const;
  std::int64_t steps() const { return steps_; }

  // Restores state saved by SaveTensors; checked against `layout` (names, dtypes, shapes).
  Status LoadTensors(const ModelLayout& layout, const std::string& bytes, std::int64_t steps);

 private:
  bool UsesFirstMoment() const;
  bool UsesSecondMoment() const;
  void Allocate(const ModelLayout& layout);

  StrategySpec spec_;
  std::int64_t steps_ = 0;
  // Per layout tensor (empty for non-parameters): raw bytes in the parameter's dtype.
  std::vector<std::string> m_;
  std::vector<std::string> v_;
  std::vector<std::string> names_;
  std::vector<protocol::DType> dtypes_;
  std::vector<std::vector<std::int64_t>> shapes_;
};

}  // namespace pancaim::coordinator::internal
