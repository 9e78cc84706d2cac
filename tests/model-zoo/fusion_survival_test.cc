#include "pancaim/model_zoo/fusion_survival.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/model_zoo/registry.h"
#include "zoo_test_data.h"
#include "zoo_test_util.h"

namespace pancaim::zoo {
namespace {

using ::testing::HasSubstr;

const nlohmann::json kTiny = {{"genomics_features", 6},
                              {"clinical_features", 3},
                              {"embed_dim", 8},
                              {"attention_dim", 4},
                              {"hidden", {8}},
                              {"ct", {{"width", 4}, {"stages", 1}, {"groups", 2}}},
                              {"mil", {{"cnn_width", 4}, {"groups", 2}, {"attention_dim", 4}}}};

// Eight patients with every modality; survival labels from the tabular generator.
std::vector<Sample> FullSamples() {
  std::vector<Sample> samples = testing::TabularSamples(8, 6, 3);
  std::vector<Sample> ct = testing::CtSamples(8, 8);
  std::vector<Sample> tiles = testing::TileSamples(8, 8);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i].ct = ct[i].ct;
    samples[i].tiles = tiles[i].tiles;
    // Make CT and tiles informative about risk too.
    samples[i].ct->add_(0.3f * static_cast<float>(i));
    samples[i].tiles->add_(-0.2f * static_cast<float>(i));
  }
  return samples;
}

// Which modalities (ct, tiles, genomics, clinical) patient i keeps: every non-empty pattern mix.
const bool kKeep[8][4] = {{1, 1, 1, 1}, {1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0},
                          {0, 0, 0, 1}, {1, 0, 1, 0}, {0, 1, 0, 1}, {1, 1, 0, 1}};

std::vector<Sample> SubsetSamples() {
  std::vector<Sample> samples = FullSamples();
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!kKeep[i][0]) samples[i].ct.reset();
    if (!kKeep[i][1]) samples[i].tiles.reset();
    if (!kKeep[i][2]) samples[i].genomics.reset();
    if (!kKeep[i][3]) {
      samples[i].clinical.reset();
      samples[i].clinical_missing.reset();
    }
  }
  return samples;
}

TEST(FusionSurvivalTest, ShapesAttentionAndBackwardWithAnySubset) {
  StatusOr<ZooModel> model = CreateModel("fusion-survival", kTiny);
  ASSERT_TRUE(model.ok()) << model.status();
  auto params = model->module->named_parameters();
  for (const char* name : {"ct_encoder.stem_conv.weight", "ct_proj.weight",
                           "wsi_encoder.tile_encoder.proj.weight", "wsi_encoder.attention.V.weight",
                           "genomics_encoder.layers.0.weight", "clinical_encoder.layers.1.weight",
                           "fusion_attention.w.weight", "risk_head.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  EXPECT_EQ(params.find("risk_head.bias"), nullptr);
  ModelOutput out = testing::ForwardBackward(*model->module, SubsetSamples());
  EXPECT_EQ(out.risk.sizes(), (std::vector<int64_t>{8}));
  torch::Tensor weights = out.attention.detach();
  ASSERT_EQ(weights.sizes(), (std::vector<int64_t>{8, 4}));
  EXPECT_TRUE(torch::allclose(weights.sum(1), torch::ones({8})));
  for (int i = 0; i < 8; ++i) {
    for (int m = 0; m < 4; ++m) {
      EXPECT_EQ(weights[i][m].item<float>() > 0, kKeep[i][m]) << "patient " << i << " modality " << m;
    }
  }

  std::vector<Sample> none = SubsetSamples();
  none[3].genomics.reset();
  StatusOr<Batch> batch = Collate(none);
  ASSERT_TRUE(batch.ok());
  EXPECT_THAT(model->module->CheckBatch(*batch, false).message(), HasSubstr("patient-3"));
}

TEST(FusionSurvivalTest, MaskedModalitiesEqualMissingOnes) {
  StatusOr<ZooModel> model = CreateModel("fusion-survival", kTiny, 3);
  ASSERT_TRUE(model.ok());
  model->module->eval();
  torch::NoGradGuard no_grad;

  StatusOr<Batch> missing = Collate(SubsetSamples());
  ASSERT_TRUE(missing.ok());
  // Present-but-masked: every tensor holds data (garbage where the patient lacks the modality),
  // only the presence masks say what is absent.
  StatusOr<Batch> masked = Collate(FullSamples());
  ASSERT_TRUE(masked.ok());
  masked->ct.add_(torch::randn(masked->ct.sizes()) * 100.0);
  masked->genomics.add_(torch::randn(masked->genomics.sizes()) * 100.0);
  masked->ct_present = missing->ct_present.clone();
  masked->tiles_present = missing->tiles_present.clone();
  masked->genomics_present = missing->genomics_present.clone();
  masked->clinical_present = missing->clinical_present.clone();
  // Rows that keep a modality keep their real values, so restore them from the subset batch.
  torch::Tensor ct_rows = missing->ct_present.nonzero().squeeze(1);
  masked->ct.index_copy_(0, ct_rows, missing->ct.index_select(0, ct_rows));
  torch::Tensor g_rows = missing->genomics_present.nonzero().squeeze(1);
  masked->genomics.index_copy_(0, g_rows, missing->genomics.index_select(0, g_rows));

  torch::Tensor risk_missing = model->module->ForwardBatch(*missing).risk;
  torch::Tensor risk_masked = model->module->ForwardBatch(*masked).risk;
  EXPECT_TRUE(torch::allclose(risk_missing, risk_masked, /*rtol=*/1e-5, /*atol=*/1e-6))
      << risk_missing << risk_masked;
  // And each patient alone, with only its own modalities, gets the same risk.
  std::vector<Sample> subset = SubsetSamples();
  for (int i = 0; i < 8; ++i) {
    StatusOr<Batch> alone = Collate({subset[static_cast<size_t>(i)]});
    ASSERT_TRUE(alone.ok());
    torch::Tensor risk = model->module->ForwardBatch(*alone).risk;
    EXPECT_NEAR(risk.item<float>(), risk_missing[i].item<float>(), 1e-5) << "patient " << i;
  }
}

TEST(FusionSurvivalTest, OverfitsEightSamplesAndRoundTrips) {
  StatusOr<ZooModel> model = CreateModel("fusion-survival", kTiny, 1);
  ASSERT_TRUE(model.ok());
  std::vector<Sample> samples = SubsetSamples();
  double initial = 0;
  const double loss = testing::TrainAndEvaluateLoss(*model, samples, testing::FastAdam(150, 2e-2), &initial);
  EXPECT_LT(loss, 0.1) << "initial " << initial;
  InMemoryDataset data(samples);
  EvalOptions eval;
  eval.device = "cpu";
  StatusOr<EvalReport> report = Evaluate(*model, data, eval);
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->metrics.at("c_index"), 0.95);
  testing::ExpectCheckpointRoundTrip(*model, samples);
}

}  // namespace
}  // namespace pancaim::zoo
