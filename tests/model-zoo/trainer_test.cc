#include "pancaim/model_zoo/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zoo_test_data.h"
#include "zoo_test_util.h"

namespace pancaim::zoo {
namespace {

using ::testing::HasSubstr;

const nlohmann::json kMlp = {{"genomics_features", 6}, {"clinical_features", 3},
                             {"hidden", {16, 8}}, {"dropout", 0.2}};

std::vector<torch::Tensor> Weights(const ZooModel& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model.module->parameters()) out.push_back(p.detach().clone());
  return out;
}

double DistanceTo(const ZooModel& model, const std::vector<torch::Tensor>& reference) {
  double sum = 0;
  auto params = model.module->parameters();
  for (size_t i = 0; i < params.size(); ++i) sum += (params[i] - reference[i]).pow(2).sum().item<double>();
  return sum;
}

TEST(TrainerTest, SameSeedGivesIdenticalWeightsOnCpu) {
  InMemoryDataset data(testing::TabularSamples(8, 6, 3));
  TrainOptions options = testing::FastAdam(12);
  options.batch_size = 3;  // partial batches and shuffling both matter
  options.seed = 5;
  std::vector<std::vector<torch::Tensor>> runs;
  for (int run = 0; run < 2; ++run) {
    StatusOr<ZooModel> model = CreateModel("genomics-mlp", kMlp, /*init_seed=*/11);
    ASSERT_TRUE(model.ok());
    ASSERT_TRUE(Train(*model, data, options).ok());
    runs.push_back(Weights(*model));
  }
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (size_t i = 0; i < runs[0].size(); ++i) EXPECT_TRUE(torch::equal(runs[0][i], runs[1][i])) << i;

  options.seed = 6;
  StatusOr<ZooModel> other = CreateModel("genomics-mlp", kMlp, 11);
  ASSERT_TRUE(Train(*other, data, options).ok());
  EXPECT_FALSE(torch::equal(Weights(*other)[0], runs[0][0]));
}

TEST(TrainerTest, StepsEpochsSchedulesAndProgressCallback) {
  InMemoryDataset data(testing::TabularSamples(8, 6, 3));
  StatusOr<ZooModel> model = CreateModel("genomics-mlp", kMlp);
  ASSERT_TRUE(model.ok());
  TrainOptions options;
  options.device = "cpu";
  options.epochs = 2;
  options.batch_size = 3;
  options.grad_clip_norm = 1.0;
  options.lr_schedule = "cosine";
  std::vector<std::int64_t> seen;
  StatusOr<TrainResult> result = Train(*model, data, options, nullptr,
                                       [&](std::int64_t step, std::int64_t total, double) {
                                         seen.push_back(step);
                                         EXPECT_EQ(total, 6);
                                         return true;
                                       });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 6);  // ceil(8 / 3) per epoch
  EXPECT_EQ(result->samples, 16);
  EXPECT_EQ(result->epoch_loss.size(), 2u);
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_THAT(result->device, HasSubstr("cpu"));

  StatusOr<TrainResult> cancelled = Train(*model, data, options, nullptr,
                                          [](std::int64_t step, std::int64_t, double) { return step < 2; });
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);

  TrainOptions s;
  s.learning_rate = 1.0;
  s.warmup_steps = 2;
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 0, 10), 0.5);
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1, 10), 1.0);
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 9, 10), 1.0);
  s.lr_schedule = "cosine";
  s.lr_min_factor = 0.1;
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 2, 10), 1.0);
  EXPECT_NEAR(LearningRateAt(s, 6, 10), 0.55, 1e-12);  // halfway: 0.1 + 0.9 * 0.5
  s.lr_schedule = "step";
  s.lr_step_size = 3;
  s.lr_gamma = 0.5;
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 4, 10), 1.0);
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 5, 10), 0.5);
}

TEST(TrainerTest, FedProxKeepsWeightsNearTheGlobalModel) {
  InMemoryDataset data(testing::TabularSamples(8, 6, 3));
  TrainOptions options = testing::FastAdam(30);
  options.optimizer = "sgd";
  options.learning_rate = 0.05;
  double distance[2];
  for (int i = 0; i < 2; ++i) {
    StatusOr<ZooModel> model = CreateModel("genomics-mlp", kMlp, 3);
    ASSERT_TRUE(model.ok());
    std::vector<torch::Tensor> global = Weights(*model);
    options.fedprox_mu = i == 0 ? 0.0 : 5.0;
    ASSERT_TRUE(Train(*model, data, options).ok());
    distance[i] = DistanceTo(*model, global);
  }
  EXPECT_LT(distance[1], 0.5 * distance[0]);

  // An explicit global model that does not match the model is refused.
  StatusOr<ZooModel> model = CreateModel("genomics-mlp", kMlp);
  tensorio::TensorMap global = {{"mlp.layers.0.weight", torch::zeros({3, 3})}};
  StatusOr<TrainResult> refused = Train(*model, data, options, &global);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
}

TEST(TrainerTest, RefusesUnusableBatchesOptionsAndDevices) {
  InMemoryDataset tabular(testing::TabularSamples(4, 6, 3));
  StatusOr<ZooModel> ct = CreateModel("ct-cnn3d", {{"backbone", {{"width", 2}, {"stages", 1}}}});
  ASSERT_TRUE(ct.ok());
  TrainOptions options;
  options.device = "cpu";
  StatusOr<TrainResult> result = Train(*ct, tabular, options);
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("'ct'"));

  options.device = "cuda:0";
  EXPECT_EQ(Train(*ct, tabular, options).status().code(), StatusCode::kFailedPrecondition);
  options.device = "cpu";
  options.optimizer = "lbfgs";
  EXPECT_EQ(Train(*ct, tabular, options).status().code(), StatusCode::kInvalidArgument);
  InMemoryDataset empty({});
  options.optimizer = "sgd";
  EXPECT_EQ(Train(*ct, empty, options).status().code(), StatusCode::kFailedPrecondition);

  StatusOr<TrainOptions> parsed = ParseTrainOptions(
      {{"optimizer", "adamw"}, {"max_steps", 5}, {"fedprox_mu", 0.01}, {"device", "cpu"}, {"seed", 9}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->optimizer, "adamw");
  EXPECT_EQ(parsed->max_steps, 5);
  EXPECT_EQ(parsed->seed, 9u);
  EXPECT_DOUBLE_EQ(parsed->fedprox_mu, 0.01);
  EXPECT_EQ(parsed->batch_size, 8);  // default
  StatusOr<TrainOptions> bad = ParseTrainOptions({{"optimiser", "sgd"}});
  EXPECT_THAT(bad.status().message(), HasSubstr("optimiser"));
  EXPECT_THAT(ParseTrainOptions({{"batch_size", 0}}).status().message(), HasSubstr("batch_size"));
}

}  // namespace
}  // namespace pancaim::zoo
