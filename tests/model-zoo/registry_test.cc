#include "pancaim/model_zoo/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace pancaim::zoo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RegistryTest, ListsCreatesAndValidates) {
  EXPECT_THAT(ModelNames(), ElementsAre("ct-cnn3d", "ct-unet3d", "wsi-abmil", "genomics-mlp",
                                        "fusion-survival", "mnist-cnn"));
  std::vector<ModelSummary> models = ListModels();
  ASSERT_EQ(models.size(), 6u);
  EXPECT_EQ(models[5].name, "mnist-cnn");
  EXPECT_EQ(models[5].default_parameters, 1663370);
  EXPECT_EQ(models[4].task, Task::kSurvival);
  for (const ModelSummary& m : models) EXPECT_GT(m.default_parameters, 0) << m.name;

  StatusOr<ZooModel> unknown = CreateModel("resnet-50");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("mnist-cnn"));

  StatusOr<ZooModel> bad_key = CreateModel("ct-cnn3d", {{"backbone", {{"widht", 4}}}});
  EXPECT_THAT(bad_key.status().message(), HasSubstr("backbone.widht"));
  StatusOr<ZooModel> out_of_range = CreateModel("ct-unet3d", {{"depth", 9}});
  EXPECT_THAT(out_of_range.status().message(), HasSubstr("depth"));
  EXPECT_FALSE(CreateModel("fusion-survival", {{"use_ct", false}, {"use_tiles", false},
                                               {"genomics_features", 0}, {"clinical_features", 0}})
                   .ok());

  // The completed config records every default; the same seed gives the same initial weights.
  StatusOr<ZooModel> a = CreateModel("mnist-cnn", nlohmann::json::object(), 42);
  StatusOr<ZooModel> b = CreateModel("mnist-cnn", a->config, 42);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->config["image_size"], 28);
  EXPECT_TRUE(torch::equal(a->module->parameters()[0], b->module->parameters()[0]));
  ASSERT_TRUE(ModelSchema("wsi-abmil").ok());
  EXPECT_FALSE(ModelSchema("nope").ok());
}

}  // namespace
}  // namespace pancaim::zoo
