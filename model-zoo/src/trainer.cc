#include "pancaim/model_zoo/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include <torch/torch.h>

#include "pancaim/common/log.h"
#include "pancaim/common/progress.h"
#include "pancaim/model_zoo/device.h"

namespace pancaim::zoo {
namespace {

constexpr double kPi = 3.14159265358979323846;

// One model copy per device for data-parallel training; replicas[0] is the model itself.
struct Replica {
  std::shared_ptr<ZooModuleImpl> module;
  torch::Device device;
};

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainOptions& o,
                                                       std::vector<torch::Tensor> params) {
  if (o.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(o.learning_rate)
                    .betas({o.beta1, o.beta2}).eps(o.epsilon).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(o.learning_rate)
                    .betas({o.beta1, o.beta2}).eps(o.epsilon).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(o.learning_rate)
                  .momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
}

Status CheckOptions(const TrainOptions& o) {
  if (o.max_steps <= 0 && o.epochs <= 0) {
    return InvalidArgumentError("training options: epochs or max_steps must be > 0");
  }
  if (o.batch_size <= 0) return InvalidArgumentError("training options: batch_size must be > 0");
  if (o.optimizer != "sgd" && o.optimizer != "adam" && o.optimizer != "adamw") {
    return InvalidArgumentError("training options: optimizer '" + o.optimizer +
                                "' is not one of sgd, adam, adamw");
  }
  if (o.lr_schedule != "constant" && o.lr_schedule != "cosine" && o.lr_schedule != "step") {
    return InvalidArgumentError("training options: lr_schedule '" + o.lr_schedule +
                                "' is not one of constant, cosine, step");
  }
  if (!(o.learning_rate > 0) || o.fedprox_mu < 0 || o.grad_clip_norm < 0 || o.weight_decay < 0) {
    return InvalidArgumentError(
        "training options: learning_rate must be > 0; fedprox_mu, grad_clip_norm, weight_decay >= 0");
  }
  if (o.nesterov && (o.momentum <= 0)) {
    return InvalidArgumentError("training options: nesterov needs momentum > 0");
  }
  return Status::Ok();
}

// FedProx anchor: each parameter's global value on `device`, in named_parameters() order.
StatusOr<std::vector<torch::Tensor>> ProximalAnchor(const ZooModuleImpl& module,
                                                    const tensorio::TensorMap* global,
                                                    const torch::Device& device) {
  std::vector<torch::Tensor> anchor;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (global == nullptr) {
      anchor.push_back(item.value().detach().clone());
      continue;
    }
    auto found = global->find(item.key());
    if (found == global->end()) {
      return FailedPreconditionError("FedProx global weights lack parameter '" + item.key() + "'");
    }
    if (found->second.sizes() != item.value().sizes()) {
      return FailedPreconditionError("FedProx global weights: parameter '" + item.key() +
                                     "' has another shape than the model's");
    }
    anchor.push_back(found->second.detach().to(device, torch::kFloat32).clone());
  }
  return anchor;
}

// The one place where a batch's gradients are computed: forward (autocast when asked), loss scaled by
// `weight`, backward. Differential privacy replaces this by per-sample clipped gradients.
double ComputeGradients(ZooModuleImpl& module, const Batch& batch, const torch::Device& device,
                        bool mixed_precision, double weight) {
  torch::Tensor loss;
  {
    AutocastGuard autocast(mixed_precision, device);
    ModelOutput out = module.ForwardBatch(batch);
    loss = module.Loss(out, batch);
  }
  (loss * weight).backward();
  return loss.item<double>();
}

// Splits `batch` across the replicas, runs them in parallel, and sums the gradients into
// replicas[0]. Returns the batch's mean loss.
double DataParallelGradients(std::vector<Replica>& replicas, const Batch& batch, bool amp) {
  const int64_t parts = std::min<int64_t>(static_cast<int64_t>(replicas.size()), batch.size);
  std::vector<double> losses(static_cast<size_t>(parts), 0.0);
  std::vector<std::string> errors(static_cast<size_t>(parts));
  std::vector<std::thread> threads;
  for (int64_t r = 0; r < parts; ++r) {
    threads.emplace_back([&, r] {
      try {
        std::vector<int64_t> rows;
        for (int64_t i = r; i < batch.size; i += parts) rows.push_back(i);
        Replica& replica = replicas[static_cast<size_t>(r)];
        Batch shard = batch.Select(rows).To(replica.device);
        const double weight = static_cast<double>(rows.size()) / static_cast<double>(batch.size);
        losses[static_cast<size_t>(r)] =
            weight * ComputeGradients(*replica.module, shard, replica.device, amp, weight);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) PANCAIM_CHECK(e.empty()) << "data-parallel shard failed: " << e;
  torch::NoGradGuard no_grad;
  auto master = replicas[0].module->parameters();
  for (int64_t r = 1; r < parts; ++r) {
    auto params = replicas[static_cast<size_t>(r)].module->parameters();
    for (size_t i = 0; i < master.size(); ++i) {
      if (!params[i].grad().defined()) continue;
      if (!master[i].grad().defined()) master[i].mutable_grad() = torch::zeros_like(master[i]);
      master[i].mutable_grad().add_(params[i].grad().to(master[i].device()));
    }
  }
  return std::accumulate(losses.begin(), losses.end(), 0.0);
}

void SyncReplicas(std::vector<Replica>& replicas) {
  torch::NoGradGuard no_grad;
  auto master = replicas[0].module->parameters();
  for (size_t r = 1; r < replicas.size(); ++r) {
    auto params = replicas[r].module->parameters();
    for (size_t i = 0; i < master.size(); ++i) {
      params[i].copy_(master[i]);
      params[i].mutable_grad() = torch::Tensor();
    }
  }
}

StatusOr<std::vector<Replica>> MakeReplicas(ZooModel& model, const TrainOptions& o,
                                            const torch::Device& device) {
  std::vector<Replica> replicas = {{model.module, device}};
  const int count = CudaDeviceCount();
  const bool multi = o.data_parallel && device.is_cuda() && count > 1 &&
                     (o.device == "auto" || o.device == "cuda");
  if (!multi) return replicas;
  for (int d = 1; d < count; ++d) {
    PANCAIM_ASSIGN_OR_RETURN(ZooModel copy, CreateModel(model.name, model.config, o.seed));
    torch::Device dev(torch::kCUDA, static_cast<c10::DeviceIndex>(d));
    copy.module->to(dev);
    copy.module->train();
    replicas.push_back({copy.module, dev});
  }
  SyncReplicas(replicas);
  return replicas;
}

StatusOr<Batch> LoadBatch(const Dataset& data, const std::vector<int64_t>& order, int64_t begin,
                          int64_t end) {
  std::vector<Sample> samples;
  samples.reserve(static_cast<size_t>(end - begin));
  for (int64_t i = begin; i < end; ++i) {
    PANCAIM_ASSIGN_OR_RETURN(Sample s, data.Get(order[static_cast<size_t>(i)]));
    samples.push_back(std::move(s));
  }
  return Collate(samples);
}

}  // namespace

double LearningRateAt(const TrainOptions& o, std::int64_t step, std::int64_t total_steps) {
  if (o.warmup_steps > 0 && step < o.warmup_steps) {
    return o.learning_rate * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  }
  const int64_t after = step - o.warmup_steps;
  if (o.lr_schedule == "cosine") {
    const int64_t span = std::max<int64_t>(1, total_steps - o.warmup_steps);
    const double progress = std::min(1.0, static_cast<double>(after) / static_cast<double>(span));
    const double factor = o.lr_min_factor + (1.0 - o.lr_min_factor) * 0.5 * (1.0 + std::cos(kPi * progress));
    return o.learning_rate * factor;
  }
  if (o.lr_schedule == "step") {
    const int64_t drops = after / std::max<int64_t>(1, o.lr_step_size);
    return o.learning_rate * std::pow(o.lr_gamma, static_cast<double>(drops));
  }
  return o.learning_rate;
}

StatusOr<TrainResult> Train(ZooModel& model, const Dataset& data, const TrainOptions& o,
                            const tensorio::TensorMap* global_weights, const StepCallback& on_step) {
  PANCAIM_CHECK(model.module != nullptr) << "Train of a null model";
  PANCAIM_RETURN_IF_ERROR(CheckOptions(o));
  const int64_t n = data.Size();
  if (n <= 0) return FailedPreconditionError("training dataset is empty");
  PANCAIM_ASSIGN_OR_RETURN(torch::Device device, ResolveDevice(o.device));
  if (o.threads > 0) torch::set_num_threads(static_cast<int>(o.threads));
  torch::manual_seed(o.seed);
  if (device.is_cuda()) torch::cuda::manual_seed_all(o.seed);

  ZooModuleImpl& module = *model.module;
  module.to(device);
  module.train();
  // Whatever happens, hand the module back on the CPU (where the site agent reads its weights).
  struct BackToCpu {
    ZooModuleImpl& m;
    ~BackToCpu() { m.to(torch::kCPU); }
  } back_to_cpu{module};
  try {
    PANCAIM_ASSIGN_OR_RETURN(std::vector<Replica> replicas, MakeReplicas(model, o, device));
    std::vector<torch::Tensor> params = module.parameters();
    std::vector<torch::Tensor> anchor;
    if (o.fedprox_mu > 0) {
      PANCAIM_ASSIGN_OR_RETURN(anchor, ProximalAnchor(module, global_weights, device));
    }
    auto optimizer = MakeOptimizer(o, params);

    const int64_t bs = std::min(o.batch_size, n);
    const int64_t per_epoch = o.drop_last ? std::max<int64_t>(1, n / bs) : (n + bs - 1) / bs;
    const int64_t total = o.max_steps > 0 ? o.max_steps : o.epochs * per_epoch;
    std::optional<ProgressDisplay> progress;
    if (o.show_progress) progress.emplace("training", total);

    TrainResult result;
    result.device = DescribeDevice(device);
    result.devices_used = static_cast<int>(replicas.size());
    result.mixed_precision = o.mixed_precision && device.is_cuda();
    std::mt19937_64 rng(o.seed);
    std::vector<int64_t> order(static_cast<size_t>(n));
    const auto start = std::chrono::steady_clock::now();
    int64_t step = 0;
    while (step < total) {
      std::iota(order.begin(), order.end(), 0);
      if (o.shuffle) std::shuffle(order.begin(), order.end(), rng);
      double epoch_sum = 0;
      int64_t epoch_steps = 0;
      for (int64_t b = 0; b < per_epoch && step < total; ++b) {
        const int64_t begin = b * bs;
        const int64_t end = std::min(n, begin + bs);
        PANCAIM_ASSIGN_OR_RETURN(Batch batch, LoadBatch(data, order, begin, end));
        PANCAIM_RETURN_IF_ERROR(module.CheckBatch(batch, /*need_labels=*/true));
        for (auto& group : optimizer->param_groups()) {
          group.options().set_lr(LearningRateAt(o, step, total));
        }
        optimizer->zero_grad();
        double loss = 0;
        if (replicas.size() > 1) {
          loss = DataParallelGradients(replicas, batch, o.mixed_precision);
        } else {
          loss = ComputeGradients(module, batch.To(device), device, o.mixed_precision, 1.0);
        }
        if (!std::isfinite(loss)) {
          return FailedPreconditionError("training diverged: loss is " + std::to_string(loss) +
                                         " at step " + std::to_string(step));
        }
        if (o.fedprox_mu > 0) {
          torch::NoGradGuard no_grad;
          for (size_t i = 0; i < params.size(); ++i) {
            if (!params[i].grad().defined()) continue;
            params[i].mutable_grad().add_(params[i].detach() - anchor[i], o.fedprox_mu);
          }
        }
        if (o.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(params, o.grad_clip_norm);
        optimizer->step();
        if (replicas.size() > 1) SyncReplicas(replicas);
        if (step == 0) result.first_loss = loss;
        epoch_sum += loss;
        ++epoch_steps;
        ++step;
        result.samples += batch.size;
        if (progress) progress->Update(step, "loss " + std::to_string(loss));
        if (on_step && !on_step(step, total, loss)) return CancelledError("training cancelled at step " + std::to_string(step));
      }
      result.epoch_loss.push_back(epoch_sum / static_cast<double>(std::max<int64_t>(1, epoch_steps)));
    }
    if (device.is_cuda()) torch::cuda::synchronize();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.steps = step;
    result.final_loss = result.epoch_loss.back();
    result.samples_per_second = result.seconds > 0 ? static_cast<double>(result.samples) / result.seconds : 0;
    if (progress) progress->Finish("loss " + std::to_string(result.final_loss));
    return result;
  } catch (const c10::Error& e) {
    return InternalError(std::string("training failed in LibTorch: ") + e.what_without_backtrace());
  }
}

}  // namespace pancaim::zoo
