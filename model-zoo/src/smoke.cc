#include "pancaim/model_zoo/smoke.h"

#include <numeric>

#include <torch/torch.h>
#include <torch/version.h>

#include "pancaim/model_zoo/device.h"
#include "pancaim/model_zoo/trainer.h"

namespace pancaim::zoo {
namespace {

double Mean(const std::vector<double>& v, size_t begin, size_t end) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(begin),
                         v.begin() + static_cast<std::ptrdiff_t>(end), 0.0) /
         static_cast<double>(end - begin);
}

StatusOr<SmokeResult> SmokeOne(const std::string& name, const SmokeOptions& o) {
  PANCAIM_ASSIGN_OR_RETURN(ZooModel model, CreateModel(name, nlohmann::json::object(), o.seed));
  PANCAIM_ASSIGN_OR_RETURN(std::vector<Sample> samples, SyntheticSamples(model, o.samples, o.seed, o.shape));
  InMemoryDataset data(std::move(samples));
  TrainOptions train;
  train.max_steps = o.steps;
  train.batch_size = o.batch_size;
  train.optimizer = "adam";
  train.learning_rate = 1e-3;
  train.device = o.device;
  train.threads = o.threads;
  train.mixed_precision = o.mixed_precision;
  train.seed = o.seed;
  std::vector<double> losses;
  StatusOr<TrainResult> result = Train(model, data, train, nullptr,
                                       [&](std::int64_t, std::int64_t, double loss) {
                                         losses.push_back(loss);
                                         return true;
                                       });
  if (!result.ok()) return result.status().WithContext("model " + name);
  SmokeResult r;
  r.model = name;
  r.parameters = CountParameters(*model.module);
  r.device = result->device + (result->devices_used > 1 ? " x" + std::to_string(result->devices_used) : "") +
             (result->mixed_precision ? " bf16" : "");
  r.steps = result->steps;
  r.samples_per_second = result->samples_per_second;
  const size_t quarter = std::max<size_t>(1, losses.size() / 4);
  r.early_loss = Mean(losses, 0, quarter);
  r.late_loss = Mean(losses, losses.size() - quarter, losses.size());
  r.loss_fell = r.late_loss < r.early_loss;
  return r;
}

}  // namespace

StatusOr<std::vector<SmokeResult>> RunSmoke(const SmokeOptions& options, std::FILE* out) {
  std::vector<std::string> names = options.models.empty() ? ModelNames() : options.models;
  PANCAIM_ASSIGN_OR_RETURN(torch::Device device, ResolveDevice(options.device));
  if (options.threads > 0) torch::set_num_threads(static_cast<int>(options.threads));
  std::fprintf(out, "LibTorch %s, CUDA devices visible: %d, device: %s\n", TORCH_VERSION,
               CudaDeviceCount(), DescribeDevice(device).c_str());
  std::fprintf(out, "%-16s %10s %6s %12s %10s %10s  %s\n", "model", "params", "steps",
               "samples/s", "loss(early)", "loss(late)", "loss falls");
  std::vector<SmokeResult> results;
  for (const std::string& name : names) {
    PANCAIM_ASSIGN_OR_RETURN(SmokeResult r, SmokeOne(name, options));
    std::fprintf(out, "%-16s %10lld %6lld %12.1f %10.4f %10.4f  %s   [%s]\n", r.model.c_str(),
                 static_cast<long long>(r.parameters), static_cast<long long>(r.steps),
                 r.samples_per_second, r.early_loss, r.late_loss, r.loss_fell ? "yes" : "NO",
                 r.device.c_str());
    std::fflush(out);
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace pancaim::zoo
