// Shared checks for the model tests: overfitting a tiny dataset and checkpoint round trips.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "pancaim/model_zoo/checkpoint.h"
#include "pancaim/model_zoo/evaluate.h"
#include "pancaim/model_zoo/trainer.h"

namespace pancaim::zoo::testing {

inline TrainOptions FastAdam(std::int64_t steps, double lr = 1e-2) {
  TrainOptions o;
  o.max_steps = steps;
  o.batch_size = 8;
  o.optimizer = "adam";
  o.learning_rate = lr;
  o.device = "cpu";
  o.threads = 1;
  o.seed = 7;
  return o;
}

// Trains on `samples` and returns the evaluation loss afterwards (eval mode, whole set).
inline double TrainAndEvaluateLoss(ZooModel& model, const std::vector<Sample>& samples,
                                   const TrainOptions& options, double* initial_loss = nullptr) {
  InMemoryDataset data(samples);
  EvalOptions eval;
  eval.device = "cpu";
  if (initial_loss != nullptr) {
    StatusOr<EvalReport> before = Evaluate(model, data, eval);
    EXPECT_TRUE(before.ok()) << before.status();
    *initial_loss = before.ok() ? before->metrics.at("loss") : 0.0;
  }
  StatusOr<TrainResult> result = Train(model, data, options);
  EXPECT_TRUE(result.ok()) << result.status();
  StatusOr<EvalReport> after = Evaluate(model, data, eval);
  EXPECT_TRUE(after.ok()) << after.status();
  return after.ok() ? after->metrics.at("loss") : 1e9;
}

// Saves `model`, loads it back through the registry, and expects bit-identical tensors and outputs.
inline void ExpectCheckpointRoundTrip(ZooModel& model, const std::vector<Sample>& samples) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("zoo-roundtrip-" + model.name + "-" +
                                      std::to_string(::getpid()) + ".safetensors");
  ASSERT_TRUE(SaveCheckpoint(path.string(), model, {{"round", "3"}}).ok());
  StatusOr<ZooModel> loaded = LoadCheckpoint(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->name, model.name);
  EXPECT_EQ(loaded->config, model.config);
  auto original = model.module->named_parameters();
  auto restored = loaded->module->named_parameters();
  ASSERT_EQ(original.size(), restored.size());
  for (const auto& item : original) {
    const torch::Tensor* other = restored.find(item.key());
    ASSERT_NE(other, nullptr) << item.key();
    EXPECT_EQ(other->scalar_type(), item.value().scalar_type()) << item.key();
    EXPECT_TRUE(torch::equal(*other, item.value())) << item.key();
  }
  StatusOr<Batch> batch = Collate(samples);
  ASSERT_TRUE(batch.ok());
  torch::NoGradGuard no_grad;
  model.module->eval();
  loaded->module->eval();
  ModelOutput a = model.module->ForwardBatch(*batch);
  ModelOutput b = loaded->module->ForwardBatch(*batch);
  for (auto [x, y] : {std::pair{a.logits, b.logits}, std::pair{a.seg_logits, b.seg_logits},
                      std::pair{a.risk, b.risk}}) {
    if (x.defined()) {
      EXPECT_TRUE(torch::equal(x, y));
    }
  }
}

// Runs forward and backward on a collated batch; every parameter must receive a finite gradient.
inline ModelOutput ForwardBackward(ZooModuleImpl& module, const std::vector<Sample>& samples) {
  StatusOr<Batch> batch = Collate(samples);
  EXPECT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE(module.CheckBatch(*batch, /*need_labels=*/true).ok());
  module.train();
  module.zero_grad();
  ModelOutput out = module.ForwardBatch(*batch);
  torch::Tensor loss = module.Loss(out, *batch);
  EXPECT_EQ(loss.dim(), 0);
  loss.backward();
  for (const auto& item : module.named_parameters()) {
    EXPECT_TRUE(item.value().grad().defined()) << "no gradient for " << item.key();
    if (item.value().grad().defined()) {
      EXPECT_TRUE(torch::isfinite(item.value().grad()).all().item<bool>()) << item.key();
    }
  }
  return out;
}

}  // namespace pancaim::zoo::testing
