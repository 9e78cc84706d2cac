// StrategySpec: an aggregation strategy chosen per run by name plus JSON options, validated.
//
// Names: "fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad", "median",
// "trimmed_mean". Each name has its own options schema (StrategyOptionsSchema): options that do not
// apply to the named strategy are refused, missing ones take documented defaults. The update
// equations and defaults are documented in docs/aggregation.md.
//
// A strategy is a reducer (how accepted updates combine into one aggregate model) followed by a
// server optimiser (how the global model moves towards that aggregate).
// Plain value; immutable after parsing; safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"

namespace pancaim::coordinator {

enum class ReducerKind {
  kWeightedMean,  // streaming sum of sample-count-weighted updates (fedavg, fedprox, server opts)
  kMedian,        // coordinate-wise median, unweighted; needs all updates
  kTrimmedMean,   // coordinate-wise mean after dropping the extremes, unweighted; needs all updates
};

enum class ServerOptimizerKind {
  kReplace,   // x_{t+1} = aggregate (FedAvg)
  kMomentum,  // FedAvgM: server SGD with momentum on the pseudo-gradient
  kAdam,      // FedAdam (Reddi et al. 2021, Algorithm 2)
  kYogi,      // FedYogi
  kAdagrad,   // FedAdagrad
};

struct StrategySpec {
  std::string name;
  ReducerKind reducer = ReducerKind::kWeightedMean;
  ServerOptimizerKind optimizer = ServerOptimizerKind::kReplace;

  // Server optimiser hyperparameters (unused ones keep their defaults).
  double eta = 1.0;        // server learning rate
  double momentum = 0.0;   // FedAvgM momentum
  double beta1 = 0.9;      // adaptive: first-moment decay
  double beta2 = 0.99;     // adaptive: second-moment decay (Adam, Yogi)
  double tau = 1e-3;       // adaptive: degree of adaptivity (added to sqrt(v))
  double proximal_mu = 0;  // FedProx: proximal term sent to sites (server side is FedAvg)
  double trim_fraction = 0;  // trimmed mean: fraction dropped at each end per coordinate

  double clip_norm = 0;           // L2 bound on each update's parameter delta; 0 = no clipping
  bool accumulate_float64 = false;  // weighted mean accumulator precision
  std::vector<std::string> buffer_suffixes;  // names of float buffers (see model_layout.h)
  std::uint64_t max_in_memory_bytes = 0;     // robust reducers: bytes kept in RAM before spilling

  nlohmann::json options;  // the validated options with defaults filled in (for the run state)

  // Extra keys the round state machine puts in the round config sent to sites
  // ({"proximal_mu": mu} for fedprox, {} otherwise).
  nlohmann::json RoundConfigForSites() const;
};

// Every strategy name, in documentation order.
const std::vector<std::string>& StrategyNames();

// The options schema of `name`; NotFound (listing the names) for an unknown strategy.
StatusOr<const config::Schema*> StrategyOptionsSchema(std::string_view name);

// Validates `options` (an object; null means {}) against the schema of `name`. Errors name the
// option ("strategy.options.beta1: ...").
StatusOr<StrategySpec> ParseStrategySpec(std::string_view name, const nlohmann::json& options);

}  // namespace pancaim::coordinator
