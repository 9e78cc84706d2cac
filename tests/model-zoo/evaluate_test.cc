#include "pancaim/model_zoo/evaluate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "pancaim/model_zoo/losses.h"
#include "zoo_test_data.h"

namespace pancaim::zoo {
namespace {

TEST(EvaluateTest, ClassificationMetricsAgreeWithDirectComputation) {
  std::vector<Sample> samples = testing::TabularSamples(8, 6, 3);
  StatusOr<ZooModel> model = CreateModel("genomics-mlp", {{"genomics_features", 6}, {"clinical_features", 3}}, 4);
  ASSERT_TRUE(model.ok());
  InMemoryDataset data(samples);
  EvalOptions options;
  options.device = "cpu";
  options.batch_size = 3;
  StatusOr<EvalReport> report = Evaluate(*model, data, options);
  ASSERT_TRUE(report.ok()) << report.status();

  torch::NoGradGuard no_grad;
  StatusOr<Batch> batch = Collate(samples);
  torch::Tensor logits = model->module->ForwardBatch(*batch).logits;
  torch::Tensor probs = torch::softmax(logits.to(torch::kFloat64), 1);
  std::vector<double> p1;
  std::vector<std::int64_t> labels, predicted;
  for (int i = 0; i < 8; ++i) {
    p1.push_back(probs[i][1].item<double>());
    labels.push_back(batch->label[i].item<int64_t>());
    predicted.push_back(probs[i].argmax().item<int64_t>());
  }
  EXPECT_EQ(report->samples, 8);
  EXPECT_NEAR(report->metrics.at("loss"), MaskedCrossEntropy(logits, batch->label).item<double>(), 1e-5);
  EXPECT_DOUBLE_EQ(report->metrics.at("accuracy"), *Accuracy(predicted, labels));
  // Batches of 3 and of 8 round differently in the matrix products: compare to float precision.
  EXPECT_NEAR(report->metrics.at("auc"), *RocAuc(p1, labels), 1e-6);
  EXPECT_NEAR(report->metrics.at("brier"), *BrierScore(p1, labels), 1e-6);
}

TEST(EvaluateTest, SurvivalRiskGroupsAtTrainingMedian) {
  std::vector<Sample> samples = testing::TabularSamples(8, 6, 0);
  StatusOr<ZooModel> model = CreateModel(
      "genomics-mlp", {{"genomics_features", 6}, {"clinical_features", 0}, {"output", "survival"}}, 4);
  ASSERT_TRUE(model.ok());
  InMemoryDataset data(samples);
  EvalOptions options;
  options.device = "cpu";
  StatusOr<double> median = MedianRisk(*model, data, options);
  ASSERT_TRUE(median.ok()) << median.status();
  options.risk_threshold = *median;
  StatusOr<EvalReport> report = Evaluate(*model, data, options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->risk.size(), 8u);
  EXPECT_DOUBLE_EQ(*median, Median(report->risk));
  ASSERT_TRUE(report->risk_groups.has_value());
  EXPECT_EQ(report->risk_groups->high_count, 4);  // distinct risks split evenly at the median
  EXPECT_EQ(report->metrics.at("low_risk_count"), 4);
  std::vector<double> time;
  std::vector<bool> event;
  for (const Sample& s : samples) {
    time.push_back(*s.labels.survival_time);
    event.push_back(*s.labels.event);
  }
  EXPECT_DOUBLE_EQ(report->metrics.at("c_index"), *HarrellCIndex(report->risk, time, event));
  EXPECT_TRUE(report->metrics.count("logrank_p"));
  nlohmann::json json = EvalReportToJson(*report);
  EXPECT_EQ(json["task"], "survival");
  EXPECT_TRUE(json["risk_groups"].contains("km_high"));
  EXPECT_TRUE(json["risk_groups"]["log_rank"].contains("chi_square"));

  StatusOr<ZooModel> classifier = CreateModel("mnist-cnn");
  EXPECT_EQ(MedianRisk(*classifier, data, options).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pancaim::zoo
