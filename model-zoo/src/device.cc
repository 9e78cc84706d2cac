#include "pancaim/model_zoo/device.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

// LibTorch 2.4 replaced the CUDA-only autocast switches by per-device-type ones (and deprecated the
// old names); 1.13 .. 2.3 only have the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define PANCAIM_AUTOCAST_PER_DEVICE 1
#else
#define PANCAIM_AUTOCAST_PER_DEVICE 0
#endif

namespace pancaim::zoo {

int CudaDeviceCount() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}

StatusOr<torch::Device> ResolveDevice(const std::string& spec) {
  if (spec == "auto") {
    return CudaDeviceCount() > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  if (spec == "cpu") return torch::Device(torch::kCPU);
  if (spec.rfind("cuda", 0) != 0) {
    return InvalidArgumentError("device '" + spec + "': expected auto, cpu, cuda or cuda:N");
  }
  int index = 0;
  if (spec.size() > 4) {
    const std::string number = spec.substr(5);
    if (spec[4] != ':' || number.empty() || number.size() > 3 ||
        number.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgumentError("device '" + spec + "': expected cuda or cuda:N");
    }
    index = std::stoi(number);
  }
  const int count = CudaDeviceCount();
  if (count == 0) {
    return FailedPreconditionError("device '" + spec +
                                   "': this LibTorch has no CUDA support or no GPU is visible");
  }
  if (index >= count) {
    return FailedPreconditionError("device '" + spec + "': only " + std::to_string(count) +
                                   " CUDA device(s) visible");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string DescribeDevice(const torch::Device& device) {
  if (device.is_cuda()) {
    return device.str() + " (of " + std::to_string(CudaDeviceCount()) + " CUDA device(s))";
  }
  return "cpu (" + std::to_string(torch::get_num_threads()) + " threads)";
}

AutocastGuard::AutocastGuard(bool enabled, const torch::Device& device) {
  if (!enabled || !device.is_cuda()) return;
  active_ = true;
#if PANCAIM_AUTOCAST_PER_DEVICE
  previous_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
  previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
  previous_enabled_ = at::autocast::is_enabled();
  previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
  at::autocast::set_enabled(true);
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // Like Python's autocast context: the cast cache is cleared when the outermost region exits.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if PANCAIM_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, previous_enabled_);
  at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
#else
  at::autocast::set_enabled(previous_enabled_);
  at::autocast::set_autocast_gpu_dtype(previous_dtype_);
#endif
}

}  // namespace pancaim::zoo
