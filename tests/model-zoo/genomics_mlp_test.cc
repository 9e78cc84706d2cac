#include "pancaim/model_zoo/genomics_mlp.h"

#include <gtest/gtest.h>

#include "pancaim/model_zoo/registry.h"
#include "zoo_test_data.h"
#include "zoo_test_util.h"

namespace pancaim::zoo {
namespace {

TEST(GenomicsMlpTest, ShapesParameterCountAndBackward) {
  StatusOr<ZooModel> cls = CreateModel(
      "genomics-mlp", {{"genomics_features", 6}, {"clinical_features", 3}, {"hidden", {8, 4}}});
  ASSERT_TRUE(cls.ok()) << cls.status();
  // in = 6 + 2*3 = 12: layers.0 12*8+8, layers.1 8*4+4, head 4*2+2.
  EXPECT_EQ(CountParameters(*cls->module), 104 + 36 + 10);
  EXPECT_EQ(cls->module->task(), Task::kClassification);
  ModelOutput out = testing::ForwardBackward(*cls->module, testing::TabularSamples(4, 6, 3));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{4, 2}));

  StatusOr<ZooModel> surv = CreateModel(
      "genomics-mlp",
      {{"genomics_features", 6}, {"clinical_features", 0}, {"hidden", {8}}, {"output", "survival"}});
  ASSERT_TRUE(surv.ok()) << surv.status();
  EXPECT_EQ(surv->module->task(), Task::kSurvival);
  EXPECT_EQ(CountParameters(*surv->module), 6 * 8 + 8 + 8);  // survival head has no bias
  out = testing::ForwardBackward(*surv->module, testing::TabularSamples(4, 6, 0));
  EXPECT_EQ(out.risk.sizes(), (std::vector<int64_t>{4}));

  EXPECT_FALSE(CreateModel("genomics-mlp", {{"genomics_features", 0}, {"clinical_features", 0}}).ok());
}

TEST(GenomicsMlpTest, OverfitsEightSamplesAndRoundTrips) {
  StatusOr<ZooModel> model = CreateModel(
      "genomics-mlp", {{"genomics_features", 6}, {"clinical_features", 3}, {"hidden", {16}}}, 1);
  ASSERT_TRUE(model.ok());
  std::vector<Sample> samples = testing::TabularSamples(8, 6, 3);
  const double loss = testing::TrainAndEvaluateLoss(*model, samples, testing::FastAdam(100));
  EXPECT_LT(loss, 0.05);
  testing::ExpectCheckpointRoundTrip(*model, samples);
}

}  // namespace
}  // namespace pancaim::zoo
