#include "pancaim/model_zoo/mnist_cnn.h"

#include <gtest/gtest.h>

#include "pancaim/model_zoo/registry.h"
#include "zoo_test_data.h"
#include "zoo_test_util.h"

namespace pancaim::zoo {
namespace {

TEST(MnistCnnTest, ExactlyTheFedAvgPaperParameterCount) {
  StatusOr<ZooModel> model = CreateModel("mnist-cnn");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(CountParameters(*model->module), 1663370);
  auto params = model->module->named_parameters();
  EXPECT_EQ(params.find("conv1.weight")->sizes(), (std::vector<int64_t>{32, 1, 5, 5}));
  EXPECT_EQ(params.find("conv2.weight")->sizes(), (std::vector<int64_t>{64, 32, 5, 5}));
  EXPECT_EQ(params.find("fc1.weight")->sizes(), (std::vector<int64_t>{512, 3136}));
  EXPECT_EQ(params.find("fc2.weight")->sizes(), (std::vector<int64_t>{10, 512}));
  ModelOutput out = testing::ForwardBackward(*model->module, testing::ImageSamples(3));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 10}));
}

TEST(MnistCnnTest, OverfitsEightSamplesAndRoundTrips) {
  StatusOr<ZooModel> model = CreateModel("mnist-cnn", nlohmann::json::object(), 1);
  ASSERT_TRUE(model.ok());
  std::vector<Sample> samples = testing::ImageSamples(8);
  const double loss = testing::TrainAndEvaluateLoss(*model, samples, testing::FastAdam(30, 1e-3));
  EXPECT_LT(loss, 0.05);
  testing::ExpectCheckpointRoundTrip(*model, samples);
}

}  // namespace
}  // namespace pancaim::zoo
