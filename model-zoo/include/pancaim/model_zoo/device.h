// Device selection and mixed precision for the training engine.
//
// Device specs: "auto" (the first CUDA device when the LibTorch in use was built with CUDA and one
// is visible, else the CPU), "cpu", "cuda" (= "cuda:0") and "cuda:N". Works with CPU-only and CUDA
// builds of LibTorch 1.13 and 2.x. Thread-safe.
#pragma once

#include <string>

#include <torch/types.h>

#include "pancaim/common/status.h"

namespace pancaim::zoo {

// Parses and checks a device spec. InvalidArgument for a malformed spec; FailedPrecondition when
// CUDA is requested but unavailable or N is not a visible device.
StatusOr<torch::Device> ResolveDevice(const std::string& spec);

// Number of CUDA devices this process can use (0 with a CPU-only LibTorch).
int CudaDeviceCount();

// "cpu (4 threads)" or "cuda:0 (of 2)".
std::string DescribeDevice(const torch::Device& device);

// Enables autocast (bfloat16) on CUDA for its lifetime when `enabled` and `device` is CUDA; a no-op
// otherwise. bfloat16 needs no loss scaling (same exponent range as float32); it needs an Ampere or
// newer GPU. Restores the previous state on destruction. Autocast state is thread-local: create the
// guard on the thread that runs the forward pass.
class AutocastGuard {
 public:
  AutocastGuard(bool enabled, const torch::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

  bool active() const { return active_; }

 private:
  bool active_ = false;
  bool previous_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat16;
};

}  // namespace pancaim::zoo
