#include "pancaim/model_zoo/ct_cnn3d.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/model_zoo/registry.h"
#include "zoo_test_data.h"
#include "zoo_test_util.h"

namespace pancaim::zoo {
namespace {

using ::testing::HasSubstr;

const nlohmann::json kTiny = {{"backbone", {{"width", 4}, {"stages", 2}, {"groups", 2}}}};

TEST(CtCnn3dTest, ShapesNamesParameterCountAndBackward) {
  StatusOr<ZooModel> model = CreateModel("ct-cnn3d", kTiny);
  ASSERT_TRUE(model.ok()) << model.status();
  // stem 108 + 8; block 4->4: 432+8+432+8; block 4->8 stride 2: 864+16+1728+16 + shortcut 32+16;
  // classifier 8*2+2.
  EXPECT_EQ(CountParameters(*model->module), 3686);
  auto params = model->module->named_parameters();
  for (const char* name : {"backbone.stem_conv.weight", "backbone.stem_norm.weight",
                           "backbone.stages.0.conv1.weight", "backbone.stages.1.shortcut_conv.weight",
                           "backbone.stages.1.shortcut_norm.bias", "classifier.weight", "classifier.bias"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  ModelOutput out = testing::ForwardBackward(*model->module, testing::CtSamples(3, 8));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 2}));

  std::vector<Sample> samples = testing::CtSamples(2, 8);
  samples[1].ct.reset();
  samples[1].ct_mask.reset();
  StatusOr<Batch> batch = Collate(samples);
  ASSERT_TRUE(batch.ok());
  Status check = model->module->CheckBatch(*batch, true);
  EXPECT_THAT(check.message(), HasSubstr("patient-1"));
  EXPECT_THAT(check.message(), HasSubstr("'ct'"));
}

TEST(CtCnn3dTest, OverfitsEightSamplesAndRoundTrips) {
  StatusOr<ZooModel> model = CreateModel("ct-cnn3d", kTiny, /*init_seed=*/1);
  ASSERT_TRUE(model.ok());
  std::vector<Sample> samples = testing::CtSamples(8, 8);
  double initial = 0;
  const double loss = testing::TrainAndEvaluateLoss(*model, samples, testing::FastAdam(40), &initial);
  EXPECT_LT(loss, 0.05) << "initial " << initial;
  testing::ExpectCheckpointRoundTrip(*model, samples);
}

}  // namespace
}  // namespace pancaim::zoo
