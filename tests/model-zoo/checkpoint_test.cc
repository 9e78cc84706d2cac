#include "pancaim/model_zoo/checkpoint.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace pancaim::zoo {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".safetensors"))
      .string();
}

TEST(CheckpointTest, MetadataNamesTheModelAndMismatchesAreRefused) {
  StatusOr<ZooModel> model = CreateModel("genomics-mlp", {{"genomics_features", 4}, {"clinical_features", 0}});
  ASSERT_TRUE(model.ok());
  ModelSnapshot snapshot = SnapshotModel(*model, {{"round", "7"}});
  EXPECT_EQ(snapshot.metadata.at(kModelNameKey), "genomics-mlp");
  EXPECT_EQ(snapshot.metadata.at(kFormatKey), kFormatValue);
  EXPECT_EQ(snapshot.metadata.at("round"), "7");
  EXPECT_EQ(nlohmann::json::parse(snapshot.metadata.at(kModelConfigKey)), model->config);
  EXPECT_TRUE(snapshot.tensors.count("mlp.layers.0.weight"));

  const std::string path = TempPath("zoo-ckpt");
  ASSERT_TRUE(SaveCheckpoint(path, *model).ok());
  StatusOr<ZooModel> other = CreateModel("mnist-cnn");
  Status wrong = LoadWeights(*other, path);
  EXPECT_THAT(wrong.message(), HasSubstr("genomics-mlp"));
  StatusOr<ZooModel> different_shape =
      CreateModel("genomics-mlp", {{"genomics_features", 5}, {"clinical_features", 0}});
  Status shape = LoadWeights(*different_shape, path);
  EXPECT_FALSE(shape.ok());
  EXPECT_THAT(shape.message(), HasSubstr(path));

  // A plain safetensors file without zoo metadata is not a checkpoint.
  const std::string plain = TempPath("zoo-plain");
  ASSERT_TRUE(tensorio::SaveSafetensorsFile(plain, snapshot.tensors).ok());
  EXPECT_THAT(LoadCheckpoint(plain).status().message(), HasSubstr("not a zoo checkpoint"));
  EXPECT_EQ(LoadCheckpoint(TempPath("zoo-absent")).status().code(), StatusCode::kNotFound);
  std::filesystem::remove(path);
  std::filesystem::remove(plain);
}

// Runs `command` and returns its standard output, or nullopt when it fails.
std::optional<std::string> RunCommand(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return std::nullopt;
  std::string output;
  std::array<char, 4096> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) output += buffer.data();
  return pclose(pipe.release()) == 0 ? std::optional<std::string>(output) : std::nullopt;
}

// The snippet of docs/models.md: a global model written here opens in Python (torch + the
// repository's safetensors reader) and gives the same outputs.
TEST(CheckpointTest, GlobalModelOpensInPythonWithTheSameOutputs) {
  const std::string python = "/usr/bin/python3";
  if (!RunCommand(python + " -c 'import torch, numpy' 2>/dev/null")) {
    GTEST_SKIP() << python << " has no torch/numpy";
  }
  StatusOr<ZooModel> model = CreateModel("mnist-cnn", nlohmann::json::object(), 5);
  ASSERT_TRUE(model.ok());
  const std::string path = TempPath("zoo-global");
  const std::string input = TempPath("zoo-input");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {{"round", "12"}}).ok());
  torch::manual_seed(3);
  torch::Tensor image = torch::randn({2, 1, 28, 28});
  ASSERT_TRUE(tensorio::SaveSafetensorsFile(input, {{"image", image}}).ok());
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    model->module->eval();
    Batch batch;
    batch.size = 2;
    batch.image = image;
    expected = model->module->ForwardBatch(batch).logits;
  }
  const std::string script = std::string(PANCAIM_SOURCE_DIR) + "/model-zoo/python/load_global_model.py";
  std::optional<std::string> listing = RunCommand(python + " " + script + " " + path);
  ASSERT_TRUE(listing.has_value());
  EXPECT_THAT(*listing, HasSubstr("mnist-cnn"));
  EXPECT_THAT(*listing, HasSubstr("fc1.weight (512, 3136)"));
  EXPECT_THAT(*listing, HasSubstr("1663370 parameters"));
  std::optional<std::string> output = RunCommand(python + " " + script + " " + path + " --input " + input);
  std::filesystem::remove(path);
  std::filesystem::remove(input);
  ASSERT_TRUE(output.has_value());
  nlohmann::json logits = nlohmann::json::parse(*output);
  ASSERT_EQ(logits.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 10; ++k) {
      EXPECT_NEAR(logits[i][k].get<double>(), expected[i][k].item<double>(), 1e-4) << i << "," << k;
    }
  }
}

}  // namespace
}  // namespace pancaim::zoo
