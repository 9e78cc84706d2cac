#include "pancaim/model_zoo/device.h"

#include <gtest/gtest.h>

namespace pancaim::zoo {
namespace {

TEST(DeviceTest, ResolvesSpecs) {
  EXPECT_TRUE(ResolveDevice("cpu")->is_cpu());
  StatusOr<torch::Device> automatic = ResolveDevice("auto");
  ASSERT_TRUE(automatic.ok());
  EXPECT_EQ(automatic->is_cuda(), CudaDeviceCount() > 0);
  EXPECT_EQ(ResolveDevice("gpu").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveDevice("cuda:x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveDevice("cuda:").status().code(), StatusCode::kInvalidArgument);
  if (CudaDeviceCount() == 0) {
    EXPECT_EQ(ResolveDevice("cuda").status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(ResolveDevice("cuda:1").status().code(), StatusCode::kFailedPrecondition);
  } else {
    EXPECT_TRUE(ResolveDevice("cuda:0")->is_cuda());
    EXPECT_EQ(ResolveDevice("cuda:99").status().code(), StatusCode::kFailedPrecondition);
  }
  // The guard is a no-op on the CPU.
  AutocastGuard guard(true, torch::Device(torch::kCPU));
  EXPECT_FALSE(guard.active());
}

}  // namespace
}  // namespace pancaim::zoo
