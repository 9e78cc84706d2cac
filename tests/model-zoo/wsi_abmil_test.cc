#include "pancaim/model_zoo/wsi_abmil.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/script.h>

#include "pancaim/model_zoo/registry.h"
#include "zoo_test_data.h"
#include "zoo_test_util.h"

namespace pancaim::zoo {
namespace {

using ::testing::HasSubstr;

const nlohmann::json kTiny = {
    {"mil", {{"cnn_width", 4}, {"embed_dim", 8}, {"attention_dim", 4}, {"groups", 2}}}};

TEST(WsiAbmilTest, ShapesAttentionParameterCountAndBackward) {
  StatusOr<ZooModel> model = CreateModel("wsi-abmil", kTiny);
  ASSERT_TRUE(model.ok()) << model.status();
  // convs 108+8, 288+16, 1152+32; proj 16*8+8; V, U 8*4+4 each; w 4+1; classifier 8*2+2.
  EXPECT_EQ(CountParameters(*model->module), 1835);
  auto params = model->module->named_parameters();
  for (const char* name : {"mil.tile_encoder.conv0.weight", "mil.tile_encoder.norm2.bias",
                           "mil.tile_encoder.proj.weight", "mil.attention.V.weight",
                           "mil.attention.U.bias", "mil.attention.w.weight", "classifier.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  // Bags of 2, 3 and 4 tiles.
  ModelOutput out = testing::ForwardBackward(*model->module, testing::TileSamples(3, 8));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 2}));
  ASSERT_EQ(out.attention.sizes(), (std::vector<int64_t>{3, 4}));
  torch::Tensor a = out.attention.detach();
  EXPECT_TRUE(torch::allclose(a.sum(1), torch::ones({3})));
  EXPECT_EQ(a[0][2].item<float>(), 0.0f);
  EXPECT_EQ(a[0][3].item<float>(), 0.0f);
  EXPECT_EQ(a[1][3].item<float>(), 0.0f);
  EXPECT_GT(a[2][3].item<float>(), 0.0f);
}

TEST(WsiAbmilTest, OverfitsEightSamplesAndRoundTrips) {
  StatusOr<ZooModel> model = CreateModel("wsi-abmil", kTiny, /*init_seed=*/1);
  ASSERT_TRUE(model.ok());
  std::vector<Sample> samples = testing::TileSamples(8, 8);
  double initial = 0;
  const double loss = testing::TrainAndEvaluateLoss(*model, samples, testing::FastAdam(60), &initial);
  EXPECT_LT(loss, 0.05) << "initial " << initial;
  testing::ExpectCheckpointRoundTrip(*model, samples);
}

TEST(WsiAbmilTest, FrozenTorchScriptEncoder) {
  // A consortium-style frozen encoder: per-channel means of each tile (3 features).
  torch::jit::Module encoder("Encoder");
  encoder.define("def forward(self, x):\n  return x.mean([2, 3])\n");
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("zoo-encoder-" + std::to_string(::getpid()) + ".pt")).string();
  encoder.save(path);
  nlohmann::json config = {{"mil", {{"encoder", "torchscript"}, {"encoder_path", path},
                                    {"encoder_features", 3}, {"probe_tile_size", 8},
                                    {"embed_dim", 8}, {"attention_dim", 4}}}};
  StatusOr<ZooModel> model = CreateModel("wsi-abmil", config);
  ASSERT_TRUE(model.ok()) << model.status();
  auto params = model->module->named_parameters();
  EXPECT_EQ(params.find("mil.tile_encoder.conv0.weight"), nullptr);  // frozen: not trained, not sent
  ASSERT_NE(params.find("mil.tile_encoder.proj.weight"), nullptr);
  EXPECT_EQ(params.find("mil.tile_encoder.proj.weight")->sizes(), (std::vector<int64_t>{8, 3}));
  ModelOutput out = testing::ForwardBackward(*model->module, testing::TileSamples(2, 8));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 2}));

  config["mil"]["encoder_features"] = 5;
  StatusOr<ZooModel> wrong = CreateModel("wsi-abmil", config);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr(path));
  EXPECT_THAT(wrong.status().message(), HasSubstr("3 values"));
  std::filesystem::remove(path);

  config["mil"]["encoder_features"] = 3;
  StatusOr<ZooModel> missing = CreateModel("wsi-abmil", config);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace pancaim::zoo
