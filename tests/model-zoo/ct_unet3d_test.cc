#include "pancaim/model_zoo/ct_unet3d.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/model_zoo/registry.h"
#include "zoo_test_data.h"
#include "zoo_test_util.h"

namespace pancaim::zoo {
namespace {

using ::testing::HasSubstr;

const nlohmann::json kTiny = {{"width", 4}, {"depth", 2}, {"groups", 2}};

TEST(CtUnet3dTest, ShapesNamesParameterCountAndBackward) {
  StatusOr<ZooModel> model = CreateModel("ct-unet3d", kTiny);
  ASSERT_TRUE(model.ok()) << model.status();
  // encoder.0: 1*4*27 + 8 + 4*4*27 + 8 = 556; encoder.1: 4*8*27 + 16 + 8*8*27 + 16 = 2624;
  // decoder.0: up 8*4*8 + 4 = 260, conv1 8*4*27 + 8 = 872, conv2 432 + 8 = 440; head 4*3 + 3 = 15.
  EXPECT_EQ(CountParameters(*model->module), 556 + 2624 + 260 + 872 + 440 + 15);
  auto params = model->module->named_parameters();
  for (const char* name : {"encoder.0.conv1.weight", "encoder.1.norm2.bias", "decoder.0.up.weight",
                           "decoder.0.conv2.weight", "head.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  ModelOutput out = testing::ForwardBackward(*model->module, testing::CtSamples(2, 8));
  EXPECT_EQ(out.seg_logits.sizes(), (std::vector<int64_t>{2, 3, 8, 8, 8}));

  // Spatial sizes must be divisible by 2^(depth-1).
  StatusOr<Batch> odd = Collate(testing::CtSamples(1, 7));
  ASSERT_TRUE(odd.ok());
  EXPECT_THAT(model->module->CheckBatch(*odd, true).message(), HasSubstr("multiple of 2"));
}

TEST(CtUnet3dTest, OverfitsEightSamplesAndRoundTrips) {
  StatusOr<ZooModel> model = CreateModel("ct-unet3d", kTiny, /*init_seed=*/1);
  ASSERT_TRUE(model.ok());
  std::vector<Sample> samples = testing::CtSamples(8, 8);
  // Train in rounds of 50 steps until the loss is near zero (at most 300 steps): tiny U-Nets get
  // there at different speeds on different BLAS builds.
  double initial = 0;
  double loss = testing::TrainAndEvaluateLoss(*model, samples, testing::FastAdam(50, 1e-2), &initial);
  for (int round = 1; round < 6 && loss >= 0.1; ++round) {
    TrainOptions more = testing::FastAdam(50, 1e-2);
    more.seed = 7 + static_cast<std::uint64_t>(round);
    loss = testing::TrainAndEvaluateLoss(*model, samples, more);
  }
  EXPECT_LT(loss, 0.1) << "initial " << initial;
  InMemoryDataset data(samples);
  EvalOptions eval;
  eval.device = "cpu";
  StatusOr<EvalReport> report = Evaluate(*model, data, eval);
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->metrics.at("dice_mean"), 0.9);
  testing::ExpectCheckpointRoundTrip(*model, samples);
}

}  // namespace
}  // namespace pancaim::zoo
