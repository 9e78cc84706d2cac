// Local training engine: trains a zoo model on a site's Dataset for E epochs or S steps, as the
// site agent does each federated round.
//
// Optimizers: SGD with (Nesterov) momentum, Adam, AdamW; weight decay (L2 for SGD/Adam, decoupled for
// AdamW); learning-rate schedules constant, cosine, step, each with optional linear warmup; gradient
// clipping by global norm; the FedProx proximal term (mu/2)||w - w_global||^2 (Li et al. 2020),
// applied as its gradient mu (w - w_global) after backward. Seeded: on the CPU the same seed, data,
// options and thread count give bit-identical weights. Device "auto"/"cpu"/"cuda[:N]"; bfloat16
// autocast on CUDA with mixed_precision; several GPUs data-parallel (see TrainOptions).
//
// Gradients for a batch are computed in one place (the trainer's ComputeGradients step), so that
// differentially private training can later replace it by per-sample gradients clipped to a norm
// and noised (DP-SGD); see docs/models.md.
//
// Thread-safety: Train() seeds LibTorch's process-wide generator and may set its thread count; run
// one Train() per process at a time. The model is used exclusively during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/sample.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::zoo {

struct TrainOptions {
  std::int64_t epochs = 1;     // passes over the data (ignored when max_steps > 0)
  std::int64_t max_steps = 0;  // > 0: train exactly this many optimizer steps instead
  std::int64_t batch_size = 8;
  bool shuffle = true;
  bool drop_last = false;  // drop a final partial batch (keeps batch statistics uniform)

  std::string optimizer = "sgd";  // "sgd", "adam", "adamw"
  double learning_rate = 0.01;
  double momentum = 0.9;  // sgd
  bool nesterov = false;  // sgd
  double beta1 = 0.9;     // adam, adamw
  double beta2 = 0.999;   // adam, adamw
  double epsilon = 1e-8;  // adam, adamw
  double weight_decay = 0.0;

  std::string lr_schedule = "constant";  // "constant", "cosine", "step"
  std::int64_t warmup_steps = 0;         // linear warmup from 0 over the first steps
  std::int64_t lr_step_size = 100;       // step: multiply by lr_gamma every lr_step_size steps
  double lr_gamma = 0.1;
  double lr_min_factor = 0.0;            // cosine: final lr = learning_rate * lr_min_factor

  double grad_clip_norm = 0.0;  // > 0: clip the global gradient norm to this
  double fedprox_mu = 0.0;      // > 0: FedProx proximal term towards the global weights

  std::uint64_t seed = 0;
  std::string device = "auto";
  bool mixed_precision = false;  // bfloat16 autocast on CUDA; ignored on CPU
  std::int64_t threads = 0;      // CPU intra-op threads; 0 = LibTorch default (physical cores)
  bool data_parallel = true;     // device "auto"/"cuda" with > 1 GPU: split each batch across all
  bool show_progress = false;    // ProgressDisplay on stderr
};

// The JSON form of TrainOptions (keys as the member names), for round configs from the coordinator.
const config::Schema& TrainOptionsSchema();

// Validates `json` against TrainOptionsSchema() and converts it; errors name the key.
StatusOr<TrainOptions> ParseTrainOptions(const nlohmann::json& json);

// What a Train() call did.
struct TrainResult {
  std::int64_t steps = 0;
  std::int64_t samples = 0;            // samples processed (with repetition over epochs)
  std::vector<double> epoch_loss;      // mean training loss of each (possibly partial) epoch
  double first_loss = 0;               // loss of the first step
  double final_loss = 0;               // mean loss of the last epoch
  double seconds = 0;
  double samples_per_second = 0;
  std::string device;                  // DescribeDevice() of the device used
  int devices_used = 1;                // > 1 when data parallel
  bool mixed_precision = false;        // autocast was active
};

// Called after every step with (step, total_steps, loss); returning false cancels training
// (Train then returns Cancelled).
using StepCallback = std::function<bool(std::int64_t step, std::int64_t total, double loss)>;

// Trains `model` in place. `global_weights` (parameter name -> tensor) is the FedProx anchor; when
// null and fedprox_mu > 0 the model's weights at the start of the call are used (which are the
// received global weights in a federated round). The module ends on the CPU.
// Errors: InvalidArgument for bad options or a batch the model cannot use (naming the patient and
// field), errors from Dataset::Get, FailedPrecondition for an empty dataset, an unavailable
// device, a FedProx anchor that does not match the model, or a non-finite loss (the weights are
// then unusable), Cancelled when `on_step` returned false.
StatusOr<TrainResult> Train(ZooModel& model, const Dataset& data, const TrainOptions& options,
                            const tensorio::TensorMap* global_weights = nullptr,
                            const StepCallback& on_step = nullptr);

// Learning rate at `step` (0-based) of `total_steps` under `options`' schedule and warmup.
double LearningRateAt(const TrainOptions& options, std::int64_t step, std::int64_t total_steps);

}  // namespace pancaim::zoo
