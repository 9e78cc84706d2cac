// A short training run of each zoo model on synthetic data, printing the device, throughput and
// whether the loss falls: the body of `pancaim-zoo-smoke`, which scripts/gpu-check runs on a GPU
// machine (and which runs on the CPU too). Not thread-safe (it trains; see trainer.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/synthetic.h"

namespace pancaim::zoo {

struct SmokeOptions {
  std::vector<std::string> models;  // empty = every registered model
  std::string device = "auto";
  std::int64_t steps = 30;
  std::int64_t batch_size = 8;
  std::int64_t samples = 32;  // synthetic samples per model
  std::int64_t threads = 0;
  bool mixed_precision = false;
  std::uint64_t seed = 1;
  SyntheticShape shape;
};

struct SmokeResult {
  std::string model;
  std::int64_t parameters = 0;
  std::string device;
  std::int64_t steps = 0;
  double samples_per_second = 0;
  double early_loss = 0;  // mean loss of the first quarter of the steps
  double late_loss = 0;   // mean loss of the last quarter
  bool loss_fell = false;
};

// Trains each model for `steps` steps (Adam, default config) and writes one table row per model to
// `out`. Errors: unknown model names, unavailable device, training failures (naming the model).
StatusOr<std::vector<SmokeResult>> RunSmoke(const SmokeOptions& options, std::FILE* out);

}  // namespace pancaim::zoo
